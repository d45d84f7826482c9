#!/usr/bin/env bash
# The real-GPU check of the CUDA driver probes (docs/gpu-machine.md): the driver-only program
# cuda_driver (built beforehand into the GPU bundle; it needs only libc and the machine's
# libcuda.so.1) runs under the collector. It JIT-compiles two PTX kernels, names them through
# cuModuleGetFunction, cuLibraryGetKernel and cuKernelGetFunction, allocates, copies, launches,
# checks the result on the host, and maps memory with the VMM calls. The check compares every call
# the program says it made with what SCOPE recorded and prints a verdict table. Exit 0 when all pass.
#
# Environment: BUNDLE (collector-native/build/gpu-bundle), PYTHON (any Python 3), OUT.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUNDLE=${BUNDLE:-$ROOT/collector-native/build/gpu-bundle}
PYTHON=${PYTHON:-python3}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
[ -x "$BUNDLE/scope-collector" ] && [ -x "$BUNDLE/cuda_driver" ] ||
	{ echo "driver check: no collector or cuda_driver in $BUNDLE (make -C collector-native gpu-bundle)"; exit 2; }

timeout 120 "$BUNDLE/scope-collector" --probes process,cuda --output "$OUT/driver.jsonl" \
	-- "$BUNDLE/cuda_driver" >"$OUT/driver.out" 2>"$OUT/driver.err"
rc=$?
echo "driver program: exit $rc"
grep -v '^$' "$OUT/driver.err" | head -10

"$PYTHON" - "$OUT/driver.jsonl" "$rc" "$OUT/driver.out" <<'PY' | tee "$OUT/driver-verdict.txt"
import json, sys
path, rc, out = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read().splitlines()
ev = [json.loads(l) for l in open(path) if l.startswith("{")]
calls = [e for e in ev if e["type"] == "cuda"]
regs = [e for e in ev if e["type"] == "cuda_register"]
stacks = [e for e in ev if e["type"] == "cuda_stack"]
lookups = {"cuModuleGetFunction", "cuLibraryGetKernel", "cuKernelGetFunction"}

def fields(line):
    parts = line.split()
    return parts[1], dict(p.split("=", 1) for p in parts[2:])

made = [fields(l) for l in out if l.startswith("CALL ")]
made_calls = [m for m in made if m[0] not in lookups]
made_regs = [fields(l) for l in out if l.startswith("REG ")]

def same(m, e):
    api, f = m
    if e.get("api") != api:
        return False
    for k, v in f.items():
        got = e.get(k)
        if k in ("ptr", "src", "func", "stream", "handle"):
            if got is None or int(got, 16) != int(v, 16):
                return False
        elif k in ("grid", "block"):
            if ",".join(str(x) for x in got or []) != v:
                return False
        elif got is None or int(got) != int(v):
            return False
    return True

exact = len(made_calls) == len(calls) and all(same(m, e) for m, e in zip(made_calls, calls))
mismatch = next((f"{m} vs {e}" for m, e in zip(made_calls, calls) if not same(m, e)), "")
launch_names = [e.get("kernel") for e in calls if e["api"].startswith("cuLaunchKernel")]
alloc_stacks = [s for s in stacks if s["api"] == "cuMemAlloc_v2"]
vmm = [e for e in calls if e["api"] in ("cuMemCreate", "cuMemMap", "cuMemUnmap", "cuMemRelease")]
checks = [
    ("driver program ran; its kernels' results verified", rc == 0 and "VERIFY ok" in out, f"exit {rc}, {[l for l in out if l.startswith('VERIFY')]}"),
    ("every driver call captured, in order, exactly", exact, f"{len(calls)} recorded, {len(made_calls)} made {mismatch[:200]}"),
    ("every driver call succeeded (CUresult 0)", calls and all(e["ret"] == 0 for e in calls), f"{sum(e['ret'] == 0 for e in calls)}/{len(calls)}"),
    ("three lookups name their handles", [(r["kind"], int(r["handle"], 16), r.get("kernel")) for r in regs]
     == [(k, int(f["handle"], 16), f["name"]) for k, f in made_regs] and len(regs) == 3, [(r["kind"], r.get("kernel")) for r in regs]),
    ("launches named by those handles", launch_names == ["scope_vec_add", "scope_vec_sub"], launch_names),
    ("allocation stacks name the allocating function", len(alloc_stacks) == 3 and all(
        any(s.startswith("alloc_buffer+") for s in st.get("symbols", [])) for st in alloc_stacks),
     alloc_stacks[0].get("symbols") if alloc_stacks else "none"),
    ("VMM create, map, unmap, release succeed", [e["api"] for e in vmm] == ["cuMemCreate", "cuMemMap", "cuMemUnmap", "cuMemRelease"]
     and all(e["ret"] == 0 for e in vmm), [(e["api"], e["ret"], e.get("bytes")) for e in vmm]),
]
print(f"{'driver check':48} {'verdict':7} detail")
for name, ok, detail in checks:
    print(f"{name:48} {'PASS' if ok else 'FAIL':7} {detail}")
sys.exit(0 if all(ok for _, ok, _ in checks) else 1)
PY
exit "${PIPESTATUS[0]}"
