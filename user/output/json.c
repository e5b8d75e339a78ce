#include <string.h>
#include "json.h"

static const char hex[] = "0123456789abcdef";

size_t utf8_valid_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;
	unsigned int lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void json_put_string(struct outbuf *ob, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	outbuf_putc(ob, '"');
	while (i < n) {
		unsigned char c = s[i];
		const char *esc = NULL;
		char u[6];
		size_t len;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80 && (len = utf8_valid_len(s + i, n - i))) {
			i += len;
			continue;
		}
		outbuf_write(ob, s + run, i - run);
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c >= 0x80) {
				esc = "\xef\xbf\xbd";
			} else {
				memcpy(u, "\\u00", 4);
				u[4] = hex[c >> 4];
				u[5] = hex[c & 0xf];
				outbuf_write(ob, u, 6);
			}
		}
		if (esc)
			outbuf_puts(ob, esc);
		run = ++i;
	}
	outbuf_write(ob, s + run, n - run);
	outbuf_putc(ob, '"');
}

void jw_begin(struct jw *w, struct outbuf *ob)
{
	w->ob = ob;
	w->first = true;
	outbuf_putc(ob, '{');
}

void jw_end(struct jw *w)
{
	outbuf_write(w->ob, "}\n", 2);
}

void jw_key(struct jw *w, const char *key)
{
	if (!w->first)
		outbuf_putc(w->ob, ',');
	w->first = false;
	outbuf_putc(w->ob, '"');
	outbuf_puts(w->ob, key);
	outbuf_write(w->ob, "\":", 2);
}

void jw_str(struct jw *w, const char *key, const char *s, size_t n)
{
	jw_key(w, key);
	json_put_string(w->ob, s, n);
}

void jw_cstr(struct jw *w, const char *key, const char *s)
{
	jw_str(w, key, s, strlen(s));
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	outbuf_u64(w->ob, v);
}

void jw_i64(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	outbuf_i64(w->ob, v);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	outbuf_puts(w->ob, v ? "true" : "false");
}
