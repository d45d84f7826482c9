"""Two threads, each in its own function for its whole life: alpha() and beta(). Prints each
thread's native id ("alpha 1234", "beta 1235") so the test can check that every sample of a thread
names only that thread's function. Each thread runs for SECONDS of its own CPU time, not of wall time,
so the number of samples it gets does not depend on how busy the machine is."""
import os
import sys
import threading
import time


def alpha(seconds):
    os.write(1, f"alpha {threading.get_native_id()}\n".encode())  # one write: lines never mix
    x = 0
    while time.thread_time() < seconds:
        x += 1


def beta(seconds):
    os.write(1, f"beta {threading.get_native_id()}\n".encode())
    y = 0
    while time.thread_time() < seconds:
        y += 2


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    threads = [threading.Thread(target=alpha, args=(seconds,)), threading.Thread(target=beta, args=(seconds,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
