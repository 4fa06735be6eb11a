// SPDX-License-Identifier: MIT
/*
 * Decoding ioctl arguments (see iommufd_emu.h), for traces and for the
 * replayer that re-issues them.
 *
 * Table-driven: one table of fields per struct (name, offset, size, how to
 * show it), one table of names per flag set or enum, and one row per ioctl
 * (found by the name names.c gives its number on a kind of file) naming its
 * struct, what its pointers and fds refer to and how long those buffers
 * are.  Only what follows a VFIO struct's fixed part (its flexible array,
 * whose element depends on the flags) has a small function per struct.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "iommufd_emu.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Structs of the ABI that the project's headers leave out (no handler
 * serves them), with Linux 7.3's layouts. */
struct vfio_iommu_type1_dirty_bitmap {
	__u32 argsz;
	__u32 flags;
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_START (1 << 0)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP (1 << 1)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP (1 << 2)
	__u8 data[];
};

struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};

/* ---- a bounded string builder ---- */

struct sb {
	char *p;
	size_t len, cap;
	bool full;
	bool member; /* the current object has a member already */
};

static void put(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->full = true;
		return;
	}
	b->len += n;
}

/* A member's key, with the comma that separates it from the previous one. */
static void key(struct sb *b, const char *name)
{
	put(b, "%s\"%s\":", b->member ? "," : "", name);
	b->member = true;
}

static void put_hex(struct sb *b, const uint8_t *p, size_t n)
{
	put(b, "\"");
	for (size_t i = 0; i < n && !b->full; i++)
		put(b, "%02x", p[i]);
	put(b, "\"");
}

/* ---- names of flags and enum values ---- */

/* A name covers the bits of mask (0: a flag, its own bits) when they equal
 * value; a set of them decodes flags, enums and enums inside flags. */
struct name {
	uint64_t value;
	uint64_t mask;
	const char *name;
};

struct nameset {
	const struct name *v;
	unsigned int n;
	bool is_enum; /* an unnamed value shows as a number, not as bits */
};

#define FLAG(v, s) { (v), 0, (s) }
#define VAL(v, s) { (v), ~0ULL, (s) }
#define NAMESET(id, is_enum_, ...)                                            \
	static const struct name id##_v[] = { __VA_ARGS__ };                  \
	static const struct nameset id = { id##_v, ARRAY_SIZE(id##_v), is_enum_ }

NAMESET(no_flags, false, { 0, 0, NULL });
NAMESET(map_flags, false, FLAG(IOMMU_IOAS_MAP_FIXED_IOVA, "FIXED_IOVA"),
	FLAG(IOMMU_IOAS_MAP_WRITEABLE, "WRITEABLE"), FLAG(IOMMU_IOAS_MAP_READABLE, "READABLE"));
NAMESET(option_ids, true, VAL(IOMMU_OPTION_RLIMIT_MODE, "RLIMIT_MODE"),
	VAL(IOMMU_OPTION_HUGE_PAGES, "HUGE_PAGES"));
NAMESET(option_ops, true, VAL(IOMMU_OPTION_OP_SET, "SET"), VAL(IOMMU_OPTION_OP_GET, "GET"));
NAMESET(vfio_ioas_ops, true, VAL(IOMMU_VFIO_IOAS_GET, "GET"), VAL(IOMMU_VFIO_IOAS_SET, "SET"),
	VAL(IOMMU_VFIO_IOAS_CLEAR, "CLEAR"));
NAMESET(hwpt_alloc_flags, false, FLAG(IOMMU_HWPT_ALLOC_NEST_PARENT, "NEST_PARENT"),
	FLAG(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, "DIRTY_TRACKING"),
	FLAG(IOMMU_HWPT_FAULT_ID_VALID, "FAULT_ID_VALID"), FLAG(IOMMU_HWPT_ALLOC_PASID, "PASID"));
NAMESET(hwpt_data_types, true, VAL(IOMMU_HWPT_DATA_NONE, "NONE"),
	VAL(IOMMU_HWPT_DATA_VTD_S1, "VTD_S1"), VAL(IOMMU_HWPT_DATA_ARM_SMMUV3, "ARM_SMMUV3"),
	VAL(IOMMU_HWPT_DATA_AMD_GUEST, "AMD_GUEST"));
NAMESET(hw_info_flags, false, FLAG(IOMMU_HW_INFO_FLAG_INPUT_TYPE, "INPUT_TYPE"));
NAMESET(hw_info_types, true, VAL(IOMMU_HW_INFO_TYPE_NONE, "NONE"),
	VAL(IOMMU_HW_INFO_TYPE_INTEL_VTD, "INTEL_VTD"),
	VAL(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, "ARM_SMMUV3"),
	VAL(IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, "TEGRA241_CMDQV"),
	VAL(IOMMU_HW_INFO_TYPE_AMD, "AMD"));
NAMESET(hw_caps, false, FLAG(IOMMU_HW_CAP_DIRTY_TRACKING, "DIRTY_TRACKING"),
	FLAG(IOMMU_HW_CAP_PCI_PASID_EXEC, "PCI_PASID_EXEC"),
	FLAG(IOMMU_HW_CAP_PCI_PASID_PRIV, "PCI_PASID_PRIV"),
	FLAG(IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, "PCI_ATS_NOT_SUPPORTED"));
NAMESET(dirty_tracking_flags, false, FLAG(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, "ENABLE"));
NAMESET(dirty_bitmap_flags, false, FLAG(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, "NO_CLEAR"));
NAMESET(invalidate_types, true, VAL(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, "VTD_S1"),
	VAL(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, "ARM_SMMUV3"));
NAMESET(viommu_types, true, VAL(IOMMU_VIOMMU_TYPE_DEFAULT, "DEFAULT"),
	VAL(IOMMU_VIOMMU_TYPE_ARM_SMMUV3, "ARM_SMMUV3"),
	VAL(IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, "TEGRA241_CMDQV"));
NAMESET(veventq_types, true, VAL(IOMMU_VEVENTQ_TYPE_DEFAULT, "DEFAULT"),
	VAL(IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, "ARM_SMMUV3"),
	VAL(IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, "TEGRA241_CMDQV"));
NAMESET(hw_queue_types, true, VAL(IOMMU_HW_QUEUE_TYPE_DEFAULT, "DEFAULT"),
	VAL(IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, "TEGRA241_CMDQV"));

NAMESET(vfio_extensions, true, VAL(VFIO_TYPE1_IOMMU, "TYPE1_IOMMU"),
	VAL(VFIO_SPAPR_TCE_IOMMU, "SPAPR_TCE_IOMMU"), VAL(VFIO_TYPE1v2_IOMMU, "TYPE1v2_IOMMU"),
	VAL(VFIO_DMA_CC_IOMMU, "DMA_CC_IOMMU"), VAL(VFIO_EEH, "EEH"),
	VAL(__VFIO_RESERVED_TYPE1_NESTING_IOMMU, "TYPE1_NESTING_IOMMU"),
	VAL(VFIO_SPAPR_TCE_v2_IOMMU, "SPAPR_TCE_v2_IOMMU"),
	VAL(VFIO_NOIOMMU_IOMMU, "NOIOMMU_IOMMU"), VAL(VFIO_UNMAP_ALL, "UNMAP_ALL"),
	VAL(VFIO_UPDATE_VADDR, "UPDATE_VADDR"));
NAMESET(group_flags, false, FLAG(VFIO_GROUP_FLAGS_VIABLE, "VIABLE"),
	FLAG(VFIO_GROUP_FLAGS_CONTAINER_SET, "CONTAINER_SET"));
NAMESET(device_flags, false, FLAG(VFIO_DEVICE_FLAGS_RESET, "RESET"),
	FLAG(VFIO_DEVICE_FLAGS_PCI, "PCI"), FLAG(VFIO_DEVICE_FLAGS_PLATFORM, "PLATFORM"),
	FLAG(VFIO_DEVICE_FLAGS_AMBA, "AMBA"), FLAG(VFIO_DEVICE_FLAGS_CCW, "CCW"),
	FLAG(VFIO_DEVICE_FLAGS_AP, "AP"), FLAG(VFIO_DEVICE_FLAGS_FSL_MC, "FSL_MC"),
	FLAG(VFIO_DEVICE_FLAGS_CAPS, "CAPS"), FLAG(VFIO_DEVICE_FLAGS_CDX, "CDX"));
NAMESET(region_flags, false, FLAG(VFIO_REGION_INFO_FLAG_READ, "READ"),
	FLAG(VFIO_REGION_INFO_FLAG_WRITE, "WRITE"), FLAG(VFIO_REGION_INFO_FLAG_MMAP, "MMAP"),
	FLAG(VFIO_REGION_INFO_FLAG_CAPS, "CAPS"));
NAMESET(regions, true, VAL(VFIO_PCI_BAR0_REGION_INDEX, "BAR0"),
	VAL(VFIO_PCI_BAR1_REGION_INDEX, "BAR1"), VAL(VFIO_PCI_BAR2_REGION_INDEX, "BAR2"),
	VAL(VFIO_PCI_BAR3_REGION_INDEX, "BAR3"), VAL(VFIO_PCI_BAR4_REGION_INDEX, "BAR4"),
	VAL(VFIO_PCI_BAR5_REGION_INDEX, "BAR5"), VAL(VFIO_PCI_ROM_REGION_INDEX, "ROM"),
	VAL(VFIO_PCI_CONFIG_REGION_INDEX, "CONFIG"), VAL(VFIO_PCI_VGA_REGION_INDEX, "VGA"));
NAMESET(irq_info_flags, false, FLAG(VFIO_IRQ_INFO_EVENTFD, "EVENTFD"),
	FLAG(VFIO_IRQ_INFO_MASKABLE, "MASKABLE"), FLAG(VFIO_IRQ_INFO_AUTOMASKED, "AUTOMASKED"),
	FLAG(VFIO_IRQ_INFO_NORESIZE, "NORESIZE"));
NAMESET(irqs, true, VAL(VFIO_PCI_INTX_IRQ_INDEX, "INTX"), VAL(VFIO_PCI_MSI_IRQ_INDEX, "MSI"),
	VAL(VFIO_PCI_MSIX_IRQ_INDEX, "MSIX"), VAL(VFIO_PCI_ERR_IRQ_INDEX, "ERR"),
	VAL(VFIO_PCI_REQ_IRQ_INDEX, "REQ"));
NAMESET(irq_set_flags, false, FLAG(VFIO_IRQ_SET_DATA_NONE, "DATA_NONE"),
	FLAG(VFIO_IRQ_SET_DATA_BOOL, "DATA_BOOL"), FLAG(VFIO_IRQ_SET_DATA_EVENTFD, "DATA_EVENTFD"),
	FLAG(VFIO_IRQ_SET_ACTION_MASK, "ACTION_MASK"),
	FLAG(VFIO_IRQ_SET_ACTION_UNMASK, "ACTION_UNMASK"),
	FLAG(VFIO_IRQ_SET_ACTION_TRIGGER, "ACTION_TRIGGER"));
NAMESET(hot_reset_flags, false, FLAG(VFIO_PCI_HOT_RESET_FLAG_DEV_ID, "DEV_ID"),
	FLAG(VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED, "DEV_ID_OWNED"));
NAMESET(ioeventfd_flags, false, FLAG(VFIO_DEVICE_IOEVENTFD_8, "SIZE_8"),
	FLAG(VFIO_DEVICE_IOEVENTFD_16, "SIZE_16"), FLAG(VFIO_DEVICE_IOEVENTFD_32, "SIZE_32"),
	FLAG(VFIO_DEVICE_IOEVENTFD_64, "SIZE_64"));
/* The feature's number is an enum in the low 16 bits of the flags. */
#define FEATURE(id, s) { (id), VFIO_DEVICE_FEATURE_MASK, (s) }
NAMESET(feature_flags, false, FLAG(VFIO_DEVICE_FEATURE_GET, "GET"),
	FLAG(VFIO_DEVICE_FEATURE_SET, "SET"), FLAG(VFIO_DEVICE_FEATURE_PROBE, "PROBE"),
	FEATURE(VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, "PCI_VF_TOKEN"),
	FEATURE(VFIO_DEVICE_FEATURE_MIGRATION, "MIGRATION"),
	FEATURE(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, "MIG_DEVICE_STATE"),
	FEATURE(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, "LOW_POWER_ENTRY"),
	FEATURE(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP, "LOW_POWER_ENTRY_WITH_WAKEUP"),
	FEATURE(VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, "LOW_POWER_EXIT"),
	FEATURE(VFIO_DEVICE_FEATURE_DMA_LOGGING_START, "DMA_LOGGING_START"),
	FEATURE(VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, "DMA_LOGGING_STOP"),
	FEATURE(VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, "DMA_LOGGING_REPORT"),
	FEATURE(VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, "MIG_DATA_SIZE"),
	FEATURE(VFIO_DEVICE_FEATURE_BUS_MASTER, "BUS_MASTER"),
	FEATURE(VFIO_DEVICE_FEATURE_DMA_BUF, "DMA_BUF"),
	FEATURE(VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2, "MIG_PRECOPY_INFOv2"),
	FEATURE(VFIO_DEVICE_FEATURE_ZPCI_ERROR, "ZPCI_ERROR"));
NAMESET(bus_master_ops, true, VAL(VFIO_DEVICE_FEATURE_CLEAR_MASTER, "CLEAR_MASTER"),
	VAL(VFIO_DEVICE_FEATURE_SET_MASTER, "SET_MASTER"));
NAMESET(bind_flags, false, FLAG(VFIO_DEVICE_BIND_FLAG_TOKEN, "TOKEN"));
NAMESET(attach_flags, false, FLAG(VFIO_DEVICE_ATTACH_PASID, "PASID"));
NAMESET(detach_flags, false, FLAG(VFIO_DEVICE_DETACH_PASID, "PASID"));
NAMESET(type1_info_flags, false, FLAG(VFIO_IOMMU_INFO_PGSIZES, "PGSIZES"),
	FLAG(VFIO_IOMMU_INFO_CAPS, "CAPS"));
NAMESET(dma_map_flags, false, FLAG(VFIO_DMA_MAP_FLAG_READ, "READ"),
	FLAG(VFIO_DMA_MAP_FLAG_WRITE, "WRITE"), FLAG(VFIO_DMA_MAP_FLAG_VADDR, "VADDR"));
NAMESET(dma_unmap_flags, false, FLAG(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, "GET_DIRTY_BITMAP"),
	FLAG(VFIO_DMA_UNMAP_FLAG_ALL, "ALL"), FLAG(VFIO_DMA_UNMAP_FLAG_VADDR, "VADDR"));
NAMESET(dirty_pages_flags, false, FLAG(VFIO_IOMMU_DIRTY_PAGES_FLAG_START, "START"),
	FLAG(VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, "STOP"),
	FLAG(VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, "GET_BITMAP"));

/* Flags as "A|B|0x40" ("0" when none is set); an enum as its name, or as
 * the number when it has none. */
static void put_names(struct sb *b, const struct nameset *ns, uint64_t v)
{
	uint64_t done = 0;
	bool any = false;

	for (unsigned int i = 0; i < ns->n; i++) {
		const struct name *e = &ns->v[i];
		uint64_t m = e->mask ? e->mask : e->value;

		if (!e->name || !m || (done & m) || (v & m) != e->value)
			continue;
		put(b, "%s%s", any ? "|" : "\"", e->name);
		done |= m;
		any = true;
	}
	v &= ~done;
	if (ns->is_enum && !any)
		put(b, "%llu", (unsigned long long)v);
	else if (v)
		put(b, "%s0x%llx\"", any ? "|" : "\"", (unsigned long long)v);
	else
		put(b, "%s", any ? "\"" : "\"0\"");
}

/* ---- fields ---- */

enum fmt {
	DEC,   /* ids, sizes, counts */
	SDEC,  /* fds */
	HEX,   /* addresses, IOVAs, register values: "0x..." */
	BYTES, /* arrays of bytes: hex */
	NAMES, /* flags and enums */
};

struct field {
	const char *name;
	uint16_t offset;
	uint8_t size;
	uint8_t fmt;
	const struct nameset *names;
};

#define FLD(type, member, fmt, names) \
	{ #member, offsetof(type, member), sizeof(((type *)0)->member), fmt, names }
#define F(type, member, fmt) FLD(type, member, fmt, NULL)
#define N(type, member, names) FLD(type, member, NAMES, &names)

static uint64_t get_uint(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, p, size <= 8 ? size : 8); /* little-endian hosts only, as the ABI */
	return v;
}

static int64_t get_sint(const uint8_t *p, unsigned int size)
{
	uint64_t v = get_uint(p, size);
	unsigned int bits = 8 * size;

	return bits < 64 && (v >> (bits - 1)) ? (int64_t)(v | (~0ULL << bits)) : (int64_t)v;
}

static void put_value(struct sb *b, const struct field *f, const uint8_t *p)
{
	switch (f->fmt) {
	case DEC:
		put(b, "%llu", (unsigned long long)get_uint(p, f->size));
		break;
	case SDEC:
		put(b, "%lld", (long long)get_sint(p, f->size));
		break;
	case HEX:
		put(b, "\"0x%llx\"", (unsigned long long)get_uint(p, f->size));
		break;
	case BYTES:
		put_hex(b, p, f->size);
		break;
	default:
		put_names(b, f->names, get_uint(p, f->size));
		break;
	}
}

/* The fields that lie whole within the n bytes at s. */
static void put_fields(struct sb *b, const struct field *fs, unsigned int nf,
		       const uint8_t *s, size_t n)
{
	for (unsigned int i = 0; i < nf; i++) {
		if ((size_t)fs[i].offset + fs[i].size > n)
			continue;
		key(b, fs[i].name);
		put_value(b, &fs[i], s + fs[i].offset);
	}
}

static const struct field *find_field(const struct field *fs, unsigned int nf,
				      const char *name)
{
	for (unsigned int i = 0; i < nf; i++)
		if (!strcmp(fs[i].name, name))
			return &fs[i];
	return NULL;
}

/* ---- the structs ---- */

#define T struct iommu_destroy
static const struct field destroy_f[] = { F(T, size, DEC), F(T, id, DEC) };
#undef T
#define T struct iommu_ioas_alloc
static const struct field ioas_alloc_f[] = {
	F(T, size, DEC), N(T, flags, no_flags), F(T, out_ioas_id, DEC),
};
#undef T
#define T struct iommu_ioas_iova_ranges
static const struct field iova_ranges_f[] = {
	F(T, size, DEC), F(T, ioas_id, DEC), F(T, num_iovas, DEC), F(T, __reserved, DEC),
	F(T, allowed_iovas, HEX), F(T, out_iova_alignment, DEC),
};
#undef T
#define T struct iommu_ioas_allow_iovas
static const struct field allow_iovas_f[] = {
	F(T, size, DEC), F(T, ioas_id, DEC), F(T, num_iovas, DEC), F(T, __reserved, DEC),
	F(T, allowed_iovas, HEX),
};
#undef T
#define T struct iommu_ioas_map
static const struct field ioas_map_f[] = {
	F(T, size, DEC), N(T, flags, map_flags), F(T, ioas_id, DEC), F(T, __reserved, DEC),
	F(T, user_va, HEX), F(T, length, DEC), F(T, iova, HEX),
};
#undef T
#define T struct iommu_ioas_noiommu_get_pa
static const struct field get_pa_f[] = {
	F(T, size, DEC), N(T, flags, no_flags), F(T, ioas_id, DEC), F(T, __reserved, DEC),
	F(T, iova, HEX), F(T, length, DEC), F(T, out_phys, HEX),
};
#undef T
#define T struct iommu_ioas_map_file
static const struct field map_file_f[] = {
	F(T, size, DEC), N(T, flags, map_flags), F(T, ioas_id, DEC), F(T, fd, SDEC),
	F(T, start, DEC), F(T, length, DEC), F(T, iova, HEX),
};
#undef T
#define T struct iommu_ioas_copy
static const struct field ioas_copy_f[] = {
	F(T, size, DEC), N(T, flags, map_flags), F(T, dst_ioas_id, DEC), F(T, src_ioas_id, DEC),
	F(T, length, DEC), F(T, dst_iova, HEX), F(T, src_iova, HEX),
};
#undef T
#define T struct iommu_ioas_unmap
static const struct field ioas_unmap_f[] = {
	F(T, size, DEC), F(T, ioas_id, DEC), F(T, iova, HEX), F(T, length, DEC),
};
#undef T
#define T struct iommu_option
static const struct field option_f[] = {
	F(T, size, DEC), N(T, option_id, option_ids), N(T, op, option_ops),
	F(T, __reserved, DEC), F(T, object_id, DEC), F(T, val64, DEC),
};
#undef T
#define T struct iommu_vfio_ioas
static const struct field vfio_ioas_f[] = {
	F(T, size, DEC), F(T, ioas_id, DEC), N(T, op, vfio_ioas_ops), F(T, __reserved, DEC),
};
#undef T
#define T struct iommu_hwpt_alloc
static const struct field hwpt_alloc_f[] = {
	F(T, size, DEC), N(T, flags, hwpt_alloc_flags), F(T, dev_id, DEC), F(T, pt_id, DEC),
	F(T, out_hwpt_id, DEC), F(T, __reserved, DEC), N(T, data_type, hwpt_data_types),
	F(T, data_len, DEC), F(T, data_uptr, HEX), F(T, fault_id, DEC), F(T, __reserved2, DEC),
};
#undef T
#define T struct iommu_hw_info
static const struct field hw_info_f[] = {
	F(T, size, DEC), N(T, flags, hw_info_flags), F(T, dev_id, DEC), F(T, data_len, DEC),
	F(T, data_uptr, HEX),
	/* A union: the same bytes under both names. */
	N(T, in_data_type, hw_info_types), N(T, out_data_type, hw_info_types),
	F(T, out_max_pasid_log2, DEC), F(T, __reserved, BYTES), N(T, out_capabilities, hw_caps),
};
#undef T
#define T struct iommu_hwpt_set_dirty_tracking
static const struct field set_dirty_f[] = {
	F(T, size, DEC), N(T, flags, dirty_tracking_flags), F(T, hwpt_id, DEC),
	F(T, __reserved, DEC),
};
#undef T
#define T struct iommu_hwpt_get_dirty_bitmap
static const struct field get_dirty_f[] = {
	F(T, size, DEC), F(T, hwpt_id, DEC), N(T, flags, dirty_bitmap_flags), F(T, __reserved, DEC),
	F(T, iova, HEX), F(T, length, DEC), F(T, page_size, DEC), F(T, data, HEX),
};
#undef T
#define T struct iommu_hwpt_invalidate
static const struct field invalidate_f[] = {
	F(T, size, DEC), F(T, hwpt_id, DEC), F(T, data_uptr, HEX),
	N(T, data_type, invalidate_types), F(T, entry_len, DEC), F(T, entry_num, DEC),
	F(T, __reserved, DEC),
};
#undef T
#define T struct iommu_fault_alloc
static const struct field fault_alloc_f[] = {
	F(T, size, DEC), N(T, flags, no_flags), F(T, out_fault_id, DEC), F(T, out_fault_fd, SDEC),
};
#undef T
#define T struct iommu_viommu_alloc
static const struct field viommu_alloc_f[] = {
	F(T, size, DEC), N(T, flags, no_flags), N(T, type, viommu_types), F(T, dev_id, DEC),
	F(T, hwpt_id, DEC), F(T, out_viommu_id, DEC), F(T, data_len, DEC), F(T, __reserved, DEC),
	F(T, data_uptr, HEX),
};
#undef T
#define T struct iommu_vdevice_alloc
static const struct field vdevice_alloc_f[] = {
	F(T, size, DEC), F(T, viommu_id, DEC), F(T, dev_id, DEC), F(T, out_vdevice_id, DEC),
	F(T, virt_id, HEX),
};
#undef T
#define T struct iommu_ioas_change_process
static const struct field change_process_f[] = { F(T, size, DEC), F(T, __reserved, DEC) };
#undef T
#define T struct iommu_veventq_alloc
static const struct field veventq_alloc_f[] = {
	F(T, size, DEC), N(T, flags, no_flags), F(T, viommu_id, DEC), N(T, type, veventq_types),
	F(T, veventq_depth, DEC), F(T, out_veventq_id, DEC), F(T, out_veventq_fd, SDEC),
	F(T, __reserved, DEC),
};
#undef T
#define T struct iommu_hw_queue_alloc
static const struct field hw_queue_alloc_f[] = {
	F(T, size, DEC), N(T, flags, no_flags), F(T, viommu_id, DEC), N(T, type, hw_queue_types),
	F(T, index, DEC), F(T, out_hw_queue_id, DEC), F(T, nesting_parent_iova, HEX),
	F(T, length, DEC),
};
#undef T

/* Integer arguments: the integer, as the kernel's handler names it. */
static const struct field extension_f[] = { { "extension", 0, 8, NAMES, &vfio_extensions } };
static const struct field iommu_type_f[] = { { "iommu_type", 0, 8, NAMES, &vfio_extensions } };
/* VFIO_GROUP_SET_CONTAINER takes a pointer to the container's fd. */
static const struct field container_fd_f[] = { { "container_fd", 0, 4, SDEC, NULL } };

#define T struct vfio_group_status
static const struct field group_status_f[] = { F(T, argsz, DEC), N(T, flags, group_flags) };
#undef T
#define T struct vfio_device_info
static const struct field device_info_f[] = {
	F(T, argsz, DEC), N(T, flags, device_flags), F(T, num_regions, DEC), F(T, num_irqs, DEC),
	F(T, cap_offset, DEC), F(T, pad, DEC),
};
#undef T
#define T struct vfio_region_info
static const struct field region_info_f[] = {
	F(T, argsz, DEC), N(T, flags, region_flags), N(T, index, regions), F(T, cap_offset, DEC),
	F(T, size, DEC), F(T, offset, HEX),
};
#undef T
#define T struct vfio_irq_info
static const struct field irq_info_f[] = {
	F(T, argsz, DEC), N(T, flags, irq_info_flags), N(T, index, irqs), F(T, count, DEC),
};
#undef T
#define T struct vfio_irq_set
static const struct field irq_set_f[] = {
	F(T, argsz, DEC), N(T, flags, irq_set_flags), N(T, index, irqs), F(T, start, DEC),
	F(T, count, DEC),
};
#undef T
#define T struct vfio_iommu_type1_info
static const struct field type1_info_f[] = {
	F(T, argsz, DEC), N(T, flags, type1_info_flags), F(T, iova_pgsizes, HEX),
	F(T, cap_offset, DEC), F(T, pad, DEC),
};
#undef T
#define T struct vfio_iommu_type1_dma_map
static const struct field dma_map_f[] = {
	F(T, argsz, DEC), N(T, flags, dma_map_flags), F(T, vaddr, HEX), F(T, iova, HEX),
	F(T, size, DEC),
};
#undef T
#define T struct vfio_iommu_type1_dma_unmap
static const struct field dma_unmap_f[] = {
	F(T, argsz, DEC), N(T, flags, dma_unmap_flags), F(T, iova, HEX), F(T, size, DEC),
};
#undef T
#define T struct vfio_iommu_type1_dirty_bitmap
static const struct field dirty_pages_f[] = { F(T, argsz, DEC), N(T, flags, dirty_pages_flags) };
#undef T
#define T struct vfio_pci_hot_reset_info
static const struct field hot_reset_info_f[] = {
	F(T, argsz, DEC), N(T, flags, hot_reset_flags), F(T, count, DEC),
};
#undef T
#define T struct vfio_pci_hot_reset
static const struct field hot_reset_f[] = {
	F(T, argsz, DEC), N(T, flags, no_flags), F(T, count, DEC),
};
#undef T
#define T struct vfio_device_ioeventfd
static const struct field ioeventfd_f[] = {
	F(T, argsz, DEC), N(T, flags, ioeventfd_flags), F(T, offset, HEX), F(T, data, HEX),
	F(T, fd, SDEC), F(T, reserved, DEC),
};
#undef T
#define T struct vfio_device_feature
static const struct field feature_f[] = { F(T, argsz, DEC), N(T, flags, feature_flags) };
#undef T
#define T struct vfio_device_bind_iommufd
static const struct field bind_f[] = {
	F(T, argsz, DEC), N(T, flags, bind_flags), F(T, iommufd, SDEC), F(T, out_devid, DEC),
	F(T, token_uuid_ptr, HEX),
};
#undef T
#define T struct vfio_device_attach_iommufd_pt
static const struct field attach_f[] = {
	F(T, argsz, DEC), N(T, flags, attach_flags), F(T, pt_id, DEC), F(T, pasid, DEC),
};
#undef T
#define T struct vfio_device_detach_iommufd_pt
static const struct field detach_f[] = {
	F(T, argsz, DEC), N(T, flags, detach_flags), F(T, pasid, DEC),
};
#undef T
#define T struct vfio_precopy_info
static const struct field precopy_f[] = {
	F(T, argsz, DEC), N(T, flags, no_flags), F(T, initial_bytes, DEC), F(T, dirty_bytes, DEC),
};
#undef T

/* Elements of VFIO's flexible arrays and feature payloads. */
#define T struct vfio_pci_dependent_device
static const struct field dependent_device_f[] = {
	F(T, group_id, DEC), F(T, devid, SDEC), F(T, segment, DEC), F(T, bus, DEC),
	F(T, devfn, DEC),
};
#undef T
#define T struct vfio_device_low_power_entry_with_wakeup
static const struct field wakeup_f[] = { F(T, wakeup_eventfd, SDEC), F(T, reserved, DEC) };
#undef T
#define T struct vfio_device_feature_bus_master
static const struct field bus_master_f[] = { N(T, op, bus_master_ops) };
#undef T
static const struct field fd_elem_f[] = { { NULL, 0, 4, SDEC, NULL } };
static const struct field bool_elem_f[] = { { NULL, 0, 1, DEC, NULL } };

/* ---- what pointers and fds refer to ---- */

struct ioctl_desc;

/* A buffer's length is count * unit (* count2), or what len() says; the
 * reference exists only while the field when has a bit of mask. */
struct refdesc {
	const char *field;
	enum iemu_ref_kind kind;
	const char *count;
	uint64_t unit;
	const char *count2;
	const char *when;
	uint64_t mask;
	uint64_t (*len)(const struct ioctl_desc *d, const uint8_t *s, size_t n);
};

/* What follows the fixed part of a VFIO struct: decoded, and its fds. */
struct tail {
	void (*decode)(struct sb *b, const struct ioctl_desc *d, const uint8_t *s, size_t n);
	unsigned int (*refs)(const struct ioctl_desc *d, const uint8_t *s, size_t n,
			     struct iemu_ioctl_ref *out, unsigned int max, unsigned int at);
};

struct ioctl_desc {
	const char *ioctl;
	enum iemu_arg_kind arg;
	const char *type;
	uint32_t size;
	bool sized;
	const struct field *fields;
	unsigned int nfields;
	const struct refdesc *refs;
	unsigned int nrefs;
	const struct tail *tail;
};

static bool field_value(const struct ioctl_desc *d, const char *name, const uint8_t *s,
			size_t n, uint64_t *v)
{
	const struct field *f = find_field(d->fields, d->nfields, name);

	if (!f || (size_t)f->offset + f->size > n)
		return false;
	*v = get_uint(s + f->offset, f->size);
	return true;
}

/* The dirty bitmap: one bit per page_size of [iova, iova + length), in
 * 64-bit words as iova_bitmap walks it. */
static uint64_t bitmap_len(const struct ioctl_desc *d, const uint8_t *s, size_t n)
{
	uint64_t length, page_size, pages;

	if (!field_value(d, "length", s, n, &length) ||
	    !field_value(d, "page_size", s, n, &page_size) || !page_size ||
	    (page_size & (page_size - 1)))
		return 0;
	pages = (length >> __builtin_ctzll(page_size)) + !!(length & (page_size - 1));
	return (pages + 63) / 64 * 8;
}

static const struct refdesc allow_iovas_r[] = {
	{ .field = "allowed_iovas", .kind = IEMU_REF_IN, .count = "num_iovas",
	  .unit = sizeof(struct iommu_iova_range) },
};
static const struct refdesc iova_ranges_r[] = {
	{ .field = "allowed_iovas", .kind = IEMU_REF_OUT, .count = "num_iovas",
	  .unit = sizeof(struct iommu_iova_range) },
};
static const struct refdesc ioas_map_r[] = {
	{ .field = "user_va", .kind = IEMU_REF_MEMORY, .count = "length", .unit = 1 },
};
static const struct refdesc map_file_r[] = { { .field = "fd", .kind = IEMU_REF_FILE } };
static const struct refdesc hwpt_alloc_r[] = {
	{ .field = "data_uptr", .kind = IEMU_REF_IN, .count = "data_len", .unit = 1 },
};
static const struct refdesc hw_info_r[] = {
	{ .field = "data_uptr", .kind = IEMU_REF_OUT, .count = "data_len", .unit = 1 },
};
static const struct refdesc get_dirty_r[] = {
	{ .field = "data", .kind = IEMU_REF_INOUT, .len = bitmap_len },
};
static const struct refdesc invalidate_r[] = {
	{ .field = "data_uptr", .kind = IEMU_REF_IN, .count = "entry_len", .unit = 1,
	  .count2 = "entry_num" },
};
static const struct refdesc viommu_alloc_r[] = {
	{ .field = "data_uptr", .kind = IEMU_REF_IN, .count = "data_len", .unit = 1 },
};
static const struct refdesc dma_map_r[] = {
	{ .field = "vaddr", .kind = IEMU_REF_MEMORY, .count = "size", .unit = 1 },
};
static const struct refdesc fault_alloc_r[] = {
	{ .field = "out_fault_fd", .kind = IEMU_REF_FD_OUT },
};
static const struct refdesc veventq_alloc_r[] = {
	{ .field = "out_veventq_fd", .kind = IEMU_REF_FD_OUT },
};
static const struct refdesc ioeventfd_r[] = { { .field = "fd", .kind = IEMU_REF_EVENTFD } };
static const struct refdesc bind_r[] = {
	{ .field = "iommufd", .kind = IEMU_REF_IOMMUFD },
	{ .field = "token_uuid_ptr", .kind = IEMU_REF_IN, .unit = 16, .when = "flags",
	  .mask = VFIO_DEVICE_BIND_FLAG_TOKEN },
};

/* ---- flexible arrays ---- */

/* count elements of elem_size at s (as many as lie within n): an array of
 * objects, or of values when the element is one unnamed field. */
static size_t put_array(struct sb *b, const char *name, const struct field *ef,
			unsigned int nef, size_t elem_size, const uint8_t *s, size_t n,
			uint64_t count)
{
	size_t i;

	key(b, name);
	put(b, "[");
	for (i = 0; i < count && (i + 1) * elem_size <= n && !b->full; i++) {
		if (i)
			put(b, ",");
		if (nef == 1 && !ef[0].name) {
			put_value(b, &ef[0], s + i * elem_size);
			continue;
		}
		put(b, "{");
		b->member = false;
		put_fields(b, ef, nef, s + i * elem_size, elem_size);
		put(b, "}");
	}
	put(b, "]");
	b->member = true;
	return i * elem_size;
}

/* Bytes left after what was decoded, in hex. */
static void put_rest(struct sb *b, const uint8_t *s, size_t n)
{
	if (!n)
		return;
	key(b, "tail");
	put_hex(b, s, n);
}

static uint64_t field_or_zero(const struct ioctl_desc *d, const char *name, const uint8_t *s,
			      size_t n)
{
	uint64_t v = 0;

	field_value(d, name, s, n, &v);
	return v;
}

/* SET_IRQS: eventfds (s32) or booleans (u8) per interrupt, when the
 * flags say the data is one of them. */
static size_t irq_data_size(uint64_t flags)
{
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
		return sizeof(int32_t);
	return flags & VFIO_IRQ_SET_DATA_BOOL ? sizeof(uint8_t) : 0;
}

static void irq_set_tail(struct sb *b, const struct ioctl_desc *d, const uint8_t *s, size_t n)
{
	uint64_t flags = field_or_zero(d, "flags", s, n);
	size_t at = offsetof(struct vfio_irq_set, data), esize = irq_data_size(flags), used = 0;

	if (n <= at)
		return;
	if (esize)
		used = put_array(b, "data", esize == 1 ? bool_elem_f : fd_elem_f, 1, esize,
				 s + at, n - at, field_or_zero(d, "count", s, n));
	put_rest(b, s + at + used, n - at - used);
}

static unsigned int irq_set_refs(const struct ioctl_desc *d, const uint8_t *s, size_t n,
				 struct iemu_ioctl_ref *out, unsigned int max, unsigned int at)
{
	uint64_t count = field_or_zero(d, "count", s, n);
	size_t off = offsetof(struct vfio_irq_set, data);
	unsigned int k = 0;

	if (!(field_or_zero(d, "flags", s, n) & VFIO_IRQ_SET_DATA_EVENTFD))
		return 0;
	for (uint64_t i = 0; i < count && off + 4 * (i + 1) <= n; i++, k++) {
		if (at + k < max)
			out[at + k] = (struct iemu_ioctl_ref){
				IEMU_REF_EVENTFD, "data", (uint32_t)(off + 4 * i), 4,
				(uint64_t)get_sint(s + off + 4 * i, 4), 0,
			};
	}
	return k;
}

/* FEATURE: the payload of the feature the flags name. */
static const struct {
	uint32_t feature;
	const struct field *fields;
	unsigned int nfields;
	size_t size;
} feature_data[] = {
	{ VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP, wakeup_f, ARRAY_SIZE(wakeup_f),
	  sizeof(struct vfio_device_low_power_entry_with_wakeup) },
	{ VFIO_DEVICE_FEATURE_BUS_MASTER, bus_master_f, ARRAY_SIZE(bus_master_f),
	  sizeof(struct vfio_device_feature_bus_master) },
};

static void feature_tail(struct sb *b, const struct ioctl_desc *d, const uint8_t *s, size_t n)
{
	uint32_t feature = field_or_zero(d, "flags", s, n) & VFIO_DEVICE_FEATURE_MASK;
	size_t at = offsetof(struct vfio_device_feature, data);

	if (n <= at)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(feature_data); i++) {
		if (feature_data[i].feature != feature || n - at < feature_data[i].size)
			continue;
		put_fields(b, feature_data[i].fields, feature_data[i].nfields, s + at, n - at);
		at += feature_data[i].size;
		break;
	}
	put_rest(b, s + at, n - at);
}

static unsigned int feature_refs(const struct ioctl_desc *d, const uint8_t *s, size_t n,
				 struct iemu_ioctl_ref *out, unsigned int max, unsigned int at)
{
	size_t off = offsetof(struct vfio_device_feature, data) +
		     offsetof(struct vfio_device_low_power_entry_with_wakeup, wakeup_eventfd);

	if ((field_or_zero(d, "flags", s, n) & VFIO_DEVICE_FEATURE_MASK) !=
		    VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP || off + 4 > n)
		return 0;
	if (at < max)
		out[at] = (struct iemu_ioctl_ref){ IEMU_REF_EVENTFD, "wakeup_eventfd",
						   (uint32_t)off, 4,
						   (uint64_t)get_sint(s + off, 4), 0 };
	return 1;
}

static void hot_reset_info_tail(struct sb *b, const struct ioctl_desc *d, const uint8_t *s,
				size_t n)
{
	size_t at = offsetof(struct vfio_pci_hot_reset_info, devices), used;

	if (n <= at)
		return;
	used = put_array(b, "devices", dependent_device_f, ARRAY_SIZE(dependent_device_f),
			 sizeof(struct vfio_pci_dependent_device), s + at, n - at,
			 field_or_zero(d, "count", s, n));
	put_rest(b, s + at + used, n - at - used);
}

static void hot_reset_tail(struct sb *b, const struct ioctl_desc *d, const uint8_t *s, size_t n)
{
	size_t at = offsetof(struct vfio_pci_hot_reset, group_fds), used;

	if (n <= at)
		return;
	used = put_array(b, "group_fds", fd_elem_f, 1, sizeof(int32_t), s + at, n - at,
			 field_or_zero(d, "count", s, n));
	put_rest(b, s + at + used, n - at - used);
}

static const struct tail irq_set_t = { irq_set_tail, irq_set_refs };
static const struct tail feature_t = { feature_tail, feature_refs };
static const struct tail hot_reset_info_t = { hot_reset_info_tail, NULL };
static const struct tail hot_reset_t = { hot_reset_tail, NULL };

/* ---- one row per ioctl ---- */

#define FIELDS(f) .fields = (f), .nfields = ARRAY_SIZE(f)
#define REFS(r) .refs = (r), .nrefs = ARRAY_SIZE(r)
#define STRUCT(name, type_, ...)                                                   \
	{ .ioctl = #name, .arg = IEMU_ARG_STRUCT, .type = #type_, .size = sizeof(type_), \
	  .sized = true, __VA_ARGS__ }
#define NONE(name) { .ioctl = #name, .arg = IEMU_ARG_NONE }
#define INT(name, ...) { .ioctl = #name, .arg = IEMU_ARG_INT, .size = 8, __VA_ARGS__ }

static const struct ioctl_desc ioctls[] = {
	STRUCT(IOMMU_DESTROY, struct iommu_destroy, FIELDS(destroy_f)),
	STRUCT(IOMMU_IOAS_ALLOC, struct iommu_ioas_alloc, FIELDS(ioas_alloc_f)),
	STRUCT(IOMMU_IOAS_ALLOW_IOVAS, struct iommu_ioas_allow_iovas, FIELDS(allow_iovas_f),
	       REFS(allow_iovas_r)),
	STRUCT(IOMMU_IOAS_COPY, struct iommu_ioas_copy, FIELDS(ioas_copy_f)),
	STRUCT(IOMMU_IOAS_IOVA_RANGES, struct iommu_ioas_iova_ranges, FIELDS(iova_ranges_f),
	       REFS(iova_ranges_r)),
	STRUCT(IOMMU_IOAS_MAP, struct iommu_ioas_map, FIELDS(ioas_map_f), REFS(ioas_map_r)),
	STRUCT(IOMMU_IOAS_UNMAP, struct iommu_ioas_unmap, FIELDS(ioas_unmap_f)),
	STRUCT(IOMMU_OPTION, struct iommu_option, FIELDS(option_f)),
	STRUCT(IOMMU_VFIO_IOAS, struct iommu_vfio_ioas, FIELDS(vfio_ioas_f)),
	STRUCT(IOMMU_HWPT_ALLOC, struct iommu_hwpt_alloc, FIELDS(hwpt_alloc_f),
	       REFS(hwpt_alloc_r)),
	STRUCT(IOMMU_GET_HW_INFO, struct iommu_hw_info, FIELDS(hw_info_f), REFS(hw_info_r)),
	STRUCT(IOMMU_HWPT_SET_DIRTY_TRACKING, struct iommu_hwpt_set_dirty_tracking,
	       FIELDS(set_dirty_f)),
	STRUCT(IOMMU_HWPT_GET_DIRTY_BITMAP, struct iommu_hwpt_get_dirty_bitmap,
	       FIELDS(get_dirty_f), REFS(get_dirty_r)),
	STRUCT(IOMMU_HWPT_INVALIDATE, struct iommu_hwpt_invalidate, FIELDS(invalidate_f),
	       REFS(invalidate_r)),
	STRUCT(IOMMU_FAULT_QUEUE_ALLOC, struct iommu_fault_alloc, FIELDS(fault_alloc_f),
	       REFS(fault_alloc_r)),
	STRUCT(IOMMU_IOAS_MAP_FILE, struct iommu_ioas_map_file, FIELDS(map_file_f),
	       REFS(map_file_r)),
	STRUCT(IOMMU_VIOMMU_ALLOC, struct iommu_viommu_alloc, FIELDS(viommu_alloc_f),
	       REFS(viommu_alloc_r)),
	STRUCT(IOMMU_VDEVICE_ALLOC, struct iommu_vdevice_alloc, FIELDS(vdevice_alloc_f)),
	STRUCT(IOMMU_IOAS_CHANGE_PROCESS, struct iommu_ioas_change_process,
	       FIELDS(change_process_f)),
	STRUCT(IOMMU_VEVENTQ_ALLOC, struct iommu_veventq_alloc, FIELDS(veventq_alloc_f),
	       REFS(veventq_alloc_r)),
	STRUCT(IOMMU_HW_QUEUE_ALLOC, struct iommu_hw_queue_alloc, FIELDS(hw_queue_alloc_f)),
	STRUCT(IOMMU_IOAS_NOIOMMU_GET_PA, struct iommu_ioas_noiommu_get_pa, FIELDS(get_pa_f)),
	NONE(VFIO_GET_API_VERSION),
	INT(VFIO_CHECK_EXTENSION, FIELDS(extension_f)),
	INT(VFIO_SET_IOMMU, FIELDS(iommu_type_f)),
	STRUCT(VFIO_GROUP_GET_STATUS, struct vfio_group_status, FIELDS(group_status_f)),
	{ .ioctl = "VFIO_GROUP_SET_CONTAINER", .arg = IEMU_ARG_STRUCT, .type = "int",
	  .size = sizeof(int32_t), FIELDS(container_fd_f) },
	NONE(VFIO_GROUP_UNSET_CONTAINER),
	{ .ioctl = "VFIO_GROUP_GET_DEVICE_FD", .arg = IEMU_ARG_STRING, .type = "char *" },
	STRUCT(VFIO_DEVICE_GET_INFO, struct vfio_device_info, FIELDS(device_info_f)),
	STRUCT(VFIO_DEVICE_GET_REGION_INFO, struct vfio_region_info, FIELDS(region_info_f)),
	STRUCT(VFIO_DEVICE_GET_IRQ_INFO, struct vfio_irq_info, FIELDS(irq_info_f)),
	STRUCT(VFIO_DEVICE_SET_IRQS, struct vfio_irq_set, FIELDS(irq_set_f), .tail = &irq_set_t),
	NONE(VFIO_DEVICE_RESET),
	STRUCT(VFIO_IOMMU_GET_INFO, struct vfio_iommu_type1_info, FIELDS(type1_info_f)),
	STRUCT(VFIO_IOMMU_MAP_DMA, struct vfio_iommu_type1_dma_map, FIELDS(dma_map_f),
	       REFS(dma_map_r)),
	STRUCT(VFIO_IOMMU_UNMAP_DMA, struct vfio_iommu_type1_dma_unmap, FIELDS(dma_unmap_f)),
	NONE(VFIO_IOMMU_ENABLE),
	NONE(VFIO_IOMMU_DISABLE),
	STRUCT(VFIO_IOMMU_DIRTY_PAGES, struct vfio_iommu_type1_dirty_bitmap,
	       FIELDS(dirty_pages_f)),
	STRUCT(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, struct vfio_pci_hot_reset_info,
	       FIELDS(hot_reset_info_f), .tail = &hot_reset_info_t),
	STRUCT(VFIO_DEVICE_PCI_HOT_RESET, struct vfio_pci_hot_reset, FIELDS(hot_reset_f),
	       .tail = &hot_reset_t),
	STRUCT(VFIO_DEVICE_IOEVENTFD, struct vfio_device_ioeventfd, FIELDS(ioeventfd_f),
	       REFS(ioeventfd_r)),
	STRUCT(VFIO_DEVICE_FEATURE, struct vfio_device_feature, FIELDS(feature_f),
	       .tail = &feature_t),
	STRUCT(VFIO_DEVICE_BIND_IOMMUFD, struct vfio_device_bind_iommufd, FIELDS(bind_f),
	       REFS(bind_r)),
	STRUCT(VFIO_DEVICE_ATTACH_IOMMUFD_PT, struct vfio_device_attach_iommufd_pt,
	       FIELDS(attach_f)),
	STRUCT(VFIO_DEVICE_DETACH_IOMMUFD_PT, struct vfio_device_detach_iommufd_pt,
	       FIELDS(detach_f)),
	STRUCT(VFIO_MIG_GET_PRECOPY_INFO, struct vfio_precopy_info, FIELDS(precopy_f)),
};

/* VFIO reuses numbers between containers and devices: the name of the
 * number on this kind of file says which ioctl it is. */
static const struct ioctl_desc *find_ioctl(enum iemu_file_kind kind, unsigned int cmd)
{
	const char *name = iemu_ioctl_name(kind, cmd);

	for (size_t i = 0; name && i < ARRAY_SIZE(ioctls); i++)
		if (!strcmp(ioctls[i].ioctl, name))
			return &ioctls[i];
	return NULL;
}

/* ---- the public functions ---- */

int iemu_ioctl_arg(enum iemu_file_kind kind, unsigned int cmd, struct iemu_ioctl_arg *out)
{
	const struct ioctl_desc *d = find_ioctl(kind, cmd);

	if (!d)
		return -ENOENT;
	*out = (struct iemu_ioctl_arg){ d->arg, d->type, d->size, d->sized };
	return 0;
}

static void put_string(struct sb *b, const char *s, size_t n)
{
	key(b, "name");
	put(b, "\"");
	for (size_t i = 0; i < n && s[i] && !b->full; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			put(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			put(b, "\\u%04x", c);
		else
			put(b, "%c", c);
	}
	put(b, "\"");
}

int iemu_ioctl_decode(enum iemu_file_kind kind, unsigned int cmd, const void *data,
		      size_t len, char *out, size_t outlen)
{
	const struct ioctl_desc *d = find_ioctl(kind, cmd);
	struct sb b = { out, 0, outlen, outlen == 0, false };
	const uint8_t *s = data;

	if (!d)
		return -ENOENT;
	if (d->arg == IEMU_ARG_STRING)
		put_string(&b, data, len);
	else
		put_fields(&b, d->fields, d->nfields, s, len);
	if (d->tail)
		d->tail->decode(&b, d, s, len);
	else if (d->sized && len > d->size)
		put_rest(&b, s + d->size, len - d->size);
	if (b.full)
		return -ENOSPC;
	out[b.len] = '\0';
	return (int)b.len;
}

static uint64_t ref_len(const struct ioctl_desc *d, const struct refdesc *r, const uint8_t *s,
			size_t n)
{
	uint64_t a = 1, c = 1;

	if (r->len)
		return r->len(d, s, n);
	if (r->kind >= IEMU_REF_EVENTFD)
		return 0; /* fds (the kinds after MEMORY) span no bytes */
	if (r->count)
		a = field_or_zero(d, r->count, s, n);
	if (r->count2)
		c = field_or_zero(d, r->count2, s, n);
	/* Saturate: a length the kernel would refuse is still a length. */
	if (__builtin_mul_overflow(a, r->unit, &a) || __builtin_mul_overflow(a, c, &a))
		return UINT64_MAX;
	return a;
}

int iemu_ioctl_refs(enum iemu_file_kind kind, unsigned int cmd, const void *data, size_t len,
		    struct iemu_ioctl_ref *out, unsigned int max)
{
	const struct ioctl_desc *d = find_ioctl(kind, cmd);
	const uint8_t *s = data;
	unsigned int k = 0;

	if (!d)
		return -ENOENT;
	if (d->arg != IEMU_ARG_STRUCT)
		return 0;
	for (unsigned int i = 0; i < d->nrefs; i++) {
		const struct refdesc *r = &d->refs[i];
		const struct field *f = find_field(d->fields, d->nfields, r->field);

		if (!f || (size_t)f->offset + f->size > len)
			continue;
		if (r->when && !(field_or_zero(d, r->when, s, len) & r->mask))
			continue;
		if (k < max)
			out[k] = (struct iemu_ioctl_ref){
				r->kind, r->field, f->offset, f->size,
				f->fmt == SDEC ? (uint64_t)get_sint(s + f->offset, f->size) :
						 get_uint(s + f->offset, f->size),
				ref_len(d, r, s, len),
			};
		k++;
	}
	if (d->tail && d->tail->refs)
		k += d->tail->refs(d, s, len, out, max, k);
	return (int)k;
}

const char *iemu_region_name(unsigned int index)
{
	for (unsigned int i = 0; i < regions.n; i++)
		if (regions.v[i].value == index)
			return regions.v[i].name;
	return NULL;
}
