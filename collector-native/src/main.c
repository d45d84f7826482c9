/* scope-collector: loads the probe families, sets the targets, and turns ring-buffer records into
 * JSON lines until the command ends or a signal asks it to stop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr_set.h"
#include "args.h"
#include "command.h"
#include "counts_flush.h"
#include "cuda_apis.h"
#include "cuda_libs.h"
#include "cuda_names.h"
#include "demangle.h"
#include "decode_json.h"
#include "drops.h"
#include "exit_codes.h"
#include "final_file.h"
#include "frame.h"
#include "machine_id.h"
#include "output.h"
#include "preflight.h"
#include "probes.h"
#include "python_procs.h"
#include "sender.h"
#include "syscall_table.h"
#include "targets.h"
#include "version.h"

static volatile sig_atomic_t stop_signal, stop_count, child_changed;
static pid_t parent_pid; /* with --die-with-parent: stop when getppid() no longer says this */

static void on_stop(int sig)
{
	stop_signal = sig;
	stop_count++;
}

static void on_child(int sig)
{
	(void)sig;
	child_changed = 1;
}

struct session {
	struct scope_args args;
	struct scope_probes probes;
	struct scope_targets targets;
	struct scope_output out;
	struct scope_drops drops;
	struct scope_json_decoder *dec;
	struct jbuf buf;
	unsigned long long events, bad_records;
	/* with --endpoint: records go into batches instead of JSON */
	bool batching;
	struct scope_framer framer;
	struct scope_sender sender;
	double last_batch;
	const char *stop_reason; /* for --final-file: parent-gone, signal, command-exited, finished */
	struct scope_cuda_names *names; /* with cuda probes: kernel names by process and stub */
	struct scope_addr_set *named;   /* addresses already named on the wire by a symbol record */
	struct scope_py_codes *py;      /* with python probes: interpreters and code objects by process */
	/* processes stopped until the records before their stop are handled (SCOPE_CONTROL_NAME) */
	pid_t *resume;
	size_t nresume;
};

static int sink_record(struct session *s, void *data, size_t len);

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static double now_s(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1e9;
}

/* Seals the open batch and hands it to the sender; an empty batch is a heartbeat. */
static void send_batch(struct session *s, uint32_t flags)
{
	scope_drops_check(&s->drops, NULL);
	uint64_t realtime = clock_ns(CLOCK_REALTIME), boottime = clock_ns(CLOCK_BOOTTIME);
	size_t len = scope_framer_seal(&s->framer, s->drops.total, s->sender.dropped_records, realtime,
				       boottime, flags);
	if (len)
		scope_sender_submit(&s->sender, s->framer.buf, len, s->framer.records);
	else
		s->sender.dropped_records += s->framer.records; /* the MAC failed: counted, not sent */
	scope_framer_next(&s->framer);
	s->last_batch = now_s();
}

/* --final-file, once the final batch is with the sender: where this instance's indices ended. A
 * failure is said on stderr and changes nothing else. */
static void write_final_file(struct session *s)
{
	struct scope_final_state st;
	struct jbuf b = { 0 };
	scope_final_fill(&st, &s->framer, s->sender.dropped_records, s->stop_reason ? s->stop_reason : "finished",
			 clock_ns(CLOCK_REALTIME));
	int e = scope_final_format(&b, &st);
	if (!e)
		e = scope_final_write(s->args.final_file, b.p, b.len);
	if (e)
		fprintf(stderr, "scope-collector: cannot write --final-file %s: %s\n", s->args.final_file, strerror(-e));
	jb_free(&b);
}

static const char *kernel_name(void *ctx, uint32_t pid, uint64_t host_fun)
{
	return scope_cuda_names_get(ctx, pid, host_fun);
}

static void symbolize(void *ctx, uint32_t pid, uint64_t addr, char *out, size_t outlen)
{
	struct scope_cuda_symbol_info si;
	bool named = scope_cuda_names_symbol(ctx, pid, addr, &si);
	if (named)
		snprintf(out, outlen, "%s+0x%llx (%s)", si.name, (unsigned long long)si.offset, si.module);
	else if (*si.module)
		snprintf(out, outlen, "0x%llx (%s+0x%llx)", (unsigned long long)addr, si.module,
			 (unsigned long long)si.offset);
	else
		snprintf(out, outlen, "0x%llx", (unsigned long long)addr);
}

/* Before a stack goes on the wire, the names of its addresses that this process has not had yet:
 * by the time a reader looks, the process and its memory map may be gone. */
static void name_frames(struct session *s, const struct scope_cuda_stack *st)
{
	unsigned n = st->n < SCOPE_STACK_MAX ? st->n : SCOPE_STACK_MAX;
	for (unsigned i = 0; i < n; i++) {
		if (!scope_addr_set_add(s->named, st->hdr.pid, st->hdr.start_ns, st->ips[i]))
			continue;
		struct scope_cuda_symbol_info si;
		struct scope_symbol sym;
		memset(&sym, 0, sizeof(sym));
		bool named = scope_cuda_names_symbol(s->names, st->hdr.pid, st->ips[i], &si);
		sym.hdr = st->hdr;
		sym.hdr.type = SCOPE_EV_SYMBOL;
		sym.hdr.size = sizeof(sym);
		sym.addr = st->ips[i];
		sym.offset = si.offset;
		sym.flags = (named ? 0 : SCOPE_SYMBOL_UNKNOWN) | (si.truncated ? SCOPE_SYMBOL_TRUNCATED : 0);
		memcpy(sym.module, si.module, sizeof(sym.module) - 1);
		memcpy(sym.name, si.name, sizeof(sym.name) - 1);
		sym.name_len = strnlen(sym.name, sizeof(sym.name));
		sink_record(s, &sym, sizeof(sym));
	}
}

/* Reads a NUL-terminated string from a process's memory (which, unlike a uprobe, may fault its
 * page in). Returns its length, or -1. */
static ssize_t read_remote_str(pid_t pid, uint64_t addr, char *out, size_t outlen)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = pread(fd, out, outlen - 1, (off_t)addr);
	close(fd);
	if (n <= 0)
		return -1;
	out[n] = 0;
	return (ssize_t)strlen(out);
}

/* Fills a registration's demangled name, which the kernel side leaves empty, reading the whole
 * mangled name from the process when the kernel side could not read it or had to cut it (long C++
 * template names are the rule in PyTorch). */
static void complete_register(struct session *s, struct scope_cuda_register *r)
{
	static char name[16384]; /* CUTLASS kernels in PyTorch: 4.6 KiB mangled */
	size_t n = r->name_len < SCOPE_CUDA_NAME_LEN ? r->name_len : SCOPE_CUDA_NAME_LEN;
	memcpy(name, r->name, n);
	name[n] = 0;
	if ((n == 0 || (r->flags & SCOPE_EXEC_FILENAME_TRUNCATED)) && r->name_addr) {
		ssize_t len = read_remote_str(r->hdr.pid, r->name_addr, name, sizeof(name));
		if (len > 0) {
			memcpy(r->name, name, (size_t)len < SCOPE_CUDA_NAME_LEN - 1 ? (size_t)len + 1 : SCOPE_CUDA_NAME_LEN);
			r->name_len = (size_t)len < SCOPE_CUDA_NAME_LEN - 1 ? (uint16_t)len : SCOPE_CUDA_NAME_LEN - 1;
			if ((size_t)len < SCOPE_CUDA_NAME_LEN - 1)
				r->flags &= ~SCOPE_EXEC_FILENAME_TRUNCATED;
			else
				r->flags |= SCOPE_EXEC_FILENAME_TRUNCATED;
		} else {
			name[n] = 0; /* the process is gone: what the kernel side read is all there is */
		}
	}
	if (!scope_demangle(name, r->kernel, sizeof(r->kernel)))
		r->flags |= SCOPE_CUDA_REG_NOT_DEMANGLED;
	/* A runtime launch passes the stub (host_fun); a driver launch the handle looked up. */
	bool driver = r->kind == SCOPE_CUDA_REG_MODULE_FUNCTION || r->kind == SCOPE_CUDA_REG_LIBRARY_KERNEL;
	scope_cuda_names_add(s->names, r->hdr.pid, driver ? r->handle : r->host_fun, name);
}

/* A launch handle stands for a stub: it takes the stub's name (from its registration, else from the
 * ELF symbols), and the record carries the name for readers without the collector's table. */
static void name_handle(struct session *s, struct scope_cuda_register *r)
{
	const char *k = scope_cuda_names_get(s->names, r->hdr.pid, r->host_fun);
	if (!k && scope_cuda_names_from_elf(s->names, r->hdr.pid, r->host_fun, r->name, sizeof(r->name))) {
		r->name_len = strnlen(r->name, sizeof(r->name));
		k = scope_cuda_names_get(s->names, r->hdr.pid, r->host_fun);
	}
	if (!k)
		return;
	scope_cuda_names_add(s->names, r->hdr.pid, r->handle, k); /* the whole name: kernel[] may cut it */
	snprintf(r->kernel, sizeof(r->kernel), "%s", k);
}

static bool py_names(void *ctx, uint32_t pid, uint64_t code, const char **function, const char **file)
{
	bool fresh;
	const struct scope_py_code *c = scope_py_codes_get(ctx, pid, code, &fresh);
	if (!c || c->unreadable)
		return false;
	*function = c->qualname;
	*file = c->filename;
	return true;
}

/* A sampled process the collector has not looked at: which interpreter, where, which layout. */
static void python_check(struct session *s, pid_t pid)
{
	static unsigned retries;
	struct scope_py_proc proc;
	const struct scope_py_layout *layout;
	char why[512];
	__u32 key = (__u32)pid;
	/* A command's process before its exec is still our own image: look again after. */
	char self[4096], its[4096], link[64];
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	ssize_t a = readlink("/proc/self/exe", self, sizeof(self) - 1), b = readlink(link, its, sizeof(its) - 1);
	if (a > 0 && a == b && memcmp(self, its, (size_t)a) == 0) {
		bpf_map_delete_elem(s->probes.py_procs_fd, &key);
		return;
	}
	int r = scope_py_inspect(pid, &proc, &layout, why, sizeof(why));
	if (r == 0) {
		scope_py_codes_set_layout(s->py, key, layout);
		bpf_map_update_elem(s->probes.py_procs_fd, &key, &proc, BPF_ANY);
		/* An interpreter with USDT probes (Debian's) also gets its exact calls from now on. */
		if (b > 0) {
			its[b] = 0;
			scope_python_attach_usdt(&s->probes, pid, its);
		}
		return;
	}
	/* The launcher of a shared build is mapped before its libpython: look again at a later
	 * sample (a bounded number of times in all). */
	if (r == -EAGAIN && retries++ < 1000) {
		bpf_map_delete_elem(s->probes.py_procs_fd, &key);
		return;
	}
	struct scope_py_proc no = { .state = SCOPE_PY_NOT_PYTHON };
	bpf_map_update_elem(s->probes.py_procs_fd, &key, &no, BPF_ANY);
	fprintf(stderr, "scope-collector: pid %d is not sampled for Python: %s\n", pid, why);
}

/* At a stop for the CUDA probes (exec, a dlopen: a CUDA library being loaded by ctypes), a Python
 * process is looked at at once, so that its first CUDA calls already carry their Python stack. */
static void python_check_if_new(struct session *s, pid_t pid)
{
	struct scope_py_proc cur;
	__u32 key = (__u32)pid;
	if (s->py && bpf_map_lookup_elem(s->probes.py_procs_fd, &key, &cur) != 0)
		python_check(s, pid);
}

/* A process that exec'd runs another image (maybe another interpreter), one that exited none. The
 * USDT probes of a command stay through its exec: they were attached for the image it execs. */
static void python_forget(struct session *s, uint32_t pid, bool exited)
{
	if (!s->py)
		return;
	bpf_map_delete_elem(s->probes.py_procs_fd, &pid);
	scope_py_codes_set_layout(s->py, pid, NULL);
	if (exited)
		scope_python_detach_usdt(&s->probes, (pid_t)pid);
}

/* Fills in each frame's line; on the wire, names each code object the first time it is seen. */
static size_t observe_python(struct session *s, const void *data, struct scope_python_sample *ps)
{
	memcpy(ps, data, sizeof(*ps));
	unsigned n = ps->n < SCOPE_PY_MAX_FRAMES ? ps->n : SCOPE_PY_MAX_FRAMES;
	for (unsigned i = 0; i < n; i++) {
		struct scope_py_frame *f = &ps->frames[i];
		bool fresh;
		const struct scope_py_code *c = scope_py_codes_get(s->py, ps->hdr.pid, f->code, &fresh);
		if (!c)
			continue;
		if (fresh) {
			/* read: a CUDA call naming it no longer needs to wait for us */
			struct { __u32 pid, pad; __u64 code; } key = { ps->hdr.pid, 0, f->code };
			__u8 one = 1;
			bpf_map_update_elem(s->probes.py_known_fd, &key, &one, BPF_ANY);
		}
		f->line = scope_py_line(c->linetable, c->linetable_len, c->first_line, f->instr);
		if (!fresh || !s->batching)
			continue;
		struct scope_python_code rec;
		memset(&rec, 0, sizeof(rec));
		rec.hdr = ps->hdr;
		rec.hdr.type = SCOPE_EV_PYTHON_CODE;
		rec.hdr.size = sizeof(rec);
		rec.code = f->code;
		rec.first_line = c->first_line;
		rec.flags = (c->unreadable ? SCOPE_PY_CODE_UNREADABLE : 0) | (c->truncated ? SCOPE_SYMBOL_TRUNCATED : 0);
		memcpy(rec.qualname, c->qualname, sizeof(rec.qualname) - 1);
		memcpy(rec.filename, c->filename, sizeof(rec.filename) - 1);
		sink_record(s, &rec, sizeof(rec));
	}
	return sizeof(*ps);
}

/*
 * What the collector itself learns from records on their way out: kernel names from registrations
 * (and from ELF symbols when a launch names a stub no registration did), and which processes ended,
 * so their uprobes go. Two records are changed, in *copy, which then replaces the record (the
 * size is returned, else 0): a registration gets its demangled name; a call from a thread that
 * never chose a device gets the runtime's default, 0, when the process was traced from its start
 * (else nobody knows what it chose before: -1 stays).
 */
union observed {
	struct scope_cuda_register reg;
	struct scope_cuda_call call;
	struct scope_python_sample py;
};

static size_t observe(struct session *s, const void *data, size_t len, union observed *copy)
{
	struct scope_event_header h;
	if (len < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	if (s->py && h.type == SCOPE_EV_PYTHON_SAMPLE && len >= sizeof(struct scope_python_sample))
		return observe_python(s, data, &copy->py);
	if (h.type == SCOPE_EV_PROCESS_EXEC)
		python_forget(s, h.pid, false);
	if (!s->names) {
		if (h.type == SCOPE_EV_PROCESS_EXIT)
			python_forget(s, h.pid, true);
		return 0;
	}
	if (h.type == SCOPE_EV_CUDA_REGISTER && len >= sizeof(struct scope_cuda_register)) {
		memcpy(&copy->reg, data, sizeof(copy->reg));
		if (copy->reg.kind == SCOPE_CUDA_REG_FUNCTION || copy->reg.kind == SCOPE_CUDA_REG_MODULE_FUNCTION ||
		    copy->reg.kind == SCOPE_CUDA_REG_LIBRARY_KERNEL) {
			complete_register(s, &copy->reg);
			return sizeof(copy->reg);
		}
		if (copy->reg.kind == SCOPE_CUDA_REG_KERNEL_HANDLE) {
			name_handle(s, &copy->reg);
			return sizeof(copy->reg);
		}
		if (copy->reg.kind == SCOPE_CUDA_REG_KERNEL_FUNCTION) {
			/* The CUfunction of a CUkernel: the kernel's name, from its cuLibraryGetKernel. */
			const char *k = scope_cuda_names_get(s->names, h.pid, copy->reg.host_fun);
			if (k) {
				scope_cuda_names_add(s->names, h.pid, copy->reg.handle, k);
				snprintf(copy->reg.kernel, sizeof(copy->reg.kernel), "%s", k);
			}
			return sizeof(copy->reg);
		}
	} else if (h.type == SCOPE_EV_CUDA_STACK && len >= sizeof(struct scope_cuda_stack)) {
		if (s->batching) {
			struct scope_cuda_stack st;
			memcpy(&st, data, sizeof(st));
			name_frames(s, &st);
		}
	} else if (h.type == SCOPE_EV_CUDA_CALL && len >= sizeof(struct scope_cuda_call)) {
		const struct scope_cuda_call *c = data;
		size_t changed = 0;
		/* The runtime's default device; a driver call's context could be on any device. */
		if (c->device < 0 && c->api < SCOPE_CUDA_FIRST_DRIVER_API && scope_cuda_from_start(&s->probes, h.pid)) {
			memcpy(&copy->call, c, sizeof(copy->call));
			copy->call.device = 0;
			changed = sizeof(copy->call);
		}
		if ((c->api == SCOPE_CUDA_LAUNCH_KERNEL || c->api == SCOPE_CUDA_LAUNCH_KERNEL_EXC) && c->func &&
		    !scope_cuda_names_get(s->names, h.pid, c->func)) {
			/* Registered before we attached: name it from the module's symbols, and say so on
			 * the wire, so the silo learns the name too. */
			struct scope_cuda_register r;
			memset(&r, 0, sizeof(r));
			if (scope_cuda_names_from_elf(s->names, h.pid, c->func, r.name, sizeof(r.name))) {
				r.hdr = h;
				r.hdr.type = SCOPE_EV_CUDA_REGISTER;
				r.hdr.size = sizeof(r);
				r.kind = SCOPE_CUDA_REG_SYMBOL;
				r.host_fun = c->func;
				r.name_len = strnlen(r.name, sizeof(r.name));
				complete_register(s, &r);
				sink_record(s, &r, sizeof(r));
			}
		}
		return changed;
	} else if (h.type == SCOPE_EV_PROCESS_EXIT) {
		python_forget(s, h.pid, true);
		scope_cuda_detach(&s->probes, h.pid);
		scope_cuda_names_forget(s->names, h.pid);
		scope_addr_set_forget(s->named, h.pid);
	} else if (h.type == SCOPE_EV_PROCESS_FORK && len >= sizeof(struct scope_process_fork) && s->args.follow_children &&
		   !scope_cuda_stops_at_fork(&s->probes)) {
		/* Kernels before 6.13 cannot stop the child at fork: attach to it as soon as we hear of it,
		 * and it may run some calls untraced before (unless it execs: then it stops at exec). */
		const struct scope_process_fork *f = data;
		if (scope_cuda_attach(&s->probes, f->child_pid, NULL, NULL) >= 0)
			scope_cuda_names_snapshot(s->names, f->child_pid);
	}
	return 0;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct session *s = ctx;
	union observed copy;
	size_t n = observe(s, data, len, &copy);
	return n ? sink_record(s, &copy, n) : sink_record(s, data, len);
}

/* A target stopped itself (at exec, or in ld.so after a dlopen) and waits for its uprobes. */
/* Lets processes stopped for a name read go on, once every record submitted before their stop has
 * been handled (consumed here, outside any ring-buffer callback). */
static void resume_waiting(struct session *s, struct ring_buffer *rb)
{
	if (!s->nresume)
		return;
	/* A stop seen in the first pass had its registration submitted before it: the second pass
	 * has it. Stops first seen in the second pass wait for the next call. */
	ring_buffer__consume(rb);
	size_t ready = s->nresume;
	ring_buffer__consume(rb);
	for (size_t i = 0; i < ready; i++)
		kill(s->resume[i], SIGCONT);
	memmove(s->resume, s->resume + ready, (s->nresume - ready) * sizeof(*s->resume));
	s->nresume -= ready;
}

static int on_control(void *ctx, void *data, size_t len)
{
	struct session *s = ctx;
	struct scope_control c;
	if (len < sizeof(c))
		return 0;
	memcpy(&c, data, sizeof(c));
	if (c.reason == SCOPE_CONTROL_PY_CHECK) {
		if (s->py)
			python_check(s, (pid_t)c.pid);
		return 0;
	}
	if (c.reason == SCOPE_CONTROL_NAME) {
		/* Its registration may not be handled yet: resume it after this poll's records are. */
		pid_t *nr = realloc(s->resume, (s->nresume + 1) * sizeof(*nr));
		if (nr) {
			s->resume = nr;
			s->resume[s->nresume++] = c.pid;
		} else {
			kill(c.pid, SIGCONT);
		}
		return 0;
	}
	int r = scope_cuda_attach(&s->probes, c.pid, NULL, NULL);
	python_check_if_new(s, (pid_t)c.pid);
	if (r >= 0 && c.reason == SCOPE_CONTROL_EXEC)
		scope_cuda_set_from_start(&s->probes, c.pid);
	if (r == -ESRCH)
		fprintf(stderr, "scope-collector: pid %u exited while its CUDA probes were being attached\n", c.pid);
	else if (r < 0)
		fprintf(stderr, "scope-collector: cannot attach CUDA probes to pid %u: %s\n", c.pid, strerror(-r));
	/* A stop at each dlopen (hundreds in a Python program) skips this second read of the maps:
	 * the ELF fallback refreshes them itself when an address is in none it knows. */
	if (c.reason != SCOPE_CONTROL_DLOPEN)
		scope_cuda_names_snapshot(s->names, c.pid);
	kill(c.pid, SIGCONT);
	return 0;
}

static int sink_record(struct session *s, void *data, size_t len)
{
	if (s->batching) {
		if (!scope_framer_add(&s->framer, data, len)) {
			send_batch(s, 0);
			if (!scope_framer_add(&s->framer, data, len))
				s->bad_records++; /* larger than a whole batch: cannot happen with --batch-kb >= 4 */
		}
		s->events++;
		return 0;
	}
	int r = scope_json_decode(s->dec, data, len, &s->buf);
	if (r == SCOPE_DECODE_OK)
		s->events++;
	else
		s->bad_records++;
	if (s->buf.len > (1 << 20))
		scope_output_write(&s->out, &s->buf);
	return 0;
}

static void on_counts_record(void *ctx, const void *rec, size_t len)
{
	on_record(ctx, (void *)rec, len);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("SCOPE_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int load_error(const char *what, int err)
{
	fprintf(stderr, "scope-collector: cannot load %s probes: %s\n", what, strerror(-err));
	return err == -EPERM || err == -EACCES ? SCOPE_EXIT_PRIVILEGE : SCOPE_EXIT_BPF;
}

static void install_handlers(void)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static bool maps_cuda_runtime(long pid)
{
	char path[64], line[4096];
	snprintf(path, sizeof(path), "/proc/%ld/maps", pid);
	FILE *f = fopen(path, "re");
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *slash = strrchr(line, '/');
		found = slash && scope_cuda_is_runtime_name(slash + 1);
	}
	if (f)
		fclose(f);
	return found;
}

/* Every current target gets its CUDA uprobes (those found by pid, by comm, or as descendants). */
static void attach_cuda_to_targets(struct session *s)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid() || !scope_targets_has(&s->targets, pid))
			continue;
		int r = scope_cuda_attach(&s->probes, pid, NULL, NULL);
		if (r == -ESRCH)
			fprintf(stderr, "scope-collector: pid %ld exited while its CUDA probes were being attached\n", pid);
		else if (r < 0)
			fprintf(stderr, "scope-collector: cannot attach CUDA probes to pid %ld: %s\n", pid, strerror(-r));
		else if (!maps_cuda_runtime(pid))
			fprintf(stderr, "scope-collector: pid %ld has no CUDA runtime loaded; its calls are traced if it "
					"loads one later\n", pid);
		scope_cuda_names_snapshot(s->names, pid);
	}
	if (d)
		closedir(d);
}

static int set_targets(struct session *s, struct scope_command *cmd)
{
	struct scope_args *a = &s->args;
	for (int i = 0; i < a->ncomms; i++)
		if (process_probes_add_comm(&s->probes, a->comms[i])) {
			fprintf(stderr, "scope-collector: cannot add comm filter '%s'\n", a->comms[i]);
			return SCOPE_EXIT_BPF;
		}
	if (a->ncomms)
		scope_targets_add_by_comm(&s->targets, a->comms, a->ncomms);
	for (int i = 0; i < a->npids; i++)
		scope_targets_add(&s->targets, a->pids[i]);
	if (a->follow_children && (a->npids || a->ncomms))
		scope_targets_add_descendants(&s->targets);
	if (a->probes & SCOPE_PROBE_CUDA)
		attach_cuda_to_targets(s);
	if (a->command) {
		int err = scope_command_spawn(cmd, a->command);
		if (err) {
			fprintf(stderr, "scope-collector: cannot start '%s': %s\n", a->command[0], strerror(-err));
			return SCOPE_EXIT_FAILURE;
		}
		scope_targets_add(&s->targets, cmd->pid);
		if (a->probes & SCOPE_PROBE_PYTHON) {
			/* Before its first instruction: every call its interpreter's USDT probes see. */
			char *exe = scope_which(a->command[0]);
			scope_python_attach_usdt(&s->probes, cmd->pid, exe);
			free(exe);
		}
		if (a->probes & SCOPE_PROBE_CUDA) {
			/* Before its first instruction: every runtime it could load, by path. */
			char *exe = scope_which(a->command[0]);
			if (scope_cuda_attach(&s->probes, cmd->pid, exe, getenv("LD_LIBRARY_PATH")) >= 0)
				scope_cuda_set_from_start(&s->probes, cmd->pid);
			free(exe);
		}
		scope_command_release(cmd);
	}
	return SCOPE_EXIT_OK;
}

static void flush_live_counts(struct session *s)
{
	if (s->probes.syscalls)
		scope_counts_flush(s->probes.counts_fd, s->probes.hists_fd, s->args.counts_only, on_counts_record, s);
}

static int run(struct session *s, struct scope_command *cmd)
{
	struct ring_buffer *rb = ring_buffer__new(s->probes.events_fd, on_record, s, NULL);
	if (!rb || ring_buffer__add(rb, s->probes.control_fd, on_control, s)) {
		fprintf(stderr, "scope-collector: cannot open the ring buffers: %s\n", strerror(errno));
		ring_buffer__free(rb);
		return SCOPE_EXIT_FAILURE;
	}
	int exit_code = SCOPE_EXIT_OK, forwarded = 0;
	double next_counts = now_s() + s->args.counts_interval_s, next_drops = now_s() + 1;
	for (;;) {
		int n = ring_buffer__poll(rb, 100);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "scope-collector: ring buffer poll failed: %s\n", strerror(-n));
			exit_code = SCOPE_EXIT_FAILURE;
			break;
		}
		/* Records submitted without a wake-up (submit_event) are only seen by looking. */
		ring_buffer__consume(rb);
		resume_waiting(s, rb);
		if (cmd->pid > 0 && child_changed) {
			child_changed = 0;
			int status;
			if (waitpid(cmd->pid, &status, WNOHANG) == cmd->pid) {
				/* Its exit records are already in the ring: the tracepoint runs before the
				 * parent is notified. The drain below picks them up. */
				exit_code = scope_command_exit_code(status);
				cmd->pid = 0;
				/* after a signal we passed on, the command ended because we were asked to stop */
				if (!s->stop_reason)
					s->stop_reason = stop_count ? "signal" : "command-exited";
				break;
			}
		}
		if (parent_pid && getppid() != parent_pid && !stop_count) {
			fprintf(stderr, "scope-collector: the process that started us is gone; stopping\n");
			stop_signal = SIGTERM;
			stop_count = 2; /* stop now, even with a command */
			s->stop_reason = "parent-gone";
		}
		if (stop_count) {
			if (cmd->pid > 0 && stop_count == 1) {
				if (!forwarded) {
					kill(cmd->pid, stop_signal);
					forwarded = 1;
				}
			} else {
				if (!s->stop_reason)
					s->stop_reason = "signal";
				break;
			}
		}
		double t = now_s();
		if (s->args.counts_interval_s && t >= next_counts) {
			scope_json_flush(s->dec, &s->buf);
			flush_live_counts(s);
			next_counts = t + s->args.counts_interval_s;
		}
		if (s->batching) {
			/* Records wait at most 100 ms (a full batch leaves at once, from on_record); an
			 * empty batch goes every second so the silo knows we are alive. */
			if ((s->framer.records && t - s->last_batch >= 0.1) || t - s->last_batch >= 1.0)
				send_batch(s, 0);
			scope_sender_pump(&s->sender);
			continue;
		}
		if (t >= next_drops) {
			scope_drops_check(&s->drops, &s->buf);
			next_drops = t + 1;
		}
		scope_json_flush(s->dec, &s->buf);
		scope_output_write(&s->out, &s->buf);
	}
	ring_buffer__consume(rb);
	while (s->nresume) /* never leave a process stopped behind */
		resume_waiting(s, rb);
	free(s->resume);
	scope_json_flush(s->dec, &s->buf);
	flush_live_counts(s); /* processes still running: totals so far, final=false */
	ring_buffer__free(rb);
	if (s->batching) {
		send_batch(s, SCOPE_BATCH_FINAL);
		if (s->args.final_file)
			write_final_file(s);
		return exit_code;
	}
	scope_json_flush(s->dec, &s->buf);
	scope_drops_check(&s->drops, &s->buf);
	scope_output_write(&s->out, &s->buf);
	return exit_code;
}

static int read_secret(const struct scope_args *a, uint8_t *secret)
{
	char text[256] = { 0 };
	const char *src = getenv("SCOPE_COLLECTOR_SECRET");
	if (a->secret_file) {
		FILE *f = fopen(a->secret_file, "r");
		if (!f) {
			fprintf(stderr, "scope-collector: cannot read --secret-file %s: %s\n", a->secret_file, strerror(errno));
			return -1;
		}
		size_t n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = 0;
		src = text;
	}
	if (!src) {
		fprintf(stderr, "scope-collector: --endpoint needs a secret: --secret-file FILE or SCOPE_COLLECTOR_SECRET\n");
		return -1;
	}
	int n = scope_secret_parse(src, secret, SCOPE_SECRET_MAX);
	if (n < 16) {
		fprintf(stderr, "scope-collector: the secret must be 16 to 64 bytes written in hex\n");
		return -1;
	}
	unsetenv("SCOPE_COLLECTOR_SECRET"); /* the traced command must not inherit it */
	return n;
}

static int open_batching(struct session *s)
{
	uint8_t secret[SCOPE_SECRET_MAX];
	int n = read_secret(&s->args, secret);
	if (n < 0)
		return SCOPE_EXIT_USAGE;
	char mid[33];
	const char *machine = s->args.machine_id;
	if (!machine) {
		if (scope_machine_id_read(mid)) {
			fprintf(stderr, "scope-collector: no /etc/machine-id to derive a machine id from: give --machine-id\n");
			return SCOPE_EXIT_USAGE;
		}
		machine = mid;
	}
	uint64_t instance;
	if (getentropy(&instance, sizeof(instance)))
		instance = clock_ns(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 32);
	struct scope_frame_ids ids = { machine, s->args.collector_id, s->args.task_id, SCOPE_COLLECTOR_VERSION };
	int e = scope_framer_init(&s->framer, &ids, instance, secret, n, (size_t)s->args.batch_kb << 10);
	memset(secret, 0, sizeof(secret));
	if (!e)
		e = scope_sender_open(&s->sender, s->args.endpoint, s->args.hwm, (size_t)s->args.queue_mb << 20);
	if (e) {
		fprintf(stderr, "scope-collector: cannot set up batches to %s: %s\n", s->args.endpoint, strerror(-e));
		return SCOPE_EXIT_USAGE;
	}
	s->batching = true;
	s->out.fd = -1;
	return SCOPE_EXIT_OK;
}

int main(int argc, char **argv)
{
	static struct session s;
	char err[256];

	if (scope_syscalls_init())
		return SCOPE_EXIT_FAILURE;
	if (scope_args_parse(argc, argv, &s.args, err, sizeof(err))) {
		fprintf(stderr, "scope-collector: %s\nTry 'scope-collector --help'.\n", err);
		return SCOPE_EXIT_USAGE;
	}
	if (s.args.show_help) {
		scope_args_usage(stdout);
		return SCOPE_EXIT_OK;
	}
	if (s.args.show_version) {
		printf("scope-collector %s (wire format %d)\n", SCOPE_COLLECTOR_VERSION, SCOPE_WIRE_VERSION);
		return SCOPE_EXIT_OK;
	}
	int rc;
	if ((rc = scope_check_privileges()) || (rc = scope_check_btf(s.args.btf_path)) ||
	    (rc = scope_check_pids(&s.args)))
		return rc;
	int e;
	if (s.args.endpoint) {
		if ((rc = open_batching(&s)))
			return rc;
	} else if ((e = scope_output_open(&s.out, s.args.to_stdout ? NULL : s.args.output, s.args.command != NULL))) {
		fprintf(stderr, "scope-collector: cannot open --output %s: %s\n", s.args.output, strerror(-e));
		return SCOPE_EXIT_USAGE;
	}
	s.dec = calloc(1, sizeof(*s.dec));
	if (!s.dec)
		return SCOPE_EXIT_FAILURE;

	libbpf_set_print(libbpf_log);
	install_handlers();
	/* Not PR_SET_PDEATHSIG: it fires when the *thread* that forked us exits, and a runtime's
	 * worker threads come and go. The loop checks our parent instead, every poll. */
	parent_pid = s.args.die_with_parent ? getppid() : 0;
	if ((e = process_probes_load(&s.probes, &s.args))) {
		rc = load_error("process", e);
		goto out;
	}
	if ((s.args.probes & SCOPE_PROBE_SYSCALLS) && (e = syscalls_probes_load(&s.probes, &s.args))) {
		rc = load_error("syscalls", e);
		goto out;
	}
	if (s.args.probes & SCOPE_PROBE_PYTHON) {
		if ((e = python_probes_load(&s.probes, &s.args))) {
			rc = load_error("python", e);
			goto out;
		}
		s.py = scope_py_codes_new();
		s.dec->py_names = py_names;
		s.dec->py_ctx = s.py;
	}
	if (s.args.probes & SCOPE_PROBE_CUDA) {
		if ((e = cuda_probes_load(&s.probes, &s.args))) {
			rc = load_error("cuda", e);
			goto out;
		}
		s.names = scope_cuda_names_new();
		s.named = scope_addr_set_new();
		s.dec->kernel_name = kernel_name;
		s.dec->kernel_ctx = s.names;
		s.dec->symbolize = symbolize;
		s.dec->symbolize_ctx = s.names;
	}
	if ((e = scope_targets_map(&s.targets, s.probes.targets_fd))) {
		fprintf(stderr, "scope-collector: cannot map the target set: %s\n", strerror(-e));
		rc = SCOPE_EXIT_FAILURE;
		goto out;
	}
	scope_drops_init(&s.drops, s.probes.drops_fd);

	struct scope_command cmd = { .pid = 0 };
	if ((rc = set_targets(&s, &cmd)))
		goto out;
	if (!s.args.command) /* attach modes: tell whoever waits on us that nothing from now on is missed */
		fprintf(stderr, "scope-collector: ready\n");
	rc = run(&s, &cmd);
	if (scope_drops_sum(&s.drops))
		fprintf(stderr, "scope-collector: %llu events lost in the kernel (ring buffer %llu, entry map %llu, "
				"counter map %llu); a larger --ringbuf-mb helps with the first\n",
			(unsigned long long)scope_drops_sum(&s.drops),
			(unsigned long long)s.drops.total[SCOPE_DROP_RINGBUF],
			(unsigned long long)s.drops.total[SCOPE_DROP_INFLIGHT_FULL],
			(unsigned long long)s.drops.total[SCOPE_DROP_COUNTS_FULL]);
	uint64_t nested = scope_cuda_nested_total(&s.probes);
	if (nested)
		fprintf(stderr, "scope-collector: %llu driver calls made inside other CUDA calls were counted as part of them\n",
			(unsigned long long)nested);
	if (s.batching) {
		size_t left = scope_sender_close(&s.sender, 2000);
		if (left || s.sender.dropped_records)
			fprintf(stderr, "scope-collector: %zu batches unsent at exit, %llu records dropped while the silo was unreachable\n",
				left, (unsigned long long)s.sender.dropped_records);
	}
	if (s.out.lines_lost)
		fprintf(stderr, "scope-collector: %llu lines not written: the output was closed\n",
			(unsigned long long)s.out.lines_lost);
out:
	scope_targets_unmap(&s.targets);
	scope_probes_destroy(&s.probes);
	if (s.batching)
		scope_framer_free(&s.framer);
	else if ((e = scope_output_close(&s.out)))
		fprintf(stderr, "scope-collector: writing the spooled events failed: %s\n", strerror(-e));
	jb_free(&s.buf);
	scope_cuda_names_free(s.names);
	scope_addr_set_free(s.named);
	scope_py_codes_free(s.py);
	free(s.dec);
	return rc;
}
