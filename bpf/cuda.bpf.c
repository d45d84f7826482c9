// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CUDA runtime and driver calls. One entry and one return program serve every API: the attach
 * cookie says which API (and variant) a uprobe is on. Uprobes are attached per target process, so
 * no other process ever traps. Entry state lives in the calling thread's task storage, one slot per
 * API, until the return: no hash to update and delete on every call, and nothing left behind by a
 * thread that exits (the storage goes with the task).
 *
 * One operation is counted once: the runtime implements its calls with the driver's, so a driver
 * call made while another of the thread's calls is in flight (a runtime call, or a driver entry
 * point that uses another) is part of that call and is only counted (cuda_nested), not reported. A program that uses the driver alone (or a statically
 * linked runtime, which looks the same from outside) has every driver call reported.
 */
#include "scope_common.bpf.h"
#include "python_walk.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct cuda_inflight {
	__u64 ts;
	__u64 a[6];
	__u64 smem;    /* cuMemCreate: the device its properties name */
	__u64 stream;
	__u32 grid[3];
	__u32 block[3];
	__u32 _pad;
	__u32 nested;  /* calls of this same API inside this one, not reported: their returns come first */
};

struct cuda_thread {
	struct cuda_inflight in[SCOPE_CUDA_API_MAX]; /* ts 0: no call in flight */
	__s32 device; /* as its last successful cudaSetDevice chose it */
	__u32 has_device;
	__u32 depth; /* calls in flight (name lookups aside): while > 0, driver calls are part of them */
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cuda_thread);
} cuda_threads SEC(".maps");

/* cudaLaunchConfig_t's head: what cudaLaunchKernelExC's first argument points to. */
struct launch_config {
	__u32 grid[3];
	__u32 block[3];
	__u64 smem;
	__u64 stream;
};

/* Driver calls made inside runtime calls, by API: folded into the runtime call, not reported. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCOPE_CUDA_API_MAX);
	__type(key, __u32);
	__type(value, __u64);
} cuda_nested SEC(".maps");

/* cuLaunchKernelEx's CUlaunchConfig head. */
struct cu_launch_config {
	__u32 grid[3];
	__u32 block[3];
	__u32 smem;
	__u32 _pad;
	__u64 stream;
};

const volatile bool follow_children = false;
const volatile bool capture_stacks = true;
const volatile bool python_stacks = false; /* the python family is loaded: its map is ours */

/* Linux 6.13+; the collector loads stop_child_at_fork only where the kernel has it. */
extern int bpf_send_signal_task(struct task_struct *task, int sig, enum pid_type type, __u64 value) __ksym;

/* A child that does not exec keeps its parent's CUDA runtime mapped, but not the parent's uprobes
 * (they are per process): stop it before its first instruction until it has its own. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(stop_child_at_fork, struct task_struct *parent, struct task_struct *child)
{
	if (!follow_children || child->pid != child->tgid || !is_target(parent->tgid))
		return 0;
	struct scope_control *c = bpf_ringbuf_reserve(&control, sizeof(*c), 0);
	if (!c) {
		count_drop(SCOPE_DROP_RINGBUF);
		return 0;
	}
	c->pid = child->tgid;
	c->reason = SCOPE_CONTROL_FORK;
	c->ts_ns = bpf_ktime_get_boot_ns();
	/* Stop first, then tell the collector: its SIGCONT must never come before the stop. */
	bpf_send_signal_task(child, SCOPE_SIGSTOP, PIDTYPE_TGID, 0);
	bpf_ringbuf_submit(c, 0);
	return 0;
}


static __always_inline bool is_name_lookup(__u32 api)
{
	return api == SCOPE_CU_MODULE_GET_FUNCTION || api == SCOPE_CU_LIBRARY_GET_KERNEL ||
	       api == SCOPE_CU_KERNEL_GET_FUNCTION;
}

/* Allocations and launches: where in the program they come from is what a leak report needs. */
static __always_inline bool takes_stack(__u32 api)
{
	switch (api) {
	case SCOPE_CUDA_MALLOC:
	case SCOPE_CUDA_MALLOC_ASYNC:
	case SCOPE_CUDA_MALLOC_MANAGED:
	case SCOPE_CUDA_MALLOC_HOST:
	case SCOPE_CUDA_LAUNCH_KERNEL:
	case SCOPE_CUDA_LAUNCH_KERNEL_EXC:
	case SCOPE_CUDA_GRAPH_LAUNCH:
	case SCOPE_CU_MEM_ALLOC:
	case SCOPE_CU_LAUNCH_KERNEL:
	case SCOPE_CU_LAUNCH_KERNEL_EX:
	case SCOPE_CU_MEM_CREATE:
	case SCOPE_CU_MEM_MAP:
		return true;
	}
	return false;
}

/* The first and the last byte a record can hold of a name, which may lie in two pages; a failure
 * here only means there was nothing to fault in. */
static __always_inline void touch_name(__u64 name)
{
	char c;
	if (name) {
		bpf_copy_from_user(&c, 1, (void *)name);
		bpf_copy_from_user(&c, 1, (void *)(name + SCOPE_CUDA_NAME_LEN - 1));
	}
}

/*
 * The caller's stack, taken at the call's return: there the registers are the caller's own (the
 * instruction pointer is the return address, the frame pointer the caller's), so a frame-pointer
 * walk starts at the call site. Taken in the return program, which does not sleep, it costs less
 * than at the entry of the sleepable one.
 */
static __always_inline __u32 emit_stack(struct pt_regs *ctx, __u32 api, __u64 ts)
{
	struct scope_cuda_stack *st = bpf_ringbuf_reserve(&events, sizeof(*st), 0);
	if (!st) {
		count_drop(SCOPE_DROP_RINGBUF);
		return 0;
	}
	fill_header(&st->hdr, SCOPE_EV_CUDA_STACK, sizeof(*st), bpf_get_current_task_btf(), ts);
	st->api = api;
	st->flags = 0;
	long got = bpf_get_stack(ctx, st->ips, sizeof(st->ips), BPF_F_USER_STACK);
	__u32 n = got > 0 ? (__u32)(got / sizeof(__u64)) : 0;
	if (n >= SCOPE_STACK_MAX)
		st->flags = SCOPE_STACK_TRUNCATED;
	for (__u32 i = 0; i < SCOPE_STACK_MAX; i++)
		if (i >= n)
			st->ips[i] = 0;
	st->n = n;
	submit_event(st);
	return 1;
}

/* The Python stack of a process the python family knows (its map is reused here): the line of
 * Python that made the call. A process it has not looked at yet is reported to the collector. */
static __always_inline void emit_python_stack(__u64 ts)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct scope_py_proc *p = bpf_map_lookup_elem(&py_procs, &tgid);
	if (!p) {
		if (python_stacks)
			ask_collector(tgid);
		return;
	}
	if (p->state != SCOPE_PY_READY)
		return;
	struct scope_python_sample *s = bpf_ringbuf_reserve(&events, sizeof(*s), 0);
	if (!s) {
		count_drop(SCOPE_DROP_RINGBUF);
		return;
	}
	fill_header(&s->hdr, SCOPE_EV_PYTHON_SAMPLE, sizeof(*s), bpf_get_current_task_btf(), ts);
	fill_python_stack(s, p, (__u32)id);
	s->flags |= SCOPE_PY_AT_CUDA;
	s->n_native = 0;
	__builtin_memset(s->native, 0, sizeof(s->native));
	bool known = all_codes_known(s, tgid);
	submit_event(s);
	if (!known)
		stop_for_collector(SCOPE_CONTROL_NAME);
}

/* Sleepable: at a registration it faults the kernel name's page in (a library being loaded has
 * not touched its .rodata yet), so that the return, which cannot fault, reads it. */
SEC("uprobe.s")
int BPF_KPROBE(cuda_enter)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 api = SCOPE_CUDA_COOKIE_API(cookie);
	if (api >= SCOPE_CUDA_API_MAX)
		return 0;
	struct cuda_thread *t = bpf_task_storage_get(&cuda_threads, bpf_get_current_task_btf(), 0,
						     BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		count_drop(SCOPE_DROP_INFLIGHT_FULL);
		return 0;
	}
	bool driver = api >= SCOPE_CUDA_FIRST_DRIVER_API;
	struct cuda_inflight *slot = &t->in[api];
	if (driver && t->depth && !is_name_lookup(api)) {
		__u64 *n = bpf_map_lookup_elem(&cuda_nested, &api);
		if (n)
			*n += 1;
		/* An entry point that calls itself (a _ptds variant through the plain one): its return
		 * must not be taken for the outer call's. */
		if (slot->ts)
			slot->nested++;
		return 0;
	}
	struct cuda_inflight in = {
		.ts = bpf_ktime_get_boot_ns(),
		.a = { PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx), PT_REGS_PARM4(ctx),
		       PT_REGS_PARM5(ctx), ctx->r9 /* the sixth: no PT_REGS_PARM6 in libbpf 1.1 */ },
	};
	switch (api) {
	case SCOPE_CU_MODULE_GET_FUNCTION:
	case SCOPE_CU_LIBRARY_GET_KERNEL: /* (out, module or library, const char *name) */
		touch_name(in.a[2]);
		break;
	case SCOPE_CU_LAUNCH_KERNEL: {
		/* (f, gridX, gridY, gridZ, blockX, blockY | blockZ, sharedMem, stream, ... on the stack) */
		in.grid[0] = (__u32)in.a[1];
		in.grid[1] = (__u32)in.a[2];
		in.grid[2] = (__u32)in.a[3];
		in.block[0] = (__u32)in.a[4];
		in.block[1] = (__u32)in.a[5];
		__u64 stack[3] = {};
		bpf_copy_from_user(stack, sizeof(stack), (void *)(PT_REGS_SP(ctx) + 8));
		in.block[2] = (__u32)stack[0];
		in.smem = (__u32)stack[1];
		in.stream = stack[2];
		break;
	}
	case SCOPE_CU_LAUNCH_KERNEL_EX: {
		struct cu_launch_config lc = {};
		if (in.a[0] && bpf_copy_from_user(&lc, sizeof(lc), (void *)in.a[0]) == 0) {
			__builtin_memcpy(in.grid, lc.grid, sizeof(in.grid));
			__builtin_memcpy(in.block, lc.block, sizeof(in.block));
			in.smem = lc.smem;
			in.stream = lc.stream;
		}
		break;
	}
	case SCOPE_CU_MEM_CREATE: {
		/* CUmemAllocationProp: type, requestedHandleTypes, then CUmemLocation { type, id } */
		__s32 loc[2] = { 0, -1 };
		if (in.a[2])
			bpf_copy_from_user(loc, sizeof(loc), (void *)(in.a[2] + 8));
		in.smem = (__u64)(__s64)(loc[0] == 1 /* CU_MEM_LOCATION_TYPE_DEVICE */ ? loc[1] : -1);
		break;
	}
	case SCOPE_CUDA_REGISTER_FUNCTION: {
		/* (handle, hostFun, deviceFun, deviceName, ...): the first and the last byte the record
		 * can hold, which may lie in two pages; a failure here only means nothing to fault in. */
		touch_name(in.a[3] ? in.a[3] : in.a[2]);
		break;
	}
	case SCOPE_CUDA_LAUNCH_KERNEL: {
		/* dim3 is 12 bytes, passed in two registers each; sharedMem and stream are on the stack. */
		in.grid[0] = (__u32)in.a[1];
		in.grid[1] = (__u32)(in.a[1] >> 32);
		in.grid[2] = (__u32)in.a[2];
		in.block[0] = (__u32)in.a[3];
		in.block[1] = (__u32)(in.a[3] >> 32);
		in.block[2] = (__u32)in.a[4];
		__u64 stack[2] = {};
		bpf_probe_read_user(stack, sizeof(stack), (void *)(PT_REGS_SP(ctx) + 8));
		in.smem = stack[0];
		in.stream = stack[1];
		break;
	}
	case SCOPE_CUDA_LAUNCH_KERNEL_EXC: {
		struct launch_config lc = {};
		if (in.a[0] && bpf_probe_read_user(&lc, sizeof(lc), (void *)in.a[0]) == 0) {
			__builtin_memcpy(in.grid, lc.grid, sizeof(in.grid));
			__builtin_memcpy(in.block, lc.block, sizeof(in.block));
			in.smem = lc.smem;
			in.stream = lc.stream;
		}
		break;
	}
	}
	if (!slot->ts && !is_name_lookup(api))
		t->depth++;
	*slot = in;
	return 0;
}

static __always_inline __u64 read_out_ptr(__u64 where)
{
	__u64 v = 0;
	if (where)
		bpf_probe_read_user(&v, sizeof(v), (void *)where);
	return v;
}

static __always_inline void emit_register(struct cuda_inflight *in, __u32 api, long ret)
{
	struct scope_cuda_register *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(SCOPE_DROP_RINGBUF);
		return;
	}
	fill_header(&r->hdr, SCOPE_EV_CUDA_REGISTER, sizeof(*r), bpf_get_current_task_btf(), in->ts);
	r->flags = 0;
	r->name_len = 0;
	r->host_fun = 0;
	r->name_addr = 0;
	r->kernel[0] = 0; /* the collector demangles */
	if (api == SCOPE_CUDA_REGISTER_FAT_BINARY) {
		r->kind = SCOPE_CUDA_REG_FAT_BINARY;
		r->handle = ret; /* void **fatCubinHandle */
		r->name[0] = 0;
	} else if (api == SCOPE_CU_MODULE_GET_FUNCTION || api == SCOPE_CU_LIBRARY_GET_KERNEL) {
		/* (CUfunction or CUkernel *out, CUmodule or CUlibrary, const char *name) */
		r->kind = api == SCOPE_CU_MODULE_GET_FUNCTION ? SCOPE_CUDA_REG_MODULE_FUNCTION : SCOPE_CUDA_REG_LIBRARY_KERNEL;
		r->handle = read_out_ptr(in->a[0]);
		r->host_fun = in->a[1];
		r->name_addr = in->a[2];
		long n = bpf_probe_read_user_str(r->name, sizeof(r->name), (void *)in->a[2]);
		if (n < 0)
			n = 0;
		r->name_len = n > 0 ? n - 1 : 0;
		if (n == sizeof(r->name))
			r->flags = SCOPE_EXEC_FILENAME_TRUNCATED;
	} else if (api == SCOPE_CU_KERNEL_GET_FUNCTION) {
		/* (CUfunction *out, CUkernel): the collector names it after the CUkernel */
		r->kind = SCOPE_CUDA_REG_KERNEL_FUNCTION;
		r->handle = read_out_ptr(in->a[0]);
		r->host_fun = in->a[1];
		r->name[0] = 0;
	} else if (api == SCOPE_CUDA_GET_KERNEL) {
		/* (cudaKernel_t *kernelPtr, const void *entryFuncAddr) */
		r->kind = SCOPE_CUDA_REG_KERNEL_HANDLE;
		r->handle = read_out_ptr(in->a[0]);
		r->host_fun = in->a[1];
		r->name[0] = 0;
	} else {
		/* __cudaRegisterFunction(void **handle, const char *hostFun, char *deviceFun, const char *deviceName, ...) */
		r->kind = SCOPE_CUDA_REG_FUNCTION;
		r->handle = in->a[0];
		r->host_fun = in->a[1];
		/* Fails when the string's page is not resident yet (a library being loaded): a uprobe
		 * cannot fault it in, so name_addr tells the collector where to read it. */
		r->name_addr = in->a[3] ? in->a[3] : in->a[2];
		long n = bpf_probe_read_user_str(r->name, sizeof(r->name), (void *)in->a[3]);
		if (n <= 1)
			n = bpf_probe_read_user_str(r->name, sizeof(r->name), (void *)in->a[2]);
		if (n < 0)
			n = 0;
		r->name_len = n > 0 ? n - 1 : 0;
		if (n == sizeof(r->name))
			r->flags = SCOPE_EXEC_FILENAME_TRUNCATED;
	}
	bool cut = r->flags & SCOPE_EXEC_FILENAME_TRUNCATED;
	submit_event(r);
	/* The rest of the name is only in the process: keep it there until the collector has read it
	 * (long C++ template names are common; a short-lived process would otherwise be gone). */
	if (cut)
		stop_for_collector(SCOPE_CONTROL_NAME);
}

SEC("uretprobe")
int BPF_KRETPROBE(cuda_exit, long ret)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 api = SCOPE_CUDA_COOKIE_API(cookie);
	if (api >= SCOPE_CUDA_API_MAX)
		return 0;
	struct cuda_thread *t = bpf_task_storage_get(&cuda_threads, bpf_get_current_task_btf(), 0, 0);
	if (!t)
		return 0; /* entered before we attached, or its entry was dropped (counted) */
	struct cuda_inflight *in = &t->in[api];
	if (!in->ts)
		return 0;
	if (in->nested) {
		in->nested--;
		return 0;
	}
	if (!is_name_lookup(api) && t->depth)
		t->depth--;
	if (api == SCOPE_CUDA_REGISTER_FAT_BINARY || api == SCOPE_CUDA_REGISTER_FUNCTION ||
	    api == SCOPE_CUDA_GET_KERNEL || is_name_lookup(api)) {
		if (api == SCOPE_CUDA_REGISTER_FAT_BINARY || api == SCOPE_CUDA_REGISTER_FUNCTION || ret == 0)
			emit_register(in, api, ret);
		in->ts = 0;
		return 0;
	}

	/* The stacks first: readers pair them with the call that follows. */
	__u32 stack = 0;
	if (capture_stacks && takes_stack(api)) {
		if (python_stacks)
			emit_python_stack(in->ts);
		stack = emit_stack(ctx, api, in->ts);
	}
	struct scope_cuda_call *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(SCOPE_DROP_RINGBUF);
		in->ts = 0;
		return 0;
	}
	fill_header(&e->hdr, SCOPE_EV_CUDA_CALL, sizeof(*e), bpf_get_current_task_btf(), in->ts);
	e->api = api;
	e->flags = SCOPE_CUDA_COOKIE_FLAGS(cookie) | (stack ? SCOPE_CUDA_HAS_STACK : 0);
	e->ret = (int)ret;
	e->dur_ns = bpf_ktime_get_boot_ns() - in->ts;
	e->ptr = e->src = e->bytes = e->stream = e->func = 0;
	__builtin_memset(e->grid, 0, sizeof(e->grid) + sizeof(e->block));
	e->shared_mem = 0;
	e->kind = -1;
	e->device = t->has_device ? t->device : -1; /* -1: the collector knows whether that means 0 */
	e->_pad0 = 0;
	switch (api) {
	case SCOPE_CUDA_MALLOC:          /* (void **devPtr, size_t size) */
	case SCOPE_CUDA_MALLOC_HOST:     /* (void **ptr, size_t size) */
	case SCOPE_CUDA_MALLOC_MANAGED:  /* (void **devPtr, size_t size, unsigned flags) */
		e->ptr = read_out_ptr(in->a[0]);
		e->bytes = in->a[1];
		break;
	case SCOPE_CUDA_MALLOC_ASYNC:    /* (void **devPtr, size_t size, cudaStream_t) */
		e->ptr = read_out_ptr(in->a[0]);
		e->bytes = in->a[1];
		e->stream = in->a[2];
		break;
	case SCOPE_CUDA_FREE:            /* (void *devPtr) */
	case SCOPE_CUDA_FREE_HOST:
		e->ptr = in->a[0];
		break;
	case SCOPE_CUDA_FREE_ASYNC:      /* (void *devPtr, cudaStream_t) */
		e->ptr = in->a[0];
		e->stream = in->a[1];
		break;
	case SCOPE_CUDA_MEMCPY:          /* (void *dst, const void *src, size_t count, cudaMemcpyKind) */
		e->ptr = in->a[0];
		e->src = in->a[1];
		e->bytes = in->a[2];
		e->kind = (int)in->a[3];
		break;
	case SCOPE_CUDA_MEMCPY_ASYNC:    /* (..., cudaMemcpyKind, cudaStream_t) */
		e->ptr = in->a[0];
		e->src = in->a[1];
		e->bytes = in->a[2];
		e->kind = (int)in->a[3];
		e->stream = in->a[4];
		break;
	case SCOPE_CUDA_LAUNCH_KERNEL:   /* (const void *func, dim3, dim3, void **args, size_t smem, cudaStream_t) */
	case SCOPE_CUDA_LAUNCH_KERNEL_EXC: /* (const cudaLaunchConfig_t *, const void *func, void **args) */
		e->func = api == SCOPE_CUDA_LAUNCH_KERNEL ? in->a[0] : in->a[1];
		__builtin_memcpy(e->grid, in->grid, sizeof(e->grid));
		__builtin_memcpy(e->block, in->block, sizeof(e->block));
		e->shared_mem = in->smem;
		e->stream = in->stream;
		break;
	case SCOPE_CUDA_GRAPH_LAUNCH:    /* (cudaGraphExec_t, cudaStream_t) */
		e->func = in->a[0];
		e->stream = in->a[1];
		break;
	case SCOPE_CUDA_STREAM_SYNCHRONIZE: /* (cudaStream_t) */
		e->stream = in->a[0];
		break;
	case SCOPE_CU_MEM_ALLOC:         /* (CUdeviceptr *dptr, size_t bytesize) */
		e->ptr = read_out_ptr(in->a[0]);
		e->bytes = in->a[1];
		break;
	case SCOPE_CU_MEM_FREE:          /* (CUdeviceptr) */
	case SCOPE_CU_MEM_RELEASE:       /* (CUmemGenericAllocationHandle) */
		e->ptr = in->a[0];
		break;
	case SCOPE_CU_MEMCPY_HTOD:       /* (dst, src, size_t ByteCount[, CUstream]) */
	case SCOPE_CU_MEMCPY_DTOH:
	case SCOPE_CU_MEMCPY_DTOD:
	case SCOPE_CU_MEMCPY_HTOD_ASYNC:
	case SCOPE_CU_MEMCPY_DTOH_ASYNC:
	case SCOPE_CU_MEMCPY_DTOD_ASYNC: {
		__u32 sync = api <= SCOPE_CU_MEMCPY_DTOD;
		e->ptr = in->a[0];
		e->src = in->a[1];
		e->bytes = in->a[2];
		/* cudaMemcpyHostToDevice (1), DeviceToHost (2), DeviceToDevice (3) */
		e->kind = (int)(api - (sync ? SCOPE_CU_MEMCPY_HTOD : SCOPE_CU_MEMCPY_HTOD_ASYNC)) + 1;
		if (!sync)
			e->stream = in->a[3];
		break;
	}
	case SCOPE_CU_LAUNCH_KERNEL:     /* (CUfunction f, ...) */
	case SCOPE_CU_LAUNCH_KERNEL_EX:  /* (const CUlaunchConfig *, CUfunction f, ...) */
		e->func = api == SCOPE_CU_LAUNCH_KERNEL ? in->a[0] : in->a[1];
		__builtin_memcpy(e->grid, in->grid, sizeof(e->grid));
		__builtin_memcpy(e->block, in->block, sizeof(e->block));
		e->shared_mem = in->smem;
		e->stream = in->stream;
		break;
	case SCOPE_CU_MEM_CREATE:        /* (CUmemGenericAllocationHandle *, size_t, const CUmemAllocationProp *, flags) */
		e->ptr = read_out_ptr(in->a[0]);
		e->bytes = in->a[1];
		e->device = (__s32)in->smem;
		break;
	case SCOPE_CU_MEM_MAP:           /* (CUdeviceptr, size_t, size_t offset, handle, flags) */
		e->ptr = in->a[0];
		e->bytes = in->a[1];
		e->stream = in->a[2];
		e->src = in->a[3];
		break;
	case SCOPE_CU_MEM_UNMAP:         /* (CUdeviceptr, size_t) */
		e->ptr = in->a[0];
		e->bytes = in->a[1];
		break;
	case SCOPE_CUDA_SET_DEVICE: {      /* (int device) */
		__s32 d = (__s32)in->a[0];
		e->device = d;
		if (ret == 0) {
			t->device = d;
			t->has_device = 1;
		}
		break;
	}
	}
	submit_event(e);
	in->ts = 0;
	return 0;
}

/* ld.so calls _dl_debug_state around every change to its list of objects (dlopen, dlclose): stop
 * the process so the collector can attach to a CUDA runtime it has just mapped, before its
 * constructors, and the program's, run. */
SEC("uprobe")
int BPF_KPROBE(dl_debug_state)
{
	stop_for_collector(SCOPE_CONTROL_DLOPEN);
	return 0;
}
