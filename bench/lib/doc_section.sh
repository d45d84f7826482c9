# Sourced by the benchmark scripts: writes one section of the benchmarks page.
#
# write_doc_section DOC BEGIN_MARK END_MARK SECTION_FILE
#   Replaces the lines from BEGIN_MARK to END_MARK (each a whole line) in DOC with SECTION_FILE
#   (which holds both marks), or appends it when DOC has no such section yet. Several scripts
#   write the same page, so the page is re-read and rewritten under an exclusive lock on DOC.lock:
#   no other script's section is lost to a concurrent write.
write_doc_section() {
	local doc=$1 begin=$2 end=$3 section=$4
	mkdir -p "$(dirname "$doc")"
	(
		flock -x 9
		[ -f "$doc" ] || printf '# Benchmarks\n\nMeasurements of what SCOPE costs, each section written by the script it names.\n' >"$doc"
		local tmp
		tmp=$(mktemp)
		if grep -qxF "$begin" "$doc" && grep -qxF "$end" "$doc"; then
			awk -v b="$begin" -v e="$end" -v f="$section" '
				$0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
				$0 == e { skip = 0; next }
				!skip' "$doc" >"$tmp"
		else
			{ cat "$doc"; echo; cat "$section"; } >"$tmp"
		fi
		cat "$tmp" >"$doc"
		rm -f "$tmp"
	) 9>"$doc.lock"
}
