#!/usr/bin/env bash
# run-fuzzers.sh OUT SECONDS TARGET:MAXLEN...
# Runs each libFuzzer target OUT/TARGET for SECONDS on a working copy of its seeds
# (fuzz/corpus/TARGET and the generated OUT/seeds/TARGET), in OUT/corpus-TARGET, so the committed
# corpus is never written. Prints one summary line per target; exits 1 when any target failed
# (a crash, a sanitizer report, a property violation, a timeout or running out of memory), after
# printing the end of its log and the failing input, which libFuzzer saved in OUT/artifacts-TARGET/.
set -uo pipefail
out=$1 secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
failed=()
ntargets=$#
for spec in "$@"; do
	t=${spec%%:*} maxlen=${spec#*:}
	corpus=$out/corpus-$t artifacts=$out/artifacts-$t log=$out/$t.log
	mkdir -p "$corpus" "$artifacts"
	rm -f "$artifacts"/* # a failure reported below is this run's
	for d in "$here/corpus/$t" "$out/seeds/$t"; do
		[ -d "$d" ] && find "$d" -maxdepth 1 -type f -exec cp -f {} "$corpus/" \;
	done
	"$out/$t" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log" | tail -n1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n1)
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		read -r n s <<<"$runs"
		printf '  FUZZ    %-18s %9s runs in %3ss (%s exec/s), %s\n' "$t" "$n" "$s" "$(( n / (s > 0 ? s : 1) ))" "$cov"
	else
		failed+=("$t")
		echo "  FUZZ    $t FAILED (exit $rc); log: $log"
		grep -v '^#[0-9]' "$log" | tail -n 40 | sed 's/^/    /'
		for a in "$artifacts"/*; do
			[ -f "$a" ] || continue
			echo "    input $a ($(wc -c <"$a") bytes), hex:"
			od -An -v -tx1 "$a" | head -n 64 | sed 's/^/     /'
			echo "    reproduce: $out/$t $a"
		done
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: FAILED: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz: all $ntargets targets passed, ${secs}s each"
