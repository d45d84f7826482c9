/* Batches: the C framer must produce, byte for byte, the golden frame the independent generator
 * wrote (tests/golden/v1/batch.frame), and the MAC must catch any change. */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "check.h"
#include "frame.h"
#include "machine_id.h"

static size_t read_hex_file(const char *path, unsigned char *out, size_t max)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = 0;
	unsigned v;
	while (n < max && fscanf(f, " %2x", &v) == 1)
		out[n++] = v;
	fclose(f);
	return n;
}

int main(void)
{
	static unsigned char golden[8192], rec1[4096], rec2[4096];
	size_t glen = read_hex_file(GOLDEN_DIR "/batch.frame", golden, sizeof(golden));
	size_t l1 = read_hex_file(GOLDEN_DIR "/syscall_read.hex", rec1, sizeof(rec1));
	size_t l2 = read_hex_file(GOLDEN_DIR "/process_exit.hex", rec2, sizeof(rec2));
	CHECK(glen == 256 + l1 + l2 && l1 == 120 && l2 == 72);

	/* The fields batch.frame.json lists. */
	const char *secret_text = "scope-golden-secret";
	struct scope_frame_ids ids = { "m-golden", "local", "task-1", "0.1.0" };
	struct scope_framer f;
	CHECK(scope_framer_init(&f, &ids, 0x1122334455667788ull, (const uint8_t *)secret_text,
				strlen(secret_text), 4096) == 0);
	/* 999 earlier records in six earlier batches, so that this is batch 7 starting at record 1000 */
	f.sequence = 7;
	f.produced = 1000;
	CHECK(scope_framer_add(&f, rec1, l1));
	CHECK(scope_framer_add(&f, rec2, l2));
	uint64_t kdrops[3] = { 1, 2, 3 };
	size_t len = scope_framer_seal(&f, kdrops, 4, 1700000000123456789ull, 5000000000ull, 0);
	CHECK(len == glen);
	CHECK(memcmp(f.buf, golden, glen) == 0);
	for (size_t i = 0; i < len && i < glen; i++)
		if (f.buf[i] != golden[i]) {
			fprintf(stderr, "  first difference at byte %zu: %02x != %02x\n", i, f.buf[i], golden[i]);
			break;
		}

	/* The next batch continues the numbering and starts empty. */
	scope_framer_next(&f);
	CHECK(f.sequence == 8 && f.produced == 1002 && f.records == 0);
	len = scope_framer_seal(&f, kdrops, 4, 1, 2, SCOPE_BATCH_FINAL);
	CHECK(len == 256);
	struct scope_batch_header h;
	memcpy(&h, f.buf, sizeof(h));
	CHECK(h.sequence == 8 && h.first_event == 1002 && h.record_count == 0 && h.flags == SCOPE_BATCH_FINAL);

	/* The MAC covers every byte but itself. */
	uint8_t mac[SCOPE_MAC_LEN];
	CHECK(scope_frame_mac(golden, glen, (const uint8_t *)secret_text, strlen(secret_text), mac) == 0);
	CHECK(memcmp(mac, golden + 224, 32) == 0);
	golden[300] ^= 1;
	CHECK(scope_frame_mac(golden, glen, (const uint8_t *)secret_text, strlen(secret_text), mac) == 0);
	CHECK(memcmp(mac, golden + 224, 32) != 0);
	golden[300] ^= 1;
	CHECK(scope_frame_mac(golden, glen, (const uint8_t *)"another-secret!!", 16, mac) == 0);
	CHECK(memcmp(mac, golden + 224, 32) != 0);

	/* A 32-character id fills its field: padded, not terminated. */
	struct scope_frame_ids full = { "0123456789abcdef0123456789abcdef", "local", "", "0.1.0" };
	struct scope_framer g;
	CHECK(scope_framer_init(&g, &full, 1, (const uint8_t *)secret_text, strlen(secret_text), 200) == 0);
	CHECK(memcmp(g.tmpl.machine_id, "0123456789abcdef0123456789abcdef", 32) == 0);
	scope_framer_free(&g);

	/* A record never spans batches. */
	struct scope_framer small;
	CHECK(scope_framer_init(&small, &ids, 1, (const uint8_t *)secret_text, strlen(secret_text), 200) == 0);
	CHECK(scope_framer_add(&small, rec1, l1));
	CHECK(!scope_framer_add(&small, rec1, l1));
	CHECK(small.records == 1);
	scope_framer_free(&small);
	scope_framer_free(&f);
	CHECK(scope_framer_init(&small, &ids, 1, (const uint8_t *)"", 0, 200) != 0);

	/* Secrets are hex; machine ids are an HMAC of the raw id, never the raw id. */
	uint8_t sec[SCOPE_SECRET_MAX];
	CHECK(scope_secret_parse(" 00ff10Ab\n", sec, sizeof(sec)) == 4 && sec[1] == 0xff && sec[3] == 0xab);
	CHECK(scope_secret_parse("00f", sec, sizeof(sec)) == -1);
	CHECK(scope_secret_parse("zz", sec, sizeof(sec)) == -1);
	char mid[33];
	CHECK(scope_machine_id_protect("0123456789abcdef0123456789abcdef\n", mid) == 0);
	/* python3: hmac.new(b'0123456789abcdef0123456789abcdef', b'scope', sha256).hexdigest()[:32] */
	CHECK_STR(mid, "943c54ce96ae6a17395f84b7ced8812f");
	CHECK(scope_machine_id_protect("  \n", mid) != 0);
	CHECK_DONE();
}
