// SPDX-License-Identifier: MIT
/*
 * The request trace (see trace.h).  Lines are written whole under a lock
 * and flushed at once, so that a trace stays usable when the server dies.
 */
#include "trace.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "options.h"
#include "snapshot.h"

static FILE *out;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int trace_open(const char *path)
{
	out = fopen(path, "ae");
	return out ? 0 : -errno;
}

void trace_close(void)
{
	if (out)
		fclose(out);
	out = NULL;
	snapshot_reset();
}

bool trace_on(void)
{
	return out != NULL;
}

double trace_now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void write_line(const char *text)
{
	pthread_mutex_lock(&lock);
	if (out) {
		fputs(text, out);
		fputc('\n', out);
		fflush(out);
	}
	pthread_mutex_unlock(&lock);
}

static void string_list(struct jbuf *j, const char *key, const char *const *items,
			unsigned int n)
{
	jb_key(j, key);
	jb_printf(j, "[");
	for (unsigned int i = 0; i < n; i++) {
		if (i)
			jb_printf(j, ",");
		jb_str(j, items[i]);
	}
	jb_printf(j, "]");
}

void trace_header(const struct options *o)
{
	struct jbuf j = { 0 };

	if (!out)
		return;
	jb_printf(&j, "{\"iommufd_emu_trace\":1,\"t\":%.6f,\"kernel\":\"%s\",\"seed\":%llu",
		  trace_now_us() / 1e6, o->kernel == IEMU_KERNEL_6_12 ? "6.12" : "7.3",
		  o->seed);
	if (o->selftest_mock)
		jb_printf(&j, ",\"selftest_mock\":true");
	if (o->add_caps)
		jb_printf(&j, ",\"add_caps\":%llu", o->add_caps);
	string_list(&j, "devices", o->devices, o->ndevices);
	string_list(&j, "inject", o->injects, o->ninjects);
	jb_printf(&j, "}");
	if (!j.oom)
		write_line(jb_text(&j));
	jb_free(&j);
}

/* ,"cmd":"NAME","arg":"0x..." (the number in hex when it has no name). */
static void put_cmd(struct jbuf *j, const struct trace_req *r)
{
	const char *name = iemu_ioctl_name(r->kind, r->cmd);

	if (name)
		jb_printf(j, ",\"cmd\":\"%s\"", name);
	else
		jb_printf(j, ",\"cmd\":\"0x%x\"", r->cmd);
	jb_printf(j, ",\"arg\":\"0x%lx\"", r->arg);
}

static void put_result(struct jbuf *j, long result)
{
	const char *name;

	if (result >= 0) {
		jb_printf(j, ",\"ret\":%ld", result);
		return;
	}
	name = strerrorname_np((int)-result);
	jb_printf(j, ",\"ret\":-1,\"errno\":\"%s\"", name ? name : "?");
}

void trace_request(const struct trace_req *r)
{
	double end = trace_now_us();
	struct jbuf j = { 0 };

	if (!out)
		return;
	jb_printf(&j, "{\"t\":%.6f,\"pid\":%d,\"tid\":%d,\"file\":\"%s\",\"serial\":%u,"
		  "\"op\":\"%s\"", r->start_us / 1e6, (int)r->pid, (int)r->tid, r->file, r->serial,
		  r->op);
	if (!strcmp(r->op, "ioctl"))
		put_cmd(&j, r);
	jb_printf(&j, "%s", r->args ? r->args : "");
	put_result(&j, r->result);
	jb_printf(&j, "%s,\"us\":%.1f}", r->outs ? r->outs : "", end - r->start_us);
	if (j.oom)
		trace_note("a request's line did not fit in memory");
	else
		write_line(jb_text(&j));
	jb_free(&j);
}

void trace_mem(pid_t pid, uint64_t va, const void *data, size_t len)
{
	struct jbuf j = { 0 };

	jb_printf(&j, "{\"t\":%.6f,\"pid\":%d,\"op\":\"mem\",\"va\":\"0x%llx\",\"data\":",
		  trace_now_us() / 1e6, (int)pid, (unsigned long long)va);
	jb_hex(&j, data, len);
	jb_printf(&j, "}");
	if (!j.oom)
		write_line(jb_text(&j));
	jb_free(&j);
}

void trace_note(const char *text)
{
	struct jbuf j = { 0 };

	jb_printf(&j, "{\"t\":%.6f,\"op\":\"note\",\"text\":", trace_now_us() / 1e6);
	jb_str(&j, text);
	jb_printf(&j, "}");
	if (!j.oom)
		write_line(jb_text(&j));
	jb_free(&j);
}
