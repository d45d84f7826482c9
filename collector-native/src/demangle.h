/* C++ names as people read them. */
#ifndef SCOPE_DEMANGLE_H
#define SCOPE_DEMANGLE_H
#include <stddef.h>

#include <stdbool.h>

/* Writes the demangled form of name into out (or name itself when it is not a mangled C++ name).
 * Returns false when name is mangled (_Z…) but the demangler cannot read it: out holds name. */
bool scope_demangle(const char *name, char *out, size_t outlen);
#endif
