"""The console's per-process page test: a Python program that registers one kernel with the CUDA
runtime through ctypes (as nvcc's generated code does, mangled name "_Z6vecAddPfS_S_i"), launches it
twice, then allocates 1 MiB and 3 MiB in leaky_alloc() and frees only the first. Prints
"leak 0x<ptr> <line>" (the pointer never freed and the line of the call that allocated it). Loads
libcudart.so.11.0 as the dynamic loader finds it (the tests point LD_LIBRARY_PATH at the stand-in)."""
import ctypes

cudart = ctypes.CDLL("libcudart.so.11.0")


class Dim3(ctypes.Structure):
    _fields_ = [("x", ctypes.c_uint), ("y", ctypes.c_uint), ("z", ctypes.c_uint)]


class FatbinWrapper(ctypes.Structure):
    _fields_ = [("magic", ctypes.c_int), ("version", ctypes.c_int), ("data", ctypes.c_void_p), ("unused", ctypes.c_void_p)]


FATBIN = (ctypes.c_ulonglong * 4)(0x00100001BA55ED50, 0, 0, 0)
WRAPPER = FatbinWrapper(0x466243B1, 1, ctypes.addressof(FATBIN), None)
STUB = ctypes.create_string_buffer(16)  # stands for the kernel's host stub: only its address matters


def register_and_launch():
    cudart.__cudaRegisterFatBinary.restype = ctypes.c_void_p
    module = cudart.__cudaRegisterFatBinary(ctypes.byref(WRAPPER))
    name = b"_Z6vecAddPfS_S_i"
    cudart.__cudaRegisterFunction(ctypes.c_void_p(module), ctypes.c_void_p(ctypes.addressof(STUB)), name, name, -1,
                                  None, None, None, None, None)
    cudart.__cudaRegisterFatBinaryEnd(ctypes.c_void_p(module))
    cudart.cudaLaunchKernel.argtypes = [ctypes.c_void_p, Dim3, Dim3, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    args = (ctypes.c_void_p * 4)()
    for _ in range(2):
        cudart.cudaLaunchKernel(ctypes.addressof(STUB), Dim3(4, 1, 1), Dim3(32, 1, 1), ctypes.addressof(args), 0, None)


def leaky_alloc(sizes):
    pointers = []
    for size in sizes:
        p = ctypes.c_void_p()
        cudart.cudaMalloc(ctypes.byref(p), ctypes.c_size_t(size))  # the allocating line
        pointers.append(p.value or 0)
    return pointers


def main():
    register_and_launch()
    first, second = leaky_alloc([1 << 20, 3 << 20])
    cudart.cudaFree(ctypes.c_void_p(first))
    with open(__file__) as f:
        line = next(i for i, text in enumerate(f, 1) if "# the allocating line" in text and "next(" not in text)
    print(f"leak 0x{second:x} {line}", flush=True)


main()
