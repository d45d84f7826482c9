/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SCOPE wire contract: the event records that leave the kernel through the ring buffer and travel,
 * unchanged, to the silo. This header is the only definition of their layout; docs/wire-format.md
 * describes it and tests/golden/ holds byte vectors that the C and C# decoders both check.
 *
 * Rules that keep the format stable:
 *  - every record starts with struct scope_event_header; `size` is the record's full size, so a
 *    reader skips types it does not know;
 *  - all fields are little-endian, naturally aligned, with padding spelled out as _pad fields;
 *  - each record type has one fixed size (asserted below); strings are NUL-padded byte arrays with
 *    an explicit length where the length matters;
 *  - times are CLOCK_BOOTTIME nanoseconds (bpf_ktime_get_boot_ns); wall clock is added at the edges.
 * A change to any layout bumps SCOPE_WIRE_VERSION.
 */
#ifndef SCOPE_EVENTS_H
#define SCOPE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SCOPE_WIRE_VERSION 1

#define SCOPE_COMM_LEN 16
#define SCOPE_FILENAME_LEN 256
#define SCOPE_ARGV_LEN 1024
#define SCOPE_DATA_LEN 256
#define SCOPE_COUNTS_PER_RECORD 32
/* Syscall numbers at or above this are not counted (x86_64 uses 0..469 today; x32 starts at 512). */
#define SCOPE_SYSCALL_MAX 512

enum scope_event_type {
	SCOPE_EV_PROCESS_EXEC = 1,
	SCOPE_EV_PROCESS_FORK = 2,
	SCOPE_EV_PROCESS_EXIT = 3,
	SCOPE_EV_SYSCALL = 4,
	SCOPE_EV_SYSCALL_DATA = 5,
	SCOPE_EV_SYSCALL_COUNTS = 6,
	SCOPE_EV_SYSCALL_HIST = 7,
	SCOPE_EV_CUDA_CALL = 8,
	SCOPE_EV_CUDA_REGISTER = 9,
	SCOPE_EV_CUDA_STACK = 10,
	SCOPE_EV_SYMBOL = 11,
	SCOPE_EV_PYTHON_SAMPLE = 12,
	SCOPE_EV_PYTHON_CODE = 13,
	SCOPE_EV_PYTHON_CALL = 14,
};

/* 48 bytes, at the start of every record. */
struct scope_event_header {
	__u16 type;      /* enum scope_event_type */
	__u16 size;      /* whole record, header included */
	__u32 cpu;
	__u64 ts_ns;     /* when it happened (for a syscall: its entry) */
	__u64 start_ns;  /* start of the process (thread-group leader): with pid, a unique key */
	__u32 pid;       /* thread-group id */
	__u32 tid;
	char comm[SCOPE_COMM_LEN];
};

/* 16 bytes: who the process is, carried by every lifecycle record. */
struct scope_process_info {
	__u32 ppid;
	__u32 uid;
	__u64 cgroup_id;
};

#define SCOPE_EXEC_FILENAME_TRUNCATED 0x1
#define SCOPE_EXEC_ARGV_TRUNCATED 0x2

/* 1360 bytes. argv holds argv_len bytes of NUL-separated arguments, as the process sees them. */
struct scope_process_exec {
	struct scope_event_header hdr;
	struct scope_process_info info;
	__u32 argc;
	__u16 filename_len;
	__u16 argv_len;
	__u16 flags;      /* SCOPE_EXEC_* */
	__u16 _pad0;
	__u32 old_pid;    /* the thread that called execve, when it was not the leader */
	char filename[SCOPE_FILENAME_LEN];
	char argv[SCOPE_ARGV_LEN];
};

/* 80 bytes. The header describes the parent. Thread creation is not a fork and is not reported. */
struct scope_process_fork {
	struct scope_event_header hdr;
	struct scope_process_info info;
	__u32 child_pid;
	__u32 _pad0;
	__u64 child_start_ns;
};

#define SCOPE_EXIT_CORE_DUMPED 0x1

/* 72 bytes, once per process, when its last thread exits. */
struct scope_process_exit {
	struct scope_event_header hdr;
	struct scope_process_info info;
	__s32 exit_code;  /* the status passed to exit(); 0 when killed by a signal */
	__u16 signal;     /* the terminating signal, or 0 */
	__u16 flags;      /* SCOPE_EXIT_* */
};

#define SCOPE_SC_DATA_TRUNCATED 0x1
#define SCOPE_SC_NO_RETURN 0x2 /* exit/exit_group: recorded at entry, ret and dur_ns are 0 */

/* 120 bytes: one syscall with its raw arguments, return value and latency. */
struct scope_syscall {
	struct scope_event_header hdr;
	__u32 nr;
	__u16 flags;      /* SCOPE_SC_* */
	__u16 _pad0;
	__s64 ret;
	__u64 dur_ns;
	__u64 args[6];
};

enum scope_data_kind {
	SCOPE_DATA_NONE = 0,
	SCOPE_DATA_PATH = 1,      /* NUL-terminated path */
	SCOPE_DATA_SOCKADDR = 2,  /* struct sockaddr_* as the process passed or received it */
};

/* 384 bytes: a syscall with one captured argument (a path or an address). */
struct scope_syscall_data {
	struct scope_syscall sc;
	__u16 data_len;
	__u16 data_kind;  /* enum scope_data_kind */
	__u32 _pad0;
	char data[SCOPE_DATA_LEN];
};

/* 32 bytes. */
struct scope_syscall_count {
	__u32 nr;
	__u32 _pad0;
	__u64 count;
	__u64 errors;     /* returns in -4095..-1; 0 in enter-only mode */
	__u64 total_ns;   /* summed latency; 0 in enter-only mode */
};

#define SCOPE_COUNTS_FINAL 0x1      /* the process has exited: these totals will not grow */
#define SCOPE_COUNTS_ENTER_ONLY 0x2 /* counted at entry: no errors, no latency */

/*
 * 1080 bytes: cumulative per-process syscall totals since the collector started watching it. A
 * process with more than SCOPE_COUNTS_PER_RECORD distinct syscalls yields several records with the
 * same ts_ns; a reader sums them by (pid, start_ns) and keeps the newest ts_ns.
 */
struct scope_syscall_counts {
	struct scope_event_header hdr;
	__u16 n;          /* valid entries */
	__u16 flags;      /* SCOPE_COUNTS_* */
	__u32 _pad0;
	struct scope_syscall_count e[SCOPE_COUNTS_PER_RECORD];
};

/*
 * Syscall latency histograms: log-linear buckets, two per power of two. Bucket 0 holds 0 and 1 ns;
 * for v >= 2 with m = floor(log2 v), the bucket is 2m + (the bit below the top one), so bucket
 * b >= 2 starts at (2 + (b & 1)) << (b / 2 - 1) ns; bucket 1 stays empty. The last bucket, 95,
 * starts at 3 * 2^46 ns (about 58.6 hours) and holds everything above. Each bucket spans less than
 * half its lower bound, enough for p50 and p99.
 */
#define SCOPE_HIST_BUCKETS 96

static inline __u32 scope_log2_u64(__u64 v)
{
	__u32 r = 0, shift;
	shift = (v > 0xFFFFFFFFull) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	return r | (__u32)(v >> 1);
}

static inline __u32 scope_hist_bucket(__u64 v)
{
	if (v < 2)
		return 0;
	__u32 m = scope_log2_u64(v);
	__u32 b = 2 * m + (__u32)((v >> (m - 1)) & 1);
	return b < SCOPE_HIST_BUCKETS ? b : SCOPE_HIST_BUCKETS - 1;
}

/* 440 bytes: one syscall's cumulative latency histogram for one process (flags as for counts). */
struct scope_syscall_hist {
	struct scope_event_header hdr;
	__u32 nr;
	__u16 flags;      /* SCOPE_COUNTS_FINAL */
	__u16 _pad0;
	__u32 buckets[SCOPE_HIST_BUCKETS];
};

/*
 * CUDA runtime (libcudart) and driver (libcuda) calls, from uprobes on the libraries a process maps.
 * The API numbers are the wire's: append, never renumber. collector-native/src/cuda_apis.c names
 * them and says how each is probed. A driver call made while another probed call is in flight on
 * the same thread is part of that call: it is not reported (one operation, counted once).
 */
enum scope_cuda_api {
	SCOPE_CUDA_MALLOC = 1,
	SCOPE_CUDA_FREE = 2,
	SCOPE_CUDA_MALLOC_ASYNC = 3,
	SCOPE_CUDA_FREE_ASYNC = 4,
	SCOPE_CUDA_MALLOC_MANAGED = 5,
	SCOPE_CUDA_MALLOC_HOST = 6,
	SCOPE_CUDA_FREE_HOST = 7,
	SCOPE_CUDA_MEMCPY = 8,
	SCOPE_CUDA_MEMCPY_ASYNC = 9,
	SCOPE_CUDA_LAUNCH_KERNEL = 10,
	SCOPE_CUDA_LAUNCH_KERNEL_EXC = 11,
	SCOPE_CUDA_GRAPH_LAUNCH = 12,
	SCOPE_CUDA_DEVICE_SYNCHRONIZE = 13,
	SCOPE_CUDA_STREAM_SYNCHRONIZE = 14,
	SCOPE_CUDA_REGISTER_FAT_BINARY = 15,
	SCOPE_CUDA_REGISTER_FUNCTION = 16,
	SCOPE_CUDA_SET_DEVICE = 17,
	SCOPE_CUDA_GET_KERNEL = 18, /* cudaGetKernel and __cudaGetKernel: reported as registrations */
	/* The driver API. Copies carry their direction in `kind` as the runtime's cudaMemcpyKind. */
	SCOPE_CU_MEM_ALLOC = 19,          /* cuMemAlloc_v2: ptr, bytes */
	SCOPE_CU_MEM_FREE = 20,           /* cuMemFree_v2: ptr */
	SCOPE_CU_MEMCPY_HTOD = 21,        /* cuMemcpyHtoD_v2: ptr (dst), src, bytes, kind 1 */
	SCOPE_CU_MEMCPY_DTOH = 22,        /* kind 2 */
	SCOPE_CU_MEMCPY_DTOD = 23,        /* kind 3 */
	SCOPE_CU_MEMCPY_HTOD_ASYNC = 24,  /* the same, and stream */
	SCOPE_CU_MEMCPY_DTOH_ASYNC = 25,
	SCOPE_CU_MEMCPY_DTOD_ASYNC = 26,
	SCOPE_CU_LAUNCH_KERNEL = 27,      /* func (the CUfunction or CUkernel), grid, block, shared_mem, stream */
	SCOPE_CU_LAUNCH_KERNEL_EX = 28,
	SCOPE_CU_MODULE_GET_FUNCTION = 29, /* these three are reported as registrations */
	SCOPE_CU_LIBRARY_GET_KERNEL = 30,
	SCOPE_CU_KERNEL_GET_FUNCTION = 31,
	SCOPE_CU_MEM_CREATE = 32,         /* ptr: the allocation handle; bytes; device: the location asked for */
	SCOPE_CU_MEM_MAP = 33,            /* ptr: the address; bytes; src: the allocation handle; stream: its offset */
	SCOPE_CU_MEM_UNMAP = 34,          /* ptr, bytes */
	SCOPE_CU_MEM_RELEASE = 35,        /* ptr: the allocation handle */
	SCOPE_CUDA_API_MAX = 36,
};
#define SCOPE_CUDA_FIRST_DRIVER_API SCOPE_CU_MEM_ALLOC

#define SCOPE_CUDA_PTSZ 0x1  /* the per-thread-default-stream variant (_ptsz) was called */
#define SCOPE_CUDA_PTDS 0x2  /* the _ptds variant */
#define SCOPE_CUDA_HAS_STACK 0x4 /* a cuda_stack record with this call's tid and ts_ns came before it */

/* 144 bytes: one runtime or driver call, with its return code (cudaError_t or CUresult) and
 * duration. Fields an API does not have are 0. */
struct scope_cuda_call {
	struct scope_event_header hdr;
	__u16 api;        /* enum scope_cuda_api */
	__u16 flags;      /* SCOPE_CUDA_PTSZ, SCOPE_CUDA_PTDS */
	__s32 ret;        /* cudaError_t */
	__u64 dur_ns;
	__u64 ptr;        /* allocated or freed pointer; memcpy destination */
	__u64 src;        /* memcpy source */
	__u64 bytes;      /* allocation or copy size */
	__u64 stream;
	__u64 func;       /* launch: the kernel's host stub; graph launch: the executable graph */
	__u32 grid[3];
	__u32 block[3];
	__u32 shared_mem;
	__s32 kind;       /* cudaMemcpyKind; -1 when the call has none */
	__s32 device;     /* -1: not known */
	__u32 _pad0;
};

#define SCOPE_CUDA_REG_FAT_BINARY 1
#define SCOPE_CUDA_REG_FUNCTION 2
#define SCOPE_CUDA_REG_SYMBOL 3 /* not a registration: the collector named a stub from ELF symbols */
/* (__)cudaGetKernel: handle is the cudaKernel_t that launches pass as `func` instead of the stub
 * (nvcc 12.x+ stubs launch that way), host_fun the stub it stands for; kernel the stub's name,
 * filled by the collector when it knows it. */
#define SCOPE_CUDA_REG_KERNEL_HANDLE 4
/* The driver's: handle is what cuLaunchKernel passes as `func`, name the name looked up. */
#define SCOPE_CUDA_REG_MODULE_FUNCTION 5 /* cuModuleGetFunction: handle the CUfunction, host_fun the CUmodule */
#define SCOPE_CUDA_REG_LIBRARY_KERNEL 6  /* cuLibraryGetKernel: handle the CUkernel, host_fun the CUlibrary */
/* cuKernelGetFunction: handle the CUfunction, host_fun the CUkernel; name empty, kernel filled by
 * the collector from that CUkernel's name when it knows it. */
#define SCOPE_CUDA_REG_KERNEL_FUNCTION 7
/* scope_cuda_register.flags, besides SCOPE_EXEC_FILENAME_TRUNCATED (the name was cut): */
#define SCOPE_CUDA_REG_NOT_DEMANGLED 0x2 /* a mangled name the demangler cannot read: kernel = name */
#define SCOPE_CUDA_NAME_LEN 256

/*
 * 592 bytes: a module or kernel registration. For a function, host_fun is the stub a launch passes
 * as `func`, name the device function's name as registered (mangled), and kernel the same name
 * demangled: the kernel side leaves it empty and the collector, which has a demangler, fills it in
 * before the record leaves, so no reader needs one.
 */
struct scope_cuda_register {
	struct scope_event_header hdr;
	__u16 kind;       /* SCOPE_CUDA_REG_* */
	__u16 name_len;
	__u32 flags;      /* SCOPE_EXEC_FILENAME_TRUNCATED when the name was cut */
	__u64 handle;     /* the fat binary handle */
	__u64 host_fun;
	__u64 name_addr;  /* where the name is in the process: the collector reads it from there when
			   * the kernel side could not (a page not yet faulted in) or had to cut it */
	char name[SCOPE_CUDA_NAME_LEN];
	char kernel[SCOPE_CUDA_NAME_LEN]; /* NUL-terminated */
};

/*
 * 312 bytes: the user call stack of the CUDA call with the same tid and ts_ns (which follows it
 * and has SCOPE_CUDA_HAS_STACK). Taken at the call's return for allocations and launches. ips[0] is
 * the return address into the function that made the call; the rest come from its frame-pointer
 * chain. All are return addresses: the call site is the byte before each.
 */
#define SCOPE_STACK_MAX 32
#define SCOPE_STACK_TRUNCATED 0x1 /* the stack was deeper than SCOPE_STACK_MAX */
struct scope_cuda_stack {
	struct scope_event_header hdr;
	__u16 api;        /* enum scope_cuda_api of the call */
	__u16 n;          /* valid entries in ips */
	__u32 flags;      /* SCOPE_STACK_* */
	__u64 ips[SCOPE_STACK_MAX];
};

/*
 * 392 bytes: the collector's name for one user-space address of one process, sent once per process
 * and address before the first stack that holds it (the kernel never writes this record). Readers
 * name stack frames with it, because the process's memory map may be gone by the time they look.
 */
#define SCOPE_SYMBOL_NAME_LEN 256
#define SCOPE_MODULE_LEN 64
#define SCOPE_SYMBOL_UNKNOWN 0x1   /* no symbol covers it: name is empty, offset is into module's file */
#define SCOPE_SYMBOL_TRUNCATED 0x2 /* name was cut */
struct scope_symbol {
	struct scope_event_header hdr;
	__u64 addr;
	__u64 offset;     /* addr - the symbol's start (or the file offset, with SCOPE_SYMBOL_UNKNOWN) */
	__u16 name_len;
	__u16 flags;      /* SCOPE_SYMBOL_* */
	__u32 _pad0;
	char module[SCOPE_MODULE_LEN];    /* the mapped file's base name, NUL-terminated; "" if none */
	char name[SCOPE_SYMBOL_NAME_LEN]; /* demangled, NUL-terminated */
};

/*
 * 1336 bytes: one sample of a thread running Python, taken by a perf event (CPU time): its Python
 * frames, innermost first, and its native user stack. A frame names its code object (an address
 * in the process; the python_code record with the same pid and code names it) and the instruction
 * executing in it; the kernel side leaves `line` 0 and the collector, which decodes the code
 * object's line table, fills it in before the record leaves.
 */
#define SCOPE_PY_MAX_FRAMES 64
#define SCOPE_PY_TRUNCATED 0x1    /* deeper than SCOPE_PY_MAX_FRAMES */
#define SCOPE_PY_NO_THREAD 0x2    /* the thread has no Python thread state: n is 0 */
/* Not a sample: the Python stack of the CUDA call with the same tid and ts_ns, which follows it
 * (taken by the CUDA probes at allocations and launches; native is empty: see cuda_stack). */
#define SCOPE_PY_AT_CUDA 0x4
struct scope_py_frame {
	__u64 code;       /* the PyCodeObject */
	__s32 instr;      /* index of the executing instruction (code units); -1 unknown */
	__u32 line;       /* its line; 0 unknown */
};

struct scope_python_sample {
	struct scope_event_header hdr;
	__u16 n;          /* valid frames */
	__u16 flags;      /* SCOPE_PY_* */
	__u16 version;    /* the interpreter's major << 8 | minor: 0x030b for 3.11 */
	__u16 n_native;   /* valid entries in native */
	struct scope_py_frame frames[SCOPE_PY_MAX_FRAMES];
	__u64 native[SCOPE_STACK_MAX]; /* user stack, innermost first: ips, not return addresses */
};

/*
 * 448 bytes: what a code object of a process is, sent by the collector (never the kernel) once per
 * process and code object, before the first sample that holds it.
 */
#define SCOPE_PY_NAME_LEN 128
#define SCOPE_PY_FILE_LEN 256
#define SCOPE_PY_CODE_UNREADABLE 0x1 /* the process was gone or the object unreadable: names empty */
struct scope_python_code {
	struct scope_event_header hdr;
	__u64 code;
	__u32 first_line; /* co_firstlineno: the def line */
	__u16 flags;      /* SCOPE_PY_CODE_*, SCOPE_SYMBOL_TRUNCATED when a name was cut */
	__u16 _pad0;
	char qualname[SCOPE_PY_NAME_LEN]; /* co_qualname, NUL-terminated */
	char filename[SCOPE_PY_FILE_LEN]; /* co_filename, NUL-terminated */
};

/*
 * 320 bytes: one Python call seen by the interpreter's USDT probes (python:function__entry and
 * function__return), written at its return; ts_ns is its entry. CPython 3.11 to 3.14 fire these only
 * for frames entered from C (generators resumed, callbacks from C code, the first frame of a
 * thread): a Python-to-Python call runs inside its caller's evaluation loop and fires nothing.
 */
#define SCOPE_PY_CALL_FUNC_LEN 64
#define SCOPE_PY_CALL_FILE_LEN 192
struct scope_python_call {
	struct scope_event_header hdr;
	__u64 dur_ns;
	__u32 line;       /* the line the entry probe gave */
	__u16 depth;      /* calls of this thread seen by the probes and still open around this one */
	__u16 flags;      /* SCOPE_EXEC_FILENAME_TRUNCATED when the file name was cut */
	char function[SCOPE_PY_CALL_FUNC_LEN]; /* NUL-terminated */
	char file[SCOPE_PY_CALL_FILE_LEN];     /* NUL-terminated */
};

/*
 * Batches: what the collector sends over ZeroMQ. One message = this header, then payload_size
 * bytes of records, each a record above, back to back; record_count counts them all, including
 * types a reader may not know. The MAC is HMAC-SHA256 with the secret the
 * collector was given when started, over the header with the mac field zeroed, then the payload.
 */
#define SCOPE_BATCH_MAGIC 0x31424353u /* "SCB1" */
#define SCOPE_BATCH_FINAL 0x1         /* the collector is stopping: no batch follows */
#define SCOPE_ID_LEN 32
#define SCOPE_VERSION_LEN 16
#define SCOPE_MAC_LEN 32

/* 256 bytes. */
struct scope_batch_header {
	__u32 magic;
	__u16 version;          /* SCOPE_WIRE_VERSION */
	__u16 header_size;      /* sizeof(struct scope_batch_header) */
	__u32 flags;            /* SCOPE_BATCH_* */
	__u32 record_count;
	__u32 payload_size;
	__u32 _pad0;
	__u64 sequence;         /* 1, 2, 3 ... per collector instance */
	__u64 instance;         /* random per collector start: tells restarts apart */
	__u64 first_event;      /* records sent by this instance before this batch */
	__u64 realtime_ns;      /* CLOCK_REALTIME and CLOCK_BOOTTIME read together: wall = ts - */
	__u64 boottime_ns;      /* boottime_ns + realtime_ns */
	__u64 kernel_drops[3];  /* cumulative, by enum scope_drop_reason (scope_maps.h) */
	__u64 send_drops;       /* cumulative records dropped because the socket and queue were full */
	char machine_id[SCOPE_ID_LEN];   /* ASCII, NUL-padded (a 32-character id has no NUL) */
	char collector_id[SCOPE_ID_LEN];
	char task_id[SCOPE_ID_LEN];
	char collector_version[SCOPE_VERSION_LEN];
	__u64 _reserved[2];
	__u8 mac[SCOPE_MAC_LEN];
};

#define SCOPE_ASSERT_SIZE(t, n) _Static_assert(sizeof(struct t) == (n), #t " must be " #n " bytes")
SCOPE_ASSERT_SIZE(scope_event_header, 48);
SCOPE_ASSERT_SIZE(scope_process_info, 16);
SCOPE_ASSERT_SIZE(scope_process_exec, 1360);
SCOPE_ASSERT_SIZE(scope_process_fork, 80);
SCOPE_ASSERT_SIZE(scope_process_exit, 72);
SCOPE_ASSERT_SIZE(scope_syscall, 120);
SCOPE_ASSERT_SIZE(scope_syscall_data, 384);
SCOPE_ASSERT_SIZE(scope_syscall_count, 32);
SCOPE_ASSERT_SIZE(scope_syscall_counts, 1080);
SCOPE_ASSERT_SIZE(scope_syscall_hist, 440);
SCOPE_ASSERT_SIZE(scope_cuda_call, 144);
SCOPE_ASSERT_SIZE(scope_cuda_register, 592);
SCOPE_ASSERT_SIZE(scope_cuda_stack, 312);
SCOPE_ASSERT_SIZE(scope_symbol, 392);
SCOPE_ASSERT_SIZE(scope_py_frame, 16);
SCOPE_ASSERT_SIZE(scope_python_sample, 1336);
SCOPE_ASSERT_SIZE(scope_python_code, 448);
SCOPE_ASSERT_SIZE(scope_python_call, 320);
SCOPE_ASSERT_SIZE(scope_batch_header, 256);

#endif /* SCOPE_EVENTS_H */
