/* Where CPython keeps what the sampler reads, per interpreter version: the BPF side's offsets and
 * the ones user space needs to name code objects. Generated at build time from each installed
 * interpreter's headers (pyoffsets/, scripts/gen-py-offsets.sh). */
#ifndef SCOPE_PYTHON_LAYOUT_H
#define SCOPE_PYTHON_LAYOUT_H
#include <stdint.h>

#include "scope_maps.h"

struct scope_py_layout {
	struct scope_py_offsets bpf;
	const char *version;      /* PY_VERSION of the headers: "3.11.2" */
	uint16_t co_name, co_qualname, co_filename, co_firstlineno, co_linetable;
	uint16_t unicode_length;  /* PyASCIIObject.length */
	uint16_t unicode_state;   /* PyASCIIObject.state: a 32-bit word of bitfields */
	uint8_t kind_shift, kind_bits, compact_shift, ascii_shift;
	uint16_t ascii_data;      /* sizeof(PyASCIIObject): where a compact ASCII string's bytes start */
	uint16_t compact_data;    /* sizeof(PyCompactUnicodeObject): a compact non-ASCII string's */
	uint16_t bytes_size;      /* PyVarObject.ob_size */
	uint16_t bytes_data;      /* PyBytesObject.ob_sval */
};

extern const struct scope_py_layout scope_py_layouts[];
extern const unsigned scope_py_layouts_len;

/* The layout generated from headers of exactly this PY_VERSION_HEX, or NULL. */
const struct scope_py_layout *scope_py_layout_for(uint32_t version_hex);
#endif
