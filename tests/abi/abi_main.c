// SPDX-License-Identifier: MIT
/*
 * Compare the two tables: every item the other headers define must match,
 * except that a struct listed in grown.txt may be shorter there.
 *   abi_check GROWN_FILE
 */
#include <stdio.h>
#include <string.h>

#include "abi_table.h"

extern const struct abi_item abi_sys[], abi_ours[];

static int grown(const char *file, const char *item)
{
	char line[256], name[128];
	FILE *f = fopen(file, "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (line[0] != '#' && sscanf(line, "%127s", name) == 1 &&
		    snprintf(line, sizeof(line), "sizeof(struct %s)", name) > 0 &&
		    !strcmp(line, item))
			found = 1;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	unsigned int passed = 0, failed = 0;

	for (const struct abi_item *s = abi_sys; s->name; s++) {
		const struct abi_item *o = abi_ours;

		while (o->name && strcmp(o->name, s->name))
			o++;
		if (o->name && o->value == s->value) {
			passed++;
			continue;
		}
		if (o->name && argc > 1 && s->value < o->value &&
		    grown(argv[1], s->name)) {
			printf("older, shorter %s: %llu bytes there, %llu here\n",
			       s->name, s->value, o->value);
			passed++;
			continue;
		}
		failed++;
		printf("MISMATCH %s: system %#llx, ours %#llx\n", s->name, s->value,
		       o->name ? o->value : 0ULL);
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
