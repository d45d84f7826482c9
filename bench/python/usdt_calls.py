"""Python calls that fire the interpreter's USDT probes, for their per-call cost: prints how long they took.
    usdt_calls.py CALLS

From 3.11 a Python-to-Python call (or a generator resumed by a for loop) runs inside its caller's
evaluation loop and fires nothing; a generator closed before it ever ran is entered to raise
GeneratorExit in it, and that entry fires function__entry and function__return once (see
tests/python/usdt_frames.py). The half-second sleep first gives a tracer that attaches after the
exec time to attach before the timed part starts."""
import sys
import time


def gen():
    yield 1


time.sleep(0.5)
calls = int(sys.argv[1])
t0 = time.perf_counter_ns()
for _ in range(calls):
    gen().close()
print("ns", time.perf_counter_ns() - t0, flush=True)
