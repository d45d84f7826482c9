#!/usr/bin/env bash
# What SCOPE's CUDA runtime uprobes cost: build/cuda_loop times cudaMalloc(&p, 4096) and
# cudaLaunchKernel(stub, grid, block, args, 0, 0) of the real libcudart, (1) as a target: nothing
# attached, under an empty bpftrace uprobe on each function for that pid, under an empty bpftrace
# uprobe + uretprobe (the like-for-like peer: SCOPE takes the return too), and under SCOPE
# `--probes cuda --pid LOOP`, with call stacks (the default) and without; (2) as a process that is not a target, while a second process B with
# the same runtime mapped sleeps and is the target: nothing attached, SCOPE `--probes cuda --pid B`,
# and a system-wide bpftrace uprobe + uretprobe filtered on B in BPF (how GPUprobe attaches).
# Configurations take turns within each round so that drift of a shared host lands on all of them
# alike; each is reported as its median over the rounds (those it ran quiet in). Every tracer is
# checked to be attached before the loop is let go, and afterwards to have seen what it should
# have. Then rewrites its own section of docs/benchmarks.md (only the text between its markers,
# under flock, re-reading the file inside the lock: other scripts write other sections).
#
# The host is a shared VM whose speed changes for seconds at a time: every run also times a call no
# tracer probes, and runs are made when that call runs at its quiet speed (see run_config).
#
# Environment: ROUNDS (7), N (20000 timed calls of each function a run), BATCH (100), PAUSE_US (1000:
# the loop spins this long before each trio of batches, so that a run spans a few hundred ms
# without more calls than SCOPE's default ring buffer holds), WAIT_MAX (60 s spent waiting for a
# quiet host, at most, in all), LOOP_CPU (1), TRACER_CPU (0), CUDART (the runtime: libcudart.so.11.0
# as ldconfig finds it), COLLECTOR, DOC.
set -euo pipefail

START=$(date +%s)
LOAD=$(cut -d' ' -f1 /proc/loadavg) # at the start: what else this host was doing
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/doc_section.sh
. "$HERE/../lib/doc_section.sh"
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$HERE/build
COLLECTOR=${COLLECTOR:-$ROOT/collector-native/build/scope-collector}
DOC=${DOC:-$ROOT/docs/benchmarks.md}
ROUNDS=${ROUNDS:-7}
N=${N:-20000}
BATCH=${BATCH:-100}
PAUSE_US=${PAUSE_US:-1000}
WARM=1000
LOOP_CPU=${LOOP_CPU:-1}
TRACER_CPU=${TRACER_CPU:-0}
GOAL=1.1
QUIET=1.1     # a run is quiet when its reference call ran within 10% of the fastest seen
MAX_TRIES=3   # runs of one configuration in one round, at most, waiting for a quiet one
MAX_REDOS=30  # such extra runs in all
WAIT_MAX=${WAIT_MAX:-60} # seconds spent waiting for a quiet host, at most, in all
REF_MIN=
REDOS=0
WAITED=0
BEGIN_MARK='<!-- cuda-uprobes:begin -->'
END_MARK='<!-- cuda-uprobes:end -->'
FUNCS=(cudaMalloc cudaLaunchKernel)

die() {
	echo "cuda: $*" >&2
	exit 1
}

# --- the runtime ---------------------------------------------------------------------------------
if [ -z "${CUDART:-}" ]; then
	CUDART=$(ldconfig -p | awk '$1 == "libcudart.so.11.0" && /x86-64/ { print $NF; exit }')
	[ -n "$CUDART" ] || die "no libcudart.so.11.0 known to ldconfig; set CUDART"
fi
[ -f "$CUDART" ] || die "$CUDART not found"
# The file itself, as /proc/PID/maps, bpftool and the uprobe links name it.
LIB=$(readlink -f "$CUDART")

# bpftrace programs: empty probes on the two timed functions, for one pid (-p) or system-wide.
bt_probes() { # KINDS [FILTER] [BODY]
	local kind f out=
	for f in "${FUNCS[@]}"; do
		for kind in $1; do
			out+="$kind:$LIB:$f ${2:+$2 }{${3:-}} "
		done
	done
	echo "${out% }"
}
BT_ENTRY=$(bt_probes uprobe)
BT_ENTRYRET=$(bt_probes "uprobe uretprobe")

CONFIGS=(t_base t_bt_entry t_bt_entryret t_scope t_scope_nostack n_base n_scope n_bt_sys)
TARGET_CONFIGS=(t_base t_bt_entry t_bt_entryret t_scope t_scope_nostack)
OTHER_CONFIGS=(n_base n_scope n_bt_sys)
declare -A LABEL=(
	[t_base]='baseline: nothing attached'
	[t_bt_entry]='bpftrace `-p LOOP`, empty uprobe'
	[t_bt_entryret]='bpftrace `-p LOOP`, empty uprobe + uretprobe'
	[t_scope]='SCOPE `--probes cuda --pid LOOP` (with call stacks, the default; `--ringbuf-mb 64`)'
	[t_scope_nostack]='SCOPE `--probes cuda --no-cuda-stacks --pid LOOP` (`--ringbuf-mb 64`)'
	[n_base]='baseline: nothing attached (measured again)'
	[n_scope]='SCOPE `--probes cuda --pid B`'
	[n_bt_sys]='bpftrace system-wide, uprobe + uretprobe `/pid == B/`'
)

WORK=$(mktemp -d)
TRACER_PID=
LOOP_PID=
B_PID=
cleanup() {
	local pid
	for pid in $TRACER_PID $LOOP_PID $B_PID; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- probes on the runtime, ours and anyone else's ------------------------------------------------
# Perf-event uprobes on the runtime, as "pid N fd M: ... uprobe|uretprobe filename LIB offset O".
perf_uprobes() {
	bpftool perf show 2>/dev/null | grep -E " (uprobe|uretprobe) +filename $LIB " || true
}

# uprobe_multi links on the runtime, as "OWNER KIND TARGET" (TARGET 0: every process).
multi_links() {
	local fd
	{ grep -lE '^link_type:\s*u(ret)?probe_multi$' /proc/[0-9]*/fdinfo/* 2>/dev/null || true; } | while read -r fd; do
		awk -v o="$(cut -d/ -f3 <<<"$fd")" -v lib="$LIB" '
			/^link_type:/ { k = $2 } /^pid:/ { p = $2 } /^path:/ { path = $2 }
			END { if (path == lib) print o, k, p }' "$fd" 2>/dev/null || true
	done
}

# Probes that a process other than our tracer holds on the runtime and that the loop could pay:
# every perf uprobe (bpftool does not say which pid one is for) and uprobe_multi links that are
# system-wide or on the loop.
foreign_probes() {
	local me=${TRACER_PID:-none}
	perf_uprobes | grep -v "^pid $me " || true
	multi_links | awk -v me="$me" -v loop="${LOOP_PID:-none}" '$1 != me && ($3 == 0 || $3 == loop)'
}

wait_no_foreign() {
	for _ in $(seq 60); do
		[ -z "$(foreign_probes)" ] && return 0
		sleep 0.5
	done
	foreign_probes >&2
	die "other probes on $LIB stayed attached for 30 s"
}

# --- processes -----------------------------------------------------------------------------------
# Waits until FILE has a line matching PATTERN while PID lives.
wait_line() {
	local pid=$1 file=$2 pattern=$3 what=$4
	for _ in $(seq 100); do
		grep -qE "$pattern" "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || { cat "$file" >&2; die "$what exited early"; }
		sleep 0.1
	done
	cat "$file" >&2
	die "$what: no '$pattern' within 10 s"
}

start_loop() { # [N]
	: >"$WORK/loop.out" # emptied first: the previous run's "ready" must not be taken for this one's
	taskset -c "$LOOP_CPU" "$BUILD/cuda_loop" -l "$CUDART" -n "${1:-$N}" -b "$BATCH" -w "$WARM" -p "$PAUSE_US" \
		>"$WORK/loop.out" 2>&1 &
	LOOP_PID=$!
	wait_line "$LOOP_PID" "$WORK/loop.out" '^ready ' 'cuda_loop'
}

# The bpftrace tracer is attached once the kernel lists each of its probes under its pid.
wait_bpftrace() {
	local want=$1 have
	wait_line "$TRACER_PID" "$WORK/tracer.log" '^Attaching ' 'bpftrace'
	for _ in $(seq 100); do
		have=$(perf_uprobes | grep -c "^pid $TRACER_PID " || true)
		[ "$have" -eq "$want" ] && return 0
		kill -0 "$TRACER_PID" 2>/dev/null || { cat "$WORK/tracer.log" >&2; die "bpftrace exited early"; }
		sleep 0.1
	done
	cat "$WORK/tracer.log" >&2
	die "bpftrace $TRACER_PID has $have of $want probes on $LIB attached"
}

# SCOPE is attached once it says so and holds an entry and a return uprobe_multi link on the
# runtime for the pid it was given.
wait_scope() {
	local target=$1 links
	wait_line "$TRACER_PID" "$WORK/tracer.log" 'scope-collector: ready' 'scope-collector'
	links=$(multi_links | awk -v me="$TRACER_PID" -v t="$target" '$1 == me && $3 == t { print $2 }' | sort | paste -sd ' ')
	[ "$links" = "uprobe_multi uretprobe_multi" ] || { cat "$WORK/tracer.log" >&2; die "SCOPE $TRACER_PID has links '$links' on $LIB for pid $target"; }
}

# start_tracer COMMAND...: on the tracer CPU, output and log in $WORK.
start_tracer() {
	: >"$WORK/tracer.log"
	taskset -c "$TRACER_CPU" "$@" >"$WORK/tracer.log" 2>&1 &
	TRACER_PID=$!
}

stop_tracer() {
	local pid=$TRACER_PID sig=$1 rc=0
	kill -0 "$pid" 2>/dev/null || { cat "$WORK/tracer.log" >&2; die "tracer $pid exited during the measurement"; }
	# bpftrace 0.17 can miss a SIGINT that lands just before it blocks in epoll_wait, and then waits
	# for good (its empty probes never wake it); the signal is sent again every 2 s.
	local i
	for i in $(seq 100); do
		if ((i % 20 == 1)); then
			kill "-$sig" "$pid" 2>/dev/null || true
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		die "tracer $pid ignored SIG$sig"
	fi
	wait "$pid" || rc=$?
	TRACER_PID=
	[ "$rc" -eq 0 ] || { cat "$WORK/tracer.log" >&2; die "tracer $pid exited $rc"; }
}

# Events of API by PID in SCOPE's output.
scope_events() {
	grep -cE "^\{\"type\":\"cuda\",.*\"pid\":$1,.*\"api\":\"$2\"" "$WORK/scope.json" || true
}

# One run of configuration C: the loop waits at "ready" while the tracer attaches, then is let go.
# Sets RUN to "p10_malloc median_malloc p10_launch median_launch p10_reference"; returns 1 (and
# RUN is to be thrown away) when someone else's probe on the runtime came or went meanwhile.
measure_once() {
	local c=$1 called v f calls
	wait_no_foreign
	rm -f "$WORK/scope.json"
	start_loop
	case $c in
	t_base | n_base) ;;
	t_bt_entry)
		start_tracer bpftrace -p "$LOOP_PID" -e "$BT_ENTRY"
		wait_bpftrace 2 ;;
	t_bt_entryret)
		start_tracer bpftrace -p "$LOOP_PID" -e "$BT_ENTRYRET"
		wait_bpftrace 4 ;;
	n_bt_sys)
		start_tracer bpftrace -e "$(bt_probes "uprobe uretprobe" "/pid == $B_PID/")"
		wait_bpftrace 4 ;;
	t_scope)
		# A stack record (312 bytes) rides with each call: at a million calls a second the default
		# 8 MiB ring fills before the collector drains it, so both SCOPE runs get a larger one.
		start_tracer "$COLLECTOR" --probes cuda --ringbuf-mb 64 --pid "$LOOP_PID" --output "$WORK/scope.json"
		wait_scope "$LOOP_PID" ;;
	t_scope_nostack)
		start_tracer "$COLLECTOR" --probes cuda --ringbuf-mb 64 --no-cuda-stacks --pid "$LOOP_PID" --output "$WORK/scope.json"
		wait_scope "$LOOP_PID" ;;
	n_scope)
		start_tracer "$COLLECTOR" --probes cuda --pid "$B_PID" --output "$WORK/scope.json"
		wait_scope "$B_PID" ;;
	*) die "unknown configuration $c" ;;
	esac
	if [ -n "$TRACER_PID" ]; then
		sleep 0.5 # past the tracer's own start-up work
	fi
	kill -USR1 "$LOOP_PID"
	wait "$LOOP_PID" || { cat "$WORK/loop.out" >&2; die "cuda_loop failed in $c"; }
	v=$(awk '$1 == "malloc" && $7 == "reference" { print $2, $3, $5, $6, $8, $11 }' "$WORK/loop.out")
	[ -n "$v" ] || { cat "$WORK/loop.out" >&2; die "cuda_loop printed no timings in $c"; }
	if [ "$c" = n_scope ]; then
		# B calls once: SCOPE must record that call, and nothing of the loop's.
		called=$(grep -c '^called$' "$WORK/b.out" || true)
		kill -USR1 "$B_PID"
		for _ in $(seq 50); do
			[ "$(grep -c '^called$' "$WORK/b.out" || true)" -gt "$called" ] && break
			sleep 0.1
		done
		sleep 0.3
	fi
	if [ -n "$TRACER_PID" ]; then
		# SCOPE stops on SIGTERM, bpftrace on SIGINT.
		stop_tracer "$([[ ${c#*_} == scope* ]] && echo TERM || echo INT)"
	fi
	if [ -n "$(foreign_probes)" ]; then
		LOOP_PID=
		return 1
	fi
	calls=${v##* }
	[ "$calls" -ge $((WARM + N)) ] || die "cuda_loop made $calls calls, expected at least $((WARM + N))"
	case $c in
	t_scope | t_scope_nostack)
		# A tracer that was not attached for the whole loop would be short of events.
		for f in "${FUNCS[@]}"; do
			[ "$(scope_events "$LOOP_PID" "$f")" -eq "$calls" ] || {
				cat "$WORK/tracer.log" >&2
				die "SCOPE recorded $(scope_events "$LOOP_PID" "$f") $f calls of the loop, not $calls"
			}
		done ;;
	n_scope)
		[ "$(scope_events "$B_PID" cudaMalloc)" -eq 1 ] || die "SCOPE did not record B's cudaMalloc"
		[ "$(grep -c "\"pid\":$LOOP_PID," "$WORK/scope.json" || true)" -eq 0 ] || die "SCOPE recorded the loop, not a target" ;;
	esac
	rm -f "$WORK/scope.json"
	RUN=${v% *}
	LOOP_PID=
}

# A run counts as quiet when the reference call timed alongside it (cudaGetLastError, which no
# tracer here probes) ran within QUIET of the fastest it has run so far, in a run or a probe.
is_quiet() {
	awk -v r="$1" -v m="$REF_MIN" -v q="$QUIET" 'BEGIN { exit !(r <= m * q) }'
}

note_ref() {
	if [ -z "$REF_MIN" ] || awk -v a="$1" -v b="$REF_MIN" 'BEGIN { exit !(a < b) }'; then
		REF_MIN=$1
	fi
}

# A short untraced loop: prints its reference's 10th-percentile batch, ns/call.
probe_ref() {
	local ref
	start_loop 2000
	kill -USR1 "$LOOP_PID"
	wait "$LOOP_PID" || { cat "$WORK/loop.out" >&2; die "cuda_loop failed"; }
	LOOP_PID=
	ref=$(awk '$1 == "malloc" && $7 == "reference" { print $8 }' "$WORK/loop.out")
	[ -n "$ref" ] || { cat "$WORK/loop.out" >&2; die "cuda_loop printed no timings"; }
	echo "$ref"
}

# Before a run: while a short untraced loop finds the host slow, waits, up to WAIT_MAX s in all.
wait_quiet() {
	local ref t0
	t0=$(date +%s)
	while :; do
		ref=$(probe_ref)
		note_ref "$ref"
		is_quiet "$ref" && break
		[ $((WAITED + $(date +%s) - t0)) -lt "$WAIT_MAX" ] || break
		sleep 1
	done
	WAITED=$((WAITED + $(date +%s) - t0))
}

# Appends one run of C to $WORK/C.runs, made when the host is quiet (or WAIT_MAX is spent): made
# again while someone else's probe on the runtime came or went, and, up to MAX_TRIES runs and
# MAX_REDOS in all, when the host turned slow during the run (then the run whose reference was
# fastest is kept).
run_config() {
	local c=$1 try foreign=0 ref best= best_ref=
	for ((try = 1; ; try++)); do
		wait_quiet
		if ! measure_once "$c"; then
			foreign=$((foreign + 1))
			[ "$foreign" -lt 3 ] || die "other tracers keep attaching; no run of $c without them"
			echo "cuda: another tracer's probe on $LIB appeared during $c; measuring again" >&2
			continue
		fi
		ref=${RUN##* }
		if [ -z "$best" ] || awk -v a="$ref" -v b="$best_ref" 'BEGIN { exit !(a < b) }'; then
			best=$RUN
			best_ref=$ref
		fi
		note_ref "$ref"
		is_quiet "$best_ref" && break
		[ "$try" -lt "$MAX_TRIES" ] && [ "$REDOS" -lt "$MAX_REDOS" ] || break
		REDOS=$((REDOS + 1))
		printf ' (%s: host slow, reference %s ns against %s; again)' "$c" "$ref" "$REF_MIN" >&2
	done
	echo "$best" >>"$WORK/$c.runs"
}

# Once, before measuring: bpftrace programs that count, attached the same ways, must see every call.
validate_bpftrace() {
	local name=$1 want=$2 prog=$3 pflag=$4 got
	start_loop
	if [ -n "$pflag" ]; then
		start_tracer bpftrace -p "$LOOP_PID" -e "$prog"
	else
		start_tracer bpftrace -e "${prog//LOOP/$LOOP_PID}"
	fi
	wait_bpftrace "$want"
	kill -USR1 "$LOOP_PID"
	wait "$LOOP_PID" || die "cuda_loop failed"
	LOOP_PID=
	stop_tracer INT
	local calls
	calls=$(awk '$1 == "malloc" { print $NF }' "$WORK/loop.out")
	got=$(grep -E '^@' "$WORK/tracer.log" | paste -sd ' ')
	awk -v c="$calls" -v w="$want" '/^@/ { n++; if ($2 != c) bad = 1 } END { exit !(n == w && !bad) }' "$WORK/tracer.log" ||
		die "bpftrace $name saw '$got', expected $want counts of $calls"
	echo "cuda: bpftrace $name counts every call: $got" >&2
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# --- preconditions -------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "needs root to load BPF programs"
for tool in bpftool bpftrace taskset flock; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
[ "$(nproc)" -gt "$LOOP_CPU" ] && [ "$(nproc)" -gt "$TRACER_CPU" ] || die "needs CPUs $TRACER_CPU and $LOOP_CPU"
[ $((N / BATCH)) -ge 10 ] || die "N must be at least 10 batches of $BATCH"
make -s -C "$HERE" >/dev/null || die "building bench/cuda failed"
[ -x "$COLLECTOR" ] || make -s -C "$ROOT/collector-native" >/dev/null || die "building the collector failed"
wait_no_foreign

# B: the runtime mapped, asleep until asked to make one call.
taskset -c "$TRACER_CPU" "$BUILD/cuda_loop" -l "$CUDART" -H >"$WORK/b.out" 2>&1 &
B_PID=$!
wait_line "$B_PID" "$WORK/b.out" '^ready ' 'cuda_loop -H'
read -r _ _ STATUS_MALLOC STATUS_LAUNCH <"$WORK/b.out"

# Probes as measured, counting: the per-pid entry + return attach and the system-wide one (filtered
# on the loop here, to show it reaches a process it was not given).
validate_bpftrace "-p, uprobe + uretprobe" 4 "$(bt_probes "uprobe uretprobe" "" "@[probe] = count();")" p
validate_bpftrace "system-wide, uprobe + uretprobe" 4 "$(bt_probes "uprobe uretprobe" "/pid == LOOP/" "@[probe] = count();")" ""

# What quiet is: the fastest the reference runs, from a few short loops a few tenths of a second apart
# (the runs lower it further if they find it faster).
for _ in 1 2 3 4 5; do
	note_ref "$(probe_ref)"
	sleep 0.2
done

# --- measurement ---------------------------------------------------------------------------------
n_cfg=${#CONFIGS[@]}
for ((r = 0; r < ROUNDS; r++)); do
	printf 'round %d/%d:' $((r + 1)) "$ROUNDS" >&2
	for ((i = 0; i < n_cfg; i++)); do
		# Start each round at a different configuration so none always runs first.
		c=${CONFIGS[(i + r) % n_cfg]}
		run_config "$c"
		printf ' %s=%s' "$c" "$(tail -n1 "$WORK/$c.runs" | awk '{ print $1 "/" $3 }')" >&2
	done
	echo >&2
done
ELAPSED=$(($(date +%s) - START))

# --- report --------------------------------------------------------------------------------------
# A kept run was quiet when its reference ran within QUIET of the fastest of all runs; c's medians
# are taken over its quiet runs, or over all of them when fewer than MIN_QUIET were quiet.
MIN_QUIET=3
declare -A USED
for c in "${CONFIGS[@]}"; do
	awk -v m="$REF_MIN" -v q="$QUIET" '$5 <= m * q' "$WORK/$c.runs" >"$WORK/$c.quiet"
	if [ "$(wc -l <"$WORK/$c.quiet")" -ge "$MIN_QUIET" ]; then
		USED[$c]=$WORK/$c.quiet
	else
		USED[$c]=$WORK/$c.runs
	fi
done
# MED[c,k]: median of column k of the runs used (1 cudaMalloc p10, 2 its median batch,
# 3 cudaLaunchKernel p10, 4 its median batch).
# BEST[c,k]: the lowest (quietest) run, and BEST_ADD its added ns over the lowest baseline run.
declare -A MED ADD BEST BEST_ADD
for c in "${CONFIGS[@]}"; do
	for k in 1 2 3 4; do
		MED[$c,$k]=$(awk -v k="$k" '{ print $k }' "${USED[$c]}" | median)
		BEST[$c,$k]=$(awk -v k="$k" '{ print $k }' "$WORK/$c.runs" | sort -g | head -n1)
	done
done
for c in "${CONFIGS[@]}"; do
	base=t_base
	[[ $c == n_* ]] && base=n_base
	for k in 1 2 3 4; do
		ADD[$c,$k]=$(awk -v m="${MED[$c,$k]}" -v b="${MED[$base,$k]}" 'BEGIN { printf "%.1f", m - b }')
		BEST_ADD[$c,$k]=$(awk -v m="${BEST[$c,$k]}" -v b="${BEST[$base,$k]}" 'BEGIN { printf "%.1f", m - b }')
	done
done

# Added cost over a peer's added cost.
ratio() {
	awk -v a="$1" -v f="$2" 'BEGIN { if (f <= 0) print "n/a"; else printf "%.2fx", a / f }'
}

# Column of the function: cudaMalloc 1, cudaLaunchKernel 3.
col() { [ "$1" = cudaMalloc ] && echo 1 || echo 3; }

target_table() {
	local k=$(($(col "$1"))) m=$(($(col "$1") + 1)) c
	echo "| \`$1\` on the target | ns/call | added ns | ÷ bpftrace uprobe | ÷ bpftrace uprobe + uretprobe | added ns, median batch |"
	echo '|---|---:|---:|---:|---:|---:|'
	for c in "${TARGET_CONFIGS[@]}"; do
		if [ "$c" = t_base ]; then
			printf '| %s | %.1f | – | – | – | – |\n' "${LABEL[$c]}" "${MED[$c,$k]}"
		else
			printf '| %s | %.1f | %s | %s | %s | %s |\n' "${LABEL[$c]}" "${MED[$c,$k]}" "${ADD[$c,$k]}" \
				"$(ratio "${ADD[$c,$k]}" "${ADD[t_bt_entry,$k]}")" "$(ratio "${ADD[$c,$k]}" "${ADD[t_bt_entryret,$k]}")" \
				"${ADD[$c,$m]}"
		fi
	done
}

# The loop's noise, per column k: the range of the runs of nothing attached (both baselines, the
# runs used for their medians): RANGE_LO[k] to RANGE_HI[k].
declare -A RANGE_LO RANGE_HI
for k in 1 3; do
	RANGE_LO[$k]=$(cat "${USED[t_base]}" "${USED[n_base]}" | awk -v k="$k" '{ print $k }' | sort -g | head -n1)
	RANGE_HI[$k]=$(cat "${USED[t_base]}" "${USED[n_base]}" | awk -v k="$k" '{ print $k }' | sort -g | tail -n1)
done

other_table() {
	local f c k
	echo '| the loop, not a target | `cudaMalloc` ns/call | added ns | `cudaLaunchKernel` ns/call | added ns |'
	echo '|---|---:|---:|---:|---:|'
	for c in "${OTHER_CONFIGS[@]}"; do
		if [ "$c" = n_base ]; then
			printf '| %s | %.1f | – | %.1f | – |\n' "${LABEL[$c]}" "${MED[$c,1]}" "${MED[$c,3]}"
		else
			printf '| %s | %.1f | %s | %.1f | %s |\n' "${LABEL[$c]}" "${MED[$c,1]}" "${ADD[$c,1]}" "${MED[$c,3]}" "${ADD[$c,3]}"
		fi
	done
}

# SCOPE's added ns over a peer's, per function, against the goal: decided on the medians; the best
# runs, the quietest the host got, are shown as a cross-check.
target_verdict() {
	local peer=$1 f k r out= best= all=1
	for f in "${FUNCS[@]}"; do
		k=$(col "$f")
		r=$(awk -v a="${ADD[t_scope,$k]}" -v p="${ADD[$peer,$k]}" 'BEGIN { if (p > 0) printf "%.2f", a / p }')
		[ -n "$r" ] || { echo "not decidable: the peer added nothing measurable to $f"; return; }
		awk -v r="$r" -v g="$GOAL" 'BEGIN { exit !(r <= g) }' || all=0
		out+="${out:+, }\`$f\` ${r}x"
		best+="${best:+, }$(ratio "${BEST_ADD[t_scope,$k]}" "${BEST_ADD[$peer,$k]}")"
	done
	if [ "$all" = 1 ]; then echo "**met**, $out (best runs: $best)"; else echo "**not met**, $out (best runs: $best)"; fi
}

# SCOPE on B against the loop's noise: met when its median, per function, lies within the range of
# the runs of nothing attached.
other_verdict() {
	local f k out= range= all=1 a
	for f in "${FUNCS[@]}"; do
		k=$(col "$f")
		awk -v v="${MED[n_scope,$k]}" -v lo="${RANGE_LO[$k]}" -v hi="${RANGE_HI[$k]}" 'BEGIN { exit !(v >= lo && v <= hi) }' || all=0
		out+="${out:+, }\`$f\` ${ADD[n_scope,$k]} ns"
		range+="${range:+, }${RANGE_LO[$k]}–${RANGE_HI[$k]}"
	done
	if [ "$all" = 1 ]; then
		echo "**met**: SCOPE added $out; its medians lie within the range of the runs of nothing attached ($range ns)"
	else
		echo "**not met**: SCOPE added $out; its medians lie outside the range of the runs of nothing attached ($range ns)"
	fi
}

# Kept runs that were not quiet by the end's measure (the fastest reference of all runs).
RUNS_KEPT=$(cat "$WORK"/*.runs | wc -l)
RUNS_SLOW=$(cat "$WORK"/*.runs | awk -v m="$REF_MIN" -v q="$QUIET" '$5 > m * q' | wc -l)

# ns the return probe alone adds, per function: what separates the two bpftrace peers.
RET_NS=$(for f in "${FUNCS[@]}"; do k=$(col "$f"); awk -v a="${ADD[t_bt_entryret,$k]}" -v b="${ADD[t_bt_entry,$k]}" 'BEGIN { printf "%.0f\n", a - b }'; done | paste -sd/)
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
SECTION=$WORK/section.md
{
	echo "$BEGIN_MARK"
	echo '## CUDA runtime uprobes: cost per call'
	echo
	echo 'With `--probes cuda` SCOPE puts an entry and a return uprobe on each of the CUDA runtime functions it'
	echo 'knows (`collector-native/src/cuda_apis.c`), in every `libcudart` a target maps: one `uprobe_multi`'
	echo 'link per library and direction, made for the target pid, so the kernel plants the breakpoints in the'
	echo 'target alone. This measures what that adds to a call, on a target and on a process that is not one.'
	echo '`bench/cuda/cuda_loop.c` dlopens the real runtime (no CUDA headers: the calls are declared by hand),'
	echo 'registers a kernel stub as nvcc'"'"'s module constructor would, makes the first, initialising, calls and'
	echo 'waits for SIGUSR1 while the tracer attaches; then it times calls of `cudaMalloc(&p, 4096)` and of'
	echo '`cudaLaunchKernel(stub, grid, block, args, 0, 0)` (details under "How it was run").'
	if [ "$STATUS_MALLOC" = 100 ] && [ "$STATUS_LAUNCH" = 100 ]; then
		echo 'This host has no GPU: every call returns 100 (cudaErrorNoDevice) from the runtime'"'"'s early error'
		echo 'path, so the baseline is tens of ns where calls on a GPU take microseconds. The probes are hit at'
		echo 'the same entry and return either way, so the **added ns** is the number to read, not the ratio to'
		echo 'the baseline.'
	else
		echo "The calls returned $STATUS_MALLOC (\`cudaMalloc\`) and $STATUS_LAUNCH (\`cudaLaunchKernel\`) here. The probes are hit at"
		echo 'the same entry and return whatever a call does, so the **added ns** is the number to read, not'
		echo 'the ratio to the baseline.'
	fi
	echo
	echo '### On a target'
	echo
	echo "Goal: SCOPE adds at most ${GOAL}x what an empty bpftrace probe adds (SCOPE's added ns ÷ the peer's)."
	echo 'SCOPE needs the return (for `ret` and `dur_ns`), so the like-for-like peer is an empty uprobe +'
	echo 'uretprobe. Against an empty uprobe alone the goal cannot be met by SCOPE or any tracer that also takes'
	echo "the return: the uretprobe alone cost ${RET_NS} ns (\`cudaMalloc\`/\`cudaLaunchKernel\`) here."
	echo
	echo "- against an empty bpftrace uprobe + uretprobe (like for like): $(target_verdict t_bt_entryret)"
	echo "- against an empty bpftrace uprobe: $(target_verdict t_bt_entry)"
	echo
	target_table cudaMalloc
	echo
	target_table cudaLaunchKernel
	echo
	echo 'What SCOPE adds beyond the like-for-like peer is its programs'"'"' own work (the target check, reading'
	echo 'the arguments, keeping the entry until the return, one ring buffer record a call) together with its'
	echo 'attach type (`uprobe_multi` links, where bpftrace 0.17 uses perf-event uprobes); this benchmark does'
	echo 'not separate the two.'
	echo
	echo 'Both timed functions take a user call stack by default (allocations and launches do; a'
	echo '`cuda_stack` record of 312 bytes rides with each call): the caller'"'"'s return address and a'
	echo 'frame-pointer walk, `bpf_get_stack`. What that adds, SCOPE with stacks against SCOPE without:'
	echo "\`cudaMalloc\` $(awk -v a="${ADD[t_scope,1]}" -v b="${ADD[t_scope_nostack,1]}" 'BEGIN { printf "%.0f", a - b }') ns,"
	echo "\`cudaLaunchKernel\` $(awk -v a="${ADD[t_scope,3]}" -v b="${ADD[t_scope_nostack,3]}" 'BEGIN { printf "%.0f", a - b }') ns a call"
	echo '(medians; `--no-cuda-stacks` turns them off).'
	echo
	echo '### On a process that is not a target'
	echo
	echo 'The same loop, not traced, while process B (`cuda_loop -H`: the same runtime mapped, asleep) is the'
	echo 'target. A tracer that attaches for every process and filters in BPF, as GPUprobe does, is shown for'
	echo 'comparison.'
	echo
	echo "Goal: SCOPE adds nothing to the loop beyond noise. $(other_verdict)."
	echo
	other_table
	echo
	echo '### How it was run'
	echo
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on Linux $(uname -r), ${CPU}, $(nproc) CPUs (load average $LOAD at the start),"
	echo "CUDA runtime \`$LIB\`, by \`ROUNDS=$ROUNDS N=$N BATCH=$BATCH PAUSE_US=$PAUSE_US WAIT_MAX=$WAIT_MAX bench/cuda/run.sh\`"
	echo "(what \`make -C bench cuda\` and \`make bench\` run), in ${ELAPSED} s. $ROUNDS rounds of one run per configuration, the configurations taking turns"
	echo 'within each round (each round starting one further). In a run the loop, after the go signal, makes'
	echo "$WARM untimed calls of each function, then times N = $N calls of each in batches of $BATCH: a batch of"
	echo "\`cudaMalloc\`, one of \`cudaLaunchKernel\` and one of the reference, \`cudaGetLastError\` (which no tracer here"
	echo "probes), in turn, each trio after $PAUSE_US µs of spinning and 10 untimed calls of each function. The"
	echo 'spinning spreads a run over a few hundred ms (back to back it would last ~3 ms untraced, ~50 ms'
	echo 'traced) without more calls: the loop calls several times faster than SCOPE turns records into JSON,'
	echo 'and a record that does not fit its (default, 8 MiB) ring buffer is dropped and counted, which would'
	echo 'make that call cheaper and fails the count check below; between batches SCOPE'"'"'s reader catches up,'
	echo 'as it would with calls that are not back to back. Each run reports the 10th-percentile batch of each'
	echo 'function.'
	echo
	echo 'This host is a shared VM: the same loop runs up to ~1.7x slower, traced or not, in phases of seconds'
	echo 'to tens of seconds while a neighbour is busy. The 10th percentile picks the quiet batches of a run,'
	echo 'but a phase can outlast a run, so runs are made while the reference call runs at its quiet speed.'
	echo 'Before each run a short untraced loop times the reference, and while that is more than'
	echo "$(awk -v q="$QUIET" 'BEGIN { printf "%.0f%%", (q - 1) * 100 }') slower than the fastest seen so far the script waits, a second at a time ($WAIT_MAX s in all at"
	echo "most); a run whose own reference was that much slower is made again, up to $MAX_TRIES runs ($MAX_REDOS extra runs"
	echo "in all), keeping the one whose reference ran fastest. This run waited ${WAITED} s and made $REDOS extra runs;"
	echo "$RUNS_SLOW of the $RUNS_KEPT runs kept had a reference more than that slower than the fastest of all"
	echo "(${REF_MIN} ns), and are marked slow below. The tables give each configuration's median over its quiet"
	echo "runs (over all its runs if fewer than $MIN_QUIET were quiet). The last column of the target tables gives the added ns by each run's"
	echo 'median batch instead, as a cross-check, and the verdicts give the ratios of the best (lowest) runs'
	echo "too. The loop runs on CPU $LOOP_CPU, the tracers (and B) on CPU $TRACER_CPU."
	echo
	echo 'Before the loop is let go each tracer is checked to be attached: bpftrace has printed "Attaching" and'
	echo 'the kernel lists each of its probes on the runtime under its pid (`bpftool perf show`); SCOPE has'
	echo 'printed `ready` and holds a `uprobe_multi` and a `uretprobe_multi` link on the runtime for the pid it'
	echo 'was given (`/proc/PID/fdinfo`). After each SCOPE run on the loop its output must hold exactly one'
	echo 'event per call the loop made, of each function, untimed calls included; after each SCOPE run on B, B'
	echo 'makes one `cudaMalloc`, which must be the one event SCOPE recorded, none being the loop'"'"'s. Before'
	echo 'the rounds, the same bpftrace attachments with counting probes saw every call of the loop, per pid'
	echo 'and system-wide. A run during which another process held a probe on the runtime is measured again.'
	echo 'The tracers:'
	echo
	echo '```'
	echo "scope-collector --probes cuda --pid LOOP|B --output FILE"
	echo "bpftrace -p LOOP -e '$BT_ENTRY'"
	echo "bpftrace -p LOOP -e '$BT_ENTRYRET'"
	echo "bpftrace -e '$(bt_probes "uprobe uretprobe" "/pid == B/")'"
	echo '```'
	echo
	echo 'Runs per configuration, in round order, as `cudaMalloc`/`cudaLaunchKernel` (reference), each the'
	echo '10th-percentile batch in ns/call:'
	echo
	for c in "${CONFIGS[@]}"; do
		echo "- $c: $(awk -v m="$REF_MIN" -v q="$QUIET" '{ printf "%s%s/%s (%s%s)", (NR > 1 ? " " : ""), $1, $3, $5, ($5 > m * q ? ", slow" : "") }' "$WORK/$c.runs")$([ "${USED[$c]}" = "$WORK/$c.runs" ] && [ "$(wc -l <"$WORK/$c.quiet")" -lt "$(wc -l <"$WORK/$c.runs")" ] && echo " (fewer than $MIN_QUIET quiet: all used)")"
	done
	echo "$END_MARK"
} >"$SECTION"

write_doc_section "$DOC" "$BEGIN_MARK" "$END_MARK" "$SECTION"

for f in "${FUNCS[@]}"; do
	target_table "$f"
	echo
done
other_table
echo
echo "SCOPE vs bpftrace uprobe + uretprobe: $(target_verdict t_bt_entryret)"
echo "SCOPE vs bpftrace uprobe: $(target_verdict t_bt_entry)"
echo "not a target: $(other_verdict)"
echo "written to $DOC ($ELAPSED s)"
