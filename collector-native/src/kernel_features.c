#include <string.h>

#include <bpf/btf.h>

#include "kernel_features.h"

static int enum_value(const struct btf *btf, const char *type, const char *name)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	if (id <= 0)
		return -1;
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_enum *e = btf_enum(t);
	for (unsigned i = 0; i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(btf, e[i].name_off), name) == 0)
			return e[i].val;
	return -1;
}

void scope_kernel_features_read(const char *btf_path, struct scope_kernel_features *f)
{
	f->uprobe_multi_type = -1;
	f->send_signal_task = false;
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return;
	f->uprobe_multi_type = enum_value(btf, "bpf_attach_type", "BPF_TRACE_UPROBE_MULTI");
	f->send_signal_task = btf__find_by_name_kind(btf, "bpf_send_signal_task", BTF_KIND_FUNC) > 0;
	btf__free(btf);
}
