/*
 * JSON-lines writer for the hot path. Keys are trusted literals; string
 * values are arbitrary bytes and are escaped so that every line is valid
 * UTF-8 JSON: '"' and '\\' are backslash-escaped, control bytes become \uXXXX
 * (\n, \t ... in their short forms), valid UTF-8 passes through, and every
 * byte that is not part of a valid UTF-8 sequence becomes U+FFFD.
 *
 * The writers are inline so that a literal key's length is known where it
 * is written: a field is one check for room, then stores, in the common case.
 */
#ifndef PL_JSON_H
#define PL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
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

/* The separator and the quoted key at p, which has room for klen + 4 bytes. */
static inline char *jw_key_at(struct jw *w, char *p, const char *key, size_t klen)
{
	*p = ',';
	p += !w->first;
	w->first = false;
	*p++ = '"';
	memcpy(p, key, klen);
	p += klen;
	*p++ = '"';
	*p++ = ':';
	return p;
}

/* The slow paths, for a buffer smaller than one field. */
void jw_key_slow(struct jw *w, const char *key);
void jw_ascii_slow(struct jw *w, const char *key, const char *s, size_t n);

static inline void jw_key(struct jw *w, const char *key)
{
	size_t klen = strlen(key);
	char *p = outbuf_room(w->ob, klen + 4);

	if (p)
		outbuf_commit(w->ob, jw_key_at(w, p, key, klen));
	else
		jw_key_slow(w, key);
}

static inline void jw_str(struct jw *w, const char *key, const char *s, size_t n)
{
	jw_key(w, key);
	json_put_string(w->ob, s, n);
}

static inline void jw_cstr(struct jw *w, const char *key, const char *s)
{
	jw_str(w, key, s, strlen(s));
}

/*
 * A string known to need no escaping: a name from one of our tables or a
 * formatted time (printable ASCII, no quote, no backslash), written as is.
 */
static inline void jw_ascii(struct jw *w, const char *key, const char *s, size_t n)
{
	size_t klen = strlen(key);
	char *p = outbuf_room(w->ob, klen + 6 + n);

	if (!p) {
		jw_ascii_slow(w, key, s, n);
		return;
	}
	p = jw_key_at(w, p, key, klen);
	*p++ = '"';
	memcpy(p, s, n);
	p += n;
	*p++ = '"';
	outbuf_commit(w->ob, p);
}

static inline void jw_name(struct jw *w, const char *key, const char *name)
{
	jw_ascii(w, key, name, strlen(name));
}

static inline void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	size_t klen = strlen(key);
	char *p = outbuf_room(w->ob, klen + 4 + FMT_INT_MAX);

	if (p) {
		outbuf_commit(w->ob, fmt_u64(jw_key_at(w, p, key, klen), v));
	} else {
		jw_key_slow(w, key);
		outbuf_u64(w->ob, v);
	}
}

static inline void jw_i64(struct jw *w, const char *key, int64_t v)
{
	size_t klen = strlen(key);
	char *p = outbuf_room(w->ob, klen + 4 + FMT_INT_MAX);

	if (p) {
		outbuf_commit(w->ob, fmt_i64(jw_key_at(w, p, key, klen), v));
	} else {
		jw_key_slow(w, key);
		outbuf_i64(w->ob, v);
	}
}

static inline void jw_bool(struct jw *w, const char *key, bool v)
{
	size_t klen = strlen(key);
	char *p = outbuf_room(w->ob, klen + 4 + 5);

	if (p) {
		p = jw_key_at(w, p, key, klen);
		memcpy(p, v ? "true" : "false", 5);
		outbuf_commit(w->ob, p + 5 - v);
	} else {
		jw_key_slow(w, key);
		outbuf_puts(w->ob, v ? "true" : "false");
	}
}

#endif
