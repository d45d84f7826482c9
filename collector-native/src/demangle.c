#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

/* libstdc++'s demangler (the Itanium C++ ABI's), declared here so the collector stays C. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

void scope_demangle(const char *name, char *out, size_t outlen)
{
	if (!outlen)
		return;
	int status = -1;
	char *d = strncmp(name, "_Z", 2) == 0 ? __cxa_demangle(name, NULL, NULL, &status) : NULL;
	snprintf(out, outlen, "%s", status == 0 && d ? d : name);
	free(d);
}
