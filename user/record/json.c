/* JSON helpers: every string that came from outside goes through json_bytes. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

/*
 * Length (1..4) of the well-formed UTF-8 sequence at p, or 0 when the byte
 * at p does not start one (RFC 3629 table: no overlong forms, no UTF-16
 * surrogates, nothing above U+10FFFF). NUL counts as invalid so that it
 * is shown as \x00 rather than cutting C consumers short.
 */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates U+D800..U+DFFF */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;		/* 0x80..0xc1 and 0xf5..0xff never lead */
	}
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

size_t json_utf8_prefix(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t ok = 0;

	if (!p)
		return 0;
	while (ok < len) {
		size_t n = utf8_len(p + ok, len - ok);

		if (!n)
			break;
		ok += n;
	}
	return ok;
}

size_t json_bytes_shown(const void *buf, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = buf;
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_len(p + i, len - i);

		if (n) {
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[p[i] >> 4];
		out[o++] = hex[p[i] & 0xf];
		i++;
	}
	return o;
}

json_t *json_bytes(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	char *out;
	json_t *s;

	if (!p)
		len = 0;
	/* Most strings are clean UTF-8: taken as they are, checked once. */
	if (json_utf8_prefix(p, len) == len)
		return json_stringn_nocheck(p ? (const char *)p : "", len);
	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	/* Worst case every byte becomes four characters. */
	out = malloc(len * 4 + 1);
	if (!out)
		return NULL;
	s = json_stringn(out, json_bytes_shown(p, len, out));
	free(out);
	return s;
}

json_t *json_cstr(const char *s)
{
	/* A missing string is shown as empty rather than failing the record. */
	return json_bytes(s, s ? strlen(s) : 0);
}

int json_set_str(json_t *root, const char *path, const char *s)
{
	return s && s[0] ? json_set_path(root, path, json_cstr(s)) : 0;
}

int json_set_path(json_t *root, const char *path, json_t *val)
{
	json_t *cur = root;
	const char *seg = path;

	/* Reject "", "a..b", ".a", "a." before creating anything (one pass). */
	bool bad = !root || !path || !val || !json_is_object(root) || !*path || *path == '.';

	for (const char *p = path; !bad && *p; p++)
		bad = *p == '.' && (p[1] == '.' || !p[1]);
	if (bad) {
		json_decref(val);
		return -1;
	}
	for (;;) {
		const char *dot = strchr(seg, '.');
		size_t n = dot ? (size_t)(dot - seg) : strlen(seg);

		if (!dot)
			return json_object_setn_new(cur, seg, n, val) ? -1 : 0;
		json_t *next = json_object_getn(cur, seg, n);
		if (!next) {
			next = json_object();
			if (!next || json_object_setn_new(cur, seg, n, next)) {
				json_decref(val);
				return -1;
			}
		} else if (!json_is_object(next)) {
			json_decref(val);
			return -1;
		}
		cur = next;
		seg = dot + 1;
	}
}

/*
 * "YYYY-MM-DDTHH:MM:SS" of a second. Records repeat a few seconds many
 * times (the drain's time, the flows' starts within an interval, process
 * starts): a small cache per thread saves gmtime_r, which takes a lock,
 * and the formatting. Direct-mapped by second: 64 slots, so a drain's
 * end and the starts of its flows (a minute at most, at the longest
 * intervals) do not push each other out.
 */
#define TIME_CACHE 64

static bool second_text(int64_t sec, char out[20])
{
	static __thread struct { int64_t sec; char text[20]; bool used; } cache[TIME_CACHE];
	unsigned slot = (unsigned)((uint64_t)sec % TIME_CACHE);
	time_t t = (time_t)sec;
	struct tm tm;

	if (cache[slot].used && cache[slot].sec == sec) {
		memcpy(out, cache[slot].text, 20);
		return true;
	}
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return false;
	char tmp[64];

	if (snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) != 19)
		return false;
	memcpy(out, tmp, 20);
	cache[slot].used = true;
	cache[slot].sec = sec;
	memcpy(cache[slot].text, out, 20);
	return true;
}

bool json_time_text(int64_t unix_ns, char out[24])
{
	/* Floor division so times before 1970 still print correctly. */
	int64_t sec = unix_ns / 1000000000, rem = unix_ns % 1000000000;
	int ms;

	if (rem < 0) {
		rem += 1000000000;
		sec--;
	}
	if (!second_text(sec, out))
		return false;
	ms = (int)(rem / 1000000);
	out[19] = '.';
	out[20] = (char)('0' + ms / 100);
	out[21] = (char)('0' + ms / 10 % 10);
	out[22] = (char)('0' + ms % 10);
	out[23] = 'Z';
	return true;
}

json_t *json_time(int64_t unix_ns)
{
	char buf[24];

	return json_time_text(unix_ns, buf) ? json_stringn_nocheck(buf, 24) : NULL;
}
