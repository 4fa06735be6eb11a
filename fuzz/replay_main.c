// SPDX-License-Identifier: MIT
/*
 * A plain main for the replay build: runs the target's
 * LLVMFuzzerTestOneInput on each file named (a directory: on each file in
 * it), one after the other in one process, as the fuzzer would.  Built
 * -O0 -g with the sanitizers, so that a crash file stops where it breaks
 * under gdb.
 *
 * With --speed SECONDS [--max-len N] (the speed build: -O2, no sanitizer,
 * no coverage) it loads every input first, cut to N bytes, runs them all
 * over and over for SECONDS and prints the target's own executions per
 * second: the cost of the harness and the emulator, without a fuzzing
 * engine's.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Inputs kept for --speed (loaded, then run). */
struct input {
	uint8_t *data;
	size_t size;
};

static struct input *kept;
static size_t nkept;
static size_t max_len = SIZE_MAX;
static bool keep_only;

static int keep(uint8_t *buf, size_t n)
{
	struct input *k = realloc(kept, (nkept + 1) * sizeof(*kept));

	if (!k)
		return 1;
	kept = k;
	kept[nkept++] = (struct input){ buf, n < max_len ? n : max_len };
	return 0;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f) {
		perror(path);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n) {
		fprintf(stderr, "%s: cannot read\n", path);
		fclose(f);
		free(buf);
		return 1;
	}
	fclose(f);
	if (keep_only)
		return keep(buf, n);
	fprintf(stderr, "running %s (%ld bytes)\n", path, n);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir)
{
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	DIR *d = opendir(dir);

	if (!d) {
		perror(dir);
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		sprintf(names[n++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	for (size_t i = 0; i < n; i++) {
		rc |= run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return rc;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Run the kept inputs round after round for secs; print inputs, mean
 * size, exec/s. */
static int speed(double secs)
{
	double t0 = now(), elapsed;
	size_t bytes = 0;
	long rounds = 0;

	if (!nkept) {
		fprintf(stderr, "no inputs\n");
		return 1;
	}
	for (size_t i = 0; i < nkept; i++)
		bytes += kept[i].size;
	do {
		for (size_t i = 0; i < nkept; i++)
			LLVMFuzzerTestOneInput(kept[i].data, kept[i].size);
		rounds++;
		elapsed = now() - t0;
	} while (elapsed < secs);
	printf("%zu inputs, %.0f bytes each on average, %.0f exec/s (%.1f us each)\n", nkept,
	       (double)bytes / (double)nkept, (double)rounds * (double)nkept / elapsed,
	       elapsed * 1e6 / ((double)rounds * (double)nkept));
	return 0;
}

int main(int argc, char **argv)
{
	double secs = 0;
	int rc = 0, i = 1;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--speed"))
			secs = strtod(argv[i + 1], NULL);
		else if (!strcmp(argv[i], "--max-len"))
			max_len = strtoul(argv[i + 1], NULL, 0);
		else
			break;
	}
	if (i >= argc || secs < 0) {
		fprintf(stderr, "usage: %s [--speed SECONDS [--max-len N]] FILE|DIR...\n", argv[0]);
		return 2;
	}
	keep_only = secs > 0;
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			perror(argv[i]);
			rc = 1;
		} else {
			rc |= S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
		}
	}
	if (!rc && keep_only)
		return speed(secs);
	if (!rc)
		fprintf(stderr, "done: no crash\n");
	return rc;
}
