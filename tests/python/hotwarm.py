"""The sampler's attribution target: spends about 70% of its CPU time in hot() and 30% in warm(),
steering the split as it goes, and prints the split it measured with the thread's own CPU clock:
    hot 0.701 warm 0.299
The test compares the sampled split with that one. The lines marked hot-loop and hot-body are hot()'s
loop; most of hot()'s samples must name one of them."""
import sys
import time


def hot(n):
    total = 0
    for i in range(n):  # hot-loop
        total += i * i % 7  # hot-body
    return total


def warm(n):
    total = 0
    for i in range(n):
        total += i % 3
    return total


def main(seconds):
    spent_hot = spent_warm = 0
    n_hot = n_warm = 20000
    # CPU time, not wall time: the samples it gets do not depend on how busy the machine is.
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        t0 = time.thread_time_ns()
        hot(n_hot)
        t1 = time.thread_time_ns()
        warm(n_warm)
        t2 = time.thread_time_ns()
        spent_hot += t1 - t0
        spent_warm += t2 - t1
        share = spent_hot / (spent_hot + spent_warm)
        n_hot = int(n_hot * 1.05) + 1 if share < 0.7 else max(1000, int(n_hot * 0.95))
    total = spent_hot + spent_warm
    print(f"hot {spent_hot / total:.3f} warm {spent_warm / total:.3f}", flush=True)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
