#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "frame.h"

#define MAC_OFFSET offsetof(struct scope_batch_header, mac)

static EVP_MAC_CTX *hmac_new(const uint8_t *secret, size_t secret_len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac); /* the context keeps its own reference */
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	if (ctx && !EVP_MAC_init(ctx, secret, secret_len, params)) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

static void copy_id(char *dst, size_t n, const char *src)
{
	/* NUL-padded, not NUL-terminated: a 32-character machine id fills its field */
	memset(dst, 0, n);
	if (src)
		memcpy(dst, src, strnlen(src, n));
}

int scope_framer_init(struct scope_framer *f, const struct scope_frame_ids *ids, uint64_t instance,
		      const uint8_t *secret, size_t secret_len, size_t max_payload)
{
	memset(f, 0, sizeof(*f));
	if (secret_len == 0 || secret_len > SCOPE_SECRET_MAX)
		return -EINVAL;
	f->mac = hmac_new(secret, secret_len);
	if (!f->mac)
		return -EIO;
	f->cap = sizeof(struct scope_batch_header) + max_payload;
	f->buf = malloc(f->cap);
	if (!f->buf)
		return -ENOMEM;
	struct scope_batch_header *h = &f->tmpl;
	h->magic = SCOPE_BATCH_MAGIC;
	h->version = SCOPE_WIRE_VERSION;
	h->header_size = sizeof(*h);
	h->instance = instance;
	copy_id(h->machine_id, sizeof(h->machine_id), ids->machine_id);
	copy_id(h->collector_id, sizeof(h->collector_id), ids->collector_id);
	copy_id(h->task_id, sizeof(h->task_id), ids->task_id);
	copy_id(h->collector_version, sizeof(h->collector_version), ids->version);
	f->sequence = 1;
	f->len = sizeof(*h);
	return 0;
}

void scope_framer_free(struct scope_framer *f)
{
	free(f->buf);
	EVP_MAC_CTX_free(f->mac);
	f->buf = NULL;
	f->mac = NULL;
}

bool scope_framer_add(struct scope_framer *f, const void *rec, size_t len)
{
	if (f->len + len > f->cap)
		return false;
	memcpy(f->buf + f->len, rec, len);
	f->len += len;
	f->records++;
	return true;
}

/* ctx holds the key; it is re-initialised (same key) for every frame. */
static int frame_mac(EVP_MAC_CTX *ctx, const uint8_t *frame, size_t len, uint8_t out[SCOPE_MAC_LEN])
{
	static const uint8_t zero[SCOPE_MAC_LEN];
	size_t outlen = 0;
	if (len < sizeof(struct scope_batch_header))
		return -EINVAL;
	int ok = EVP_MAC_init(ctx, NULL, 0, NULL) && EVP_MAC_update(ctx, frame, MAC_OFFSET) &&
		 EVP_MAC_update(ctx, zero, sizeof(zero)) &&
		 EVP_MAC_update(ctx, frame + MAC_OFFSET + SCOPE_MAC_LEN, len - MAC_OFFSET - SCOPE_MAC_LEN) &&
		 EVP_MAC_final(ctx, out, &outlen, SCOPE_MAC_LEN) && outlen == SCOPE_MAC_LEN;
	return ok ? 0 : -EIO;
}

int scope_frame_mac(const uint8_t *frame, size_t len, const uint8_t *secret, size_t secret_len,
		    uint8_t out[SCOPE_MAC_LEN])
{
	EVP_MAC_CTX *ctx = hmac_new(secret, secret_len);
	if (!ctx)
		return -EIO;
	int err = frame_mac(ctx, frame, len, out);
	EVP_MAC_CTX_free(ctx);
	return err;
}

size_t scope_framer_seal(struct scope_framer *f, const uint64_t kernel_drops[3], uint64_t send_drops,
			 uint64_t realtime_ns, uint64_t boottime_ns, uint32_t flags)
{
	struct scope_batch_header h = f->tmpl;
	h.flags = flags;
	h.record_count = f->records;
	h.payload_size = f->len - sizeof(h);
	h.sequence = f->sequence;
	h.first_event = f->produced;
	h.realtime_ns = realtime_ns;
	h.boottime_ns = boottime_ns;
	memcpy(h.kernel_drops, kernel_drops, sizeof(h.kernel_drops));
	h.send_drops = send_drops;
	memset(h.mac, 0, sizeof(h.mac));
	memcpy(f->buf, &h, sizeof(h));
	if (frame_mac(f->mac, f->buf, f->len, f->buf + MAC_OFFSET))
		return 0;
	return f->len;
}

void scope_framer_next(struct scope_framer *f)
{
	f->produced += f->records;
	f->sequence++;
	f->records = 0;
	f->len = sizeof(struct scope_batch_header);
}
