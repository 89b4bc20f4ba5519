/*
 * fuzz_bundle.c - libFuzzer target: `stageguard bundle verify FILE`
 * (plugins/bundle/bundle_verify.c, bundle_verify()): an evidence bundle
 * someone sends back, read by content through libarchive, every entry
 * hashed, and manifest.json and SHA256SUMS compared with what is there.
 *
 * Input: the archive file's bytes (.tar.gz, .tar.zst, .zip, or a plain
 * tar, which libarchive reads as well and which lets the fuzzer change
 * entry headers and the manifest directly).  It is written to one file in
 * a scratch folder, rewritten for every input.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bundle_int.h"
#include "sg_fuzz.h"

static char fz_path[4200];

/* Each problem verify() reports: counted, and a whole sentence. */
static void fz_problem(void *arg, const char *problem)
{
	unsigned long *count = arg;

	SG_FUZZ_ASSERT(problem != NULL && problem[0] != '\0',
		       "a problem says what it is");
	(*count)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_error err;
	unsigned long problems = 0;
	int rc;

	if (fz_path[0] == '\0')
		snprintf(fz_path, sizeof(fz_path), "%s/evidence.tar.gz",
			 sg_fuzz_tmpdir("bundle"));
	sg_fuzz_write(fz_path, data, size);
	sg_error_clear(&err);
	rc = bundle_verify(NULL, fz_path, fz_problem, &problems, &err);
	sg_fuzz_check_error(rc, &err);
	SG_FUZZ_ASSERT(rc == SG_OK || rc == SG_ERR_PARSE || rc == SG_ERR_IO ||
		       rc == SG_ERR_NOMEM, "a documented status");
	return 0;
}
