#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "machine_id.h"

int scope_machine_id_protect(const char *raw, char out[33])
{
	size_t n = strlen(raw);
	while (n && (raw[n - 1] == '\n' || raw[n - 1] == ' ' || raw[n - 1] == '\r' || raw[n - 1] == '\t'))
		n--;
	while (n && (*raw == ' ' || *raw == '\t')) {
		raw++;
		n--;
	}
	if (!n)
		return -EINVAL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t len = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, raw, n, (const unsigned char *)"scope", 5,
		       mac, sizeof(mac), &len) || len < 16)
		return -EIO;
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
	out[32] = 0;
	return 0;
}

int scope_machine_id_read(char out[33])
{
	static const char *const paths[] = { "/etc/machine-id", "/var/lib/dbus/machine-id" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		FILE *f = fopen(paths[i], "r");
		if (!f)
			continue;
		char raw[128] = { 0 };
		char *ok = fgets(raw, sizeof(raw), f);
		fclose(f);
		if (ok && scope_machine_id_protect(raw, out) == 0)
			return 0;
	}
	return -ENOENT;
}
