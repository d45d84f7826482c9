#!/usr/bin/env python3
"""Writes SCOPE's golden wire vectors: tests/golden/v1/NAME.hex (the record bytes) and NAME.json
(the JSON line the collector must print for it).

The layouts are spelled out here with Python's struct module, independently of bpf/scope_events.h,
so the C and C# decoders are each checked against a second reading of docs/wire-format.md rather
than against themselves. Run it again only when the wire format changes (and bump the version).
"""
import hashlib
import hmac
import json
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "v1")

EXEC, FORK, EXIT, SYSCALL, SYSCALL_DATA, COUNTS, HIST, CUDA, CUDA_REG, STACK, SYMBOL, PY_SAMPLE, PY_CODE, PY_CALL = range(1, 15)
SIZES = {EXEC: 1360, FORK: 80, EXIT: 72, SYSCALL: 120, SYSCALL_DATA: 384, COUNTS: 1080, HIST: 440,
         CUDA: 144, CUDA_REG: 592, STACK: 312, SYMBOL: 392, PY_SAMPLE: 1336, PY_CODE: 448, PY_CALL: 320}
TYPE_NAMES = {EXEC: "process_exec", FORK: "process_fork", EXIT: "process_exit",
              SYSCALL: "syscall", SYSCALL_DATA: "syscall", COUNTS: "syscall_counts",
              HIST: "syscall_hist", CUDA: "cuda", CUDA_REG: "cuda_register", STACK: "cuda_stack",
              SYMBOL: "symbol", PY_SAMPLE: "python_sample", PY_CODE: "python_code", PY_CALL: "python_call"}
HIST_BUCKETS = 96


def hist_lower(b):
    """Bucket b >= 2 starts at (2 + (b & 1)) << (b // 2 - 1) ns; bucket 0 holds 0 and 1."""
    return 0 if b < 2 else (2 + (b & 1)) << (b // 2 - 1)


def hist_bucket(v):
    if v < 2:
        return 0
    m = v.bit_length() - 1
    return min(2 * m + ((v >> (m - 1)) & 1), HIST_BUCKETS - 1)


def hist_quantile(buckets, q):
    """Linear interpolation inside the bucket that holds the sample of rank max(1, q * total)."""
    total = sum(buckets)
    if total == 0:
        return 0
    rank = max(1.0, q * total)
    seen = 0
    for b, n in enumerate(buckets):
        if n == 0:
            continue
        if seen + n >= rank:
            lo = hist_lower(b)
            hi = 2 if b == 0 else (hist_lower(b + 1) if b + 1 < HIST_BUCKETS else lo)
            return lo + int((hi - lo) * ((rank - seen) / n))
        seen += n
    return hist_lower(HIST_BUCKETS - 1)


def header(t, ts, start, pid, tid, comm, cpu):
    # u16 type, u16 size, u32 cpu, u64 ts_ns, u64 start_ns, u32 pid, u32 tid, char comm[16]
    return struct.pack("<HHIQQII16s", t, SIZES[t], cpu, ts, start, pid, tid, comm.encode())


def info(ppid, uid, cgroup):
    return struct.pack("<IIQ", ppid, uid, cgroup)


def json_header(t, ts, start, pid, tid, comm, cpu):
    return {"type": TYPE_NAMES[t], "ts_ns": ts, "pid": pid, "tid": tid, "comm": comm,
            "start_ns": start, "cpu": cpu}


def u64(v):
    return v & 0xFFFFFFFFFFFFFFFF


def exec_record(name, ts, start, pid, comm, ppid, uid, cg, filename, argv_bytes, argc, flags, old_pid,
                expect_argv, extra=None):
    body = header(EXEC, ts, start, pid, pid, comm, 1) + info(ppid, uid, cg)
    body += struct.pack("<IHHHHI", argc, len(filename), len(argv_bytes), flags, 0, old_pid)
    body += filename.ljust(256, b"\0") + argv_bytes.ljust(1024, b"\0")
    j = json_header(EXEC, ts, start, pid, pid, comm, 1)
    j.update({"ppid": ppid, "uid": uid, "cgroup_id": cg, "filename": filename.decode(),
              "argv": expect_argv, "argc": argc})
    j.update(extra or {})
    return name, body, j


def syscall_body(t, ts, start, pid, tid, comm, nr, flags, ret, dur, args):
    b = header(t, ts, start, pid, tid, comm, 0)
    b += struct.pack("<IHHqQ6Q", nr, flags, 0, ret, dur, *[u64(a) for a in args])
    return b


def vectors():
    v = []
    v.append(exec_record("process_exec", 1_000_000_123, 999_000_000, 4242, "cat", 100, 1000, 0x1234,
                         b"/bin/cat", b"/bin/cat\0/etc/hostname\0", 2, 0, 0,
                         ["/bin/cat", "/etc/hostname"]))
    # Quotes, a control character and an invalid UTF-8 byte must still give valid JSON; the argument
    # area was truncated (flag 2) mid-argument, and a non-leader thread called execve (old_pid).
    v.append(exec_record("process_exec_escapes", 5, 4, 77, "py\"x", 1, 0, 9,
                         b"/usr/bin/python3", b"python3\0-c\0print(\"h\\i\")\n\xff\0tr", 4, 2, 78,
                         ["python3", "-c", "print(\"h\\i\")\n\ufffd", "tr"],
                         {"argv_truncated": True, "old_tid": 78}))

    b = header(FORK, 2_000, 1_500, 10, 10, "sh", 3) + info(1, 0, 7) + struct.pack("<IIQ", 11, 0, 1_999)
    j = json_header(FORK, 2_000, 1_500, 10, 10, "sh", 3)
    j.update({"ppid": 1, "uid": 0, "cgroup_id": 7, "child_pid": 11, "child_start_ns": 1_999})
    v.append(("process_fork", b, j))

    b = header(EXIT, 3_000, 1_500, 10, 12, "sh", 0) + info(1, 0, 7) + struct.pack("<iHH", 7, 0, 0)
    j = json_header(EXIT, 3_000, 1_500, 10, 12, "sh", 0)
    j.update({"ppid": 1, "uid": 0, "cgroup_id": 7, "exit_code": 7, "signal": 0})
    v.append(("process_exit", b, j))

    b = header(EXIT, 3_001, 1_500, 10, 10, "sh", 0) + info(1, 0, 7) + struct.pack("<iHH", 0, 9, 1)
    j = json_header(EXIT, 3_001, 1_500, 10, 10, "sh", 0)
    j.update({"ppid": 1, "uid": 0, "cgroup_id": 7, "exit_code": 0, "signal": 9, "core_dumped": True})
    v.append(("process_exit_signal", b, j))

    # read(3, buf, 4096) = 12
    b = syscall_body(SYSCALL, 4_000, 1_500, 10, 10, "cat", 0, 0, 12, 850, [3, 0x7ffd0000, 4096, 0, 0, 0])
    j = json_header(SYSCALL, 4_000, 1_500, 10, 10, "cat", 0)
    j.update({"name": "read", "nr": 0, "ret": 12, "dur_ns": 850,
              "args": {"fd": 3, "count": 4096, "bytes": 12}})
    v.append(("syscall_read", b, j))

    # openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC) = 3
    path = b"/etc/hostname"
    b = syscall_body(SYSCALL_DATA, 5_000, 1_500, 10, 11, "cat", 257, 0, 3, 1_500,
                     [-100, 0x7ffd1000, 0x80000, 0, 0, 0])
    b += struct.pack("<HHI", len(path), 1, 0) + path.ljust(256, b"\0")
    j = json_header(SYSCALL_DATA, 5_000, 1_500, 10, 11, "cat", 0)
    j.update({"name": "openat", "nr": 257, "ret": 3, "dur_ns": 1_500,
              "args": {"dfd": -100, "path": "/etc/hostname", "flags": "0x80000", "mode": "0", "fd": 3}})
    v.append(("syscall_openat", b, j))

    # openat(AT_FDCWD, "/nope", O_RDONLY, 0644) = -ENOENT: no fd, an error name
    path = b"/nope"
    b = syscall_body(SYSCALL_DATA, 5_100, 1_500, 10, 11, "cat", 257, 0, -2, 900,
                     [-100, 0x7ffd1000, 0, 0o644, 0, 0])
    b += struct.pack("<HHI", len(path), 1, 0) + path.ljust(256, b"\0")
    j = json_header(SYSCALL_DATA, 5_100, 1_500, 10, 11, "cat", 0)
    j.update({"name": "openat", "nr": 257, "ret": -2, "error": "ENOENT", "dur_ns": 900,
              "args": {"dfd": -100, "path": "/nope", "flags": "0x0", "mode": "0644"}})
    v.append(("syscall_openat_enoent", b, j))

    # connect(5, {AF_INET, 127.0.0.1:8080}, 16) = 0
    sa = struct.pack("<H", 2) + struct.pack(">H", 8080) + bytes([127, 0, 0, 1]) + b"\0" * 8
    b = syscall_body(SYSCALL_DATA, 6_000, 1_500, 10, 10, "curl", 42, 0, 0, 20_000, [5, 0x7ffd2000, 16, 0, 0, 0])
    b += struct.pack("<HHI", len(sa), 2, 0) + sa.ljust(256, b"\0")
    j = json_header(SYSCALL_DATA, 6_000, 1_500, 10, 10, "curl", 0)
    j.update({"name": "connect", "nr": 42, "ret": 0, "dur_ns": 20_000,
              "args": {"fd": 5, "addr": {"family": "inet", "ip": "127.0.0.1", "port": 8080}}})
    v.append(("syscall_connect", b, j))

    # exit_group(3): recorded at entry, never returns (flag 2)
    b = syscall_body(SYSCALL, 7_000, 1_500, 10, 10, "sh", 231, 2, 0, 0, [3, 0, 0, 0, 0, 0])
    j = json_header(SYSCALL, 7_000, 1_500, 10, 10, "sh", 0)
    j.update({"name": "exit_group", "nr": 231, "ret": 0, "dur_ns": 0, "no_return": True,
              "args": {"code": 3}})
    v.append(("syscall_exit_group", b, j))

    # A number the table does not know: raw arguments
    b = syscall_body(SYSCALL, 8_000, 1_500, 10, 10, "x", 500, 0, -38, 100, [1, 2, 3, 4, 5, 6])
    j = json_header(SYSCALL, 8_000, 1_500, 10, 10, "x", 0)
    j.update({"name": "sys_500", "nr": 500, "ret": -38, "error": "ENOSYS", "dur_ns": 100,
              "args": {"arg0": 1, "arg1": 2, "arg2": 3, "arg3": 4, "arg4": 5, "arg5": 6}})
    v.append(("syscall_unknown", b, j))

    entries = [(0, 4, 0, 6_909), (1, 137, 2, 99_000), (257, 31, 13, 103_825)]
    b = header(COUNTS, 9_000, 1_500, 10, 10, "w137", 1) + struct.pack("<HHI", len(entries), 1, 0)
    for nr, count, errors, total in entries:
        b += struct.pack("<IIQQQ", nr, 0, count, errors, total)
    b += b"\0" * (32 * (32 - len(entries)))
    j = json_header(COUNTS, 9_000, 1_500, 10, 10, "w137", 1)
    j.update({"final": True, "enter_only": False, "counts": {
        "read": {"count": 4, "errors": 0, "total_ns": 6_909},
        "write": {"count": 137, "errors": 2, "total_ns": 99_000},
        "openat": {"count": 31, "errors": 13, "total_ns": 103_825}}})
    v.append(("syscall_counts", b, j))
    buckets = [0] * HIST_BUCKETS
    for ns, n in [(300, 133), (450, 3), (600, 1), (5_000_000_000, 1)]:
        buckets[hist_bucket(ns)] += n
    b = header(HIST, 9_001, 1_500, 10, 10, "w137", 1) + struct.pack("<IHH", 1, 1, 0)
    b += struct.pack("<96I", *buckets)
    j = json_header(HIST, 9_001, 1_500, 10, 10, "w137", 1)
    j.update({"name": "write", "nr": 1, "final": True, "count": sum(buckets),
              "p50_ns": hist_quantile(buckets, 0.5), "p99_ns": hist_quantile(buckets, 0.99),
              "buckets": [[hist_lower(i), n] for i, n in enumerate(buckets) if n]})
    v.append(("syscall_hist", b, j))

    def cuda(name, api, api_name, flags, ret, dur, ptr=0, src=0, nbytes=0, stream=0, func=0,
             grid=(0, 0, 0), block=(0, 0, 0), smem=0, kind=-1, device=-1, fields=None):
        # u16 api, u16 flags, s32 ret, u64 dur, ptr, src, bytes, stream, func, u32 grid[3], block[3],
        # u32 shared_mem, s32 kind, s32 device, u32 pad
        b = header(CUDA, 10_000, 1_500, 42, 43, "train", 1)
        b += struct.pack("<HHiQQQQQQ3I3IIiiI", api, flags, ret, dur, ptr, src, nbytes, stream, func,
                         *grid, *block, smem, kind, device, 0)
        j = json_header(CUDA, 10_000, 1_500, 42, 43, "train", 1)
        j.update({"api": api_name, "ret": ret, "dur_ns": dur})
        j.update(fields)
        v.append((name, b, j))

    # cudaMalloc(&p, 1 MiB) with no device: cudaErrorNoDevice (100), nothing allocated
    cuda("cuda_malloc", 1, "cudaMalloc", 0, 100, 14_453_311, ptr=0, nbytes=1 << 20,
         fields={"bytes": 1 << 20, "ptr": "0x0"})
    # the per-thread-stream variant of an async device-to-host copy
    cuda("cuda_memcpy_async_ptsz", 9, "cudaMemcpyAsync_ptsz", 1, 0, 2_000, ptr=0x7f0000100000,
         src=0x7f0000000000, nbytes=301, stream=0x8, kind=2,
         fields={"bytes": 301, "ptr": "0x7f0000100000", "src": "0x7f0000000000", "kind": 2,
                 "kind_name": "D2H", "stream": "0x8"})
    # a launch; its kernel name comes from the process's registrations, not from this record
    cuda("cuda_launch", 10, "cudaLaunchKernel", 0, 0, 1_217, func=0x561EAD5D5169, stream=0x9,
         grid=(64, 2, 1), block=(256, 1, 1), smem=1024, device=0,
         fields={"func": "0x561ead5d5169", "grid": [64, 2, 1], "block": [256, 1, 1], "shared_mem": 1024,
                 "stream": "0x9", "device": 0})
    # a thread choosing its device: the record names the device asked for, whether or not it worked
    cuda("cuda_set_device", 17, "cudaSetDevice", 0, 101, 850, device=3, fields={"device": 3})
    # The driver API. A host-to-device copy on the per-thread stream, failing with
    # CUDA_ERROR_NOT_INITIALIZED (3); the direction is in kind, as the runtime's.
    cuda("cu_memcpy_htod_async_ptsz", 24, "cuMemcpyHtoDAsync_v2_ptsz", 1, 3, 900, ptr=0x7F0000200000,
         src=0x5600000010A0, nbytes=4096, stream=0x10, kind=1,
         fields={"bytes": 4096, "ptr": "0x7f0000200000", "src": "0x5600000010a0", "kind": 1,
                 "kind_name": "H2D", "stream": "0x10"})
    # an allocation with its call stack in the cuda_stack record before it (flag 0x4)
    cuda("cu_mem_alloc_stack", 19, "cuMemAlloc_v2", 4, 0, 3_100, ptr=0x7F0000400000, nbytes=3 << 20,
         device=0, fields={"bytes": 3 << 20, "ptr": "0x7f0000400000", "device": 0, "has_stack": True})
    cuda("cu_launch_kernel_ex", 28, "cuLaunchKernelEx", 0, 0, 2_500, func=0x55D0C0FFEE00, stream=0x0,
         grid=(128, 1, 1), block=(32, 4, 1), smem=512, device=1,
         fields={"func": "0x55d0c0ffee00", "grid": [128, 1, 1], "block": [32, 4, 1], "shared_mem": 512,
                 "stream": "0x0", "device": 1})
    # VMM: a physical allocation on device 0, mapped at an address at offset 0, unmapped, released
    cuda("cu_mem_create", 32, "cuMemCreate", 0, 0, 40_000, ptr=0x11, nbytes=2 << 20, device=0,
         fields={"handle": "0x11", "bytes": 2 << 20, "device": 0})
    cuda("cu_mem_map", 33, "cuMemMap", 0, 0, 7_000, ptr=0x7F4000000000, src=0x11, nbytes=2 << 20,
         stream=0x0, fields={"ptr": "0x7f4000000000", "bytes": 2 << 20, "handle": "0x11", "offset": 0})
    cuda("cu_mem_unmap", 34, "cuMemUnmap", 0, 0, 6_000, ptr=0x7F4000000000, nbytes=2 << 20,
         fields={"ptr": "0x7f4000000000", "bytes": 2 << 20})
    cuda("cu_mem_release", 35, "cuMemRelease", 0, 1, 300, ptr=0x11, fields={"handle": "0x11"})

    def register(name, kind, kind_name, handle, host_fun, mangled, demangled, flags=0):
        b = header(CUDA_REG, 9_999, 1_500, 42, 42, "train", 0)
        name_addr = 0x7F3A12345000 if kind == 2 else 0
        b += struct.pack("<HHIQQQ", kind, len(mangled), flags, handle, host_fun, name_addr)
        b += mangled.encode().ljust(256, b"\0") + demangled.encode().ljust(256, b"\0")
        j = json_header(CUDA_REG, 9_999, 1_500, 42, 42, "train", 0)
        j.update({"kind": kind_name, "handle": hex(handle)})
        if kind != 1:
            j.update({"host_fun": hex(host_fun), "name": mangled})
            if demangled:
                j["kernel"] = demangled
            if flags & 2:
                j["not_demangled"] = True
        v.append((name, b, j))

    register("cuda_register_fat_binary", 1, "fat_binary", 0x561ECE1D86F0, 0, "", "")
    # the demangled name is the collector's work (the kernel side leaves it empty): a reader only reads it
    register("cuda_register_function", 2, "function", 0x561ECE1D86F0, 0x561EAD5D5169, "_Z6vecAddPfS_S_i",
             "vecAdd(float*, float*, float*, int)")
    # a mangled name the demangler cannot read (as some CUTLASS kernels in PyTorch): kernel is the name
    register("cuda_register_not_demangled", 2, "function", 0x561ECE1D86F0, 0x561EAD5D5200, "_ZN7cutlass3fooIXQ_Z3barEEvv",
             "_ZN7cutlass3fooIXQ_Z3barEEvv", flags=2)
    # __cudaGetKernel's handle for that stub (nvcc 12+ stubs launch with it); no mangled name: the
    # collector names it from the stub's registration
    register("cuda_register_kernel_handle", 4, "kernel_handle", 0x36C16440, 0x561EAD5D5169, "",
             "vecAdd(float*, float*, float*, int)")
    # the driver's: a CUfunction from a module, a CUkernel from a library, the CUfunction of that CUkernel
    register("cu_module_get_function", 5, "module_function", 0x55D0C0FFEE00, 0x55D0C0FF0000, "vec_add", "vec_add")
    register("cu_library_get_kernel", 6, "library_kernel", 0x55D0C0FFE000, 0x55D0C0FE0000, "_Z5scalePfi",
             "scale(float*, int)")
    register("cu_kernel_get_function", 7, "kernel_function", 0x55D0C0FFF000, 0x55D0C0FFE000, "",
             "scale(float*, int)")

    # The call stack of the allocation above: ips[0] is the return address into its caller.
    ips = [0x55555555A1C3, 0x55555555A2F0, 0x7F1234567D90]
    b = header(STACK, 10_000, 1_500, 42, 43, "train", 1) + struct.pack("<HHI", 19, len(ips), 0)
    b += struct.pack("<32Q", *(ips + [0] * (32 - len(ips))))
    j = json_header(STACK, 10_000, 1_500, 42, 43, "train", 1)
    j.update({"api": "cuMemAlloc_v2", "frames": [hex(x) for x in ips]})
    v.append(("cuda_stack", b, j))

    def symbol(name, addr, offset, module, sym, flags=0):
        b = header(SYMBOL, 10_000, 1_500, 42, 43, "train", 1)
        b += struct.pack("<QQHHI", addr, offset, len(sym.encode()), flags, 0)
        b += module.encode().ljust(64, b"\0") + sym.encode().ljust(256, b"\0")
        j = json_header(SYMBOL, 10_000, 1_500, 42, 43, "train", 1)
        j.update({"addr": hex(addr), "offset": offset, "module": module, "name": sym})
        if flags & 1:
            j["unknown"] = True
        v.append((name, b, j))

    # the collector's names for two of those frames: one in a function, one in no symbol it found
    symbol("symbol", 0x55555555A1C3, 0x33, "train", "leak_three(Pool&, unsigned long)")
    symbol("symbol_unknown", 0x7F1234567D90, 0x29D90, "libc.so.6", "", flags=1)

    # A Python sample: three frames (code object, executing instruction, the line the collector
    # filled in), innermost first, and two native frames. version 3.12.
    frames = [(0x7F00AA001000, 23, 6), (0x7F00AA002000, 59, 18), (0x7F00AA003000, -1, 0)]
    native = [0x5E9B4C, 0x4FB383]
    b = header(PY_SAMPLE, 20_000, 1_500, 77, 78, "python3.12", 0) + struct.pack("<HHHH", 3, 0, 0x030C, 2)
    for code, instr, line in frames + [(0, 0, 0)] * (64 - len(frames)):
        b += struct.pack("<QiI", code, instr, line)
    b += struct.pack("<32Q", *(native + [0] * 30))
    j = json_header(PY_SAMPLE, 20_000, 1_500, 77, 78, "python3.12", 0)
    j.update({"version": "3.12", "stack": [{"code": hex(c), "instr": i, "line": l} for c, i, l in frames],
              "native": [hex(x) for x in native]})
    v.append(("python_sample", b, j))
    # a thread with no Python thread state (a C thread of the process)
    b = header(PY_SAMPLE, 20_001, 1_500, 77, 79, "worker", 1) + struct.pack("<HHHH", 0, 2, 0x030B, 0)
    b += b"\0" * (16 * 64 + 8 * 32)
    j = json_header(PY_SAMPLE, 20_001, 1_500, 77, 79, "worker", 1)
    j.update({"version": "3.11", "stack": [], "native": [], "no_thread_state": True})
    v.append(("python_sample_no_thread", b, j))
    # the Python stack the CUDA probes took at an allocation (flag 4): same tid and ts as that call
    b = header(PY_SAMPLE, 10_000, 1_500, 42, 43, "train", 1) + struct.pack("<HHHH", 1, 4, 0x030B, 0)
    b += struct.pack("<QiI", 0x7F00AA004000, 83, 14) + b"\0" * (16 * 63 + 8 * 32)
    j = json_header(PY_SAMPLE, 10_000, 1_500, 42, 43, "train", 1)
    j.update({"version": "3.11", "stack": [{"code": "0x7f00aa004000", "instr": 83, "line": 14}], "native": [],
              "at_cuda_call": True})
    v.append(("python_sample_at_cuda", b, j))
    # the collector's name for the first code object
    b = header(PY_CODE, 20_000, 1_500, 77, 78, "python3.12", 0) + struct.pack("<QIHH", 0x7F00AA001000, 3, 0, 0)
    b += "Worker.hot".encode().ljust(128, b"\0") + "/srv/app/hotwarm.py".encode().ljust(256, b"\0")
    j = json_header(PY_CODE, 20_000, 1_500, 77, 78, "python3.12", 0)
    j.update({"code": "0x7f00aa001000", "first_line": 3, "function": "Worker.hot", "file": "/srv/app/hotwarm.py"})
    v.append(("python_code", b, j))
    # a call the interpreter's USDT probes saw: a generator closed before it ran, entered at its def line
    b = header(PY_CALL, 20_100, 1_500, 77, 78, "python3.11", 0) + struct.pack("<QIHH", 3_718, 7, 2, 0)
    b += "gen".encode().ljust(64, b"\0") + "/srv/app/usdt_frames.py".encode().ljust(192, b"\0")
    j = json_header(PY_CALL, 20_100, 1_500, 77, 78, "python3.11", 0)
    j.update({"function": "gen", "file": "/srv/app/usdt_frames.py", "line": 7, "dur_ns": 3_718, "depth": 2})
    v.append(("python_call", b, j))
    return v


BATCH_SECRET = b"scope-golden-secret"


def batch(records):
    """A batch as the collector sends it: 256-byte header, then the records; HMAC-SHA256 over the
    header with a zero MAC field, then the payload."""
    payload = b"".join(records)
    fields = dict(magic=0x31424353, version=1, header_size=256, flags=0, record_count=len(records),
                  payload_size=len(payload), sequence=7, instance=0x1122334455667788, first_event=1000,
                  realtime_ns=1_700_000_000_123_456_789, boottime_ns=5_000_000_000,
                  kernel_drops=[1, 2, 3], send_drops=4, machine_id="m-golden", collector_id="local",
                  task_id="task-1", collector_version="0.1.0")
    head = struct.pack("<IHHIIII", fields["magic"], fields["version"], fields["header_size"],
                       fields["flags"], fields["record_count"], fields["payload_size"], 0)
    head += struct.pack("<QQQQQ", fields["sequence"], fields["instance"], fields["first_event"],
                        fields["realtime_ns"], fields["boottime_ns"])
    head += struct.pack("<3QQ", *fields["kernel_drops"], fields["send_drops"])
    head += fields["machine_id"].encode().ljust(32, b"\0") + fields["collector_id"].encode().ljust(32, b"\0")
    head += fields["task_id"].encode().ljust(32, b"\0") + fields["collector_version"].encode().ljust(16, b"\0")
    head += b"\0" * 16
    assert len(head) == 224
    mac = hmac.new(BATCH_SECRET, head + b"\0" * 32 + payload, hashlib.sha256).digest()
    fields["secret"] = BATCH_SECRET.decode()
    fields["mac"] = mac.hex()
    return head + mac + payload, fields


def write_hex(path, body):
    with open(path, "w") as f:
        for i in range(0, len(body), 16):
            f.write(body[i:i + 16].hex(" ") + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    vs = vectors()
    for name, body, expect in vs:
        t = struct.unpack_from("<H", body)[0]
        assert len(body) == SIZES[t], (name, len(body))
        write_hex(os.path.join(OUT, name + ".hex"), body)
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            f.write(json.dumps(expect, separators=(",", ":"), ensure_ascii=False) + "\n")
    # One batch frame carrying two of the records above, in this order.
    names = ["syscall_read", "process_exit"]
    frame, fields = batch([next(b for n, b, _ in vs if n == name) for name in names])
    fields["records"] = names
    write_hex(os.path.join(OUT, "batch.frame"), frame)
    with open(os.path.join(OUT, "batch.frame.json"), "w") as f:
        f.write(json.dumps(fields, indent=1) + "\n")
    print(f"wrote {len(vs)} record vectors and one batch frame to {OUT}")


if __name__ == "__main__":
    main()
