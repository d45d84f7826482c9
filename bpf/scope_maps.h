/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layouts shared by the BPF programs and their loaders, but not part of the wire: the target
 * bitmap, drop reasons and the per-process syscall totals. Events on the wire are in scope_events.h.
 */
#ifndef SCOPE_MAPS_H
#define SCOPE_MAPS_H

#include "scope_events.h"

/*
 * Targets are a bitmap indexed by thread-group id, held in an mmapable array so that user space
 * adds and removes pids at run time without a syscall. Testing a bit is an inlined array access:
 * far cheaper than a hash lookup on the path every non-target syscall takes.
 */
#define SCOPE_PID_MAX (1u << 22) /* the kernel's PID_MAX_LIMIT on 64-bit */
#define SCOPE_TARGET_WORDS (SCOPE_PID_MAX / 64)

enum scope_drop_reason {
	SCOPE_DROP_RINGBUF = 0,       /* ring buffer full: an event was lost */
	SCOPE_DROP_INFLIGHT_FULL = 1, /* syscall entry not remembered: its exit is not reported */
	SCOPE_DROP_COUNTS_FULL = 2,   /* a process got no counters (or histogram): not counted */
	SCOPE_DROP_REASONS = 3,
};

/* In-kernel totals of one process; the map key is the thread-group id. 12 KiB + 24 bytes. */
struct scope_proc_counts {
	__u64 start_ns;
	char comm[SCOPE_COMM_LEN];
	__u64 count[SCOPE_SYSCALL_MAX];
	__u64 errors[SCOPE_SYSCALL_MAX];
	__u64 total_ns[SCOPE_SYSCALL_MAX];
};

/* In-kernel latency histogram of one syscall of one process; key: tgid << 32 | nr. */
struct scope_proc_hist {
	__u32 buckets[SCOPE_HIST_BUCKETS];
};

static inline __u64 scope_hist_key(__u32 tgid, __u32 nr)
{
	return ((__u64)tgid << 32) | nr;
}

/*
 * Control requests from the kernel side to the collector, on their own small ring buffer so that a
 * busy event ring never delays them: the process has been stopped (SIGSTOP) and waits for the
 * collector to attach its uprobes and continue it.
 */
enum scope_control_reason {
	SCOPE_CONTROL_EXEC = 1,   /* a target exec'd a new image */
	SCOPE_CONTROL_DLOPEN = 2, /* a target's dynamic loader changed its list of objects */
	SCOPE_CONTROL_FORK = 3,   /* a target forked: pid is the child's, stopped before it runs */
	SCOPE_CONTROL_NAME = 4,   /* a kernel name longer than its record: read the rest while it waits */
	SCOPE_CONTROL_PY_CHECK = 5, /* a target was sampled that the collector has not looked at for Python (not stopped) */
};

struct scope_control {
	__u32 pid;
	__u32 reason; /* enum scope_control_reason */
	__u64 ts_ns;
};

/* A CUDA uprobe's attach cookie: the API, and which variant of its symbol it is attached to. */
#define SCOPE_CUDA_COOKIE(api, flags) ((__u64)(api) | ((__u64)(flags) << 16))
#define SCOPE_CUDA_COOKIE_API(c) ((__u32)((c) & 0xffff))
#define SCOPE_CUDA_COOKIE_FLAGS(c) ((__u16)(((c) >> 16) & 0xffff))

/*
 * Where the frames are in one CPython build: offsets into its structures, taken from that version's
 * own headers at build time (collector-native/pyoffsets/). 0xffff: the field does not exist there.
 */
#define SCOPE_PY_NONE 0xffff
struct scope_py_offsets {
	__u32 version_hex;      /* PY_VERSION_HEX of the headers */
	__u16 interp_head;      /* _PyRuntimeState.interpreters.head */
	__u16 threads_head;     /* PyInterpreterState.threads.head */
	__u16 ts_next;          /* PyThreadState.next */
	__u16 ts_native_tid;    /* PyThreadState.native_thread_id */
	__u16 ts_cframe;        /* PyThreadState.cframe (3.11, 3.12), else SCOPE_PY_NONE */
	__u16 current_frame;    /* _PyCFrame.current_frame, or PyThreadState.current_frame (3.13) */
	__u16 fr_code;          /* _PyInterpreterFrame.f_code (f_executable in 3.13) */
	__u16 fr_previous;
	__u16 fr_instr;         /* prev_instr (3.11, 3.12) or instr_ptr (3.13): the executing instruction */
	__u16 fr_owner;
	__u16 co_code_adaptive; /* PyCodeObject.co_code_adaptive: the first instruction */
	__u8 owner_cstack;      /* FRAME_OWNED_BY_CSTACK (3.12+: a C entry's shim frame), else 0xff */
	__u8 _pad0;
};

enum scope_py_state {
	SCOPE_PY_ASKED = 1,     /* the collector was asked to look at the process */
	SCOPE_PY_READY = 2,     /* runtime and off are set */
	SCOPE_PY_NOT_PYTHON = 3, /* no Python, or a version SCOPE cannot sample */
};

/* The python family's per-process map value; key: thread-group id. */
struct scope_py_proc {
	__u64 runtime;          /* the address of _PyRuntime in the process */
	__u32 state;            /* enum scope_py_state */
	__u32 _pad0;
	struct scope_py_offsets off;
};

/* How a syscall's data argument is captured; generated from bpf/syscalls_x86_64.tsv. */
enum scope_capture {
	SCOPE_CAPTURE_NONE = 0,
	SCOPE_CAPTURE_PATH = 1,         /* string at args[arg], read at entry */
	SCOPE_CAPTURE_SOCKADDR = 2,     /* args[arg], length args[lenarg], read at entry */
	SCOPE_CAPTURE_SOCKADDR_OUT = 3, /* args[arg], length *args[lenarg], read at exit */
};

#endif /* SCOPE_MAPS_H */
