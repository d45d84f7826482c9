/* The silo's side of the batch MAC: a verifier keyed once, as a long-running receiver holds it. */
#ifndef SER_MAC_H
#define SER_MAC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

EVP_MAC_CTX *mac_new(const uint8_t *secret, size_t len);
/* True when the frame's mac field is HMAC-SHA256 over the frame with that field zeroed. */
bool mac_verify(EVP_MAC_CTX *ctx, const uint8_t *frame, size_t len);
#endif
