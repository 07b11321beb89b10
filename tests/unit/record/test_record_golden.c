/*
 * Flow records are written straight to their line (record_flow_line, no
 * jansson tree per flow): every byte must be what the jansson-tree
 * records said before (commit 1f1cda5, json_line(record_flow())), over a
 * corpus of 20,000 flows that takes every branch (corpus.h). The hash
 * below is of that commit's lines for the corpus, one a line. And both
 * ways out of today's code (the line, and the tree the tests read) agree.
 *
 * A deliberate change of a field changes the hash: check the new lines
 * (the failing test leaves them in a file and names it), then put the new
 * hash here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "corpus.h"
#include "json.h"
#include "record.h"

#define CORPUS_FLOWS 20000
static const char golden_sha256[] =
	"28caf1f7bbce55244087e7e23a124350cdb53ff9bc3bb0ad2dcc4977d12b68b2";

static void test_lines_are_the_tree_records_of_before(void **state)
{
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned mdlen = 0;
	char hex[2 * sizeof(md) + 1], path[] = "/tmp/exfild-record-corpus-XXXXXX";
	int fd = mkstemp(path);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;

	assert_non_null(out);
	assert_non_null(sha);
	assert_int_equal(EVP_DigestInit_ex(sha, EVP_sha256(), NULL), 1);
	corpus_init();
	for (int i = 0; i < CORPUS_FLOWS; i++) {
		struct enriched_flow f;
		struct record_ctx ctx;
		size_t len = 0;
		const char *line;
		json_t *tree;
		char *tree_line;

		corpus_flow(&f, &ctx);
		line = record_flow_line(&f, &ctx, &len);
		assert_non_null(line);
		assert_int_equal(strlen(line), len);
		/* The tree tests read (record_flow) says the same, byte for byte. */
		tree = record_flow(&f, &ctx);
		tree_line = json_line(tree);
		assert_non_null(tree_line);
		if (strcmp(tree_line, line))
			fail_msg("flow %d: the line and the tree differ:\n%s\n%s", i, line, tree_line);
		free(tree_line);
		json_decref(tree);
		EVP_DigestUpdate(sha, line, len);
		EVP_DigestUpdate(sha, "\n", 1);
		fprintf(out, "%s\n", line);
	}
	assert_int_equal(EVP_DigestFinal_ex(sha, md, &mdlen), 1);
	assert_int_equal(mdlen, sizeof(md));
	EVP_MD_CTX_free(sha);
	assert_int_equal(fclose(out), 0);
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, golden_sha256))
		fail_msg("the corpus's records changed (sha256 %s, want %s); they are in %s",
			 hex, golden_sha256, path);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_are_the_tree_records_of_before),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
