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

void trace_request(const struct trace_req *r)
{
	double end = trace_now_us();
	char cmd[96] = "", res[64];
	const char *name;

	if (!out)
		return;
	if (!strcmp(r->op, "ioctl")) {
		name = iemu_ioctl_name(r->kind, r->cmd);
		if (name)
			snprintf(cmd, sizeof(cmd), ",\"cmd\":\"%s\",\"arg\":\"%#lx\"", name, r->arg);
		else
			snprintf(cmd, sizeof(cmd), ",\"cmd\":\"%#x\",\"arg\":\"%#lx\"", r->cmd, r->arg);
	}
	if (r->result < 0)
		snprintf(res, sizeof(res), "\"ret\":-1,\"errno\":\"%s\"",
			 strerrorname_np((int)-r->result) ? strerrorname_np((int)-r->result) : "?");
	else
		snprintf(res, sizeof(res), "\"ret\":%ld", r->result);
	pthread_mutex_lock(&lock);
	fprintf(out, "{\"t\":%.6f,\"pid\":%d,\"tid\":%d,\"file\":\"%s\",\"op\":\"%s\"%s,%s,\"us\":%.1f}\n",
		r->start_us / 1e6, (int)r->pid, (int)r->tid, r->file, r->op, cmd, res,
		end - r->start_us);
	fflush(out);
	pthread_mutex_unlock(&lock);
}
