/* The machine id SCOPE shows: an app-specific HMAC of /etc/machine-id, never the raw id (which
 * other software treats as a secret). The silo computes the same value (Scope.Events.MachineId). */
#ifndef SCOPE_MACHINE_ID_H
#define SCOPE_MACHINE_ID_H
#include <stddef.h>

/* out gets 32 hex characters and a NUL; returns 0 or a negative errno. */
int scope_machine_id_protect(const char *raw, char out[33]);
int scope_machine_id_read(char out[33]);
#endif
