/* SPDX-License-Identifier: MIT */
/* One table entry per value an ABI item defines (see items.h). */
#ifndef IEMU_ABI_TABLE_H
#define IEMU_ABI_TABLE_H

#include <stddef.h>

struct abi_item {
	const char *name;
	unsigned long long value;
};

#define S(s) { "sizeof(struct " #s ")", sizeof(struct s) }, \
	     { "alignof(struct " #s ")", _Alignof(struct s) },
#define F(s, f) { "offsetof(" #s ", " #f ")", offsetof(struct s, f) }, \
		{ "sizeof(" #s "." #f ")", sizeof(((struct s *)0)->f) },
#define O(s, f) { "offsetof(" #s ", " #f ")", offsetof(struct s, f) },
#define C(n) { #n, (unsigned long long)(n) },

#endif
