#!/usr/bin/env bash
# The real-GPU check of the CUDA runtime probes, for a machine with a GPU, CUDA and Python but no
# BPF toolchain (docs/gpu-machine.md). It runs tests/gpu/torch_workload.py under the collector built
# beforehand (`make -C collector-native gpu-bundle`, carried to that machine), then checks the JSON
# lines and prints a verdict table. Exit 0 when every check passes.
#
# Environment: BUNDLE (collector-native/build/gpu-bundle), PYTHON (/opt/torch/.venv/bin/python),
# WORKLOAD (tests/gpu/torch_workload.py), OUT (where the lines and the verdict go; a temporary
# directory by default).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUNDLE=${BUNDLE:-$ROOT/collector-native/build/gpu-bundle}
PYTHON=${PYTHON:-/opt/torch/.venv/bin/python}
WORKLOAD=${WORKLOAD:-$HERE/torch_workload.py}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

[ -x "$BUNDLE/scope-collector" ] || { echo "gpu check: no collector in $BUNDLE (make -C collector-native gpu-bundle)"; exit 2; }
[ -x "$PYTHON" ] || { echo "gpu check: no Python at $PYTHON"; exit 2; }
command -v nvidia-smi >/dev/null && nvidia-smi -L
uname -r

start=$(date +%s.%N)
timeout 240 "$BUNDLE/scope-collector" --probes process,cuda --ringbuf-mb 64 --output "$OUT/events.jsonl" \
	-- "$PYTHON" "$WORKLOAD" >"$OUT/workload.out" 2>"$OUT/collector.err"
rc=$?
end=$(date +%s.%N)
# the same workload without SCOPE, for the wall-clock cost of tracing it (one run each: indicative)
bstart=$(date +%s.%N)
timeout 240 "$PYTHON" "$WORKLOAD" >"$OUT/baseline.out" 2>&1
bend=$(date +%s.%N)
echo "exit $rc; traced $(awk "BEGIN{print $end - $start}") s, untraced $(awk "BEGIN{print $bend - $bstart}") s"
cat "$OUT/workload.out"
grep -v '^$' "$OUT/collector.err" | head -20

"$PYTHON" - "$OUT/events.jsonl" "$rc" "$OUT/workload.out" <<'PY' | tee "$OUT/verdict.txt"
import collections, json, sys
path, rc, wout = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read()
ev = [json.loads(l) for l in open(path) if l.startswith("{")]
calls = [e for e in ev if e["type"] == "cuda"]
regs = [e for e in ev if e["type"] == "cuda_register"]
by = collections.Counter(e["api"] for e in calls)
launches = [e for e in calls if e["api"].startswith("cudaLaunchKernel")]
runtime = [e for e in calls if e["api"].startswith("cuda")]
driver = [e for e in calls if not e["api"].startswith("cuda")]
driver_launches = [e for e in driver if e["api"].startswith("cuLaunchKernel")]
stacks = [e for e in ev if e["type"] == "cuda_stack"]
named_stacks = [s for s in stacks if any("+0x" in x and not x.startswith("0x") for x in s.get("symbols", []))]
err = open(sys.argv[1].replace("events.jsonl", "collector.err")).read()
nested = next((int(l.split()[1]) for l in err.splitlines() if "driver calls made inside other CUDA calls" in l), 0)
# the allocator's peak as SCOPE's records give it: live cudaMalloc bytes, freed by cudaFree
live, cur, peak = {}, 0, 0
for e in calls:
    if e["ret"] != 0:
        continue
    if e["api"] == "cudaMalloc":
        live[e["ptr"]] = e["bytes"]; cur += e["bytes"]; peak = max(peak, cur)
    elif e["api"] == "cudaFree" and e["ptr"] in live:
        cur -= live.pop(e["ptr"])
torch_peak = next((int(l.split()[1]) for l in wout.splitlines() if l.startswith("reserved_peak ")), -1)
double = {e["ptr"] for e in driver if e["api"] == "cuMemAlloc_v2"} & {e["ptr"] for e in calls if e["api"] == "cudaMalloc"}
named = [e for e in launches if e.get("kernel")]
mallocs = [e for e in calls if e["api"] == "cudaMalloc"]
copies = [e for e in calls if e["api"].startswith("cudaMemcpy")]
kinds = collections.Counter(e.get("kind_name") for e in copies)
fails = collections.Counter((e["api"], e["ret"]) for e in calls if e["ret"] != 0)
drops = [e for e in ev if e["type"] == "drops"]
funcs = [r for r in regs if r["kind"] == "function"]
checks = [
    ("workload ran and exited 0 under SCOPE", rc == 0 and "ok True" in wout, f"exit {rc}"),
    ("CUDA calls captured", len(calls) > 0, f"{len(calls)} calls: " + ", ".join(f"{k} {v}" for k, v in by.most_common(8))),
    ("kernels registered (__cudaRegisterFunction)", len([r for r in regs if r["kind"] == "function"]) > 100,
     f"{len(regs)} registrations"),
    # a name the demangler cannot read (c++filt cannot either: some CUTLASS kernels) is flagged, never silently mangled
    ("every registration named; demangled or flagged", funcs and all(r.get("name") and r.get("kernel") and (not r["kernel"].startswith("_Z") or r.get("not_demangled")) for r in funcs),
     f"{sum(1 for r in funcs if r.get('name'))}/{len(funcs)} named, {sum(1 for r in funcs if r.get('kernel') and not r['kernel'].startswith('_Z'))} demangled, {sum(1 for r in funcs if r.get('not_demangled'))} flagged not_demangled, {sum(1 for r in funcs if r.get('name_truncated'))} longer than a record"),
    ("launches succeed (ret 0)", launches and all(e["ret"] == 0 for e in launches), f"{len(launches)} launches"),
    ("every launch has a demangled kernel name", launches and len(named) == len(launches) and not any(e["kernel"].startswith("_Z") for e in named),
     f"{len(named)}/{len(launches)} named"),
    ("cudaMalloc returns device pointers", mallocs and all(e["ret"] == 0 and e["ptr"] != "0x0" for e in mallocs),
     f"{len(mallocs)} allocations, {sum(e['bytes'] for e in mallocs)} bytes"),
    ("H2D and D2H copies with their kinds", kinds.get("H2D", 0) > 0 and kinds.get("D2H", 0) > 0, dict(kinds)),
    ("runtime calls name device 0", runtime and all(e.get("device") == 0 for e in runtime),
     dict(collections.Counter(e.get("device") for e in runtime))),
    ("one operation per call: no allocation seen twice", not double,
     f"{nested} driver calls inside runtime calls folded in; {len(driver)} driver calls of their own: "
     + ", ".join(f"{k} {v}" for k, v in collections.Counter(e['api'] for e in driver).most_common(5))),
    ("driver launches (libraries' own) succeed and are named", all(e["ret"] == 0 and e.get("kernel") for e in driver_launches),
     f"{sum(1 for e in driver_launches if e.get('kernel'))}/{len(driver_launches)} named"),
    ("allocations and launches carry named stacks", mallocs and all(e.get("has_stack") for e in mallocs) and len(named_stacks) > 0,
     f"{len(stacks)} stacks, {len(named_stacks)} with named frames; e.g. {named_stacks[0]['symbols'][:3] if named_stacks else None}"),
    ("allocator peak from the records reaches torch's own", torch_peak > 0 and peak >= torch_peak,
     f"SCOPE {peak} bytes, torch.cuda.max_memory_reserved {torch_peak}"),
    ("nothing lost in the kernel", not any(d.get("ringbuf") for d in drops), f"{len(drops)} drops lines"),
]
print(f"{'check':48} {'verdict':7} detail")
for name, ok, detail in checks:
    print(f"{name:48} {'PASS' if ok else 'FAIL':7} {detail}")
print("failed calls:", dict(fails.most_common(10)) or "none")
print("kernels launched (top 8):")
for k, v in collections.Counter(e.get("kernel", "?") for e in launches).most_common(8):
    print(f"  {v:5}  {k[:150]}")
sys.exit(0 if all(ok for _, ok, _ in checks) else 1)
PY
verdict=${PIPESTATUS[0]}
gzip -f "$OUT/events.jsonl"
exit "$verdict"
