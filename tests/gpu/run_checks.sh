#!/usr/bin/env bash
# Every real-GPU check, in one device session: the CUDA runtime under PyTorch, then the driver-only
# program. Prints both verdict tables; exit 0 when both pass. Same environment as the two scripts.
HERE=$(cd "$(dirname "$0")" && pwd)
export OUT=${OUT:-$(mktemp -d)}
PYTHON=${PYTHON:-/opt/torch/.venv/bin/python} "$HERE/cuda_runtime_check.sh"
runtime=$?
echo
PYTHON=${PYTHON:-/opt/torch/.venv/bin/python} "$HERE/cuda_driver_check.sh"
driver=$?
echo
echo "runtime check: $([ $runtime -eq 0 ] && echo PASS || echo "FAIL ($runtime)"); driver check: $([ $driver -eq 0 ] && echo PASS || echo "FAIL ($driver)")"
[ $runtime -eq 0 ] && [ $driver -eq 0 ]
