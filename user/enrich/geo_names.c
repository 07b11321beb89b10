/* Country and continent names by code; see geo_names.h. */
#include <stddef.h>

#include "geo_names.h"

static int letter(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	return -1;
}

const struct geo_name *geo_names_find(const char *code)
{
	int a, b;

	if (!code || (a = letter(code[0])) < 0 || (b = letter(code[1])) < 0 || code[2])
		return NULL;
	return geo_names_table[a * 26 + b].code ? &geo_names_table[a * 26 + b] : NULL;
}
