// SPDX-License-Identifier: MIT
/*
 * Rendering of the status view (see status.h).
 */
#include "status.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clients.h"
#include "iommufd_emu.h"

struct totals {
	FILE *f;
	unsigned int contexts;
	struct iemu_ctx_stats sum;
	/* per-client pass */
	pid_t pid;
	struct iemu_ctx_stats mine;
};

static void add(struct iemu_ctx_stats *a, const struct iemu_ctx_stats *b)
{
	a->objects += b->objects;
	a->ioas += b->ioas;
	a->hwpt += b->hwpt;
	a->devices += b->devices;
	a->accesses += b->accesses;
	a->areas += b->areas;
	a->mapped_bytes += b->mapped_bytes;
	a->pinned_pages += b->pinned_pages;
}

static void sum_ctx(void *arg, const struct status_ctx *c)
{
	struct totals *t = arg;
	struct iemu_ctx_stats st;

	iemu_ctx_stats(c->ctx, &st);
	t->contexts++;
	add(&t->sum, &st);
}

static void print_ctx(void *arg, const struct status_ctx *c)
{
	struct totals *t = arg;
	struct iemu_ctx_stats st;

	iemu_ctx_stats(c->ctx, &st);
	fprintf(t->f,
		"context id=%u client=%d objects=%u ioas=%u hwpt=%u devices=%u accesses=%u areas=%llu mapped=%llu pinned=%llu\n",
		c->serial, (int)c->opener, st.objects, st.ioas, st.hwpt, st.devices,
		st.accesses, (unsigned long long)st.areas,
		(unsigned long long)st.mapped_bytes, (unsigned long long)st.pinned_pages);
}

static void client_ctx(void *arg, const struct status_ctx *c)
{
	struct totals *t = arg;
	struct iemu_ctx_stats st;

	if (c->opener != t->pid)
		return;
	iemu_ctx_stats(c->ctx, &st);
	add(&t->mine, &st);
}

struct client_pass {
	struct totals *t;
	void (*each_ctx)(void (*fn)(void *, const struct status_ctx *), void *);
};

static void print_client(void *arg, const struct client_info *ci)
{
	struct client_pass *p = arg;
	struct totals *t = p->t;
	struct iemu_proc_stats ps = { 0 };

	t->pid = ci->pid;
	t->mine = (struct iemu_ctx_stats){ 0 };
	p->each_ctx(client_ctx, t);
	if (ci->proc)
		iemu_proc_stats(ci->proc, &ps);
	fprintf(t->f,
		"client pid=%d comm=%s contexts=%u objects=%u areas=%llu mapped=%llu pinned=%llu locked_vm=%llu memory=%s\n",
		(int)ci->pid, ci->comm, ci->contexts, t->mine.objects,
		(unsigned long long)t->mine.areas,
		(unsigned long long)t->mine.mapped_bytes,
		(unsigned long long)t->mine.pinned_pages,
		(unsigned long long)ps.locked_vm, ci->memory_ok ? "ok" : "denied");
}

static void count_client(void *arg, const struct client_info *ci)
{
	(void)ci;
	(*(unsigned int *)arg)++;
}

static const char *const noiommu_names[] = {
	[IEMU_NOIOMMU_OFF] = "off",
	[IEMU_NOIOMMU_REFUSE] = "refuse",
	[IEMU_NOIOMMU_NOCDEV] = "nocdev",
	[IEMU_NOIOMMU_NOOP_ATTACH] = "noop-attach",
	[IEMU_NOIOMMU_SWPT] = "swpt",
};

/* A device, then its most recent faults (what last went wrong in its DMA). */
static void print_device(FILE *f, struct iemu_device *d)
{
	struct iemu_device_info i;
	struct iemu_fault faults[4];
	unsigned int n;

	iemu_device_info(d, &i);
	fprintf(f, "device name=%s bdf=%s model=%s label=%s noiommu=%s cdev=%d emulated=%d "
		   "bound=%d devid=%u pt_id=%u dma_bytes=%llu faults=%llu\n",
		i.name, i.bdf, i.model, i.label, noiommu_names[i.noiommu], i.has_cdev,
		i.emulated, i.bound, i.devid, i.pt_id, (unsigned long long)i.dma_bytes,
		(unsigned long long)i.faults);
	iemu_device_faults(d, faults, 4, &n);
	for (unsigned int k = 0; k < n; k++)
		fprintf(f, "fault device=%s seq=%llu kind=%s addr=0x%llx len=%llu write=%d "
			   "what=%s\n", i.name, (unsigned long long)faults[k].seq,
			iemu_fault_kind_name(faults[k].kind), (unsigned long long)faults[k].addr,
			(unsigned long long)faults[k].len, faults[k].write, faults[k].what);
}

char *status_render(struct iemu *emu, const char *mount,
		    void (*each_ctx)(void (*fn)(void *arg, const struct status_ctx *c),
				     void *arg),
		    size_t *len)
{
	struct totals t = { 0 };
	struct client_pass pass = { &t, each_ctx };
	unsigned int clients = 0;
	char *text = NULL;

	t.f = open_memstream(&text, len);
	if (!t.f)
		return NULL;
	each_ctx(sum_ctx, &t);
	clients_for_each(count_client, &clients);
	fprintf(t.f, "server pid=%d mount=%s\n", (int)getpid(), mount);
	fprintf(t.f,
		"total clients=%u contexts=%u objects=%u areas=%llu mapped=%llu pinned=%llu\n",
		clients, t.contexts, t.sum.objects, (unsigned long long)t.sum.areas,
		(unsigned long long)t.sum.mapped_bytes,
		(unsigned long long)t.sum.pinned_pages);
	clients_for_each(print_client, &pass);
	each_ctx(print_ctx, &t);
	for (struct iemu_device *d = iemu_device_next(emu, NULL); d;
	     d = iemu_device_next(emu, d))
		print_device(t.f, d);
	fclose(t.f);
	return text;
}
