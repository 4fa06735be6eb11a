/* SPDX-License-Identifier: MIT */
/*
 * JSON for traces: a growable buffer to write members into, and a small
 * in-place parser for reading trace lines back (replay).  Only what traces
 * hold: objects, arrays, strings, numbers, booleans, null.
 */
#ifndef IEMU_FUSE_JSON_H
#define IEMU_FUSE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- writing ---- */

struct jbuf {
	char *p;    /* NUL-terminated text, or NULL while empty */
	size_t len, cap;
	bool oom;   /* an allocation failed: the text is cut short */
};

void jb_printf(struct jbuf *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ,"key": (every member a trace line adds starts with its comma) */
void jb_key(struct jbuf *j, const char *key);
/* A string of n bytes in hex, quoted. */
void jb_hex(struct jbuf *j, const void *data, size_t n);
/* A string, quoted and escaped. */
void jb_str(struct jbuf *j, const char *s);
/* The text so far ("" when empty). */
const char *jb_text(const struct jbuf *j);
void jb_free(struct jbuf *j);

/* ---- reading ---- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype type;
	const char *key;   /* inside an object: the member's name */
	const char *s;     /* J_STR: the text (NUL-terminated); J_NUM, J_BOOL: its start */
	size_t len;        /* of s */
	struct jv *child;  /* J_ARR, J_OBJ: the first element or member */
	struct jv *next;   /* the next sibling */
};

struct jnode_block;

struct jdoc {
	struct jv *root;
	struct jnode_block *blocks;
};

/* Parse text (modified in place: strings are unescaped and terminated;
 * it must outlive doc): 0 or -EINVAL. */
int json_parse(char *text, struct jdoc *doc);
void json_free(struct jdoc *doc);

/* A member of an object, or NULL. */
const struct jv *json_get(const struct jv *obj, const char *key);
/* A string member's text, or NULL. */
const char *json_str(const struct jv *obj, const char *key);
/* A number, or a "0x..." string, as an integer (negative numbers wrap). */
bool json_u64(const struct jv *v, uint64_t *out);
bool json_get_u64(const struct jv *obj, const char *key, uint64_t *out);
/* The value as text: a string's text, else the JSON of a scalar; objects
 * and arrays are written out whole.  The caller frees it. */
char *json_text(const struct jv *v);
/* Elements of an array. */
size_t json_count(const struct jv *arr);
const struct jv *json_at(const struct jv *arr, size_t i);

/* Hex text to bytes: how many were written (at most cap), or -EINVAL. */
long hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t cap);

#endif
