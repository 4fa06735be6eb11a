/* SPDX-License-Identifier: MIT */
/*
 * The files the mount holds, fixed when the server starts: iommu, status,
 * vfio/devices/<cdev> for each device with a cdev, and the sysfs views
 * drivers read to go from a PCI address to a cdev (sys/bus/pci/devices/
 * <bdf>/vfio-dev/<cdev>/dev, sys/class/vfio-dev/<cdev>/dev) and to identify
 * the function (vendor, device, class, resource, driver, ...).  A node's
 * inode number is its index plus one.
 */
#ifndef IEMU_FUSE_TREE_H
#define IEMU_FUSE_TREE_H

#include <stddef.h>
#include <sys/types.h>

struct iemu;
struct iemu_device;

enum node_kind {
	NODE_DIR,
	NODE_IOMMU,   /* /dev/iommu */
	NODE_DEVICE,  /* a VFIO device cdev */
	NODE_STATUS,  /* rendered at each open */
	NODE_TEXT,    /* fixed contents */
	NODE_LINK,    /* a symbolic link; text is its target */
	NODE_ANON,    /* an anonymous file an ioctl made (anonfs.h), not in the tree */
};

struct node {
	char *name;
	size_t parent;  /* inode number, 0 for the root */
	enum node_kind kind;
	mode_t mode;
	char *text;
	struct iemu_device *dev;
};

/* Build the tree for the emulator's devices: 0 or -ENOMEM. */
int tree_build(struct iemu *emu);
void tree_free(void);

/* The node of an inode number, or NULL. */
const struct node *tree_node(size_t ino);

/* The child called name of parent: its inode number, 0 if none. */
size_t tree_lookup(size_t parent, const char *name);

/* Inode numbers: highest + 1. */
size_t tree_size(void);

#endif
