/*
 * JSON-lines writer for the hot path. Keys are trusted literals; string
 * values are arbitrary bytes and are escaped so that every line is valid
 * UTF-8 JSON: '"' and '\\' are backslash-escaped, control bytes become \uXXXX
 * (\n, \t ... in their short forms), valid UTF-8 passes through, and every
 * byte that is not part of a valid UTF-8 sequence becomes U+FFFD.
 */
#ifndef PL_JSON_H
#define PL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "outbuf.h"

struct jw {
	struct outbuf *ob;
	bool first;
};

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), or 0. */
size_t utf8_valid_len(const unsigned char *s, size_t n);

void json_put_string(struct outbuf *ob, const char *s, size_t n);

void jw_begin(struct jw *w, struct outbuf *ob);
void jw_end(struct jw *w);	/* closes the object and the line */
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *key, const char *s, size_t n);
void jw_cstr(struct jw *w, const char *key, const char *s);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, bool v);

#endif
