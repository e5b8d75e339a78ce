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

/* Bytes that stand for themselves in a JSON string. */
static const unsigned char plain[256] = {
	[0x20 ... '"' - 1] = 1,
	['"' + 1 ... '\\' - 1] = 1,
	['\\' + 1 ... 0x7e] = 1,
};

/* The escape of a byte that is not plain and does not start valid UTF-8: at most 6 bytes. */
static char *escape_byte(char *p, unsigned char c)
{
	const char *esc;

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
			memcpy(p, "\xef\xbf\xbd", 3);
			return p + 3;
		}
		memcpy(p, "\\u00", 4);
		p[4] = hex[c >> 4];
		p[5] = hex[c & 0xf];
		return p + 6;
	}
	memcpy(p, esc, 2);
	return p + 2;
}

/* With room for the worst case (every byte a 6-byte escape): no check per byte. */
static char *put_string_at(char *p, const unsigned char *s, size_t n)
{
	size_t i = 0, len;

	*p++ = '"';
	while (i < n) {
		unsigned char c = s[i];

		if (plain[c]) {
			*p++ = c;
			i++;
		} else if (c >= 0x80 && (len = utf8_valid_len(s + i, n - i))) {
			memcpy(p, s + i, len);
			p += len;
			i += len;
		} else {
			p = escape_byte(p, c);
			i++;
		}
	}
	*p++ = '"';
	return p;
}

void json_put_string(struct outbuf *ob, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, len;
	char *p;

	if (n < ob->cap / 6 && (p = outbuf_room(ob, 6 * n + 2))) {
		outbuf_commit(ob, put_string_at(p, s, n));
		return;
	}
	/* Longer than the buffer can take at once: runs of plain bytes, escapes between. */
	outbuf_putc(ob, '"');
	while (i < n) {
		unsigned char c = s[i];
		char esc[6];

		if (plain[c]) {
			i++;
			continue;
		}
		if (c >= 0x80 && (len = utf8_valid_len(s + i, n - i))) {
			i += len;
			continue;
		}
		outbuf_write(ob, s + run, i - run);
		outbuf_write(ob, esc, escape_byte(esc, c) - esc);
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

void jw_key_slow(struct jw *w, const char *key)
{
	if (!w->first)
		outbuf_putc(w->ob, ',');
	w->first = false;
	outbuf_putc(w->ob, '"');
	outbuf_puts(w->ob, key);
	outbuf_write(w->ob, "\":", 2);
}

void jw_ascii_slow(struct jw *w, const char *key, const char *s, size_t n)
{
	jw_key_slow(w, key);
	outbuf_putc(w->ob, '"');
	outbuf_write(w->ob, s, n);
	outbuf_putc(w->ob, '"');
}
