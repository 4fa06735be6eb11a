// SPDX-License-Identifier: MIT
/*
 * Reports of driver mistakes (see check.h).
 */
#include "check.h"

#include <stdarg.h>
#include <stdio.h>

#include "device.h"
#include "emu.h"
#include "hwpt.h"
#include "ioas.h"
#include "proc.h"

void iemu_set_checks(struct iemu *emu, iemu_report_fn fn, void *opaque)
{
	pthread_mutex_lock(&emu->lock);
	emu->report = fn;
	emu->report_opaque = opaque;
	atomic_store(&emu->checks, fn != NULL);
	pthread_mutex_unlock(&emu->lock);
}

const char *iemu_report_kind_name(enum iemu_report_kind kind)
{
	static const char *const names[] = {
		[IEMU_REPORT_DMA_UNMAPPED] = "dma-unmapped",
		[IEMU_REPORT_DMA_PERMISSION] = "dma-permission",
		[IEMU_REPORT_DMA_BLOCKED] = "dma-blocked",
		[IEMU_REPORT_DMA_NO_MASTER] = "dma-no-bus-master",
		[IEMU_REPORT_DMA_PHYSICAL] = "dma-physical",
		[IEMU_REPORT_STALE_PIN] = "stale-pin",
		[IEMU_REPORT_UNMAP_IN_FLIGHT] = "unmap-in-flight",
		[IEMU_REPORT_IRQ_UNACKED] = "irq-unacked",
		[IEMU_REPORT_LEFT_BEHIND] = "left-behind",
		[IEMU_REPORT_DEVICE_ERROR] = "device-error",
		[IEMU_REPORT_INJECTED] = "injected",
	};

	if ((unsigned int)kind >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[kind];
}

bool check_on(struct iemu *emu)
{
	return atomic_load(&emu->checks);
}

void check_report(struct iemu *emu, enum iemu_report_kind kind, pid_t pid,
		  const char *device, const char *what, uint64_t iova, uint64_t va,
		  uint64_t len, const char *fmt, ...)
{
	struct iemu_report r = { .kind = kind, .pid = pid, .device = device, .what = what,
				 .iova = iova, .va = va, .len = len };
	iemu_report_fn fn;
	void *opaque;
	char text[256];
	va_list ap;

	if (!check_on(emu))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r.text = text;
	pthread_mutex_lock(&emu->lock);
	fn = emu->report;
	opaque = emu->report_opaque;
	pthread_mutex_unlock(&emu->lock);
	if (fn)
		fn(opaque, &r);
}

/* The device's DMA goes through a domain of this IOAS. */
static bool uses(struct iemu_device *d, const struct ioas *ioas)
{
	struct pt *pt = d->dma_pt;

	return pt && hwpt_of_pt(pt)->ioas == ioas;
}

void check_unmap(struct iemu *emu, const struct ioas *ioas, uint64_t first, uint64_t last)
{
	uint64_t addr, len;

	if (!check_on(emu))
		return;
	for (struct iemu_device *d = iemu_device_next(emu, NULL); d;
	     d = iemu_device_next(emu, d)) {
		bool hit;

		pthread_rwlock_rdlock(&d->dma_lock);
		hit = uses(d, ioas) && pcifn_inflight_overlap(d->fn, first, last, &addr, &len);
		pthread_rwlock_unlock(&d->dma_lock);
		if (hit)
			check_report(emu, IEMU_REPORT_UNMAP_IN_FLIGHT,
				     d->binder ? d->binder->pid : 0, d->name, "IOMMU_IOAS_UNMAP",
				     first, 0, last - first + 1,
				     "IOVA 0x%llx-0x%llx unmapped while %s has DMA in flight on "
				     "0x%llx-0x%llx: the device may still write there",
				     (unsigned long long)first, (unsigned long long)last, d->name,
				     (unsigned long long)addr, (unsigned long long)(addr + len - 1));
	}
}
