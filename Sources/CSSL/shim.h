#ifndef CSSL_SHIM_H
#define CSSL_SHIM_H

#include <openssl/opensslv.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/params.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "CSSL needs OpenSSL 3.0 or newer (Debian: apt-get install libssl-dev)"
#endif

// Swift cannot import function-like macros or 64-bit-cast constants. Each wrapper
// below turns exactly one OpenSSL macro into a function or value. Naming rule:
// CSSL_ + the macro's own name. No logic here: logic belongs in Swift.

static inline unsigned long CSSL_OPENSSL_VERSION_NUMBER(void) { return OPENSSL_VERSION_NUMBER; }

// SSL_CTX ctrl macros
static inline long CSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long CSSL_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long CSSL_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long CSSL_SSL_CTX_clear_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_clear_mode(ctx, mode); }
static inline long CSSL_SSL_set_mode(SSL *ssl, long mode) { return SSL_set_mode(ssl, mode); }
static inline long CSSL_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long CSSL_SSL_CTX_sess_set_cache_size(SSL_CTX *ctx, long size) {
    return SSL_CTX_sess_set_cache_size(ctx, size);
}
static inline long CSSL_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return SSL_CTX_set1_groups_list(ctx, list);
}
static inline long CSSL_SSL_CTX_set1_sigalgs_list(SSL_CTX *ctx, const char *list) {
    return SSL_CTX_set1_sigalgs_list(ctx, list);
}
static inline long CSSL_SSL_CTX_set1_chain(SSL_CTX *ctx, STACK_OF(X509) *chain) {
    return SSL_CTX_set1_chain(ctx, chain);
}
static inline long CSSL_SSL_CTX_add_extra_chain_cert(SSL_CTX *ctx, X509 *cert) {
    return SSL_CTX_add_extra_chain_cert(ctx, cert);
}
static inline long CSSL_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *cert) {
    return SSL_CTX_add1_chain_cert(ctx, cert);
}
static inline long CSSL_SSL_CTX_set_read_ahead(SSL_CTX *ctx, int yes) { return SSL_CTX_set_read_ahead(ctx, yes); }
static inline long CSSL_SSL_CTX_set_max_send_fragment(SSL_CTX *ctx, long size) {
    return SSL_CTX_set_max_send_fragment(ctx, size);
}
static inline long CSSL_SSL_CTX_set_tlsext_servername_callback(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *)) {
    return SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}
static inline long CSSL_SSL_CTX_set_tlsext_servername_arg(SSL_CTX *ctx, void *arg) {
    return SSL_CTX_set_tlsext_servername_arg(ctx, arg);
}
static inline long CSSL_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline long CSSL_SSL_get_extms_support(SSL *ssl) { return SSL_get_extms_support(ssl); }
static inline int CSSL_SSL_want_read(const SSL *ssl) { return SSL_want_read(ssl); }
static inline int CSSL_SSL_want_write(const SSL *ssl) { return SSL_want_write(ssl); }
static inline int CSSL_SSL_set_app_data(SSL *ssl, void *data) { return SSL_set_app_data(ssl, data); }
static inline void *CSSL_SSL_get_app_data(const SSL *ssl) { return SSL_get_app_data(ssl); }
static inline int CSSL_SSL_CTX_set_app_data(SSL_CTX *ctx, void *data) { return SSL_CTX_set_app_data(ctx, data); }
static inline void *CSSL_SSL_CTX_get_app_data(const SSL_CTX *ctx) { return SSL_CTX_get_app_data(ctx); }

// SSL_OP_* constants use 64-bit casts that Swift does not import.
static inline uint64_t CSSL_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t CSSL_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t CSSL_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline uint64_t CSSL_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline uint64_t CSSL_SSL_OP_NO_SSLv3(void) { return SSL_OP_NO_SSLv3; }
static inline uint64_t CSSL_SSL_OP_NO_TLSv1(void) { return SSL_OP_NO_TLSv1; }
static inline uint64_t CSSL_SSL_OP_NO_TLSv1_1(void) { return SSL_OP_NO_TLSv1_1; }
// SSL_OP_NO_CLIENT_RENEGOTIATION is missing from OpenSSL 3.0 headers (it arrived in 3.1).
#ifdef SSL_OP_NO_CLIENT_RENEGOTIATION
static inline uint64_t CSSL_SSL_OP_NO_CLIENT_RENEGOTIATION(void) { return SSL_OP_NO_CLIENT_RENEGOTIATION; }
#endif
static inline uint64_t CSSL_SSL_OP_IGNORE_UNEXPECTED_EOF(void) { return SSL_OP_IGNORE_UNEXPECTED_EOF; }
static inline uint64_t CSSL_SSL_OP_PRIORITIZE_CHACHA(void) { return SSL_OP_PRIORITIZE_CHACHA; }
static inline uint64_t CSSL_SSL_OP_NO_ANTI_REPLAY(void) { return SSL_OP_NO_ANTI_REPLAY; }

// BIO macros
static inline long CSSL_BIO_get_mem_ptr(BIO *bio, BUF_MEM **pp) { return BIO_get_mem_ptr(bio, pp); }
static inline long CSSL_BIO_get_mem_data(BIO *bio, char **contents) { return BIO_get_mem_data(bio, contents); }
static inline long CSSL_BIO_set_mem_eof_return(BIO *bio, int v) { return BIO_set_mem_eof_return(bio, v); }
static inline size_t CSSL_BIO_pending(BIO *bio) { return BIO_pending(bio); }
static inline size_t CSSL_BIO_wpending(BIO *bio) { return BIO_wpending(bio); }
static inline int CSSL_BIO_reset(BIO *bio) { return (int)BIO_reset(bio); }
static inline int CSSL_BIO_flush(BIO *bio) { return (int)BIO_flush(bio); }
static inline void CSSL_BIO_set_retry_read(BIO *bio) { BIO_set_retry_read(bio); }
static inline void CSSL_BIO_set_retry_write(BIO *bio) { BIO_set_retry_write(bio); }
static inline void CSSL_BIO_clear_retry_flags(BIO *bio) { BIO_clear_retry_flags(bio); }
static inline int CSSL_BIO_should_retry(BIO *bio) { return BIO_should_retry(bio); }

// Memory and errors
static inline void CSSL_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline void *CSSL_OPENSSL_malloc(size_t n) { return OPENSSL_malloc(n); }

// Stack macros (X509 and GENERAL_NAME)
static inline int CSSL_sk_X509_num(const STACK_OF(X509) *stack) { return sk_X509_num(stack); }
static inline X509 *CSSL_sk_X509_value(const STACK_OF(X509) *stack, int i) { return sk_X509_value(stack, i); }
static inline STACK_OF(X509) *CSSL_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int CSSL_sk_X509_push(STACK_OF(X509) *stack, X509 *cert) { return sk_X509_push(stack, cert); }
static inline void CSSL_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }
static inline void CSSL_sk_X509_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }
static inline int CSSL_sk_GENERAL_NAME_num(const STACK_OF(GENERAL_NAME) *stack) { return sk_GENERAL_NAME_num(stack); }
static inline GENERAL_NAME *CSSL_sk_GENERAL_NAME_value(const STACK_OF(GENERAL_NAME) *stack, int i) {
    return sk_GENERAL_NAME_value(stack, i);
}
static inline void CSSL_GENERAL_NAMES_free(STACK_OF(GENERAL_NAME) *names) { GENERAL_NAMES_free(names); }

// Stack macros (X509_EXTENSION), for certificate requests
static inline STACK_OF(X509_EXTENSION) *CSSL_sk_X509_EXTENSION_new_null(void) { return sk_X509_EXTENSION_new_null(); }
static inline int CSSL_sk_X509_EXTENSION_push(STACK_OF(X509_EXTENSION) *stack, X509_EXTENSION *ext) {
    return sk_X509_EXTENSION_push(stack, ext);
}
static inline void CSSL_sk_X509_EXTENSION_pop_free(STACK_OF(X509_EXTENSION) *stack) {
    sk_X509_EXTENSION_pop_free(stack, X509_EXTENSION_free);
}

// Key generation macros (EVP_PKEY_Q_keygen is variadic, so Swift cannot call it directly)
static inline EVP_PKEY *CSSL_EVP_EC_gen(const char *curve) { return EVP_EC_gen(curve); }
static inline EVP_PKEY *CSSL_EVP_RSA_gen(unsigned int bits) { return EVP_RSA_gen(bits); }

// EVP_PKEY_fromdata selection (a macro built from other macros)
static inline int CSSL_EVP_PKEY_PUBLIC_KEY(void) { return EVP_PKEY_PUBLIC_KEY; }

// Client session cache mode constants (composite macros)
static inline long CSSL_SSL_SESS_CACHE_OFF(void) { return SSL_SESS_CACHE_OFF; }
static inline long CSSL_SSL_SESS_CACHE_CLIENT(void) { return SSL_SESS_CACHE_CLIENT; }
static inline long CSSL_SSL_SESS_CACHE_NO_INTERNAL(void) { return SSL_SESS_CACHE_NO_INTERNAL; }

// X509 name and string constants
static inline int CSSL_MBSTRING_UTF8(void) { return MBSTRING_UTF8; }

// OCSP stapling: the status-request callback and the stapled response (SSL_CTX/SSL ctrl macros),
// and the AIA OCSP URL list (a STACK_OF(OPENSSL_STRING)).
static inline long CSSL_SSL_CTX_set_tlsext_status_cb(SSL_CTX *ctx, int (*cb)(SSL *, void *)) {
    return SSL_CTX_set_tlsext_status_cb(ctx, cb);
}
static inline long CSSL_SSL_set_tlsext_status_ocsp_resp(SSL *ssl, unsigned char *response, long length) {
    return SSL_set_tlsext_status_ocsp_resp(ssl, response, length);
}
static inline int CSSL_sk_OPENSSL_STRING_num(const STACK_OF(OPENSSL_STRING) *stack) { return sk_OPENSSL_STRING_num(stack); }
static inline char *CSSL_sk_OPENSSL_STRING_value(const STACK_OF(OPENSSL_STRING) *stack, int i) {
    return sk_OPENSSL_STRING_value(stack, i);
}
static inline int CSSL_TLSEXT_STATUSTYPE_ocsp(void) { return TLSEXT_STATUSTYPE_ocsp; }

#endif
