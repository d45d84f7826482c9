#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

/* libstdc++'s demangler (the Itanium C++ ABI's), declared here so the collector stays C. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

bool scope_demangle(const char *name, char *out, size_t outlen)
{
	int status = -1;
	bool mangled = strncmp(name, "_Z", 2) == 0;
	char *d = mangled ? __cxa_demangle(name, NULL, NULL, &status) : NULL;
	if (outlen)
		snprintf(out, outlen, "%s", status == 0 && d ? d : name);
	free(d);
	return !mangled || status == 0;
}
