"""Two threads, each in its own function for its whole life: alpha() and beta(). Prints each
thread's native id ("alpha 1234", "beta 1235") so the test can check that every sample of a thread
names only that thread's function."""
import os
import sys
import threading
import time


def alpha(seconds):
    os.write(1, f"alpha {threading.get_native_id()}\n".encode())  # one write: lines never mix
    end = time.monotonic() + seconds
    x = 0
    while time.monotonic() < end:
        x += 1


def beta(seconds):
    os.write(1, f"beta {threading.get_native_id()}\n".encode())
    end = time.monotonic() + seconds
    y = 0
    while time.monotonic() < end:
        y += 2


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    threads = [threading.Thread(target=alpha, args=(seconds,)), threading.Thread(target=beta, args=(seconds,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
