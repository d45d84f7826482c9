// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Verification mirrors frame_mac() in collector-native/src/frame.c step for step (re-init with the
 * same key, header up to mac, 32 zero bytes, the rest), so sealing and verifying cost the same
 * hashing and the difference between formats is only the bytes hashed.
 */
#include <stddef.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "mac.h"
#include "scope_events.h"

#define MAC_OFFSET offsetof(struct scope_batch_header, mac)

EVP_MAC_CTX *mac_new(const uint8_t *secret, size_t len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	if (ctx && !EVP_MAC_init(ctx, secret, len, params)) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

bool mac_verify(EVP_MAC_CTX *ctx, const uint8_t *frame, size_t len)
{
	static const uint8_t zero[SCOPE_MAC_LEN];
	uint8_t out[SCOPE_MAC_LEN];
	size_t outlen = 0;
	if (len < sizeof(struct scope_batch_header))
		return false;
	int ok = EVP_MAC_init(ctx, NULL, 0, NULL) && EVP_MAC_update(ctx, frame, MAC_OFFSET) &&
		 EVP_MAC_update(ctx, zero, sizeof(zero)) &&
		 EVP_MAC_update(ctx, frame + MAC_OFFSET + SCOPE_MAC_LEN, len - MAC_OFFSET - SCOPE_MAC_LEN) &&
		 EVP_MAC_final(ctx, out, &outlen, sizeof(out)) && outlen == SCOPE_MAC_LEN;
	return ok && CRYPTO_memcmp(out, frame + MAC_OFFSET, SCOPE_MAC_LEN) == 0;
}
