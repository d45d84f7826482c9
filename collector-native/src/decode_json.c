#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cuda_apis.h"
#include "decode_json.h"
#include "hist.h"
#include "syscall_table.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "records are little-endian; this reader assumes a little-endian host");

const char *scope_event_type_name(uint16_t type)
{
	switch (type) {
	case SCOPE_EV_PROCESS_EXEC: return "process_exec";
	case SCOPE_EV_PROCESS_FORK: return "process_fork";
	case SCOPE_EV_PROCESS_EXIT: return "process_exit";
	case SCOPE_EV_SYSCALL:
	case SCOPE_EV_SYSCALL_DATA: return "syscall";
	case SCOPE_EV_SYSCALL_COUNTS: return "syscall_counts";
	case SCOPE_EV_SYSCALL_HIST: return "syscall_hist";
	case SCOPE_EV_CUDA_CALL: return "cuda";
	case SCOPE_EV_CUDA_REGISTER: return "cuda_register";
	case SCOPE_EV_CUDA_STACK: return "cuda_stack";
	case SCOPE_EV_SYMBOL: return "symbol";
	case SCOPE_EV_PYTHON_SAMPLE: return "python_sample";
	case SCOPE_EV_PYTHON_CODE: return "python_code";
	case SCOPE_EV_PYTHON_CALL: return "python_call";
	}
	return NULL;
}

static size_t expected_size(uint16_t type)
{
	switch (type) {
	case SCOPE_EV_PROCESS_EXEC: return sizeof(struct scope_process_exec);
	case SCOPE_EV_PROCESS_FORK: return sizeof(struct scope_process_fork);
	case SCOPE_EV_PROCESS_EXIT: return sizeof(struct scope_process_exit);
	case SCOPE_EV_SYSCALL: return sizeof(struct scope_syscall);
	case SCOPE_EV_SYSCALL_DATA: return sizeof(struct scope_syscall_data);
	case SCOPE_EV_SYSCALL_COUNTS: return sizeof(struct scope_syscall_counts);
	case SCOPE_EV_SYSCALL_HIST: return sizeof(struct scope_syscall_hist);
	case SCOPE_EV_CUDA_CALL: return sizeof(struct scope_cuda_call);
	case SCOPE_EV_CUDA_REGISTER: return sizeof(struct scope_cuda_register);
	case SCOPE_EV_CUDA_STACK: return sizeof(struct scope_cuda_stack);
	case SCOPE_EV_SYMBOL: return sizeof(struct scope_symbol);
	case SCOPE_EV_PYTHON_SAMPLE: return sizeof(struct scope_python_sample);
	case SCOPE_EV_PYTHON_CODE: return sizeof(struct scope_python_code);
	case SCOPE_EV_PYTHON_CALL: return sizeof(struct scope_python_call);
	}
	return 0;
}

static void header(struct jbuf *b, const struct scope_event_header *h, const char *type)
{
	jb_lit(b, "{");
	jb_key(b, "type");
	jb_str(b, type, strlen(type));
	jb_key(b, "ts_ns");
	jb_u64(b, h->ts_ns);
	jb_key(b, "pid");
	jb_u64(b, h->pid);
	jb_key(b, "tid");
	jb_u64(b, h->tid);
	jb_key(b, "comm");
	jb_str(b, h->comm, sizeof(h->comm));
	jb_key(b, "start_ns");
	jb_u64(b, h->start_ns);
	jb_key(b, "cpu");
	jb_u64(b, h->cpu);
}

static void info(struct jbuf *b, const struct scope_process_info *i)
{
	jb_key(b, "ppid");
	jb_u64(b, i->ppid);
	jb_key(b, "uid");
	jb_u64(b, i->uid);
	jb_key(b, "cgroup_id");
	jb_u64(b, i->cgroup_id);
}

static void end_line(struct jbuf *b)
{
	jb_lit(b, "}\n");
}

static void exec_json(struct jbuf *b, const struct scope_process_exec *e)
{
	header(b, &e->hdr, "process_exec");
	info(b, &e->info);
	size_t flen = e->filename_len < SCOPE_FILENAME_LEN ? e->filename_len : SCOPE_FILENAME_LEN;
	jb_key(b, "filename");
	jb_str(b, e->filename, flen);
	jb_key(b, "argv");
	jb_lit(b, "[");
	size_t alen = e->argv_len < SCOPE_ARGV_LEN ? e->argv_len : SCOPE_ARGV_LEN;
	for (size_t i = 0; i < alen;) {
		size_t j = i;
		while (j < alen && e->argv[j])
			j++;
		if (i)
			jb_lit(b, ",");
		jb_str(b, e->argv + i, j - i);
		i = j + 1;
	}
	jb_lit(b, "]");
	jb_key(b, "argc");
	jb_u64(b, e->argc);
	if (e->flags & SCOPE_EXEC_ARGV_TRUNCATED) {
		jb_key(b, "argv_truncated");
		jb_lit(b, "true");
	}
	if (e->flags & SCOPE_EXEC_FILENAME_TRUNCATED) {
		jb_key(b, "filename_truncated");
		jb_lit(b, "true");
	}
	if (e->old_pid) {
		jb_key(b, "old_tid");
		jb_u64(b, e->old_pid);
	}
	end_line(b);
}

static void fork_json(struct jbuf *b, const struct scope_process_fork *e)
{
	header(b, &e->hdr, "process_fork");
	info(b, &e->info);
	jb_key(b, "child_pid");
	jb_u64(b, e->child_pid);
	jb_key(b, "child_start_ns");
	jb_u64(b, e->child_start_ns);
	end_line(b);
}

static void exit_json(struct jbuf *b, const struct scope_process_exit *e)
{
	header(b, &e->hdr, "process_exit");
	info(b, &e->info);
	jb_key(b, "exit_code");
	jb_i64(b, e->exit_code);
	jb_key(b, "signal");
	jb_u64(b, e->signal);
	if (e->flags & SCOPE_EXIT_CORE_DUMPED) {
		jb_key(b, "core_dumped");
		jb_lit(b, "true");
	}
	end_line(b);
}

static void sockaddr_json(struct jbuf *b, const char *data, size_t len)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, data, len < sizeof(ss) ? len : sizeof(ss));
	char ip[INET6_ADDRSTRLEN];
	jb_lit(b, "{");
	if (len < sizeof(sa_family_t)) {
		jb_key(b, "family");
		jb_lit(b, "null");
	} else if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		jb_key(b, "family");
		jb_lit(b, "\"inet\"");
		jb_key(b, "ip");
		jb_str(b, ip, strlen(ip));
		jb_key(b, "port");
		jb_u64(b, ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		jb_key(b, "family");
		jb_lit(b, "\"inet6\"");
		jb_key(b, "ip");
		jb_str(b, ip, strlen(ip));
		jb_key(b, "port");
		jb_u64(b, ntohs(in6->sin6_port));
	} else if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)&ss;
		size_t plen = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
		if (plen > sizeof(un->sun_path))
			plen = sizeof(un->sun_path);
		jb_key(b, "family");
		jb_lit(b, "\"unix\"");
		jb_key(b, "path");
		if (plen && un->sun_path[0] == 0) { /* abstract namespace: shown with a leading @ */
			char t[sizeof(un->sun_path) + 1];
			t[0] = '@';
			memcpy(t + 1, un->sun_path + 1, plen - 1);
			jb_str(b, t, plen);
		} else {
			jb_str(b, un->sun_path, plen);
		}
	} else {
		jb_key(b, "family");
		jb_u64(b, ss.ss_family);
	}
	jb_lit(b, "}");
}

static void arg_value(struct jbuf *b, uint64_t v, char fmt)
{
	switch (fmt) {
	case 'd': jb_i64(b, (int32_t)v); break; /* int-typed arguments live in the low 32 bits */
	case 'x': jb_fmt(b, "\"0x%llx\"", (unsigned long long)v); break;
	case 'o': jb_fmt(b, "\"%#llo\"", (unsigned long long)v); break;
	default: jb_u64(b, v); break;
	}
}

static int is_error(int64_t ret)
{
	return ret < 0 && ret >= -4095;
}

static void syscall_json(struct jbuf *b, const struct scope_syscall *sc, const struct scope_syscall_data *d)
{
	const struct scope_syscall_info *si = scope_syscall_info(sc->nr);
	header(b, &sc->hdr, "syscall");
	jb_key(b, "name");
	if (si && si->name)
		jb_str(b, si->name, strlen(si->name));
	else
		jb_fmt(b, "\"sys_%u\"", sc->nr);
	jb_key(b, "nr");
	jb_u64(b, sc->nr);
	jb_key(b, "ret");
	jb_i64(b, sc->ret);
	if (is_error(sc->ret)) {
		const char *en = strerrorname_np((int)-sc->ret);
		jb_key(b, "error");
		if (en)
			jb_str(b, en, strlen(en));
		else
			jb_fmt(b, "\"E%lld\"", (long long)-sc->ret);
	}
	jb_key(b, "dur_ns");
	jb_u64(b, sc->dur_ns);
	if (sc->flags & SCOPE_SC_NO_RETURN) {
		jb_key(b, "no_return");
		jb_lit(b, "true");
	}
	jb_key(b, "args");
	jb_lit(b, "{");
	if (si && si->nargs) {
		for (int i = 0; i < si->nargs; i++) {
			const struct scope_arg_spec *a = &si->args[i];
			if (a->src == SCOPE_ARG_RET) {
				if (sc->ret < 0 || (sc->flags & SCOPE_SC_NO_RETURN))
					continue;
				jb_key(b, a->name);
				jb_i64(b, sc->ret);
			} else if (a->src == SCOPE_ARG_DATA) {
				if (!d || d->data_kind == SCOPE_DATA_NONE)
					continue;
				size_t dl = d->data_len < SCOPE_DATA_LEN ? d->data_len : SCOPE_DATA_LEN;
				jb_key(b, a->name);
				if (d->data_kind == SCOPE_DATA_PATH)
					jb_str(b, d->data, dl);
				else if (d->data_kind == SCOPE_DATA_SOCKADDR)
					sockaddr_json(b, d->data, dl);
				else
					jb_lit(b, "null");
			} else {
				jb_key(b, a->name);
				arg_value(b, sc->args[a->src], a->fmt);
			}
		}
	} else {
		for (int i = 0; i < 6; i++) {
			char k[8];
			snprintf(k, sizeof(k), "arg%d", i);
			jb_key(b, k);
			jb_u64(b, sc->args[i]);
		}
	}
	jb_lit(b, "}");
	if (d && (sc->flags & SCOPE_SC_DATA_TRUNCATED)) {
		jb_key(b, "data_truncated");
		jb_lit(b, "true");
	}
	end_line(b);
}

static void syscall_name(char *out, size_t len, unsigned nr)
{
	const struct scope_syscall_info *si = scope_syscall_info(nr);
	if (si && si->name)
		snprintf(out, len, "%s", si->name);
	else
		snprintf(out, len, "sys_%u", nr);
}

static void hist_json(struct jbuf *b, const struct scope_syscall_hist *h)
{
	char name[24];
	syscall_name(name, sizeof(name), h->nr);
	header(b, &h->hdr, "syscall_hist");
	jb_key(b, "name");
	jb_str(b, name, strlen(name));
	jb_key(b, "nr");
	jb_u64(b, h->nr);
	jb_key(b, "final");
	jb_lit(b, (h->flags & SCOPE_COUNTS_FINAL) ? "true" : "false");
	uint64_t total = 0;
	for (unsigned i = 0; i < SCOPE_HIST_BUCKETS; i++)
		total += h->buckets[i];
	jb_key(b, "count");
	jb_u64(b, total);
	jb_key(b, "p50_ns");
	jb_u64(b, scope_hist_quantile(h->buckets, SCOPE_HIST_BUCKETS, 0.50));
	jb_key(b, "p99_ns");
	jb_u64(b, scope_hist_quantile(h->buckets, SCOPE_HIST_BUCKETS, 0.99));
	jb_key(b, "buckets");
	jb_lit(b, "[");
	int first = 1;
	for (unsigned i = 0; i < SCOPE_HIST_BUCKETS; i++) {
		if (!h->buckets[i])
			continue;
		jb_fmt(b, "%s[%llu,%u]", first ? "" : ",", (unsigned long long)scope_hist_lower(i), h->buckets[i]);
		first = 0;
	}
	jb_lit(b, "]");
	end_line(b);
}

static void hex_u64(struct jbuf *b, const char *key, uint64_t v)
{
	jb_key(b, key);
	jb_fmt(b, "\"0x%llx\"", (unsigned long long)v);
}

static void dim3_json(struct jbuf *b, const char *key, const __u32 *v)
{
	jb_key(b, key);
	jb_fmt(b, "[%u,%u,%u]", v[0], v[1], v[2]);
}

static void cuda_json(struct scope_json_decoder *d, struct jbuf *b, const struct scope_cuda_call *c)
{
	header(b, &c->hdr, "cuda");
	const char *api = scope_cuda_api_name(c->api);
	jb_key(b, "api");
	if (api) {
		char full[64];
		snprintf(full, sizeof(full), "%s%s", api,
			 (c->flags & SCOPE_CUDA_PTSZ) ? "_ptsz" : (c->flags & SCOPE_CUDA_PTDS) ? "_ptds" : "");
		jb_str(b, full, strlen(full));
	} else {
		jb_fmt(b, "\"api_%u\"", c->api);
	}
	jb_key(b, "ret");
	jb_i64(b, c->ret);
	jb_key(b, "dur_ns");
	jb_u64(b, c->dur_ns);
	switch (c->api) {
	case SCOPE_CUDA_MALLOC:
	case SCOPE_CUDA_MALLOC_HOST:
	case SCOPE_CUDA_MALLOC_MANAGED:
	case SCOPE_CUDA_MALLOC_ASYNC:
	case SCOPE_CU_MEM_ALLOC:
		jb_key(b, "bytes");
		jb_u64(b, c->bytes);
		hex_u64(b, "ptr", c->ptr);
		break;
	case SCOPE_CUDA_FREE:
	case SCOPE_CUDA_FREE_HOST:
	case SCOPE_CUDA_FREE_ASYNC:
	case SCOPE_CU_MEM_FREE:
		hex_u64(b, "ptr", c->ptr);
		break;
	case SCOPE_CU_MEM_CREATE:
		hex_u64(b, "handle", c->ptr);
		jb_key(b, "bytes");
		jb_u64(b, c->bytes);
		break;
	case SCOPE_CU_MEM_MAP:
		hex_u64(b, "ptr", c->ptr);
		jb_key(b, "bytes");
		jb_u64(b, c->bytes);
		hex_u64(b, "handle", c->src);
		jb_key(b, "offset");
		jb_u64(b, c->stream);
		break;
	case SCOPE_CU_MEM_UNMAP:
		hex_u64(b, "ptr", c->ptr);
		jb_key(b, "bytes");
		jb_u64(b, c->bytes);
		break;
	case SCOPE_CU_MEM_RELEASE:
		hex_u64(b, "handle", c->ptr);
		break;
	case SCOPE_CUDA_MEMCPY:
	case SCOPE_CUDA_MEMCPY_ASYNC:
	case SCOPE_CU_MEMCPY_HTOD:
	case SCOPE_CU_MEMCPY_DTOH:
	case SCOPE_CU_MEMCPY_DTOD:
	case SCOPE_CU_MEMCPY_HTOD_ASYNC:
	case SCOPE_CU_MEMCPY_DTOH_ASYNC:
	case SCOPE_CU_MEMCPY_DTOD_ASYNC: {
		jb_key(b, "bytes");
		jb_u64(b, c->bytes);
		hex_u64(b, "ptr", c->ptr);
		hex_u64(b, "src", c->src);
		jb_key(b, "kind");
		jb_i64(b, c->kind);
		const char *k = scope_cuda_kind_name(c->kind);
		jb_key(b, "kind_name");
		if (k)
			jb_str(b, k, strlen(k));
		else
			jb_lit(b, "null");
		break;
	}
	case SCOPE_CUDA_LAUNCH_KERNEL:
	case SCOPE_CUDA_LAUNCH_KERNEL_EXC:
	case SCOPE_CU_LAUNCH_KERNEL:
	case SCOPE_CU_LAUNCH_KERNEL_EX: {
		hex_u64(b, "func", c->func);
		const char *name = d->kernel_name ? d->kernel_name(d->kernel_ctx, c->hdr.pid, c->func) : NULL;
		if (name) {
			jb_key(b, "kernel");
			jb_str(b, name, strlen(name));
		}
		dim3_json(b, "grid", c->grid);
		dim3_json(b, "block", c->block);
		jb_key(b, "shared_mem");
		jb_u64(b, c->shared_mem);
		break;
	}
	case SCOPE_CUDA_GRAPH_LAUNCH:
		hex_u64(b, "graph", c->func);
		break;
	}
	switch (c->api) {
	case SCOPE_CUDA_MALLOC_ASYNC:
	case SCOPE_CUDA_FREE_ASYNC:
	case SCOPE_CUDA_MEMCPY_ASYNC:
	case SCOPE_CUDA_LAUNCH_KERNEL:
	case SCOPE_CUDA_LAUNCH_KERNEL_EXC:
	case SCOPE_CUDA_GRAPH_LAUNCH:
	case SCOPE_CUDA_STREAM_SYNCHRONIZE:
	case SCOPE_CU_MEMCPY_HTOD_ASYNC:
	case SCOPE_CU_MEMCPY_DTOH_ASYNC:
	case SCOPE_CU_MEMCPY_DTOD_ASYNC:
	case SCOPE_CU_LAUNCH_KERNEL:
	case SCOPE_CU_LAUNCH_KERNEL_EX:
		hex_u64(b, "stream", c->stream);
		break;
	}
	if (c->device >= 0) {
		jb_key(b, "device");
		jb_i64(b, c->device);
	}
	if (c->flags & SCOPE_CUDA_HAS_STACK) {
		jb_key(b, "has_stack");
		jb_lit(b, "true");
	}
	end_line(b);
}

static void cuda_register_json(struct jbuf *b, const struct scope_cuda_register *r)
{
	header(b, &r->hdr, "cuda_register");
	jb_key(b, "kind");
	jb_lit(b, r->kind == SCOPE_CUDA_REG_FAT_BINARY ? "\"fat_binary\""
		  : r->kind == SCOPE_CUDA_REG_FUNCTION ? "\"function\""
		  : r->kind == SCOPE_CUDA_REG_SYMBOL ? "\"elf_symbol\""
		  : r->kind == SCOPE_CUDA_REG_KERNEL_HANDLE ? "\"kernel_handle\""
		  : r->kind == SCOPE_CUDA_REG_MODULE_FUNCTION ? "\"module_function\""
		  : r->kind == SCOPE_CUDA_REG_LIBRARY_KERNEL ? "\"library_kernel\""
		  : r->kind == SCOPE_CUDA_REG_KERNEL_FUNCTION ? "\"kernel_function\"" : "null");
	hex_u64(b, "handle", r->handle);
	if (r->kind != SCOPE_CUDA_REG_FAT_BINARY) {
		size_t n = r->name_len < SCOPE_CUDA_NAME_LEN ? r->name_len : SCOPE_CUDA_NAME_LEN;
		hex_u64(b, "host_fun", r->host_fun);
		jb_key(b, "name");
		jb_str(b, r->name, n);
		if (r->kernel[0]) {
			jb_key(b, "kernel");
			jb_str(b, r->kernel, sizeof(r->kernel));
		}
		if (r->flags & SCOPE_EXEC_FILENAME_TRUNCATED) {
			jb_key(b, "name_truncated");
			jb_lit(b, "true");
		}
		if (r->flags & SCOPE_CUDA_REG_NOT_DEMANGLED) {
			jb_key(b, "not_demangled");
			jb_lit(b, "true");
		}
	}
	end_line(b);
}

static void cuda_stack_json(struct scope_json_decoder *d, struct jbuf *b, const struct scope_cuda_stack *st)
{
	header(b, &st->hdr, "cuda_stack");
	const char *api = scope_cuda_api_name(st->api);
	jb_key(b, "api");
	if (api)
		jb_str(b, api, strlen(api));
	else
		jb_fmt(b, "\"api_%u\"", st->api);
	unsigned n = st->n < SCOPE_STACK_MAX ? st->n : SCOPE_STACK_MAX;
	jb_key(b, "frames");
	jb_lit(b, "[");
	for (unsigned i = 0; i < n; i++)
		jb_fmt(b, "%s\"0x%llx\"", i ? "," : "", (unsigned long long)st->ips[i]);
	jb_lit(b, "]");
	if (d->symbolize) {
		/* The collector's names, for people reading JSON lines: the wire carries symbol records. */
		jb_key(b, "symbols");
		jb_lit(b, "[");
		for (unsigned i = 0; i < n; i++) {
			char text[512];
			d->symbolize(d->symbolize_ctx, st->hdr.pid, st->ips[i], text, sizeof(text));
			if (i)
				jb_lit(b, ",");
			jb_str(b, text, strlen(text));
		}
		jb_lit(b, "]");
	}
	if (st->flags & SCOPE_STACK_TRUNCATED) {
		jb_key(b, "truncated");
		jb_lit(b, "true");
	}
	end_line(b);
}

static void symbol_json(struct jbuf *b, const struct scope_symbol *s)
{
	header(b, &s->hdr, "symbol");
	hex_u64(b, "addr", s->addr);
	jb_key(b, "offset");
	jb_u64(b, s->offset);
	jb_key(b, "module");
	jb_str(b, s->module, sizeof(s->module));
	jb_key(b, "name");
	jb_str(b, s->name, sizeof(s->name));
	if (s->flags & SCOPE_SYMBOL_UNKNOWN) {
		jb_key(b, "unknown");
		jb_lit(b, "true");
	}
	if (s->flags & SCOPE_SYMBOL_TRUNCATED) {
		jb_key(b, "name_truncated");
		jb_lit(b, "true");
	}
	end_line(b);
}

static void python_sample_json(struct scope_json_decoder *d, struct jbuf *b, const struct scope_python_sample *ps)
{
	header(b, &ps->hdr, "python_sample");
	jb_key(b, "version");
	jb_fmt(b, "\"%u.%u\"", ps->version >> 8, ps->version & 0xff);
	unsigned n = ps->n < SCOPE_PY_MAX_FRAMES ? ps->n : SCOPE_PY_MAX_FRAMES;
	jb_key(b, "stack");
	jb_lit(b, "[");
	for (unsigned i = 0; i < n; i++) {
		const struct scope_py_frame *f = &ps->frames[i];
		const char *function = NULL, *file = NULL;
		jb_lit(b, i ? ",{" : "{");
		jb_fmt(b, "\"code\":\"0x%llx\",\"instr\":%d,\"line\":%u", (unsigned long long)f->code, f->instr, f->line);
		if (d->py_names && d->py_names(d->py_ctx, ps->hdr.pid, f->code, &function, &file)) {
			jb_key(b, "function");
			jb_str(b, function, strlen(function));
			jb_key(b, "file");
			jb_str(b, file, strlen(file));
		}
		jb_lit(b, "}");
	}
	jb_lit(b, "]");
	unsigned nn = ps->n_native < SCOPE_STACK_MAX ? ps->n_native : SCOPE_STACK_MAX;
	jb_key(b, "native");
	jb_lit(b, "[");
	for (unsigned i = 0; i < nn; i++)
		jb_fmt(b, "%s\"0x%llx\"", i ? "," : "", (unsigned long long)ps->native[i]);
	jb_lit(b, "]");
	if (ps->flags & SCOPE_PY_TRUNCATED) {
		jb_key(b, "truncated");
		jb_lit(b, "true");
	}
	if (ps->flags & SCOPE_PY_NO_THREAD) {
		jb_key(b, "no_thread_state");
		jb_lit(b, "true");
	}
	if (ps->flags & SCOPE_PY_AT_CUDA) {
		jb_key(b, "at_cuda_call");
		jb_lit(b, "true");
	}
	end_line(b);
}

static void python_code_json(struct jbuf *b, const struct scope_python_code *c)
{
	header(b, &c->hdr, "python_code");
	hex_u64(b, "code", c->code);
	jb_key(b, "first_line");
	jb_u64(b, c->first_line);
	jb_key(b, "function");
	jb_str(b, c->qualname, sizeof(c->qualname));
	jb_key(b, "file");
	jb_str(b, c->filename, sizeof(c->filename));
	if (c->flags & SCOPE_PY_CODE_UNREADABLE) {
		jb_key(b, "unreadable");
		jb_lit(b, "true");
	}
	if (c->flags & SCOPE_SYMBOL_TRUNCATED) {
		jb_key(b, "name_truncated");
		jb_lit(b, "true");
	}
	end_line(b);
}

static void python_call_json(struct jbuf *b, const struct scope_python_call *c)
{
	header(b, &c->hdr, "python_call");
	jb_key(b, "function");
	jb_str(b, c->function, sizeof(c->function));
	jb_key(b, "file");
	jb_str(b, c->file, sizeof(c->file));
	jb_key(b, "line");
	jb_u64(b, c->line);
	jb_key(b, "dur_ns");
	jb_u64(b, c->dur_ns);
	jb_key(b, "depth");
	jb_u64(b, c->depth);
	if (c->flags & SCOPE_EXEC_FILENAME_TRUNCATED) {
		jb_key(b, "file_truncated");
		jb_lit(b, "true");
	}
	end_line(b);
}

void scope_json_flush(struct scope_json_decoder *d, struct jbuf *b)
{
	if (!d->has_pending)
		return;
	header(b, &d->pending_hdr, "syscall_counts");
	jb_key(b, "final");
	jb_lit(b, (d->pending_flags & SCOPE_COUNTS_FINAL) ? "true" : "false");
	jb_key(b, "enter_only");
	jb_lit(b, (d->pending_flags & SCOPE_COUNTS_ENTER_ONLY) ? "true" : "false");
	jb_key(b, "counts");
	jb_lit(b, "{");
	for (unsigned i = 0; i < d->n; i++) {
		const struct scope_syscall_count *c = &d->e[i];
		char name[24];
		syscall_name(name, sizeof(name), c->nr);
		jb_key(b, name);
		jb_lit(b, "{");
		jb_key(b, "count");
		jb_u64(b, c->count);
		jb_key(b, "errors");
		jb_u64(b, c->errors);
		jb_key(b, "total_ns");
		jb_u64(b, c->total_ns);
		jb_lit(b, "}");
	}
	jb_lit(b, "}");
	end_line(b);
	d->has_pending = 0;
	d->n = 0;
}

static void counts_merge(struct scope_json_decoder *d, const struct scope_syscall_counts *r, struct jbuf *b)
{
	const struct scope_event_header *h = &r->hdr;
	if (d->has_pending && (d->pending_hdr.pid != h->pid || d->pending_hdr.start_ns != h->start_ns ||
			       d->pending_hdr.ts_ns != h->ts_ns || d->pending_flags != r->flags))
		scope_json_flush(d, b);
	if (!d->has_pending) {
		d->has_pending = 1;
		d->pending_hdr = *h;
		d->pending_flags = r->flags;
		d->n = 0;
	}
	unsigned n = r->n < SCOPE_COUNTS_PER_RECORD ? r->n : SCOPE_COUNTS_PER_RECORD;
	for (unsigned i = 0; i < n; i++) {
		const struct scope_syscall_count *c = &r->e[i];
		unsigned k;
		for (k = 0; k < d->n && d->e[k].nr != c->nr; k++)
			;
		if (k == d->n) {
			if (d->n == SCOPE_SYSCALL_MAX)
				continue;
			d->e[d->n++] = *c;
		} else {
			d->e[k].count += c->count;
			d->e[k].errors += c->errors;
			d->e[k].total_ns += c->total_ns;
		}
	}
}

int scope_json_decode(struct scope_json_decoder *d, const void *rec, size_t len, struct jbuf *b)
{
	struct scope_event_header h;
	if (len < sizeof(h))
		return SCOPE_DECODE_SHORT;
	memcpy(&h, rec, sizeof(h));
	size_t want = expected_size(h.type);
	if (!want)
		return SCOPE_DECODE_UNKNOWN_TYPE;
	if (h.size != want)
		return SCOPE_DECODE_BAD_SIZE;
	if (len < want)
		return SCOPE_DECODE_SHORT;

	/* Copy into an aligned local: the record may sit anywhere in a received frame. */
	union {
		struct scope_process_exec exec;
		struct scope_process_fork fork;
		struct scope_process_exit exit;
		struct scope_syscall sc;
		struct scope_syscall_data scd;
		struct scope_syscall_counts counts;
		struct scope_syscall_hist hist;
		struct scope_cuda_call cuda;
		struct scope_cuda_register reg;
		struct scope_cuda_stack stack;
		struct scope_symbol sym;
		struct scope_python_sample py;
		struct scope_python_code pycode;
		struct scope_python_call pycall;
	} u;
	memcpy(&u, rec, want);

	/* Histograms come interleaved with the count records of the same flush: they do not end a merge. */
	if (h.type != SCOPE_EV_SYSCALL_COUNTS && h.type != SCOPE_EV_SYSCALL_HIST)
		scope_json_flush(d, b);
	switch (h.type) {
	case SCOPE_EV_PROCESS_EXEC: exec_json(b, &u.exec); break;
	case SCOPE_EV_PROCESS_FORK: fork_json(b, &u.fork); break;
	case SCOPE_EV_PROCESS_EXIT: exit_json(b, &u.exit); break;
	case SCOPE_EV_SYSCALL: syscall_json(b, &u.sc, NULL); break;
	case SCOPE_EV_SYSCALL_DATA: syscall_json(b, &u.scd.sc, &u.scd); break;
	case SCOPE_EV_SYSCALL_COUNTS: counts_merge(d, &u.counts, b); break;
	case SCOPE_EV_SYSCALL_HIST: hist_json(b, &u.hist); break;
	case SCOPE_EV_CUDA_CALL: cuda_json(d, b, &u.cuda); break;
	case SCOPE_EV_CUDA_REGISTER: cuda_register_json(b, &u.reg); break;
	case SCOPE_EV_CUDA_STACK: cuda_stack_json(d, b, &u.stack); break;
	case SCOPE_EV_SYMBOL: symbol_json(b, &u.sym); break;
	case SCOPE_EV_PYTHON_SAMPLE: python_sample_json(d, b, &u.py); break;
	case SCOPE_EV_PYTHON_CODE: python_code_json(b, &u.pycode); break;
	case SCOPE_EV_PYTHON_CALL: python_call_json(b, &u.pycall); break;
	}
	return SCOPE_DECODE_OK;
}
