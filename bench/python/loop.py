"""A CPU-bound Python loop of fixed work, for the sampler's overhead: prints how long it took.
    loop.py ITERATIONS"""
import sys
import time


def work(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


t0 = time.perf_counter_ns()
work(int(sys.argv[1]))
print("ns", time.perf_counter_ns() - t0, flush=True)
