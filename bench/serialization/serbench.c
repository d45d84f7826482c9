// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serbench [-r ROUNDS] [-t SECONDS]: what encoding and decoding SCOPE's records costs in its fixed
 * little-endian layout against MessagePack, per record type and for a realistic mix, and what the
 * batch HMAC adds per event as batches grow. Prints tab-separated rows for run.sh:
 *
 *   meta     KEY VALUE    (mac_empty_ns: sealing a batch with no records, the HMAC's fixed cost)
 *   record   MIX FMT BYTES/EV ENC_NS DEC_NS CPU_NS EV/S            (1024 records a batch, no MAC)
 *   batch    RECORDS FMT BYTES/EV ENC_NS MAC_NS DEC_NS VERIFY_NS CPU_NS EV/S   (mix, with MAC)
 *
 * ENC_NS and DEC_NS are wall ns per event; in batch rows they include sealing (header + HMAC) and
 * verifying, also shown alone as MAC_NS and VERIFY_NS. BYTES/EV of batch rows counts the 256-byte
 * header. CPU_NS is process CPU time per event for encode plus decode; EV/S is 1e9 / (ENC + DEC).
 *
 * Each measurement times 1 ms chunks of whole batches and keeps the 10th percentile chunk: on a
 * shared VM a busy neighbour (or the sibling hyperthread) slows everything in phases of
 * milliseconds to seconds, and a mean or even a median would measure the neighbour. Rounds
 * visit every configuration in turn, starting one further each round, and the result is the
 * median over rounds. Every configuration's batches are first decoded and compared field by field
 * with the records they came from; a mismatch or a MAC that fails to verify exits 1.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>
#include <openssl/crypto.h>

#include "codec.h"
#include "gen.h"
#include "mac.h"

#define POOL_N 8192 /* records cycled through: ~1.8 MB for the mix, past L2 as a real stream is */
#define HDR sizeof(struct scope_batch_header)
#define CHUNK_NS 1e6
#define MAX_CHUNKS 4096
#define MAX_ROUNDS 64

static const uint8_t secret[32] = "scope-bench-secret-0123456789ab";
static const uint64_t kdrops[3];

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "serbench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

struct sample {
	double wall, cpu; /* ns per event */
};

struct job {
	enum fmt fmt;
	enum mix mix;
	const struct codec *c;
	const struct pool *pool;
	size_t cursor, batch;
	bool seal; /* header + HMAC, as every batch the collector sends */
	struct scope_framer f;
	uint8_t **frames; /* encoded once, decoded over and over */
	size_t *lens, nframes, next;
	struct ev *out;
	EVP_MAC_CTX *mac;
	double bytes_per_ev;
	struct sample enc[MAX_ROUNDS], mac_s[MAX_ROUNDS], dec[MAX_ROUNDS], ver[MAX_ROUNDS];
};

static void fill(struct job *j)
{
	scope_framer_next(&j->f);
	for (size_t i = 0; i < j->batch; i++) {
		if (!j->c->encode(&j->f, j->pool->rec[j->cursor]))
			die("%s: record does not fit the batch", j->c->name);
		if (++j->cursor == j->pool->n)
			j->cursor = 0;
	}
}

static size_t seal(struct job *j)
{
	size_t n = scope_framer_seal(&j->f, kdrops, 0, 1, 2, 0);
	if (!n)
		die("sealing a batch failed");
	return n;
}

static size_t unit_encode(struct job *j)
{
	fill(j);
	if (j->seal)
		seal(j);
	return j->batch;
}

/* The framer always holds a full batch by now: re-sealing it is the MAC alone. */
static size_t unit_mac(struct job *j)
{
	seal(j);
	return j->batch;
}

static size_t unit_decode(struct job *j)
{
	const uint8_t *fr = j->frames[j->next];
	size_t len = j->lens[j->next];
	if (++j->next == j->nframes)
		j->next = 0;
	if (j->seal && !mac_verify(j->mac, fr, len))
		die("%s: MAC does not verify", j->c->name);
	long n = j->c->decode(fr + HDR, len - HDR, j->out, j->batch);
	if (n != (long)j->batch)
		die("%s: decoded %ld of %zu records", j->c->name, n, j->batch);
	return n;
}

static size_t unit_verify(struct job *j)
{
	const uint8_t *fr = j->frames[j->next];
	size_t len = j->lens[j->next];
	if (++j->next == j->nframes)
		j->next = 0;
	if (!mac_verify(j->mac, fr, len))
		die("%s: MAC does not verify", j->c->name);
	return j->batch;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double p10(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(n - 1) / 10];
}

static struct sample measure(size_t (*unit)(struct job *), struct job *j, double seconds)
{
	static double chunks[MAX_CHUNKS];
	size_t nc = 0, total = 0;
	unit(j); /* warm caches and branch predictors on this configuration */
	double c0 = now(CLOCK_PROCESS_CPUTIME_ID), end = now(CLOCK_MONOTONIC) + seconds * 1e9;
	while (nc < MAX_CHUNKS) {
		double t0 = now(CLOCK_MONOTONIC), t;
		size_t ev = 0;
		do {
			ev += unit(j);
			t = now(CLOCK_MONOTONIC);
		} while (t - t0 < CHUNK_NS);
		chunks[nc++] = (t - t0) / ev;
		total += ev;
		if (t >= end)
			break;
	}
	double cpu = (now(CLOCK_PROCESS_CPUTIME_ID) - c0) / total;
	return (struct sample){ p10(chunks, nc), cpu };
}

/* Encodes the pool into batches once, and proves each decodes back to its records. */
static void prepare(struct job *j, enum fmt fmt, enum mix mix, const struct pool *pool, size_t batch,
		    bool sealed)
{
	static struct ev want;
	memset(j, 0, sizeof(*j));
	j->fmt = fmt;
	j->mix = mix;
	j->c = &codecs[fmt];
	j->pool = pool;
	j->batch = batch;
	j->seal = sealed;
	struct scope_frame_ids ids = { "0123456789abcdef0123456789abcdef", "bench", "task", "0.1.0" };
	/* room for the largest records: a batch never runs out before `batch` records */
	if (scope_framer_init(&j->f, &ids, 42, secret, sizeof(secret), batch * 1400))
		die("framer init failed");
	j->mac = mac_new(secret, sizeof(secret));
	j->nframes = pool->n / batch ? pool->n / batch : 1;
	j->frames = calloc(j->nframes, sizeof(*j->frames));
	j->lens = calloc(j->nframes, sizeof(*j->lens));
	j->out = calloc(batch, sizeof(*j->out));
	if (!j->mac || !j->frames || !j->lens || !j->out)
		die("out of memory");
	double bytes = 0;
	for (size_t k = 0; k < j->nframes; k++) {
		size_t first = j->cursor;
		fill(j);
		size_t len = sealed ? seal(j) : j->f.len;
		j->frames[k] = malloc(len);
		if (!j->frames[k])
			die("out of memory");
		memcpy(j->frames[k], j->f.buf, len);
		j->lens[k] = len;
		bytes += sealed ? len : len - HDR;
		unit_decode(j);
		for (size_t i = 0; i < batch; i++) {
			const struct scope_event_header *r = pool->rec[(first + i) % pool->n];
			if (fixed_decode((const void *)r, r->size, &want, 1) != 1 || !ev_equal(&j->out[i], &want))
				die("%s, %s: record %zu of batch %zu decodes differently", j->c->name,
				    mix_name(mix), i, k);
		}
	}
	if (sealed) {
		/* a verifier that accepts anything would make VERIFY_NS meaningless */
		j->frames[0][j->lens[0] - 1] ^= 1;
		if (mac_verify(j->mac, j->frames[0], j->lens[0]))
			die("%s: a corrupted batch verifies", j->c->name);
		j->frames[0][j->lens[0] - 1] ^= 1;
	}
	j->bytes_per_ev = bytes / (j->nframes * batch);
	j->next = 0;
}

static double med_of(const struct sample *s, int n, bool cpu)
{
	double v[MAX_ROUNDS];
	for (int i = 0; i < n; i++)
		v[i] = cpu ? s[i].cpu : s[i].wall;
	return median(v, n);
}

static const char *const fmt_key[] = { "fixed", "mp_array", "mp_map" };

int main(int argc, char **argv)
{
	int rounds = 5, opt;
	double seconds = 0.1;
	while ((opt = getopt(argc, argv, "r:t:")) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		default: die("usage: serbench [-r ROUNDS] [-t SECONDS per measurement]");
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || seconds <= 0)
		die("need 1 to %d rounds and a positive time", MAX_ROUNDS);

	static struct pool pools[4];
	for (int m = 0; m < 4; m++)
		if (pool_make(&pools[m], m, POOL_N, (m + 1) * 0x9E3779B97F4A7C15ull))
			die("out of memory");

	/* per record type: 1024 records a batch, payload only */
	enum { NREC = 4 * FMT_COUNT };
	static struct job rec[NREC];
	for (int m = 0; m < 4; m++)
		for (int f = 0; f < FMT_COUNT; f++)
			prepare(&rec[m * FMT_COUNT + f], f, m, &pools[m], 1024, false);

	/* batch sizes: the mix, sealed; the map form is left out, it only adds bytes to hash */
	static const size_t sizes[] = { 64, 256, 1024, 4096 };
	enum { NBATCH = 4 * 2 };
	static struct job bat[NBATCH];
	for (int s = 0; s < 4; s++)
		for (int f = 0; f < 2; f++)
			prepare(&bat[s * 2 + f], f, MIX_REAL, &pools[MIX_REAL], sizes[s], true);

	/* An empty batch: the 256-byte header alone, so its MAC is what every batch pays whatever it
	 * holds (re-init, the header's blocks, HMAC's outer hash). unit_mac counts it as one "event". */
	static struct job empty;
	struct scope_frame_ids ids = { "0123456789abcdef0123456789abcdef", "bench", "task", "0.1.0" };
	if (scope_framer_init(&empty.f, &ids, 42, secret, sizeof(secret), 0))
		die("framer init failed");
	empty.batch = 1;

	for (int r = 0; r < rounds; r++) {
		fprintf(stderr, "serbench: round %d/%d\n", r + 1, rounds);
		empty.mac_s[r] = measure(unit_mac, &empty, seconds);
		for (int i = 0; i < NREC; i++) {
			struct job *j = &rec[(i + r) % NREC];
			j->enc[r] = measure(unit_encode, j, seconds);
			j->dec[r] = measure(unit_decode, j, seconds);
		}
		for (int i = 0; i < NBATCH; i++) {
			struct job *j = &bat[(i + r) % NBATCH];
			j->enc[r] = measure(unit_encode, j, seconds);
			j->mac_s[r] = measure(unit_mac, j, seconds);
			j->dec[r] = measure(unit_decode, j, seconds);
			j->ver[r] = measure(unit_verify, j, seconds);
		}
	}

	printf("meta\tmsgpack-c\t%s\n", msgpack_version());
	printf("meta\topenssl\t%s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("meta\trounds\t%d\n", rounds);
	printf("meta\tseconds\t%g\n", seconds);
	printf("meta\tpool\t%d\n", POOL_N);
	printf("meta\tmac_empty_ns\t%.1f\n", med_of(empty.mac_s, rounds, false));
	for (int i = 0; i < NREC; i++) {
		struct job *j = &rec[i];
		double enc = med_of(j->enc, rounds, false), dec = med_of(j->dec, rounds, false);
		double cpu = med_of(j->enc, rounds, true) + med_of(j->dec, rounds, true);
		printf("record\t%s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f\n", mix_name(j->mix), fmt_key[j->fmt],
		       j->bytes_per_ev, enc, dec, cpu, 1e9 / (enc + dec));
	}
	for (int i = 0; i < NBATCH; i++) {
		struct job *j = &bat[i];
		double enc = med_of(j->enc, rounds, false), dec = med_of(j->dec, rounds, false);
		double cpu = med_of(j->enc, rounds, true) + med_of(j->dec, rounds, true);
		printf("batch\t%zu\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f\n", j->batch, fmt_key[j->fmt],
		       j->bytes_per_ev, enc, med_of(j->mac_s, rounds, false), dec,
		       med_of(j->ver, rounds, false), cpu, 1e9 / (enc + dec));
	}
	return 0;
}
