"""A Python program that calls the CUDA runtime through ctypes and leaks one buffer: it allocates
1 MiB and 3 MiB in leaky_alloc() and frees only the first. Prints "leak 0x<ptr> <line>" (the pointer
never freed and the line of the call that allocated it). Loads libcudart.so.11.0 as the dynamic
loader finds it (the tests point LD_LIBRARY_PATH at the stand-in runtime)."""
import ctypes

cudart = ctypes.CDLL("libcudart.so.11.0")


def leaky_alloc(sizes):
    pointers = []
    for size in sizes:
        p = ctypes.c_void_p()
        cudart.cudaMalloc(ctypes.byref(p), ctypes.c_size_t(size))  # the allocating line
        pointers.append(p.value or 0)
    return pointers


def main():
    first, second = leaky_alloc([1 << 20, 3 << 20])
    cudart.cudaFree(ctypes.c_void_p(first))
    with open(__file__) as f:
        line = next(i for i, text in enumerate(f, 1) if "# the allocating line" in text and "next(" not in text)
    print(f"leak 0x{second:x} {line}", flush=True)


main()
