// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The same records in MessagePack (msgpack-c): what a self-describing format costs. Each record is
 * either an array of its fields in a fixed order per type (the compact way, like MessagePack-CSharp's
 * [Key(n)] contracts) or a map keyed by field name (the schema-free way). Strings take their real
 * length: comm as str, the captured path as bin (it may be a sockaddr), filename as str, argv as
 * one bin of NUL-separated arguments, exactly the bytes the record carries.
 *
 * Encoding packs straight into the collector's framer buffer, so no extra copy is counted.
 * Decoding is msgpack_unpack into the library's object tree (zone reused, strings left in the
 * buffer), then a walk of that tree into struct ev with type checks, as a consumer must do.
 */
#include <string.h>

#include <msgpack.h>

#include "codec.h"

/* msgpack_packer's sink: the framer's buffer. */
static int put(void *data, const char *buf, size_t len)
{
	struct scope_framer *f = data;
	if (f->len + len > f->cap)
		return -1;
	memcpy(f->buf + f->len, buf, len);
	f->len += len;
	return 0;
}

#define K(s)                                                               \
	do {                                                               \
		if (map)                                                   \
			err |= msgpack_pack_str_with_body(pk, s, sizeof(s) - 1); \
	} while (0)

static int pack_header(msgpack_packer *pk, const struct scope_event_header *h, bool map)
{
	int err = 0;
	K("type"); err |= msgpack_pack_uint16(pk, h->type);
	K("cpu"); err |= msgpack_pack_uint32(pk, h->cpu);
	K("ts"); err |= msgpack_pack_uint64(pk, h->ts_ns);
	K("start"); err |= msgpack_pack_uint64(pk, h->start_ns);
	K("pid"); err |= msgpack_pack_uint32(pk, h->pid);
	K("tid"); err |= msgpack_pack_uint32(pk, h->tid);
	K("comm"); err |= msgpack_pack_str_with_body(pk, h->comm, strnlen(h->comm, SCOPE_COMM_LEN));
	return err;
}

static int pack_syscall(msgpack_packer *pk, const struct scope_syscall *r, bool map)
{
	int err = pack_header(pk, &r->hdr, map);
	K("nr"); err |= msgpack_pack_uint32(pk, r->nr);
	K("flags"); err |= msgpack_pack_uint16(pk, r->flags);
	K("ret"); err |= msgpack_pack_int64(pk, r->ret);
	K("dur"); err |= msgpack_pack_uint64(pk, r->dur_ns);
	K("args"); err |= msgpack_pack_array(pk, 6);
	for (int i = 0; i < 6; i++)
		err |= msgpack_pack_uint64(pk, r->args[i]);
	return err;
}

static bool encode(struct scope_framer *f, const struct scope_event_header *h, bool map)
{
	msgpack_packer pk_, *pk = &pk_;
	size_t start = f->len;
	int err = 0;
	msgpack_packer_init(pk, f, put);
	switch (h->type) {
	case SCOPE_EV_SYSCALL:
		err |= map ? msgpack_pack_map(pk, 12) : msgpack_pack_array(pk, 12);
		err |= pack_syscall(pk, (const void *)h, map);
		break;
	case SCOPE_EV_SYSCALL_DATA: {
		const struct scope_syscall_data *r = (const void *)h;
		size_t n = r->data_len < SCOPE_DATA_LEN ? r->data_len : SCOPE_DATA_LEN;
		err |= map ? msgpack_pack_map(pk, 14) : msgpack_pack_array(pk, 14);
		err |= pack_syscall(pk, &r->sc, map);
		K("kind"); err |= msgpack_pack_uint16(pk, r->data_kind);
		K("data"); err |= msgpack_pack_bin_with_body(pk, r->data, n);
		break;
	}
	case SCOPE_EV_PROCESS_EXEC: {
		const struct scope_process_exec *r = (const void *)h;
		size_t fl = r->filename_len < SCOPE_FILENAME_LEN ? r->filename_len : SCOPE_FILENAME_LEN;
		size_t al = r->argv_len < SCOPE_ARGV_LEN ? r->argv_len : SCOPE_ARGV_LEN;
		err |= map ? msgpack_pack_map(pk, 15) : msgpack_pack_array(pk, 15);
		err |= pack_header(pk, h, map);
		K("ppid"); err |= msgpack_pack_uint32(pk, r->info.ppid);
		K("uid"); err |= msgpack_pack_uint32(pk, r->info.uid);
		K("cgroup"); err |= msgpack_pack_uint64(pk, r->info.cgroup_id);
		K("argc"); err |= msgpack_pack_uint32(pk, r->argc);
		K("flags"); err |= msgpack_pack_uint16(pk, r->flags);
		K("old_pid"); err |= msgpack_pack_uint32(pk, r->old_pid);
		K("filename"); err |= msgpack_pack_str_with_body(pk, r->filename, fl);
		K("argv"); err |= msgpack_pack_bin_with_body(pk, r->argv, al);
		break;
	}
	default:
		return true; /* nothing else is generated */
	}
	if (err) {
		f->len = start; /* did not fit: the batch ends before this record */
		return false;
	}
	f->records++;
	return true;
}

bool mp_encode_array(struct scope_framer *f, const struct scope_event_header *rec)
{
	return encode(f, rec, false);
}

bool mp_encode_map(struct scope_framer *f, const struct scope_event_header *rec)
{
	return encode(f, rec, true);
}

/* --- decoding ----------------------------------------------------------------------------- */

enum field {
	F_TYPE, F_CPU, F_TS, F_START, F_PID, F_TID, F_COMM, F_NR, F_FLAGS, F_RET, F_DUR, F_ARGS,
	F_KIND, F_DATA, F_PPID, F_UID, F_CGROUP, F_ARGC, F_OLD_PID, F_FILENAME, F_ARGV, F_UNKNOWN,
};

#define B(f) (1u << (f))
#define HDR_FIELDS (B(F_TYPE) | B(F_CPU) | B(F_TS) | B(F_START) | B(F_PID) | B(F_TID) | B(F_COMM))
#define SC_FIELDS (HDR_FIELDS | B(F_NR) | B(F_FLAGS) | B(F_RET) | B(F_DUR) | B(F_ARGS))
#define DATA_FIELDS (SC_FIELDS | B(F_KIND) | B(F_DATA))
#define EXEC_FIELDS (HDR_FIELDS | B(F_PPID) | B(F_UID) | B(F_CGROUP) | B(F_ARGC) | B(F_FLAGS) | \
		     B(F_OLD_PID) | B(F_FILENAME) | B(F_ARGV))

/* The array layouts: field i of the array is layout[i]. */
static const uint8_t sc_layout[] = { F_TYPE, F_CPU, F_TS, F_START, F_PID, F_TID, F_COMM,
				     F_NR, F_FLAGS, F_RET, F_DUR, F_ARGS, F_KIND, F_DATA };
static const uint8_t exec_layout[] = { F_TYPE, F_CPU, F_TS, F_START, F_PID, F_TID, F_COMM,
				       F_PPID, F_UID, F_CGROUP, F_ARGC, F_FLAGS, F_OLD_PID,
				       F_FILENAME, F_ARGV };

static enum field field_of(const char *k, uint32_t n)
{
#define IS(s) (n == sizeof(s) - 1 && !memcmp(k, s, n))
	switch (k[0]) {
	case 't': return IS("type") ? F_TYPE : IS("ts") ? F_TS : IS("tid") ? F_TID : F_UNKNOWN;
	case 'c': return IS("cpu") ? F_CPU : IS("comm") ? F_COMM : IS("cgroup") ? F_CGROUP : F_UNKNOWN;
	case 's': return IS("start") ? F_START : F_UNKNOWN;
	case 'p': return IS("pid") ? F_PID : IS("ppid") ? F_PPID : F_UNKNOWN;
	case 'n': return IS("nr") ? F_NR : F_UNKNOWN;
	case 'f': return IS("flags") ? F_FLAGS : IS("filename") ? F_FILENAME : F_UNKNOWN;
	case 'r': return IS("ret") ? F_RET : F_UNKNOWN;
	case 'd': return IS("dur") ? F_DUR : IS("data") ? F_DATA : F_UNKNOWN;
	case 'a': return IS("args") ? F_ARGS : IS("argc") ? F_ARGC : IS("argv") ? F_ARGV : F_UNKNOWN;
	case 'k': return IS("kind") ? F_KIND : F_UNKNOWN;
	case 'u': return IS("uid") ? F_UID : F_UNKNOWN;
	case 'o': return IS("old_pid") ? F_OLD_PID : F_UNKNOWN;
	default: return F_UNKNOWN;
	}
#undef IS
}

static bool u64_of(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return false;
	*v = o->via.u64;
	return true;
}

static bool bytes_of(const msgpack_object *o, msgpack_object_type t, uint32_t max, const void **p,
		     uint32_t *n)
{
	/* str and bin share their layout in msgpack_object */
	if (o->type != t || o->via.str.size > max)
		return false;
	*p = o->via.str.ptr;
	*n = o->via.str.size;
	return true;
}

/* Stores one field of e from o, checking its MessagePack type and range. */
static bool set_field(struct ev *e, enum field f, const msgpack_object *o)
{
	uint64_t v = 0;
	bool ok = true;
	switch (f) {
	case F_TYPE: ok = u64_of(o, UINT16_MAX, &v), e->type = v; break;
	case F_CPU: ok = u64_of(o, UINT32_MAX, &v), e->cpu = v; break;
	case F_TS: ok = u64_of(o, UINT64_MAX, &e->ts_ns); break;
	case F_START: ok = u64_of(o, UINT64_MAX, &e->start_ns); break;
	case F_PID: ok = u64_of(o, UINT32_MAX, &v), e->pid = v; break;
	case F_TID: ok = u64_of(o, UINT32_MAX, &v), e->tid = v; break;
	case F_COMM:
		ok = bytes_of(o, MSGPACK_OBJECT_STR, SCOPE_COMM_LEN, (const void **)&e->comm, &e->comm_len);
		break;
	case F_NR: ok = u64_of(o, UINT32_MAX, &v), e->nr = v; break;
	case F_FLAGS: ok = u64_of(o, UINT16_MAX, &v), e->flags = v; break;
	case F_RET:
		if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
			e->ret = o->via.i64;
		else
			ok = u64_of(o, INT64_MAX, &v), e->ret = v;
		break;
	case F_DUR: ok = u64_of(o, UINT64_MAX, &e->dur_ns); break;
	case F_ARGS:
		if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 6)
			return false;
		for (int i = 0; i < 6; i++)
			ok &= u64_of(&o->via.array.ptr[i], UINT64_MAX, &e->args[i]);
		break;
	case F_KIND: ok = u64_of(o, UINT16_MAX, &v), e->data_kind = v; break;
	case F_DATA:
		ok = bytes_of(o, MSGPACK_OBJECT_BIN, SCOPE_DATA_LEN, (const void **)&e->data, &e->data_len);
		break;
	case F_PPID: ok = u64_of(o, UINT32_MAX, &v), e->ppid = v; break;
	case F_UID: ok = u64_of(o, UINT32_MAX, &v), e->uid = v; break;
	case F_CGROUP: ok = u64_of(o, UINT64_MAX, &e->cgroup_id); break;
	case F_ARGC: ok = u64_of(o, UINT32_MAX, &v), e->argc = v; break;
	case F_OLD_PID: ok = u64_of(o, UINT32_MAX, &v), e->old_pid = v; break;
	case F_FILENAME:
		ok = bytes_of(o, MSGPACK_OBJECT_STR, SCOPE_FILENAME_LEN, (const void **)&e->filename,
			      &e->filename_len);
		break;
	case F_ARGV:
		ok = bytes_of(o, MSGPACK_OBJECT_BIN, SCOPE_ARGV_LEN, (const void **)&e->argv, &e->argv_len);
		break;
	default:
		break; /* a field this reader does not know */
	}
	return ok;
}

static uint32_t required(uint16_t type)
{
	switch (type) {
	case SCOPE_EV_SYSCALL: return SC_FIELDS;
	case SCOPE_EV_SYSCALL_DATA: return DATA_FIELDS;
	case SCOPE_EV_PROCESS_EXEC: return EXEC_FIELDS;
	default: return 0;
	}
}

/* 0: decoded into e; 1: a type this reader does not know; -1: malformed. */
static int from_array(struct ev *e, const msgpack_object_array *a)
{
	uint64_t type;
	if (a->size < 1 || !u64_of(&a->ptr[0], UINT16_MAX, &type))
		return -1;
	const uint8_t *layout;
	uint32_t n;
	switch (type) {
	case SCOPE_EV_SYSCALL: layout = sc_layout, n = 12; break;
	case SCOPE_EV_SYSCALL_DATA: layout = sc_layout, n = 14; break;
	case SCOPE_EV_PROCESS_EXEC: layout = exec_layout, n = 15; break;
	default: return 1;
	}
	if (a->size != n)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (!set_field(e, layout[i], &a->ptr[i]))
			return -1;
	return 0;
}

static int from_map(struct ev *e, const msgpack_object_map *m)
{
	uint32_t seen = 0;
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object_kv *kv = &m->ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR || kv->key.via.str.size == 0)
			return -1;
		enum field f = field_of(kv->key.via.str.ptr, kv->key.via.str.size);
		if (!set_field(e, f, &kv->val))
			return -1;
		seen |= B(f);
	}
	if (!(seen & B(F_TYPE)))
		return -1;
	uint32_t need = required(e->type);
	if (!need)
		return 1;
	return (seen & need) == need ? 0 : -1;
}

long mp_decode(const uint8_t *p, size_t len, struct ev *out, size_t max)
{
	/* One zone for the process: a record's tree fits its first chunk, so clearing it per record
	 * means no malloc in the loop (the bench is single-threaded). */
	static msgpack_zone *zone;
	if (!zone && !(zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE)))
		return -1;
	size_t off = 0, n = 0;
	while (off < len) {
		msgpack_object o;
		msgpack_zone_clear(zone);
		msgpack_unpack_return ur = msgpack_unpack((const char *)p, len, &off, zone, &o);
		if (ur != MSGPACK_UNPACK_SUCCESS && ur != MSGPACK_UNPACK_EXTRA_BYTES)
			return -1;
		if (n == max)
			return -1;
		int r;
		if (o.type == MSGPACK_OBJECT_ARRAY)
			r = from_array(&out[n], &o.via.array);
		else if (o.type == MSGPACK_OBJECT_MAP)
			r = from_map(&out[n], &o.via.map);
		else
			r = -1;
		if (r < 0)
			return -1;
		if (r == 0)
			n++;
	}
	return n;
}
