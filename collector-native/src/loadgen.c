/* scope-loadgen: a stand-in collector for tests and benchmarks. It sends a known number of
 * synthetic, numbered syscall records at a steady rate through the collector's own framing and
 * sender (frame.c, sender.c), so the silo cannot tell it from a collector, and the test knows
 * exactly what was sent. Record i carries i in its `ret` field.
 *
 *   scope-loadgen --endpoint tcp://H:P --collector-id ID --machine-id M --secret-file F
 *                 --events N [--rate EVENTS_PER_S] [--batch-records K] [--pids P]
 *                 [--hwm N] [--queue-mb N] [--linger-ms MS]
 * It prints one JSON line at the end: produced, send_drops, batches, unsent_batches, seconds and
 * instance (as a decimal string: it is a u64). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "frame.h"
#include "sender.h"

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000ull), (long)(t % 1000000000ull) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

static void send_batch(struct scope_framer *fr, struct scope_sender *sn, uint32_t flags)
{
	static const uint64_t no_kernel_drops[3];
	size_t len = scope_framer_seal(fr, no_kernel_drops, sn->dropped_records, now_ns(CLOCK_REALTIME),
				       now_ns(CLOCK_BOOTTIME), flags);
	scope_sender_submit(sn, fr->buf, len, fr->records);
	scope_framer_next(fr);
}

static int usage(const char *why)
{
	fprintf(stderr, "scope-loadgen: %s\nusage: scope-loadgen --endpoint tcp://H:P --collector-id ID --machine-id M "
			"--secret-file F --events N [--rate R] [--batch-records K] [--pids P] [--hwm N] [--queue-mb N] "
			"[--linger-ms MS]\n", why);
	return 2;
}

int main(int argc, char **argv)
{
	const char *endpoint = NULL, *collector = NULL, *machine = NULL, *secret_file = NULL;
	unsigned long long events = 0, rate = 0;
	unsigned batch_records = 1000, pids = 100, hwm = 1000, queue_mb = 64, linger_ms = 10000;
	static const struct option opts[] = {
		{ "endpoint", required_argument, NULL, 'e' },   { "collector-id", required_argument, NULL, 'c' },
		{ "machine-id", required_argument, NULL, 'm' }, { "secret-file", required_argument, NULL, 's' },
		{ "events", required_argument, NULL, 'n' },     { "rate", required_argument, NULL, 'r' },
		{ "batch-records", required_argument, NULL, 'b' }, { "pids", required_argument, NULL, 'p' },
		{ "hwm", required_argument, NULL, 'w' },        { "queue-mb", required_argument, NULL, 'q' },
		{ "linger-ms", required_argument, NULL, 'l' },  { 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'e': endpoint = optarg; break;
		case 'c': collector = optarg; break;
		case 'm': machine = optarg; break;
		case 's': secret_file = optarg; break;
		case 'n': events = strtoull(optarg, NULL, 10); break;
		case 'r': rate = strtoull(optarg, NULL, 10); break;
		case 'b': batch_records = strtoul(optarg, NULL, 10); break;
		case 'p': pids = strtoul(optarg, NULL, 10); break;
		case 'w': hwm = strtoul(optarg, NULL, 10); break;
		case 'q': queue_mb = strtoul(optarg, NULL, 10); break;
		case 'l': linger_ms = strtoul(optarg, NULL, 10); break;
		default: return usage("unknown option");
		}
	}
	if (!endpoint || !collector || !machine || !secret_file || !events)
		return usage("--endpoint, --collector-id, --machine-id, --secret-file and --events are required");
	if (!batch_records || !pids || !hwm)
		return usage("--batch-records, --pids and --hwm must be positive");

	char text[256] = { 0 };
	FILE *f = fopen(secret_file, "r");
	if (!f || !fread(text, 1, sizeof(text) - 1, f)) {
		fprintf(stderr, "scope-loadgen: cannot read %s\n", secret_file);
		return 2;
	}
	fclose(f);
	uint8_t secret[SCOPE_SECRET_MAX];
	int slen = scope_secret_parse(text, secret, sizeof(secret));
	if (slen < 16)
		return usage("the secret must be 16 to 64 bytes in hex");

	uint64_t instance = now_ns(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 40);
	struct scope_frame_ids ids = { machine, collector, "loadgen", "loadgen" };
	struct scope_framer fr;
	struct scope_sender sn;
	if (scope_framer_init(&fr, &ids, instance, secret, slen, (size_t)batch_records * sizeof(struct scope_syscall)) ||
	    scope_sender_open(&sn, endpoint, (int)hwm, (size_t)queue_mb << 20)) {
		fprintf(stderr, "scope-loadgen: cannot set up to send to %s\n", endpoint);
		return 1;
	}
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);

	uint64_t boot0 = now_ns(CLOCK_BOOTTIME);
	struct scope_syscall r;
	memset(&r, 0, sizeof(r));
	r.hdr.type = SCOPE_EV_SYSCALL;
	r.hdr.size = sizeof(r);
	memcpy(r.hdr.comm, "loadgen", 8);
	r.nr = 0;
	r.dur_ns = 1000;

	uint64_t t0 = now_ns(CLOCK_MONOTONIC), batches = 0;
	unsigned long long i;
	for (i = 0; i < events && !stop; i++) {
		if (rate && i % batch_records == 0)
			sleep_until(t0 + (uint64_t)((double)i * 1e9 / (double)rate));
		uint32_t p = (uint32_t)(i % pids);
		r.hdr.pid = r.hdr.tid = 100000 + p;
		r.hdr.start_ns = boot0 - 1000000000ull + p;
		r.hdr.ts_ns = boot0 + (now_ns(CLOCK_MONOTONIC) - t0);
		r.ret = (int64_t)i;
		scope_framer_add(&fr, &r, sizeof(r)); /* the batch holds batch_records: it always fits */
		if (fr.records == batch_records) {
			send_batch(&fr, &sn, 0);
			batches++;
		}
	}
	send_batch(&fr, &sn, SCOPE_BATCH_FINAL);
	batches++;
	uint64_t elapsed = now_ns(CLOCK_MONOTONIC) - t0;
	uint64_t dropped = sn.dropped_records;
	size_t unsent = scope_sender_close(&sn, (int)linger_ms);
	printf("{\"produced\":%llu,\"send_drops\":%llu,\"batches\":%llu,\"unsent_batches\":%zu,\"seconds\":%.3f,"
	       "\"instance\":\"%llu\"}\n",
	       i, (unsigned long long)dropped, (unsigned long long)batches, unsent, elapsed / 1e9,
	       (unsigned long long)instance);
	scope_framer_free(&fr);
	return unsent ? 3 : 0;
}
