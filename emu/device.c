// SPDX-License-Identifier: MIT
/*
 * The device registry (see device.h): devices come from specs such as
 * "dmatest,queues=4,bdf=0000:00:05.0"; the emulator takes its own options
 * and hands the rest to the model.  Devices are numbered from 0 in the
 * order they are added, as the kernel's vfio device ida numbers them.
 */
#include "device.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dma.h"
#include "emu.h"
#include "model.h"
#include "proc.h"

/* Host addresses of BARs: a 2 MiB window per device below 4 GiB. */
#define BAR_WINDOW_BASE 0xfd000000ULL
#define BAR_WINDOW_SIZE 0x200000ULL
#define MAX_DEVICES 64

struct spec {
	char buf[512];
	const char *model;
	const char *bdf;
	const char *label;
	enum iemu_noiommu noiommu;
	bool emulated;
	struct model_opts opts;
};

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static int parse_noiommu(const char *val, enum iemu_noiommu *out)
{
	static const struct {
		const char *name;
		enum iemu_noiommu policy;
	} names[] = {
		{ "refuse", IEMU_NOIOMMU_REFUSE },
		{ "nocdev", IEMU_NOIOMMU_NOCDEV },
		{ "noop-attach", IEMU_NOIOMMU_NOOP_ATTACH },
		{ "swpt", IEMU_NOIOMMU_SWPT },
	};

	if (!val) {
		*out = IEMU_NOIOMMU_REFUSE;
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(val, names[i].name)) {
			*out = names[i].policy;
			return 0;
		}
	}
	return -EINVAL;
}

/* One "key[=value]" of a spec: the emulator's own, or the model's. */
static int parse_option(struct spec *s, char *opt, char *err, size_t errlen)
{
	char *val = strchr(opt, '=');

	if (val)
		*val++ = 0;
	if (!strcmp(opt, "noiommu")) {
		if (parse_noiommu(val, &s->noiommu)) {
			set_err(err, errlen, "noiommu=%s: expected refuse, nocdev, "
				"noop-attach or swpt", val);
			return -EINVAL;
		}
	} else if (!strcmp(opt, "emulated") && !val) {
		s->emulated = true;
	} else if (!strcmp(opt, "bdf") && val) {
		s->bdf = val;
	} else if (!strcmp(opt, "name") && val) {
		s->label = val;
	} else if (val && *opt && s->opts.n < MODEL_MAX_OPTS) {
		s->opts.opt[s->opts.n].key = opt;
		s->opts.opt[s->opts.n++].val = val;
	} else {
		set_err(err, errlen, "'%s' is not an option (expected key=value)", opt);
		return -EINVAL;
	}
	return 0;
}

static int parse_spec(const char *text, struct spec *s, char *err, size_t errlen)
{
	char *save, *opt;

	memset(s, 0, sizeof(*s));
	if (strlen(text) >= sizeof(s->buf)) {
		set_err(err, errlen, "device spec too long");
		return -EINVAL;
	}
	strcpy(s->buf, text);
	s->model = strtok_r(s->buf, ",", &save);
	if (!s->model) {
		set_err(err, errlen, "empty device spec (expected MODEL[,OPTION]...)");
		return -EINVAL;
	}
	while ((opt = strtok_r(NULL, ",", &save)))
		if (parse_option(s, opt, err, errlen))
			return -EINVAL;
	if (s->emulated && s->noiommu != IEMU_NOIOMMU_OFF) {
		set_err(err, errlen, "emulated and noiommu exclude each other");
		return -EINVAL;
	}
	return 0;
}

/* DDDD:BB:DD.F in hex, device below 32, function below 8. */
static bool valid_bdf(const char *bdf)
{
	unsigned int dom, bus, dev, fn;
	char tail;

	if (strlen(bdf) != 12 || bdf[4] != ':' || bdf[7] != ':' || bdf[10] != '.')
		return false;
	for (int i = 0; i < 12; i++)
		if (i != 4 && i != 7 && i != 10 && !isxdigit((unsigned char)bdf[i]))
			return false;
	return sscanf(bdf, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) == 4 &&
	       dev < 32 && fn < 8;
}

static bool valid_label(const char *label)
{
	size_t n = strlen(label);

	if (!n || n >= sizeof(((struct iemu_device *)0)->label))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)label[i]) && !strchr("-_.", label[i]))
			return false;
	return true;
}

static bool bdf_taken(struct iemu *emu, const char *bdf)
{
	for (struct iemu_device *d = emu->devices; d; d = d->next)
		if (!strcasecmp(d->bdf, bdf))
			return true;
	return false;
}

static int check_identity(struct iemu *emu, const struct spec *s, char *err,
			  size_t errlen)
{
	if (s->bdf && !valid_bdf(s->bdf)) {
		set_err(err, errlen, "bdf=%s: expected DDDD:BB:DD.F (hex)", s->bdf);
		return -EINVAL;
	}
	if (s->bdf && bdf_taken(emu, s->bdf)) {
		set_err(err, errlen, "bdf=%s: another device has that address", s->bdf);
		return -EINVAL;
	}
	if (s->label && !valid_label(s->label)) {
		set_err(err, errlen, "name=%s: expected 1-31 of [A-Za-z0-9._-]", s->label);
		return -EINVAL;
	}
	if (emu->ndevices >= MAX_DEVICES) {
		set_err(err, errlen, "at most %d devices", MAX_DEVICES);
		return -EINVAL;
	}
	return 0;
}

static void name_device(struct iemu_device *d, const struct spec *s)
{
	unsigned int slot = 4 + d->index;

	snprintf(d->name, sizeof(d->name), "%svfio%u",
		 d->noiommu == IEMU_NOIOMMU_SWPT || d->noiommu == IEMU_NOIOMMU_REFUSE ||
				 d->noiommu == IEMU_NOIOMMU_NOOP_ATTACH ?
			 "noiommu-" : "",
		 d->index);
	if (s->bdf) {
		snprintf(d->bdf, sizeof(d->bdf), "%s", s->bdf);
		for (char *p = d->bdf; *p; p++)
			*p = tolower((unsigned char)*p);
	} else {
		snprintf(d->bdf, sizeof(d->bdf), "0000:%02x:%02x.0", (slot / 32) & 0xff, slot % 32);
	}
	snprintf(d->label, sizeof(d->label), "%s", s->label ? s->label : d->model->name);
}

static struct iemu_device *device_new(struct iemu *emu, const struct spec *s,
				      const struct model *m, struct pcifn *fn)
{
	struct iemu_device *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->emu = emu;
	d->index = emu->ndevices;
	d->model = m;
	d->fn = fn;
	d->noiommu = s->noiommu;
	d->emulated = s->emulated;
	d->pm_wake_fd = -1;
	name_device(d, s);
	pthread_mutex_init(&d->lock, NULL);
	pthread_rwlock_init(&d->dma_lock, NULL);
	pthread_mutex_init(&d->fault_lock, NULL);
	vfio_irq_init(&d->irq);
	vfio_config_init(&d->cfg, fn);
	fn->host = (struct pcifn_host){
		.intx = vfio_irq_intx_pin,
		.msi = vfio_irq_msi_pin,
		.msix = vfio_irq_msix_pin,
		.error = dma_device_error,
		.opaque = d,
	};
	fn->dma = (struct dma_port){ .rw = dma_rw, .copy = dma_copy, .opaque = d };
	return d;
}

int iemu_device_add(struct iemu *emu, const char *text, struct iemu_device **out,
		    char *err, size_t errlen)
{
	struct iemu_device *d, **tail;
	const struct model *m;
	struct pcifn *fn;
	struct spec s;
	int rc;

	rc = parse_spec(text, &s, err, errlen);
	if (rc)
		return rc;
	m = model_find(s.model);
	if (!m) {
		set_err(err, errlen, "unknown device model '%s' (models: edu, dmatest)",
			s.model);
		return -EINVAL;
	}
	pthread_mutex_lock(&emu->lock);
	rc = check_identity(emu, &s, err, errlen);
	if (rc)
		goto out;
	s.opts.err = err;
	s.opts.errlen = err ? errlen : 0;
	rc = m->create(&s.opts, BAR_WINDOW_BASE + emu->ndevices * BAR_WINDOW_SIZE, &fn);
	if (rc)
		goto out;
	d = device_new(emu, &s, m, fn);
	if (!d) {
		fn->ops->destroy(fn);
		rc = -ENOMEM;
		goto out;
	}
	for (tail = &emu->devices; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	emu->ndevices++;
	if (out)
		*out = d;
out:
	pthread_mutex_unlock(&emu->lock);
	return rc;
}

struct iemu_device *iemu_device_next(struct iemu *emu, struct iemu_device *prev)
{
	struct iemu_device *d;

	pthread_mutex_lock(&emu->lock);
	d = prev ? prev->next : emu->devices;
	pthread_mutex_unlock(&emu->lock);
	return d;
}

struct iemu_device *iemu_device_find(struct iemu *emu, const char *name)
{
	struct iemu_device *d;

	for (d = iemu_device_next(emu, NULL); d; d = iemu_device_next(emu, d))
		if (d->noiommu != IEMU_NOIOMMU_NOCDEV && !strcmp(d->name, name))
			return d;
	return NULL;
}

void iemu_device_info(struct iemu_device *d, struct iemu_device_info *out)
{
	struct pcifn *fn = d->fn;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", d->name);
	snprintf(out->bdf, sizeof(out->bdf), "%s", d->bdf);
	snprintf(out->label, sizeof(out->label), "%s", d->label);
	out->model = d->model->name;
	out->minor = d->index;
	out->has_cdev = d->noiommu != IEMU_NOIOMMU_NOCDEV;
	out->emulated = d->emulated;
	out->noiommu = d->noiommu;
	out->vendor = pcifn_cfg_read(fn, PCI_VENDOR_ID, 2);
	out->device = pcifn_cfg_read(fn, PCI_DEVICE_ID, 2);
	out->subsystem_vendor = pcifn_cfg_read(fn, PCI_SUBSYSTEM_VENDOR_ID, 2);
	out->subsystem_device = pcifn_cfg_read(fn, PCI_SUBSYSTEM_ID, 2);
	out->class_code = pcifn_cfg_read(fn, PCI_CLASS_REVISION, 4) >> 8;
	out->revision = pcifn_cfg_read(fn, PCI_REVISION_ID, 1);
	out->irq_pin = pcifn_cfg_read(fn, PCI_INTERRUPT_PIN, 1);
	pthread_mutex_lock(&d->lock);
	out->bound = d->bound != NULL;
	out->devid = d->bound ? d->devid : 0;
	out->pt_id = d->pt_id;
	pthread_mutex_unlock(&d->lock);
	out->dma_bytes = atomic_load(&d->dma_bytes);
	pthread_mutex_lock(&d->fault_lock);
	out->faults = d->nfaults;
	pthread_mutex_unlock(&d->fault_lock);
}

void iemu_device_bars(struct iemu_device *d, struct iemu_bar_info out[6])
{
	for (int i = 0; i < PCIFN_BARS; i++) {
		const struct pci_bar *b = &d->fn->bar[i];
		uint64_t addr = pcifn_cfg_read(d->fn, PCI_BASE_ADDRESS_0 + 4 * i, 4) &
				PCI_BASE_ADDRESS_MEM_MASK;

		if (b->is64 && i + 1 < PCIFN_BARS)
			addr |= (uint64_t)pcifn_cfg_read(d->fn, PCI_BASE_ADDRESS_0 + 4 * (i + 1), 4) << 32;
		out[i] = (struct iemu_bar_info){ .addr = b->size ? addr : 0, .size = b->size,
						 .is64 = b->is64, .prefetch = b->prefetch };
	}
}

const char *iemu_model_help(unsigned int i)
{
	unsigned int n = 0;

	while (models[n])
		n++;
	return i < n ? models[i]->help : NULL;
}

/* ---- faults ---- */

const char *iemu_fault_kind_name(enum iemu_fault_kind kind)
{
	static const char *const names[] = {
		[IEMU_FAULT_UNMAPPED] = "unmapped",
		[IEMU_FAULT_PERM] = "permission",
		[IEMU_FAULT_BLOCKED] = "blocked",
		[IEMU_FAULT_NO_MASTER] = "no-bus-master",
		[IEMU_FAULT_WILD_PHYS] = "wild-physical",
		[IEMU_FAULT_FOREIGN_PHYS] = "foreign-physical",
		[IEMU_FAULT_BACKING] = "backing-gone",
		[IEMU_FAULT_INJECTED] = "injected",
		[IEMU_FAULT_DEVICE] = "device-error",
	};

	if ((unsigned int)kind >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[kind];
}

/* Under --check, a fault is the driver's mistake to report. */
static void report_fault(struct iemu_device *d, const struct iemu_fault *f)
{
	static const enum iemu_report_kind kinds[] = {
		[IEMU_FAULT_UNMAPPED] = IEMU_REPORT_DMA_UNMAPPED,
		[IEMU_FAULT_PERM] = IEMU_REPORT_DMA_PERMISSION,
		[IEMU_FAULT_BLOCKED] = IEMU_REPORT_DMA_BLOCKED,
		[IEMU_FAULT_NO_MASTER] = IEMU_REPORT_DMA_NO_MASTER,
		[IEMU_FAULT_WILD_PHYS] = IEMU_REPORT_DMA_PHYSICAL,
		[IEMU_FAULT_FOREIGN_PHYS] = IEMU_REPORT_DMA_PHYSICAL,
		[IEMU_FAULT_BACKING] = IEMU_REPORT_STALE_PIN,
		[IEMU_FAULT_INJECTED] = IEMU_REPORT_INJECTED,
		[IEMU_FAULT_DEVICE] = IEMU_REPORT_DEVICE_ERROR,
	};

	if (!check_on(d->emu))
		return;
	check_report(d->emu, kinds[f->kind], d->binder ? d->binder->pid : 0, d->name,
		     f->kind == IEMU_FAULT_DEVICE ? "device" : f->write ? "DMA write" : "DMA read",
		     f->addr, 0, f->len, "%s", f->what);
}

void device_fault(struct iemu_device *d, enum iemu_fault_kind kind, uint64_t addr,
		  uint64_t len, bool write, const char *fmt, ...)
{
	struct iemu_fault *f, text;
	va_list ap;

	pthread_mutex_lock(&d->fault_lock);
	f = &d->faults[d->nfaults % DEVICE_FAULT_LOG];
	*f = (struct iemu_fault){
		.seq = ++d->nfaults, .kind = kind, .addr = addr, .len = len, .write = write,
	};
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
	text = *f;
	pthread_mutex_unlock(&d->fault_lock);
	report_fault(d, &text);
}

uint64_t iemu_device_faults(struct iemu_device *d, struct iemu_fault *out,
			    unsigned int n, unsigned int *copied)
{
	uint64_t total, first;
	unsigned int k = 0;

	pthread_mutex_lock(&d->fault_lock);
	total = d->nfaults;
	first = total > DEVICE_FAULT_LOG ? total - DEVICE_FAULT_LOG : 0;
	if (total - first > n)
		first = total - n;
	for (uint64_t i = first; i < total; i++)
		out[k++] = d->faults[i % DEVICE_FAULT_LOG];
	pthread_mutex_unlock(&d->fault_lock);
	if (copied)
		*copied = k;
	return total;
}

/* ---- lifetime ---- */

void device_update_mem_ok(struct iemu_device *d)
{
	atomic_store(&d->mem_ok, d->power_state < 3 && vfio_config_memory_enabled(&d->cfg));
}

void device_destroy_all(struct iemu *emu)
{
	struct iemu_device *d = emu->devices, *next;

	for (; d; d = next) {
		next = d->next;
		d->fn->ops->destroy(d->fn);
		vfio_irq_fini(&d->irq);
		pthread_mutex_destroy(&d->fault_lock);
		pthread_rwlock_destroy(&d->dma_lock);
		pthread_mutex_destroy(&d->lock);
		free(d);
	}
	emu->devices = NULL;
	emu->ndevices = 0;
}
