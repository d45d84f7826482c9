/* Compiled once per CPython installation, against that installation's own headers (with
 * Py_BUILD_CORE, for the internal ones), by scripts/gen-py-offsets.sh: prints the initializer of
 * one struct scope_py_layout (src/python_layout.h). Nothing here is a guessed number: every offset
 * is the compiler's reading of the interpreter's structures. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal/pycore_frame.h"
#include "internal/pycore_runtime.h"

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030E0000
#error "SCOPE samples CPython 3.11 to 3.13"
#endif

/* The lowest bit a bitfield of PyASCIIObject.state occupies, and how many, found by setting it. */
#define STATE_FIELD(field, value, shift, width)                                        \
	do {                                                                             \
		PyASCIIObject o;                                                         \
		uint32_t w;                                                              \
		memset(&o, 0, sizeof(o));                                                \
		o.state.field = value;                                                   \
		memcpy(&w, (char *)&o + offsetof(PyASCIIObject, state), sizeof(w));      \
		shift = w ? __builtin_ctz(w) : 0;                                        \
		width = w ? __builtin_popcount(w) : 0;                                   \
	} while (0)

int main(void)
{
	unsigned kind_shift, kind_width, compact_shift, compact_width, ascii_shift, ascii_width;
	STATE_FIELD(kind, 7, kind_shift, kind_width);
	STATE_FIELD(compact, 1, compact_shift, compact_width);
	STATE_FIELD(ascii, 1, ascii_shift, ascii_width);
	(void)compact_width;
	(void)ascii_width;
#if PY_VERSION_HEX >= 0x030D0000
	unsigned ts_cframe = 0xffff;
	size_t current_frame = offsetof(PyThreadState, current_frame);
	size_t fr_code = offsetof(_PyInterpreterFrame, f_executable);
	size_t fr_instr = offsetof(_PyInterpreterFrame, instr_ptr);
#else
	unsigned ts_cframe = (unsigned)offsetof(PyThreadState, cframe);
	size_t current_frame = offsetof(_PyCFrame, current_frame);
	size_t fr_code = offsetof(_PyInterpreterFrame, f_code);
	size_t fr_instr = offsetof(_PyInterpreterFrame, prev_instr);
#endif
#if PY_VERSION_HEX >= 0x030C0000
	unsigned owner_cstack = FRAME_OWNED_BY_CSTACK;
#else
	unsigned owner_cstack = 0xff;
#endif
	printf("\t{ .bpf = { 0x%08lx, %zu, %zu, %zu, %zu, %u, %zu, %zu, %zu, %zu, %zu, %zu, %u, 0 },\n",
	       (unsigned long)PY_VERSION_HEX, offsetof(_PyRuntimeState, interpreters.head),
	       offsetof(PyInterpreterState, threads.head), offsetof(PyThreadState, next),
	       offsetof(PyThreadState, native_thread_id), ts_cframe, current_frame, fr_code,
	       offsetof(_PyInterpreterFrame, previous), fr_instr, offsetof(_PyInterpreterFrame, owner),
	       offsetof(PyCodeObject, co_code_adaptive), owner_cstack);
	printf("\t  .version = \"%s\", .co_name = %zu, .co_qualname = %zu, .co_filename = %zu, .co_firstlineno = %zu,\n"
	       "\t  .co_linetable = %zu, .unicode_length = %zu, .unicode_state = %zu, .kind_shift = %u, .kind_bits = %u, .compact_shift = %u,\n"
	       "\t  .ascii_shift = %u, .ascii_data = %zu, .compact_data = %zu, .bytes_size = %zu, .bytes_data = %zu },\n",
	       PY_VERSION, offsetof(PyCodeObject, co_name), offsetof(PyCodeObject, co_qualname),
	       offsetof(PyCodeObject, co_filename), offsetof(PyCodeObject, co_firstlineno),
	       offsetof(PyCodeObject, co_linetable), offsetof(PyASCIIObject, length), offsetof(PyASCIIObject, state), kind_shift, kind_width,
	       compact_shift, ascii_shift, sizeof(PyASCIIObject), sizeof(PyCompactUnicodeObject),
	       offsetof(PyVarObject, ob_size), offsetof(PyBytesObject, ob_sval));
	return 0;
}
