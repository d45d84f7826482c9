#!/usr/bin/env bash
# What an exact Python call costs under the interpreter's USDT probes: bench/python/usdt_calls.py makes
# CALLS calls that fire python:function__entry and function__return (generators closed unstarted) on Debian's
# /usr/bin/python3.11 and reports how long they took, untraced, under `scope-collector --probes python`
# (USDT calls correlated per thread in BPF, one python_call record each; the 99 Hz sampler runs too),
# and under bpftrace with the same two probes doing the same correlation into a histogram (the peer).
# The configurations take turns in each round; medians over the rounds. The per-call cost is
# (traced - untraced) / CALLS, and SCOPE's is given as a ratio of bpftrace's from the same run. Every
# traced run is checked to have seen every call. Then rewrites its own section of docs/benchmarks.md.
#
# Environment: ROUNDS (7), CALLS (200000), PYTHON (/usr/bin/python3.11), COLLECTOR, BPFTRACE, DOC.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/doc_section.sh
. "$HERE/../lib/doc_section.sh"
# shellcheck source=../lib/median.sh
. "$HERE/../lib/median.sh"
COLLECTOR=${COLLECTOR:-$ROOT/collector-native/build/scope-collector}
BPFTRACE=${BPFTRACE:-bpftrace}
DOC=${DOC:-$ROOT/docs/benchmarks.md}
PYTHON=${PYTHON:-/usr/bin/python3.11}
ROUNDS=${ROUNDS:-7}
CALLS=${CALLS:-200000}
BEGIN_MARK='<!-- python-usdt:begin -->'
END_MARK='<!-- python-usdt:end -->'
START=$(date +%s)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
[ -x "$COLLECTOR" ] || make -s -C "$ROOT/collector-native" >/dev/null
SCRIPT=$HERE/usdt_calls.py

BT_PROG='usdt:'"$PYTHON"':python:function__entry { @s[tid] = nsecs; }
usdt:'"$PYTHON"':python:function__return /@s[tid]/ { @calls = count(); @dur = hist(nsecs - @s[tid]); delete(@s[tid]); }'

CONFIGS=(base scope bpftrace)
run_config() {
	local c=$1 out seen
	case $c in
	base) out=$("$PYTHON" "$SCRIPT" "$CALLS") ;;
	scope)
		out=$("$COLLECTOR" --probes python --output "$WORK/events.json" -- "$PYTHON" "$SCRIPT" "$CALLS" 2>"$WORK/err")
		seen=$(grep -c '"function":"gen"' "$WORK/events.json" || true) ;;
	bpftrace)
		"$BPFTRACE" -e "$BT_PROG" -c "$PYTHON $SCRIPT $CALLS" >"$WORK/bt.out" 2>"$WORK/err"
		out=$(grep '^ns ' "$WORK/bt.out")
		seen=$(awk '/^@calls:/ { print $2 }' "$WORK/bt.out") ;;
	esac
	# At least CALLS calls of gen, or it measured nothing.
	if [ "$c" != base ] && [ "${seen:-0}" -lt "$CALLS" ]; then
		cat "$WORK/err" >&2
		echo "python-usdt: $c saw ${seen:-0} calls of gen, fewer than $CALLS" >&2
		exit 1
	fi
	echo "${out##* }" >>"$WORK/$c.runs"
}


for ((r = 0; r < ROUNDS; r++)); do
	printf 'round %d/%d:' $((r + 1)) "$ROUNDS" >&2
	for ((i = 0; i < ${#CONFIGS[@]}; i++)); do
		c=${CONFIGS[(i + r) % ${#CONFIGS[@]}]}
		run_config "$c"
		printf ' %s=%s' "$c" "$(tail -n1 "$WORK/$c.runs")" >&2
	done
	echo >&2
done

declare -A MED PER
for c in "${CONFIGS[@]}"; do MED[$c]=$(median <"$WORK/$c.runs"); done
for c in scope bpftrace; do
	PER[$c]=$(awk -v t="${MED[$c]}" -v b="${MED[base]}" -v n="$CALLS" 'BEGIN { printf "%.2f", (t - b) / n / 1000 }')
done
RATIO=$(awk -v s="${PER[scope]}" -v b="${PER[bpftrace]}" 'BEGIN { printf "%.2f", s / b }')
SECTION=$WORK/section.md
{
	echo "$BEGIN_MARK"
	echo '## Python USDT: the cost of an exact call'
	echo
	echo "\`bench/python/usdt_calls.py\` makes $CALLS calls that fire CPython's \`function__entry\` and"
	echo '`function__return` probes (generators closed before they ran) on Debian'"'"'s python3.11 and reports how long they took:'
	echo 'untraced, under `scope-collector --probes python` (each call correlated per thread in BPF and sent'
	echo 'as a `python_call` record; the 99 Hz sampler runs too), and under bpftrace 0.17 doing the same'
	echo 'correlation into a histogram. Each traced run is checked to have seen every call. Medians over'
	echo 'the rounds; the per-call cost is (traced − untraced) ÷ calls.'
	echo
	echo "SCOPE's per-call cost is **${RATIO}x** bpftrace's."
	echo
	echo '| configuration | ms (median) | µs a call over untraced |'
	echo '|---|---:|---:|'
	printf '| untraced | %.1f | – |\n' "$(awk -v v="${MED[base]}" 'BEGIN { print v / 1e6 }')"
	printf '| SCOPE | %.1f | %s |\n' "$(awk -v v="${MED[scope]}" 'BEGIN { print v / 1e6 }')" "${PER[scope]}"
	printf '| bpftrace | %.1f | %s |\n' "$(awk -v v="${MED[bpftrace]}" 'BEGIN { print v / 1e6 }')" "${PER[bpftrace]}"
	echo
	echo "Run $(date -u '+%Y-%m-%d %H:%M') UTC on Linux $(uname -r), $(nproc) CPUs, by \`ROUNDS=$ROUNDS CALLS=$CALLS bench/python/usdt.sh\`"
	echo "(what \`make bench\` runs), in $(($(date +%s) - START)) s. Most of a call's cost is the two uprobe traps"
	echo '(one at entry, one at return), which are the same for both tools: what differs is the BPF work'
	echo 'and, for SCOPE, the record per call that leaves through the ring buffer.'
	echo "$END_MARK"
} >"$SECTION"
write_doc_section "$DOC" "$BEGIN_MARK" "$END_MARK" "$SECTION"
echo "python-usdt: written to $DOC ($(($(date +%s) - START)) s)" >&2
