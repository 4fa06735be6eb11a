// SPDX-License-Identifier: MIT
/*
 * The mount's file tree (see tree.h).  sysfs attributes are written the way
 * Linux formats them (hex ids with 0x, one value per line), so that drivers
 * parsing sysfs read them unchanged.
 */
#include "tree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd_emu.h"

/* /dev/iommu is a misc device (major 10) with a dynamic minor. */
#define IOMMU_DEV "10:123\n"

static struct {
	struct node *nodes;
	size_t n;
	bool oom;
} t;

static size_t add(size_t parent, enum node_kind kind, mode_t mode,
		  struct iemu_device *dev, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static size_t add(size_t parent, enum node_kind kind, mode_t mode,
		  struct iemu_device *dev, const char *name, const char *fmt, ...)
{
	struct node *bigger = realloc(t.nodes, (t.n + 1) * sizeof(*bigger));
	struct node *n;
	va_list ap;

	if (!bigger) {
		t.oom = true;
		return 0;
	}
	t.nodes = bigger;
	n = &t.nodes[t.n];
	*n = (struct node){ .parent = parent, .kind = kind, .mode = mode, .dev = dev };
	n->name = strdup(name);
	if (fmt) {
		va_start(ap, fmt);
		if (vasprintf(&n->text, fmt, ap) < 0)
			n->text = NULL;
		va_end(ap);
	}
	if (!n->name || (fmt && !n->text)) {
		free(n->name);
		free(n->text);
		t.oom = true;
		return 0;
	}
	return ++t.n;
}

static size_t dir(size_t parent, const char *name)
{
	size_t ino = tree_lookup(parent, name);

	return ino ? ino : add(parent, NODE_DIR, 0755, NULL, name, NULL);
}

static size_t file(size_t parent, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static size_t file(size_t parent, const char *name, const char *fmt, ...)
{
	char *text;
	size_t ino;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (!text) {
		t.oom = true;
		return 0;
	}
	ino = add(parent, NODE_TEXT, 0444, NULL, name, "%s", text);
	free(text);
	return ino;
}

/* The resource file: start, end and flags of each of the 13 resources. */
static void resources(size_t parent, const struct iemu_device_info *info,
		      const struct iemu_bar_info *bars)
{
	char text[13 * 60] = "", *p = text;

	(void)info;
	for (int i = 0; i < 13; i++) {
		const struct iemu_bar_info *b = i < 6 ? &bars[i] : NULL;
		/* IORESOURCE_MEM | SIZEALIGN, and MEM_64 for 64-bit BARs. */
		unsigned long long flags = b && b->size ?
			0x40200ULL | (b->is64 ? 0x100004ULL : 0) : 0;
		unsigned long long start = b && b->size ? b->addr : 0;
		unsigned long long end = b && b->size ? b->addr + b->size - 1 : 0;

		p += sprintf(p, "0x%016llx 0x%016llx 0x%016llx\n", start, end, flags);
	}
	file(parent, "resource", "%s", text);
}

static void pci_function(size_t devices, struct iemu_device *dev,
			 const struct iemu_device_info *info)
{
	struct iemu_bar_info bars[6];
	size_t fn = dir(devices, info->bdf), vfio_dev, cdev;

	iemu_device_bars(dev, bars);
	file(fn, "vendor", "0x%04x\n", info->vendor);
	file(fn, "device", "0x%04x\n", info->device);
	file(fn, "subsystem_vendor", "0x%04x\n", info->subsystem_vendor);
	file(fn, "subsystem_device", "0x%04x\n", info->subsystem_device);
	file(fn, "class", "0x%06x\n", info->class_code);
	file(fn, "revision", "0x%02x\n", info->revision);
	file(fn, "irq", "%u\n", info->irq_pin ? 11 : 0);
	file(fn, "numa_node", "-1\n");
	file(fn, "uevent",
	     "DRIVER=vfio-pci\nPCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n"
	     "PCI_SLOT_NAME=%s\n",
	     info->class_code, info->vendor, info->device, info->subsystem_vendor,
	     info->subsystem_device, info->bdf);
	resources(fn, info, bars);
	add(fn, NODE_LINK, 0777, NULL, "driver", "../../../bus/pci/drivers/vfio-pci");
	if (!info->has_cdev)
		return;
	vfio_dev = dir(fn, "vfio-dev");
	cdev = dir(vfio_dev, info->name);
	file(cdev, "dev", "%u:%u\n", IEMU_VFIO_DEV_MAJOR, info->minor);
}

static void device_nodes(struct iemu *emu, size_t devdir, size_t class_vfio,
			 size_t pci_devices)
{
	struct iemu_device_info info;

	for (struct iemu_device *d = iemu_device_next(emu, NULL); d;
	     d = iemu_device_next(emu, d)) {
		iemu_device_info(d, &info);
		pci_function(pci_devices, d, &info);
		if (!info.has_cdev)
			continue;
		add(devdir, NODE_DEVICE, 0666, d, info.name, NULL);
		file(dir(class_vfio, info.name), "dev", "%u:%u\n", IEMU_VFIO_DEV_MAJOR,
		     info.minor);
	}
}

int tree_build(struct iemu *emu)
{
	size_t root = add(0, NODE_DIR, 0755, NULL, "", NULL);
	size_t vfio, sys, class, bus;

	add(root, NODE_IOMMU, 0666, NULL, "iommu", NULL);
	add(root, NODE_STATUS, 0444, NULL, "status", NULL);
	vfio = dir(root, "vfio");
	sys = dir(root, "sys");
	class = dir(sys, "class");
	file(dir(dir(class, "misc"), "iommu"), "dev", IOMMU_DEV);
	bus = dir(dir(dir(sys, "bus"), "pci"), "devices");
	device_nodes(emu, dir(vfio, "devices"), dir(class, "vfio-dev"), bus);
	return t.oom ? -ENOMEM : 0;
}

void tree_free(void)
{
	for (size_t i = 0; i < t.n; i++) {
		free(t.nodes[i].name);
		free(t.nodes[i].text);
	}
	free(t.nodes);
	t.nodes = NULL;
	t.n = 0;
	t.oom = false;
}

const struct node *tree_node(size_t ino)
{
	return ino >= 1 && ino <= t.n ? &t.nodes[ino - 1] : NULL;
}

size_t tree_lookup(size_t parent, const char *name)
{
	for (size_t i = 0; i < t.n; i++)
		if (t.nodes[i].parent == parent && !strcmp(t.nodes[i].name, name))
			return i + 1;
	return 0;
}

size_t tree_size(void)
{
	return t.n + 1;
}
