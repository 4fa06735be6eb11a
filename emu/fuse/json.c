// SPDX-License-Identifier: MIT
/*
 * JSON for traces (see json.h).  The parser works in place on a line: a
 * line can hold megabytes of hex (memory snapshots), so strings are not
 * copied; nodes come from blocks freed together.
 */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ---- */

static bool reserve(struct jbuf *j, size_t more)
{
	size_t cap = j->cap ? j->cap : 256;
	char *p;

	if (j->oom)
		return false;
	if (j->len + more + 1 <= j->cap)
		return true;
	while (cap < j->len + more + 1)
		cap *= 2;
	p = realloc(j->p, cap);
	if (!p) {
		j->oom = true;
		return false;
	}
	j->p = p;
	j->cap = cap;
	return true;
}

void jb_printf(struct jbuf *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(j, n))
		return;
	va_start(ap, fmt);
	vsnprintf(j->p + j->len, n + 1, fmt, ap);
	va_end(ap);
	j->len += n;
}

void jb_key(struct jbuf *j, const char *key)
{
	jb_printf(j, ",\"%s\":", key);
}

void jb_hex(struct jbuf *j, const void *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = data;

	if (!reserve(j, 2 * n + 2))
		return;
	j->p[j->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		j->p[j->len++] = digits[b[i] >> 4];
		j->p[j->len++] = digits[b[i] & 15];
	}
	j->p[j->len++] = '"';
	j->p[j->len] = '\0';
}

void jb_str(struct jbuf *j, const char *s)
{
	jb_printf(j, "\"");
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			jb_printf(j, "\\%c", c);
		else if (c < 0x20)
			jb_printf(j, "\\u%04x", c);
		else
			jb_printf(j, "%c", c);
	}
	jb_printf(j, "\"");
}

const char *jb_text(const struct jbuf *j)
{
	return j->p ? j->p : "";
}

void jb_free(struct jbuf *j)
{
	free(j->p);
	*j = (struct jbuf){ 0 };
}

/* ---- reading ---- */

#define BLOCK_NODES 256

struct jnode_block {
	struct jnode_block *next;
	size_t used;
	struct jv v[BLOCK_NODES];
};

struct parser {
	char *p;
	struct jdoc *doc;
	int depth;
};

static struct jv *new_node(struct parser *ps, enum jtype type)
{
	struct jnode_block *b = ps->doc->blocks;

	if (!b || b->used == BLOCK_NODES) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		b->next = ps->doc->blocks;
		ps->doc->blocks = b;
	}
	b->v[b->used] = (struct jv){ .type = type };
	return &b->v[b->used++];
}

static void skip_space(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string at ps->p (after the quote), unescaped in place; escapes beyond
 * one byte (\u above 0x7f) become '?', as traces write none. */
static char *parse_string(struct parser *ps, size_t *len)
{
	char *start = ps->p, *out = ps->p;

	for (;;) {
		char c = *ps->p++;

		if (!c)
			return NULL;
		if (c == '"')
			break;
		if (c != '\\') {
			*out++ = c;
			continue;
		}
		c = *ps->p++;
		switch (c) {
		case 'n': *out++ = '\n'; break;
		case 't': *out++ = '\t'; break;
		case 'r': *out++ = '\r'; break;
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'u': {
			int v = 0;

			for (int i = 0; i < 4; i++) {
				int h = hexval(*ps->p++);

				if (h < 0)
					return NULL;
				v = v * 16 + h;
			}
			*out++ = v < 0x80 ? (char)v : '?';
			break;
		}
		case '\0':
			return NULL;
		default:
			*out++ = c;
			break;
		}
	}
	*len = out - start;
	*out = '\0';
	return start;
}

static struct jv *parse_value(struct parser *ps);

static struct jv *parse_container(struct parser *ps, bool object)
{
	struct jv *v = new_node(ps, object ? J_OBJ : J_ARR), **tail;
	char close = object ? '}' : ']';

	if (!v || ++ps->depth > 64)
		return NULL;
	tail = &v->child;
	skip_space(ps);
	if (*ps->p == close) {
		ps->p++;
		ps->depth--;
		return v;
	}
	for (;;) {
		const char *key = NULL;
		struct jv *e;
		size_t klen;

		skip_space(ps);
		if (object) {
			if (*ps->p++ != '"' || !(key = parse_string(ps, &klen)))
				return NULL;
			skip_space(ps);
			if (*ps->p++ != ':')
				return NULL;
		}
		e = parse_value(ps);
		if (!e)
			return NULL;
		e->key = key;
		*tail = e;
		tail = &e->next;
		skip_space(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p++ != close)
			return NULL;
		ps->depth--;
		return v;
	}
}

static struct jv *parse_scalar(struct parser *ps)
{
	static const struct {
		const char *word;
		enum jtype type;
	} words[] = { { "true", J_BOOL }, { "false", J_BOOL }, { "null", J_NULL } };
	char *start = ps->p;
	struct jv *v;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].word);

		if (!strncmp(ps->p, words[i].word, n)) {
			v = new_node(ps, words[i].type);
			if (v) {
				v->s = start;
				v->len = n;
			}
			ps->p += n;
			return v;
		}
	}
	while (*ps->p && strchr("+-0123456789.eE", *ps->p))
		ps->p++;
	if (ps->p == start)
		return NULL;
	v = new_node(ps, J_NUM);
	if (v) {
		v->s = start;
		v->len = ps->p - start;
	}
	return v;
}

static struct jv *parse_value(struct parser *ps)
{
	struct jv *v;

	skip_space(ps);
	switch (*ps->p) {
	case '{':
		ps->p++;
		return parse_container(ps, true);
	case '[':
		ps->p++;
		return parse_container(ps, false);
	case '"':
		ps->p++;
		v = new_node(ps, J_STR);
		if (v && !(v->s = parse_string(ps, &v->len)))
			return NULL;
		return v;
	default:
		return parse_scalar(ps);
	}
}

int json_parse(char *text, struct jdoc *doc)
{
	struct parser ps = { .p = text, .doc = doc };

	*doc = (struct jdoc){ 0 };
	doc->root = parse_value(&ps);
	skip_space(&ps);
	if (!doc->root || *ps.p) {
		json_free(doc);
		return -EINVAL;
	}
	return 0;
}

void json_free(struct jdoc *doc)
{
	while (doc->blocks) {
		struct jnode_block *b = doc->blocks;

		doc->blocks = b->next;
		free(b);
	}
	doc->root = NULL;
}

const struct jv *json_get(const struct jv *obj, const char *key)
{
	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (const struct jv *m = obj->child; m; m = m->next)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

const char *json_str(const struct jv *obj, const char *key)
{
	const struct jv *v = json_get(obj, key);

	return v && v->type == J_STR ? v->s : NULL;
}

bool json_u64(const struct jv *v, uint64_t *out)
{
	char num[32], *end;

	if (!v || (v->type != J_NUM && v->type != J_STR) || !v->len || v->len >= sizeof(num))
		return false;
	memcpy(num, v->s, v->len);
	num[v->len] = '\0';
	errno = 0;
	*out = num[0] == '-' ? (uint64_t)strtoll(num, &end, 0) : strtoull(num, &end, 0);
	return !*end && !errno;
}

bool json_get_u64(const struct jv *obj, const char *key, uint64_t *out)
{
	return json_u64(json_get(obj, key), out);
}

static void write_value(struct jbuf *j, const struct jv *v)
{
	switch (v->type) {
	case J_STR:
		jb_str(j, v->s);
		break;
	case J_ARR:
	case J_OBJ:
		jb_printf(j, v->type == J_ARR ? "[" : "{");
		for (const struct jv *e = v->child; e; e = e->next) {
			if (e != v->child)
				jb_printf(j, ",");
			if (e->key)
				jb_printf(j, "\"%s\":", e->key);
			write_value(j, e);
		}
		jb_printf(j, v->type == J_ARR ? "]" : "}");
		break;
	default:
		jb_printf(j, "%.*s", (int)v->len, v->s);
		break;
	}
}

char *json_text(const struct jv *v)
{
	struct jbuf j = { 0 };

	if (v->type == J_STR)
		return strdup(v->s);
	write_value(&j, v);
	if (j.oom) {
		jb_free(&j);
		return NULL;
	}
	return j.p ? j.p : strdup("");
}

size_t json_count(const struct jv *arr)
{
	size_t n = 0;

	if (arr && (arr->type == J_ARR || arr->type == J_OBJ))
		for (const struct jv *e = arr->child; e; e = e->next)
			n++;
	return n;
}

const struct jv *json_at(const struct jv *arr, size_t i)
{
	const struct jv *e;

	if (!arr || (arr->type != J_ARR && arr->type != J_OBJ))
		return NULL;
	for (e = arr->child; e && i; e = e->next)
		i--;
	return e;
}

long hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t cap)
{
	size_t n = hexlen / 2;

	if (hexlen % 2)
		return -EINVAL;
	if (n > cap)
		n = cap;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)n;
}
