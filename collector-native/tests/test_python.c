/* The location tables CPython itself wrote for this function, and the line of each instruction its
 * co_lines() gave (3.11.2 and 3.13.0):
 *     def f(n):
 *         total = 0
 *         for i in range(n):
 *             if i % 3:
 *                 total += i
 *             else:
 *                 total -= 1
 *         return total
 */
#include <stdint.h>

#include "check.h"
#include "python_procs.h"

static const uint8_t py311_table[] = { 0x80, 0x00, 0xd8, 0x0c, 0x0d, 0x80, 0x45, 0xdd, 0x0d, 0x12, 0x90, 0x31, 0x89, 0x58, 0x8c, 0x58, 0xf0, 0x00, 0x04, 0x05, 0x17, 0xf0, 0x00, 0x04, 0x05, 0x17, 0x88, 0x01, 0xd8, 0x0b, 0x0c, 0x88, 0x71, 0x89, 0x35, 0xf0, 0x00, 0x03, 0x09, 0x17, 0xd8, 0x0c, 0x11, 0x90, 0x51, 0x89, 0x4a, 0x88, 0x45, 0x88, 0x45, 0xe0, 0x0c, 0x11, 0x90, 0x51, 0x89, 0x4a, 0x88, 0x45, 0x88, 0x45, 0xd8, 0x0b, 0x10, 0x80, 0x4c };
static const uint32_t py311_lines[] = { 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 8, 8 };
static const uint8_t py313_table[] = { 0x80, 0x00, 0xd8, 0x0c, 0x0d, 0x80, 0x45, 0xdc, 0x0d, 0x12, 0x90, 0x31, 0x8e, 0x58, 0x88, 0x01, 0xd8, 0x0b, 0x0c, 0x88, 0x71, 0x8f, 0x35, 0xd8, 0x0c, 0x11, 0x89, 0x4a, 0x8a, 0x45, 0xe0, 0x0c, 0x11, 0x90, 0x51, 0x89, 0x4a, 0x8a, 0x45, 0xf1, 0x09, 0x00, 0x0e, 0x16, 0xf0, 0x0a, 0x00, 0x0c, 0x11, 0x80, 0x4c };
static const uint32_t py313_lines[] = { 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7, 3, 3, 8, 8 };

static void check_table(const char *name, const uint8_t *t, size_t len, const uint32_t *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (scope_py_line(t, len, 1, (int32_t)i) != lines[i])
			fprintf(stderr, "%s: instruction %zu is on line %u, not %u\n", name, i, lines[i],
				scope_py_line(t, len, 1, (int32_t)i));
	for (size_t i = 0; i < n; i++)
		CHECK(scope_py_line(t, len, 1, (int32_t)i) == lines[i]);
	CHECK(scope_py_line(t, len, 1, (int32_t)n) == 0);  /* past the table: no line */
	CHECK(scope_py_line(t, len, 1, -1) == 0);           /* an unknown instruction: no line */
	/* cut anywhere, the table never gives a line it does not have, and never reads past its end */
	for (size_t cut = 0; cut < len; cut++)
		for (size_t i = 0; i < n; i++) {
			uint32_t l = scope_py_line(t, cut, 1, (int32_t)i);
			CHECK(l == 0 || l == lines[i]);
		}
}

int main(void)
{
	check_table("py311", py311_table, sizeof(py311_table), py311_lines, sizeof(py311_lines) / sizeof(py311_lines[0]));
	check_table("py313", py313_table, sizeof(py313_table), py313_lines, sizeof(py313_lines) / sizeof(py313_lines[0]));
	static const uint8_t not_a_table[] = { 0x05, 0x80 };
	CHECK(scope_py_line(not_a_table, sizeof(not_a_table), 1, 0) == 0); /* not starting at an entry */
	CHECK_DONE();
}
