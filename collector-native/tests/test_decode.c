/* Decodes every golden vector in tests/golden/v1 and compares with the JSON line expected for it;
 * then feeds it damaged copies, which must be rejected, never misread. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decode_json.h"
#include "demangle.h"
#include "cuda_names.h"
#include "syscall_table.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc(n + 1);
	if (fread(p, 1, n, f) != (size_t)n)
		n = 0;
	p[n] = 0;
	fclose(f);
	*len = n;
	return p;
}

static size_t parse_hex(const char *text, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned v;
	int off;
	while (n < max && sscanf(text, " %2x%n", &v, &off) == 1) {
		out[n++] = v;
		text += off;
	}
	return n;
}

static void decode_all(const unsigned char *rec, size_t len, struct jbuf *out, int *rc)
{
	static struct scope_json_decoder d;
	memset(&d, 0, sizeof(d));
	*rc = scope_json_decode(&d, rec, len, out);
	scope_json_flush(&d, out);
	jb_raw(out, "", 1); /* NUL for comparisons */
}

static int vectors_checked;

static void check_vector(const char *dir, const char *name)
{
	char path[512];
	size_t hlen, jlen;
	snprintf(path, sizeof(path), "%s/%s.hex", dir, name);
	char *hex = slurp(path, &hlen);
	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	char *want = slurp(path, &jlen);
	CHECK(hex && want);
	if (!hex || !want)
		return;
	static unsigned char rec[4096];
	size_t n = parse_hex(hex, rec, sizeof(rec));

	struct jbuf out = { 0 };
	int rc;
	decode_all(rec, n, &out, &rc);
	CHECK(rc == SCOPE_DECODE_OK);
	fprintf(stderr, "  %s\n", name);
	CHECK_STR(out.p, want);

	/* Every truncation is refused as short. */
	for (size_t cut = 0; cut < n; cut += (cut < 64 ? 1 : 97)) {
		jb_reset(&out);
		decode_all(rec, cut, &out, &rc);
		CHECK(rc == SCOPE_DECODE_SHORT || (cut >= 48 && rc == SCOPE_DECODE_BAD_SIZE));
		CHECK(out.len == 1); /* nothing but the NUL */
	}
	/* A size field that lies is refused. */
	unsigned char saved = rec[2];
	rec[2] ^= 0x08;
	jb_reset(&out);
	decode_all(rec, n, &out, &rc);
	CHECK(rc == SCOPE_DECODE_BAD_SIZE);
	rec[2] = saved;
	/* An unknown type is skipped, not misread. */
	rec[0] = 0x7f;
	jb_reset(&out);
	decode_all(rec, n, &out, &rc);
	CHECK(rc == SCOPE_DECODE_UNKNOWN_TYPE);
	CHECK(out.len == 1);

	jb_free(&out);
	free(hex);
	free(want);
	vectors_checked++;
}

/* Two records of one process's totals written together come out as one line. */
static void check_counts_merge(const char *dir)
{
	char path[512];
	size_t hlen;
	snprintf(path, sizeof(path), "%s/syscall_counts.hex", dir);
	char *hex = slurp(path, &hlen);
	CHECK(hex != NULL);
	if (!hex)
		return;
	static unsigned char rec[2048];
	size_t n = parse_hex(hex, rec, sizeof(rec));
	static struct scope_json_decoder d;
	struct jbuf out = { 0 };
	CHECK(scope_json_decode(&d, rec, n, &out) == SCOPE_DECODE_OK);
	CHECK(scope_json_decode(&d, rec, n, &out) == SCOPE_DECODE_OK);
	CHECK(out.len == 0); /* held until something else arrives */
	scope_json_flush(&d, &out);
	jb_raw(&out, "", 1);
	CHECK(strstr(out.p, "\"write\":{\"count\":274,\"errors\":4,\"total_ns\":198000}") != NULL);
	CHECK(strchr(out.p, '\n') == out.p + strlen(out.p) - 1);
	jb_free(&out);
	free(hex);
}

/* Kernel names: demangled when the demangler reads them, kept (and said so) when it cannot. */
static void check_demangle(void)
{
	char out[64];
	CHECK(scope_demangle("_Z6vecAddPfS_S_i", out, sizeof(out)) && strcmp(out, "vecAdd(float*, float*, float*, int)") == 0);
	CHECK(scope_demangle("plain_c_kernel", out, sizeof(out)) && strcmp(out, "plain_c_kernel") == 0);
	CHECK(!scope_demangle("_ZN7cutlass3fooIXQ_Z3barEEvv", out, sizeof(out)) && strcmp(out, "_ZN7cutlass3fooIXQ_Z3barEEvv") == 0);
	CHECK(!scope_demangle("_Z300kkk", out, sizeof(out)) && strcmp(out, "_Z300kkk") == 0); /* cut short */
	CHECK(scope_demangle("_Z5scalePff", out, 6) && strcmp(out, "scale") == 0);  /* out too small: cut */

	/* nvcc's stub names lead to their kernels' */
	char k[128];
	CHECK(scope_cuda_stub_device_name("_Z30__device_stub__Z6vecAddPfS_S_iPfS_S_i", k, sizeof(k)) &&
	      strcmp(k, "_Z6vecAddPfS_S_i") == 0);
	CHECK(scope_cuda_stub_device_name("_ZL36__device_stub__ZN2at6native6kernelEvv", k, sizeof(k)) &&
	      strcmp(k, "_ZN2at6native6kernelEv") == 0);
	CHECK(!scope_cuda_stub_device_name("vecAdd_stub", k, sizeof(k)));
	CHECK(!scope_cuda_stub_device_name("_Z99__device_stub__Z1fv", k, sizeof(k))); /* length beyond the name */
	CHECK(!scope_cuda_stub_device_name("__device_stub__Z1fv", k, sizeof(k)));     /* no length */
	CHECK(!scope_cuda_stub_device_name("_Z30__device_stub__Z6vecAddPfS_S_iPfS_S_i", k, 8)); /* no room */
}

int main(void)
{
	check_demangle();
	CHECK(scope_syscalls_init() == 0);
	DIR *d = opendir(GOLDEN_DIR);
	CHECK(d != NULL);
	if (!d)
		CHECK_DONE();
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".hex") == 0) {
			char name[256];
			snprintf(name, sizeof(name), "%.*s", (int)(l - 4), de->d_name);
			check_vector(GOLDEN_DIR, name);
		}
	}
	closedir(d);
	CHECK(vectors_checked >= 12);
	check_counts_merge(GOLDEN_DIR);
	CHECK_DONE();
}
