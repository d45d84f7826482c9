#!/usr/bin/env bash
# ZeroMQ PUSH/PULL against PUB/SUB over tcp://127.0.0.1, sender and receiver in separate processes
# pinned to different CPUs, batches of 16, 64 and 256 KiB, a fast receiver and a slow one (FNV-1a
# over every byte). Counts every message by sequence number. Builds and runs build/zmqbench REPS
# times per configuration (configurations taking turns), then rewrites its own section of
# docs/benchmarks.md (only the text between its markers, under flock, re-reading the file inside
# the lock: other scripts write other sections).
#
# Environment: REPS (3), DURATION (0.7 s of sending a run), SEND_CPU (0), RECV_CPU (1), DOC.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/doc_section.sh
. "$HERE/../lib/doc_section.sh"
ROOT=$(cd "$HERE/../.." && pwd)
DOC=${DOC:-$ROOT/docs/benchmarks.md}
REPS=${REPS:-3}
DURATION=${DURATION:-0.7}
SEND_CPU=${SEND_CPU:-0}
RECV_CPU=${RECV_CPU:-1}
SIZES=(16384 65536 262144)
BEGIN_MARK='<!-- transport:begin -->'
END_MARK='<!-- transport:end -->'

die() {
	echo "transport: $*" >&2
	exit 1
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

[ "$(nproc)" -gt "$SEND_CPU" ] && [ "$(nproc)" -gt "$RECV_CPU" ] || die "needs CPUs $SEND_CPU and $RECV_CPU"
make -s -C "$HERE" >&2 || die "build failed"

CONFIGS=()
for p in push pub; do
	for s in "${SIZES[@]}"; do
		for w in fast slow; do
			CONFIGS+=("$p $s $w")
		done
	done
done
n=${#CONFIGS[@]}
LOAD=$(cut -d' ' -f1 /proc/loadavg) # at the start: what else this host was doing
for ((r = 0; r < REPS; r++)); do
	echo "transport: round $((r + 1))/$REPS" >&2
	for ((i = 0; i < n; i++)); do
		# each round starts one configuration further, so none always runs first
		read -r p s w <<<"${CONFIGS[(i + r) % n]}"
		flag=
		[ "$w" = slow ] && flag=-w
		"$HERE/build/zmqbench" -p "$p" -s "$s" $flag -d "$DURATION" -S "$SEND_CPU" -R "$RECV_CPU" \
			>>"$WORK/runs.tsv" || die "zmqbench -p $p -s $s $flag failed"
	done
done

# One row per configuration: counts summed over the runs, rates and CPU the median run (delivered
# msgs/s with its range, the host being shared). Columns of runs.tsv: see zmqbench.c.
aggregate() {
	awk -F'\t' '
	function med(s,   v, k, i, j, t) {
		k = split(s, v, " ")
		for (i = 2; i <= k; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
	}
	$1 == "run" {
		key = $2 "\t" $3 "\t" $4
		if (!(key in sent)) order[++nk] = key
		sent[key] += $5; recv[key] += $6; ls[key] += $7; ll[key] += $8; dis[key] += $9; runs[key]++
		off[key] = off[key] " " $10; del[key] = del[key] " " $11; mb[key] = mb[key] " " $12
		ev[key] = ev[key] " " $13; scpu[key] = scpu[key] " " $14; rcpu[key] = rcpu[key] " " $15
		if (!(key in dmin) || $11 < dmin[key]) dmin[key] = $11
		if (!(key in dmax) || $11 > dmax[key]) dmax[key] = $11
	}
	END {
		for (i = 1; i <= nk; i++) {
			k = order[i]
			printf "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.1f\t%.0f\t%.1f\t%.1f\n", k, runs[k], sent[k], recv[k], ls[k], ll[k], dis[k],
				med(off[k]), med(del[k]), dmin[k], dmax[k], med(mb[k]), med(ev[k]), med(scpu[k]), med(rcpu[k])
		}
	}' "$WORK/runs.tsv"
}
aggregate | sort -t$'\t' -k1,1r -k2,2n -k3,3 >"$WORK/agg.tsv"
# agg.tsv: 1 pattern 2 bytes 3 work 4 runs 5 sent 6 received 7 lost_start 8 lost_later 9 disordered
#          10 sender msgs/s 11 delivered/s 12 min 13 max 14 MB/s 15 ev/s 16 sender ns/ev 17 receiver ns/ev

table() {
	echo '| pattern | batch | receiver | sent | received | lost before subscription | lost later | loss | sender msgs/s | delivered msgs/s (range) | delivered MB/s | delivered events/s | sender CPU ns/event | receiver CPU ns/event |'
	echo '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
	awk -F'\t' '{
		pat = $1 == "push" ? "PUSH/PULL" : "PUB/SUB"
		rcv = $3 == "slow" ? "slow (FNV-1a every byte)" : "fast"
		loss = $5 ? ($7 + $8) / $5 * 100 : 0
		printf "| %s | %d KiB | %s | %d | %d | %d | %d | %.1f%% | %.0f | %.0f (%.0f–%.0f) | %.0f | %.2fM | %.1f | %.1f |\n",
			pat, $2 / 1024, rcv, $5, $6, $7, $8, loss, $10, $11, $12, $13, $14, $15 / 1e6, $16, $17
	}' "$WORK/agg.tsv"
}

# --- conclusion, from the rows ------------------------------------------------------------------
sum_where() { awk -F'\t' -v p="$1" -v w="$2" -v c="$3" '$1 == p && (w == "" || $3 == w) { s += $c } END { print s + 0 }' "$WORK/agg.tsv"; }
cell() { awk -F'\t' -v p="$1" -v b="$2" -v w="$3" -v c="$4" '$1 == p && $2 == b && $3 == w { print $c }' "$WORK/agg.tsv"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? a / b * 100 : 0 }'; }

[ "$(sum_where push '' 9)" -eq 0 ] && [ "$(sum_where pub '' 9)" -eq 0 ] || die "messages arrived out of order"
PUSH_SENT=$(sum_where push '' 5)
PUSH_LOST=$(($(sum_where push '' 7) + $(sum_where push '' 8)))
PUB_SLOW_SENT=$(sum_where pub slow 5)
PUB_SLOW_LOST=$(($(sum_where pub slow 7) + $(sum_where pub slow 8)))
PUB_RUNS=$(sum_where pub '' 4)
PUB_EARLY=$(awk -v a="$(sum_where pub '' 7)" -v n="$PUB_RUNS" 'BEGIN { printf "%.0f", a / n }')
EARLY_LO=$(awk -F'\t' '$1 == "pub" { v = $7 / $4; if (lo == "" || v < lo) lo = v } END { printf "%.0f", lo }' "$WORK/agg.tsv")
EARLY_HI=$(awk -F'\t' '$1 == "pub" { v = $7 / $4; if (v > hi) hi = v } END { printf "%.0f", hi }' "$WORK/agg.tsv")
# loss % of the least and the most lossy batch size, for one receiver
loss_range() {
	awk -F'\t' -v w="$1" '$1 == "pub" && $3 == w { v = ($7 + $8) / $5 * 100; if (lo == "" || v < lo) lo = v; if (v > hi) hi = v }
		END { printf "%.1f–%.1f%%", lo, hi }' "$WORK/agg.tsv"
}
# "a / b / c" over the three batch sizes, PUSH/PULL with the fast receiver
by_size() {
	local out= s v
	for s in "${SIZES[@]}"; do
		v=$(awk -v x="$(cell push "$s" fast "$1")" -v d="$2" 'BEGIN { printf "%.1f", x / d }')
		out+="${out:+ / }$v"
	done
	echo "$out"
}
if [ "$PUSH_LOST" -eq 0 ]; then
	PUSH_WORDS="**no loss**: all $PUSH_SENT messages arrived, in order, with the slow receiver too; the sender waited instead (64 KiB, slow receiver: sent $(cell push 65536 slow 10) msgs/s, delivered $(cell push 65536 slow 11))"
else
	PUSH_WORDS="**$PUSH_LOST of $PUSH_SENT messages lost** (unexpected: see the runs)"
fi

WORK_NS=$(awk -v a="$(cell push 262144 slow 17)" -v b="$(cell push 262144 fast 17)" 'BEGIN { printf "%.0f", a - b }')
CPU_NAME=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
SECTION=$WORK/section.md
{
	echo "$BEGIN_MARK"
	echo '## Transport: ZeroMQ PUSH/PULL vs PUB/SUB'
	echo
	echo 'What the ZeroMQ pattern between collector and silo does with batches when the receiver keeps up'
	echo 'and when it does not. A receiver process binds `tcp://127.0.0.1:*` (as the silo does) and a'
	echo 'sender process connects to it (as a collector does), each pinned to its own CPU before its ZeroMQ'
	echo 'context exists, so each one'"'"'s I/O thread shares its CPU. The sender offers messages (batches) of'
	echo '16, 64 or 256 KiB as fast as `zmq_send` takes them, blocking, with the collector'"'"'s SNDHWM 1000 and'
	echo 'SNDBUF 256 KiB, and no handshake before the first message; the receiver takes them one at a time'
	echo 'with the silo'"'"'s RCVHWM 16 and RCVBUF 256 KiB. The slow receiver hashes every byte (FNV-1a: it added'
	echo "$WORK_NS ns of receiver CPU per 120-byte event here, at 256 KiB). Every message carries its sequence number, so loss is counted"
	echo 'exactly: before the first message that arrived (the subscription had not reached the publisher'
	echo 'yet) and later (gaps and tail). Events are 120-byte syscall records, batch size / 120 a message.'
	echo
	echo 'Goal: know whether the pattern can lose batches without anyone counting them, and what a batch'
	echo 'costs to move by size. No threshold: a measurement.'
	echo
	table
	echo
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on Linux $(uname -r), ${CPU_NAME}, $(nproc) CPUs (load average $LOAD), libzmq $(pkg-config --modversion libzmq 2>/dev/null || echo '?'),"
	echo "sender on CPU $SEND_CPU, receiver on CPU $RECV_CPU. $REPS runs of $DURATION s of sending per configuration, the"
	echo 'configurations taking turns; counts are summed over the runs, rates and CPU are the median run'
	echo '(delivered msgs/s also with its range: the host is shared and it varies). Sender msgs/s = sent /'
	echo 'time from the first send until its queue had left (the first 1000 are queued at once); delivered ='
	echo 'received / time from the first to the last message received. CPU is'
	echo '`CLOCK_PROCESS_CPUTIME_ID` of each process (its ZeroMQ I/O thread included) per event it sent or'
	echo 'received; the sender'"'"'s includes draining its queue at close. Command (from `bench/transport/`,'
	echo 'after `make`), for each pattern, size and receiver:'
	echo
	echo '```'
	echo "build/zmqbench -p push|pub -s 16384|65536|262144 [-w] -d $DURATION -S $SEND_CPU -R $RECV_CPU"
	echo '```'
	echo
	echo "Kept: PUSH/PULL, because it had $PUSH_WORDS."
	echo "PUB/SUB lost **$(loss_range slow) of its messages under the slow subscriber** (by batch size; $(pct "$PUB_SLOW_LOST" "$PUB_SLOW_SENT")% of all"
	echo "sent) and $(loss_range fast) even under the fast one (there the sender offered more than the path carried), with no error at the"
	echo "sender, and missed $PUB_EARLY messages a run (${EARLY_LO} to ${EARLY_HI} by configuration) sent before its"
	echo 'subscription arrived. The collector sends PUSH with `ZMQ_DONTWAIT` and its own bounded queue, so back-pressure'
	echo 'there becomes counted `send_drops` in the next batch header rather than silent loss.'
	echo "Batch size: at 16 / 64 / 256 KiB, PUSH/PULL with the fast receiver delivered $(by_size 15 1e6) M events/s, for"
	echo "$(by_size 16 1) ns/event of sender CPU and $(by_size 17 1) of receiver CPU (the collector's"
	echo '`--batch-kb` default is 256).'
	echo "$END_MARK"
} >"$SECTION"

write_doc_section "$DOC" "$BEGIN_MARK" "$END_MARK" "$SECTION"

table
echo
sed -n '/^Kept:/,$p' "$SECTION" | grep -v "$END_MARK"
echo "written to $DOC"
