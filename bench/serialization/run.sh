#!/usr/bin/env bash
# Encode and decode cost of SCOPE's fixed little-endian records against MessagePack, per record
# type and for a realistic mix, and the batch HMAC's cost per event by batch size. Builds and runs
# build/serbench, then rewrites its own section of docs/benchmarks.md (only the text between its
# markers, under flock, re-reading the file inside the lock: other scripts write other sections).
#
# Environment: ROUNDS (5), SECONDS_PER (0.1 s per measurement; 56 measurements a round), CPU
# (a CPU to pin to; unpinned by default, so that a busy neighbour on one CPU can be avoided), DOC.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/doc_section.sh
. "$HERE/../lib/doc_section.sh"
ROOT=$(cd "$HERE/../.." && pwd)
DOC=${DOC:-$ROOT/docs/benchmarks.md}
ROUNDS=${ROUNDS:-5}
SECONDS_PER=${SECONDS_PER:-0.1}
CPU=${CPU:-}
BEGIN_MARK='<!-- serialization:begin -->'
END_MARK='<!-- serialization:end -->'

die() {
	echo "serialization: $*" >&2
	exit 1
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

make -s -C "$HERE" >&2 || die "build failed"
LOAD=$(cut -d' ' -f1 /proc/loadavg) # at the start: what else this host was doing
CMD="build/serbench -r $ROUNDS -t $SECONDS_PER"
PIN=()
if [ -n "$CPU" ]; then
	PIN=(taskset -c "$CPU")
	CMD="taskset -c $CPU $CMD"
fi
(cd "$HERE" && "${PIN[@]}" build/serbench -r "$ROUNDS" -t "$SECONDS_PER") >"$WORK/out.tsv" ||
	die "serbench failed"
grep -q '^batch' "$WORK/out.tsv" || die "serbench printed no results"

# --- report --------------------------------------------------------------------------------------
meta() { awk -F'\t' -v k="$1" '$1 == "meta" && $2 == k { print $3 }' "$WORK/out.tsv"; }
# field N of the row whose first three fields are $1 $2 $3
get() { awk -F'\t' -v a="$1" -v b="$2" -v c="$3" -v n="$4" '$1 == a && $2 == b && $3 == c { print $n }' "$WORK/out.tsv"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

record_table() {
	echo '| records | format | bytes/event | encode ns/event | decode ns/event | events/s (encode + decode, one core) | CPU ns/event |'
	echo '|---|---|---:|---:|---:|---:|---:|'
	awk -F'\t' '$1 == "record" {
		split("syscall:syscall (120 B)|syscall_data:syscall_data, a path (384 B)|process_exec:process_exec (1360 B)|mix:mix: 80% syscall, 15% syscall_data, 5% exec", m, "|")
		for (i in m) { split(m[i], kv, ":"); lab[kv[1]] = kv[2] }
		f["fixed"] = "fixed structs (SCOPE)"; f["mp_array"] = "MessagePack, array"; f["mp_map"] = "MessagePack, map"
		printf "| %s | %s | %.1f | %.1f | %.1f | %.2fM | %.1f |\n", lab[$2], f[$3], $4, $5, $6, $8 / 1e6, $7
	}' "$WORK/out.tsv"
}

batch_table() {
	echo '| records/batch | format | bytes/event incl. header | encode + seal ns/event | of which HMAC | decode + verify ns/event | of which HMAC | events/s (one core) | CPU ns/event |'
	echo '|---:|---|---:|---:|---:|---:|---:|---:|---:|'
	awk -F'\t' '$1 == "batch" {
		f["fixed"] = "fixed structs (SCOPE)"; f["mp_array"] = "MessagePack, array"
		printf "| %d | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2fM | %.1f |\n", $2, f[$3], $4, $5, $6, $7, $8, $10 / 1e6, $9
	}' "$WORK/out.tsv"
}

# The conclusion, from the mix rows and the batch rows.
FX_ENC=$(get record mix fixed 5) FX_DEC=$(get record mix fixed 6) FX_B=$(get record mix fixed 4)
MP_ENC=$(get record mix mp_array 5) MP_DEC=$(get record mix mp_array 6) MP_B=$(get record mix mp_array 4)
MAP_ENC=$(get record mix mp_map 5) MAP_DEC=$(get record mix mp_map 6)
ENC_X=$(calc %.1f "$MP_ENC / $FX_ENC")
DEC_X=$(calc %.1f "$MP_DEC / $FX_DEC")
MAP_ENC_X=$(calc %.1f "$MAP_ENC / $FX_ENC")
MAP_DEC_X=$(calc %.1f "$MAP_DEC / $FX_DEC")
MORE_B=$(calc %.0f "($FX_B / $MP_B - 1) * 100")
MAC64=$(get batch 64 fixed 6) MAC1K=$(get batch 1024 fixed 6) MAC4K=$(get batch 4096 fixed 6)
MAC_EMPTY=$(meta mac_empty_ns)
# per byte: a 4096-record batch's MAC less the fixed part, over its bytes beyond the header
MAC_PER_B=$(calc %.2f "($MAC4K * 4096 - $MAC_EMPTY) / ($(get batch 4096 fixed 4) * 4096 - 256)")
FIXED_PART64=$(calc %.1f "$MAC_EMPTY / 64")
FIXED_PART1K=$(calc %.2f "$MAC_EMPTY / 1024")
SHARE64=$(calc %.0f "$MAC_EMPTY / 64 / $MAC64 * 100")
SHARE1K=$(calc %.1f "$MAC_EMPTY / 1024 / $MAC1K * 100")
if awk "BEGIN { exit !($MAC_EMPTY / 64 < 0.1 * $MAC64) }"; then
	BATCH_VERDICT="From 64 records on, batch size barely changes the MAC per event; fewer bytes would."
else
	BATCH_VERDICT="Larger batches pay here: the fixed part still matters at 64 records."
fi
FX_SEALED=$(calc %.0f "$(get batch 1024 fixed 5) + $(get batch 1024 fixed 7)")
MP_SEALED=$(calc %.0f "$(get batch 1024 mp_array 5) + $(get batch 1024 mp_array 7)")
FX_MAC_SHARE=$(calc %.0f "($(get batch 1024 fixed 6) + $(get batch 1024 fixed 8)) / $FX_SEALED * 100")
EXEC_CONTENT=$(calc %.0f "$(get record process_exec mp_array 4)")
if awk "BEGIN { exit !($FX_SEALED > $MP_SEALED) }"; then
	SEALED="With the HMAC, though, a sealed batch of 1024 costs **${FX_SEALED} ns/event** to encode and decode as fixed structs against **${MP_SEALED}** as MessagePack: the MAC is ${FX_MAC_SHARE}% of the fixed cost, it is paid per byte, and much of a fixed record is NUL padding (an exec is 1360 B on the wire, ${EXEC_CONTENT} B as MessagePack). What would pay is hashing fewer bytes (or a cheaper MAC), not a different encoding."
else
	SEALED="With the HMAC included the fixed format stays cheaper: ${FX_SEALED} ns/event for a sealed batch of 1024 against ${MP_SEALED} for MessagePack, although the MAC is ${FX_MAC_SHARE}% of the fixed cost."
fi
if grep -qw sha_ni /proc/cpuinfo; then SHA='SHA extensions present'; else SHA='no SHA extensions (`sha_ni`), so SHA-256 runs in software'; fi

CPU_NAME=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
SECTION=$WORK/section.md
{
	echo "$BEGIN_MARK"
	echo '## Serialization: fixed structs vs MessagePack, and the batch HMAC'
	echo
	echo 'What it costs to put a record on the wire and read it back, in the fixed little-endian layout SCOPE'
	echo 'sends (`bpf/scope_events.h`: encode = the collector'"'"'s `scope_framer_add` memcpy, decode = walk by'
	echo 'the size field and read every field at its offset) against MessagePack (msgpack-c; each record an'
	echo 'array of its fields, or a map keyed by field name; comm, path, filename as their real length,'
	echo 'argv as one bin). Both decoders hand over the same struct with every field, strings left in the'
	echo 'buffer, and are checked field by field against the records first. Then the same for sealed'
	echo 'batches of 64 to 4096 records of the mix, with the 256-byte header and HMAC-SHA256 by the'
	echo 'collector'"'"'s own `frame.c` (verification mirrors it with a key set up once).'
	echo
	echo 'Goal: know what the fixed format costs and saves against a self-describing one, and how large a'
	echo 'batch must be before the per-batch MAC stops mattering. No threshold: a measurement.'
	echo
	echo 'Per record, batches of 1024 records, no header or MAC:'
	echo
	record_table
	echo
	echo 'Sealed batches of the mix (header + HMAC-SHA256 included; "of which HMAC" timed alone):'
	echo
	batch_table
	echo
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on Linux $(uname -r), ${CPU_NAME}, $(nproc) CPUs ($SHA; load average $LOAD)${CPU:+, pinned to CPU $CPU};"
	echo "msgpack-c $(meta msgpack-c), $(meta openssl), gcc -O2. Wall ns/event are the median over $ROUNDS rounds of the"
	echo "10th-percentile 1 ms chunk of a ${SECONDS_PER} s measurement (the speed when no neighbour interferes, as in"
	echo '`bench/getppid_loop.c`), configurations taking turns within each round. CPU ns/event is'
	echo '`CLOCK_PROCESS_CPUTIME_ID` over whole measurements (encode + decode): not inflated by preemption, but by'
	echo 'a busy sibling hyperthread it is, so it can exceed the wall columns. Records come from a pool of 8192 generated ones'
	echo '(`bench/serialization/gen.c`). Command (from `bench/serialization/`, after `make`):'
	echo
	echo '```'
	echo "$CMD"
	echo '```'
	echo
	echo "Kept: fixed structs, because for the mix they are **${ENC_X}x cheaper to encode and ${DEC_X}x cheaper to decode**"
	echo "than MessagePack arrays (${MAP_ENC_X}x and ${MAP_DEC_X}x against maps) and are read in place with no schema"
	echo "negotiation, at the price of **${MORE_B}% more bytes** (${FX_B} against ${MP_B} B/event)."
	echo "$SEALED"
	echo "Batch size: the HMAC costs ${MAC_EMPTY} ns a batch whatever it holds (an empty batch), which is ${FIXED_PART64} ns/event at"
	echo "64 records (${SHARE64}% of the per-event MAC) and ${FIXED_PART1K} at 1024 (${SHARE1K}%), against ~${MAC_PER_B} ns per byte hashed: the"
	echo "per-event MAC was ${MAC64} ns at 64 records, ${MAC1K} at 1024 and ${MAC4K} at 4096. $BATCH_VERDICT"
	echo "$END_MARK"
} >"$SECTION"

write_doc_section "$DOC" "$BEGIN_MARK" "$END_MARK" "$SECTION"

record_table
echo
batch_table
echo
sed -n '/^Kept:/,$p' "$SECTION" | grep -v "$END_MARK"
echo "written to $DOC"
