// SPDX-License-Identifier: MIT
/*
 * Report output (see report.h).  Lines are written whole under a lock, so
 * that reports from device threads and request threads do not interleave.
 */
#include "report.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static struct {
	bool on;
	FILE *log;
	unsigned long count;
	pthread_mutex_t lock;
} rep = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The text as a JSON string body: quotes, backslashes and controls escaped. */
static void json_string(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
}

static void text_line(const struct iemu_report *r)
{
	fprintf(stderr, "iommufd-emu: check: %s: pid %d", iemu_report_kind_name(r->kind),
		(int)r->pid);
	if (r->device)
		fprintf(stderr, ", %s", r->device);
	if (r->what)
		fprintf(stderr, ", %s", r->what);
	if (r->iova)
		fprintf(stderr, ", IOVA 0x%llx", (unsigned long long)r->iova);
	if (r->va)
		fprintf(stderr, ", VA 0x%llx", (unsigned long long)r->va);
	if (r->len)
		fprintf(stderr, ", %llu bytes", (unsigned long long)r->len);
	fprintf(stderr, ": %s\n", r->text);
}

static void json_line(const struct iemu_report *r)
{
	FILE *f = rep.log;

	fprintf(f, "{\"kind\":\"%s\",\"pid\":%d,\"device\":", iemu_report_kind_name(r->kind),
		(int)r->pid);
	if (r->device) {
		fputc('"', f);
		json_string(f, r->device);
		fputc('"', f);
	} else {
		fputs("null", f);
	}
	fputs(",\"what\":\"", f);
	json_string(f, r->what);
	fprintf(f, "\",\"iova\":\"0x%llx\",\"va\":\"0x%llx\",\"len\":%llu,\"text\":\"",
		(unsigned long long)r->iova, (unsigned long long)r->va,
		(unsigned long long)r->len);
	json_string(f, r->text);
	fputs("\"}\n", f);
	fflush(f);
}

void report_emit(const struct iemu_report *r)
{
	pthread_mutex_lock(&rep.lock);
	rep.count++;
	text_line(r);
	if (rep.log)
		json_line(r);
	pthread_mutex_unlock(&rep.lock);
}

static void sink(void *opaque, const struct iemu_report *r)
{
	(void)opaque;
	report_emit(r);
}

int report_start(struct iemu *emu, const char *log)
{
	if (log) {
		rep.log = fopen(log, "ae");
		if (!rep.log)
			return -errno;
	}
	rep.on = true;
	iemu_set_checks(emu, sink, NULL);
	return 0;
}

void report_stop(void)
{
	if (rep.log)
		fclose(rep.log);
	rep.log = NULL;
}

bool report_on(void)
{
	return rep.on;
}

unsigned long report_count(void)
{
	unsigned long n;

	pthread_mutex_lock(&rep.lock);
	n = rep.count;
	pthread_mutex_unlock(&rep.lock);
	return n;
}
