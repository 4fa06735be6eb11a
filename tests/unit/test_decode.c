// SPDX-License-Identifier: MIT
/*
 * The decoder behind traces and replay (iemu_ioctl_decode, iemu_ioctl_arg,
 * iemu_ioctl_refs): every ioctl of the ABI headers that takes a struct
 * decodes to its fields by their ABI names, in order; flags and enums by
 * name; pointers and fds are described for the replayer.  And the process
 * accessors the trace reads clients with (iemu_proc_read, iemu_proc_vma_at).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "iommufd_emu.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"

#define IOMMU IEMU_FILE_IOMMU
#define DEVICE IEMU_FILE_DEVICE

static char text[8192];

static const char *decode(enum iemu_file_kind kind, unsigned int cmd, const void *data,
			  size_t len)
{
	int n = iemu_ioctl_decode(kind, cmd, data, len, text, sizeof(text));

	assert_true(n >= 0);
	assert_int_equal(strlen(text), n);
	return text;
}

/* The top-level keys of decoded members, space-separated. */
static void keys_of(const char *json, char *out, size_t len)
{
	int depth = 0;

	out[0] = '\0';
	for (const char *p = json; *p; p++) {
		if (*p == '"') {
			const char *end = strchr(p + 1, '"');

			if (depth == 0 && end[1] == ':') {
				snprintf(out + strlen(out), len - strlen(out), "%s%.*s",
					 out[0] ? " " : "", (int)(end - p - 1), p + 1);
			}
			p = end;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
		}
	}
}

/* ---- every struct, field by field ---- */

static const struct {
	const char *ioctl;
	enum iemu_file_kind kind;
	size_t size;
	const char *fields;
} structs[] = {
	{ "IOMMU_DESTROY", IOMMU, sizeof(struct iommu_destroy), "size id" },
	{ "IOMMU_IOAS_ALLOC", IOMMU, sizeof(struct iommu_ioas_alloc), "size flags out_ioas_id" },
	{ "IOMMU_IOAS_ALLOW_IOVAS", IOMMU, sizeof(struct iommu_ioas_allow_iovas),
	  "size ioas_id num_iovas __reserved allowed_iovas" },
	{ "IOMMU_IOAS_COPY", IOMMU, sizeof(struct iommu_ioas_copy),
	  "size flags dst_ioas_id src_ioas_id length dst_iova src_iova" },
	{ "IOMMU_IOAS_IOVA_RANGES", IOMMU, sizeof(struct iommu_ioas_iova_ranges),
	  "size ioas_id num_iovas __reserved allowed_iovas out_iova_alignment" },
	{ "IOMMU_IOAS_MAP", IOMMU, sizeof(struct iommu_ioas_map),
	  "size flags ioas_id __reserved user_va length iova" },
	{ "IOMMU_IOAS_UNMAP", IOMMU, sizeof(struct iommu_ioas_unmap), "size ioas_id iova length" },
	{ "IOMMU_OPTION", IOMMU, sizeof(struct iommu_option),
	  "size option_id op __reserved object_id val64" },
	{ "IOMMU_VFIO_IOAS", IOMMU, sizeof(struct iommu_vfio_ioas), "size ioas_id op __reserved" },
	{ "IOMMU_HWPT_ALLOC", IOMMU, sizeof(struct iommu_hwpt_alloc),
	  "size flags dev_id pt_id out_hwpt_id __reserved data_type data_len data_uptr fault_id "
	  "__reserved2" },
	{ "IOMMU_GET_HW_INFO", IOMMU, sizeof(struct iommu_hw_info),
	  "size flags dev_id data_len data_uptr in_data_type out_data_type out_max_pasid_log2 "
	  "__reserved out_capabilities" },
	{ "IOMMU_HWPT_SET_DIRTY_TRACKING", IOMMU, sizeof(struct iommu_hwpt_set_dirty_tracking),
	  "size flags hwpt_id __reserved" },
	{ "IOMMU_HWPT_GET_DIRTY_BITMAP", IOMMU, sizeof(struct iommu_hwpt_get_dirty_bitmap),
	  "size hwpt_id flags __reserved iova length page_size data" },
	{ "IOMMU_HWPT_INVALIDATE", IOMMU, sizeof(struct iommu_hwpt_invalidate),
	  "size hwpt_id data_uptr data_type entry_len entry_num __reserved" },
	{ "IOMMU_FAULT_QUEUE_ALLOC", IOMMU, sizeof(struct iommu_fault_alloc),
	  "size flags out_fault_id out_fault_fd" },
	{ "IOMMU_IOAS_MAP_FILE", IOMMU, sizeof(struct iommu_ioas_map_file),
	  "size flags ioas_id fd start length iova" },
	{ "IOMMU_VIOMMU_ALLOC", IOMMU, sizeof(struct iommu_viommu_alloc),
	  "size flags type dev_id hwpt_id out_viommu_id data_len __reserved data_uptr" },
	{ "IOMMU_VDEVICE_ALLOC", IOMMU, sizeof(struct iommu_vdevice_alloc),
	  "size viommu_id dev_id out_vdevice_id virt_id" },
	{ "IOMMU_IOAS_CHANGE_PROCESS", IOMMU, sizeof(struct iommu_ioas_change_process),
	  "size __reserved" },
	{ "IOMMU_VEVENTQ_ALLOC", IOMMU, sizeof(struct iommu_veventq_alloc),
	  "size flags viommu_id type veventq_depth out_veventq_id out_veventq_fd __reserved" },
	{ "IOMMU_HW_QUEUE_ALLOC", IOMMU, sizeof(struct iommu_hw_queue_alloc),
	  "size flags viommu_id type index out_hw_queue_id nesting_parent_iova length" },
	{ "IOMMU_IOAS_NOIOMMU_GET_PA", IOMMU, sizeof(struct iommu_ioas_noiommu_get_pa),
	  "size flags ioas_id __reserved iova length out_phys" },
	{ "VFIO_GROUP_GET_STATUS", IOMMU, sizeof(struct vfio_group_status), "argsz flags" },
	{ "VFIO_DEVICE_GET_INFO", DEVICE, sizeof(struct vfio_device_info),
	  "argsz flags num_regions num_irqs cap_offset pad" },
	{ "VFIO_DEVICE_GET_REGION_INFO", DEVICE, sizeof(struct vfio_region_info),
	  "argsz flags index cap_offset size offset" },
	{ "VFIO_DEVICE_GET_IRQ_INFO", DEVICE, sizeof(struct vfio_irq_info),
	  "argsz flags index count" },
	{ "VFIO_DEVICE_SET_IRQS", DEVICE, sizeof(struct vfio_irq_set),
	  "argsz flags index start count" },
	{ "VFIO_IOMMU_GET_INFO", IOMMU, sizeof(struct vfio_iommu_type1_info),
	  "argsz flags iova_pgsizes cap_offset pad" },
	{ "VFIO_IOMMU_MAP_DMA", IOMMU, sizeof(struct vfio_iommu_type1_dma_map),
	  "argsz flags vaddr iova size" },
	{ "VFIO_IOMMU_UNMAP_DMA", IOMMU, sizeof(struct vfio_iommu_type1_dma_unmap),
	  "argsz flags iova size" },
	{ "VFIO_IOMMU_DIRTY_PAGES", IOMMU, 8, "argsz flags" },
	{ "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", DEVICE, sizeof(struct vfio_pci_hot_reset_info),
	  "argsz flags count" },
	{ "VFIO_DEVICE_PCI_HOT_RESET", DEVICE, sizeof(struct vfio_pci_hot_reset),
	  "argsz flags count" },
	{ "VFIO_DEVICE_IOEVENTFD", DEVICE, sizeof(struct vfio_device_ioeventfd),
	  "argsz flags offset data fd reserved" },
	{ "VFIO_DEVICE_FEATURE", DEVICE, sizeof(struct vfio_device_feature), "argsz flags" },
	{ "VFIO_DEVICE_BIND_IOMMUFD", DEVICE, sizeof(struct vfio_device_bind_iommufd),
	  "argsz flags iommufd out_devid token_uuid_ptr" },
	{ "VFIO_DEVICE_ATTACH_IOMMUFD_PT", DEVICE, sizeof(struct vfio_device_attach_iommufd_pt),
	  "argsz flags pt_id pasid" },
	{ "VFIO_DEVICE_DETACH_IOMMUFD_PT", DEVICE, sizeof(struct vfio_device_detach_iommufd_pt),
	  "argsz flags pasid" },
	{ "VFIO_MIG_GET_PRECOPY_INFO", DEVICE, 24, "argsz flags initial_bytes dirty_bytes" },
};

static unsigned int number(const char *name)
{
	unsigned int cmd, kinds;

	assert_int_equal(iemu_ioctl_number(name, &cmd, &kinds), 0);
	return cmd;
}

static void test_every_struct_decodes_to_its_abi_fields(void **state)
{
	static uint8_t zero[256];
	char keys[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(structs) / sizeof(structs[0]); i++) {
		unsigned int cmd = number(structs[i].ioctl);
		struct iemu_ioctl_arg arg;

		assert_int_equal(iemu_ioctl_arg(structs[i].kind, cmd, &arg), 0);
		assert_int_equal(arg.kind, IEMU_ARG_STRUCT);
		assert_true(arg.sized);
		assert_int_equal(arg.size, structs[i].size);
		keys_of(decode(structs[i].kind, cmd, zero, arg.size), keys, sizeof(keys));
		if (strcmp(keys, structs[i].fields))
			fail_msg("%s: decoded \"%s\", expected \"%s\"", structs[i].ioctl, keys,
				 structs[i].fields);
	}
}

static bool on(unsigned int kinds, enum iemu_file_kind kind)
{
	return kinds >> kind & 1;
}

/* Each ioctl the emulator names has a decoder on each file it applies to. */
static void test_every_known_ioctl_has_a_decoder(void **state)
{
	unsigned int cmd, kinds, n = 0;
	struct iemu_ioctl_arg arg;
	const char *name;

	(void)state;
	for (unsigned int i = 0; (name = iemu_ioctl_at(i, &cmd, &kinds)); i++, n++) {
		for (int kind = IOMMU; kind <= DEVICE; kind++) {
			if (on(kinds, kind) && iemu_ioctl_arg(kind, cmd, &arg))
				fail_msg("%s has no decoder", name);
		}
	}
	assert_true(n >= 48);
}

static void test_ioctls_without_struct_take_an_integer_or_nothing(void **state)
{
	static const struct {
		const char *ioctl;
		enum iemu_arg_kind kind;
	} plain[] = {
		{ "VFIO_GET_API_VERSION", IEMU_ARG_NONE },
		{ "VFIO_CHECK_EXTENSION", IEMU_ARG_INT },
		{ "VFIO_SET_IOMMU", IEMU_ARG_INT },
		{ "VFIO_GROUP_UNSET_CONTAINER", IEMU_ARG_NONE },
		{ "VFIO_GROUP_GET_DEVICE_FD", IEMU_ARG_STRING },
		{ "VFIO_DEVICE_RESET", IEMU_ARG_NONE },
		{ "VFIO_IOMMU_ENABLE", IEMU_ARG_NONE },
		{ "VFIO_IOMMU_DISABLE", IEMU_ARG_NONE },
	};
	struct iemu_ioctl_arg arg;
	uint64_t v = VFIO_TYPE1v2_IOMMU;

	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		unsigned int cmd = number(plain[i].ioctl);
		enum iemu_file_kind kind = !strcmp(plain[i].ioctl, "VFIO_IOMMU_ENABLE") ||
						   !strcmp(plain[i].ioctl, "VFIO_IOMMU_DISABLE") ?
					   IOMMU : DEVICE;

		assert_int_equal(iemu_ioctl_arg(kind, cmd, &arg), 0);
		assert_int_equal(arg.kind, plain[i].kind);
	}
	assert_string_equal(decode(IOMMU, VFIO_CHECK_EXTENSION, &v, sizeof(v)),
			    "\"extension\":\"TYPE1v2_IOMMU\"");
	v = 42;
	assert_string_equal(decode(IOMMU, VFIO_SET_IOMMU, &v, sizeof(v)), "\"iommu_type\":42");
	assert_string_equal(decode(DEVICE, VFIO_DEVICE_RESET, NULL, 0), "");
	assert_string_equal(decode(DEVICE, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.0", 13),
			    "\"name\":\"0000:00:04.0\"");
}

/* ---- values ---- */

static void test_map_is_decoded_with_flag_names_hex_addresses_decimal_sizes(void **state)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = 2, .user_va = 0x7f0000201000, .length = 8192,
		.iova = 0x100000,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_READABLE,
	};

	(void)state;
	assert_string_equal(decode(IOMMU, IOMMU_IOAS_MAP, &m, sizeof(m)),
			    "\"size\":40,\"flags\":\"FIXED_IOVA|WRITEABLE|READABLE\",\"ioas_id\":2,"
			    "\"__reserved\":0,\"user_va\":\"0x7f0000201000\",\"length\":8192,"
			    "\"iova\":\"0x100000\"");
}

static const char *member(const char *json, const char *key)
{
	static char value[256];
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	assert_non_null(p);
	p += strlen(pat);
	n = strcspn(p, ",}");
	snprintf(value, sizeof(value), "%.*s", (int)n, p);
	return value;
}

static void test_unknown_bits_show_in_hex_and_no_flags_as_0(void **state)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .flags = IOMMU_IOAS_MAP_READABLE | 1u << 4 };

	(void)state;
	assert_string_equal(member(decode(IOMMU, IOMMU_IOAS_MAP, &m, sizeof(m)), "flags"),
			    "\"READABLE|0x10\"");
	m.flags = 0;
	assert_string_equal(member(decode(IOMMU, IOMMU_IOAS_MAP, &m, sizeof(m)), "flags"), "\"0\"");
	m.flags = 1u << 9;
	assert_string_equal(member(decode(IOMMU, IOMMU_IOAS_MAP, &m, sizeof(m)), "flags"),
			    "\"0x200\"");
}

static void test_enums_by_name_and_unknown_values_as_numbers(void **state)
{
	struct vfio_irq_info q = { .argsz = sizeof(q), .index = VFIO_PCI_MSI_IRQ_INDEX,
				   .flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE };
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX,
				       .offset = 7ULL << 40 };
	struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
				  .op = IOMMU_OPTION_OP_GET };
	struct iommu_hw_info h = { .size = sizeof(h), .out_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD,
				   .out_capabilities = IOMMU_HW_CAP_DIRTY_TRACKING };

	(void)state;
	decode(DEVICE, VFIO_DEVICE_GET_IRQ_INFO, &q, sizeof(q));
	assert_string_equal(member(text, "index"), "\"MSI\"");
	assert_string_equal(member(text, "flags"), "\"EVENTFD|NORESIZE\"");
	q.index = 12;
	decode(DEVICE, VFIO_DEVICE_GET_IRQ_INFO, &q, sizeof(q));
	assert_string_equal(member(text, "index"), "12");
	decode(DEVICE, VFIO_DEVICE_GET_REGION_INFO, &ri, sizeof(ri));
	assert_string_equal(member(text, "index"), "\"CONFIG\"");
	assert_string_equal(member(text, "offset"), "\"0x70000000000\"");
	decode(IOMMU, IOMMU_OPTION, &o, sizeof(o));
	assert_string_equal(member(text, "option_id"), "\"HUGE_PAGES\"");
	assert_string_equal(member(text, "op"), "\"GET\"");
	decode(IOMMU, IOMMU_GET_HW_INFO, &h, sizeof(h));
	assert_string_equal(member(text, "in_data_type"), "\"INTEL_VTD\"");
	assert_string_equal(member(text, "out_data_type"), "\"INTEL_VTD\"");
	assert_string_equal(member(text, "out_capabilities"), "\"DIRTY_TRACKING\"");
}

/* The feature's number is an enum inside the flags. */
static void test_feature_flags_name_the_feature(void **state)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_MIGRATION,
	};

	(void)state;
	assert_string_equal(member(decode(DEVICE, VFIO_DEVICE_FEATURE, &f, sizeof(f)), "flags"),
			    "\"GET|PROBE|MIGRATION\"");
	f.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	assert_string_equal(member(decode(DEVICE, VFIO_DEVICE_FEATURE, &f, sizeof(f)), "flags"),
			    "\"SET|PCI_VF_TOKEN\"");
	f.flags = VFIO_DEVICE_FEATURE_GET | 0x77;
	assert_string_equal(member(decode(DEVICE, VFIO_DEVICE_FEATURE, &f, sizeof(f)), "flags"),
			    "\"GET|0x77\"");
}

/* VFIO numbers repeat between containers and devices: the file decides. */
static void test_the_file_kind_picks_the_struct_of_a_shared_number(void **state)
{
	uint8_t zero[64] = { 0 };
	char keys[256];

	(void)state;
	assert_int_equal(VFIO_IOMMU_GET_INFO, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO);
	keys_of(decode(IOMMU, VFIO_IOMMU_GET_INFO, zero, 24), keys, sizeof(keys));
	assert_string_equal(keys, "argsz flags iova_pgsizes cap_offset pad");
	keys_of(decode(DEVICE, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, zero, 12), keys, sizeof(keys));
	assert_string_equal(keys, "argsz flags count");
}

/* ---- what follows a struct ---- */

static void test_set_irqs_data_as_eventfds_or_booleans(void **state)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd[2];
	} e = { { sizeof(e), VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		  VFIO_PCI_MSIX_IRQ_INDEX, 0, 2 }, { 5, -1 } };
	struct {
		struct vfio_irq_set s;
		uint8_t b[4];
	} b = { { sizeof(b), VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK, 0, 0, 2 },
		{ 1, 0, 9, 9 } };

	(void)state;
	assert_string_equal(decode(DEVICE, VFIO_DEVICE_SET_IRQS, &e, sizeof(e)),
			    "\"argsz\":28,\"flags\":\"DATA_EVENTFD|ACTION_TRIGGER\","
			    "\"index\":\"MSIX\",\"start\":0,\"count\":2,\"data\":[5,-1]");
	decode(DEVICE, VFIO_DEVICE_SET_IRQS, &b, sizeof(b));
	assert_non_null(strstr(text, "\"data\":[1,0],\"tail\":\"0909\""));
	e.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	decode(DEVICE, VFIO_DEVICE_SET_IRQS, &e, sizeof(e));
	assert_non_null(strstr(text, "\"tail\":\"05000000ffffffff\""));
	assert_null(strstr(text, "\"data\""));
}

static void test_feature_payload_and_hot_reset_devices(void **state)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_low_power_entry_with_wakeup w;
	} lp = { { sizeof(lp), VFIO_DEVICE_FEATURE_SET |
				       VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP },
		 { 7, 0 } };
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_bus_master m;
	} bm = { { sizeof(bm), VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_BUS_MASTER },
		 { VFIO_DEVICE_FEATURE_SET_MASTER } };
	struct {
		struct vfio_pci_hot_reset_info h;
		struct vfio_pci_dependent_device d[1];
	} hr = { { sizeof(hr), VFIO_PCI_HOT_RESET_FLAG_DEV_ID, 1 }, { { { 3 }, 0, 1, 8 } } };

	(void)state;
	assert_non_null(strstr(decode(DEVICE, VFIO_DEVICE_FEATURE, &lp, sizeof(lp)),
			       "\"wakeup_eventfd\":7,\"reserved\":0"));
	assert_non_null(strstr(decode(DEVICE, VFIO_DEVICE_FEATURE, &bm, sizeof(bm)),
			       "\"op\":\"SET_MASTER\""));
	assert_non_null(strstr(decode(DEVICE, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hr, sizeof(hr)),
			       "\"devices\":[{\"group_id\":3,\"devid\":3,\"segment\":0,\"bus\":1,"
			       "\"devfn\":8}]"));
}

/* A non-zero tail is what makes E2BIG: it shows; a short struct shows
 * only the fields it holds whole. */
static void test_bytes_past_the_struct_show_as_tail_and_short_structs_stop(void **state)
{
	uint8_t big[20] = { 20 };
	struct iommu_ioas_map m = { .size = 16, .ioas_id = 3 };
	char keys[256];

	(void)state;
	big[18] = 0xab;
	assert_string_equal(decode(IOMMU, IOMMU_IOAS_ALLOC, big, sizeof(big)),
			    "\"size\":20,\"flags\":\"0\",\"out_ioas_id\":0,"
			    "\"tail\":\"000000000000ab00\"");
	keys_of(decode(IOMMU, IOMMU_IOAS_MAP, &m, 16), keys, sizeof(keys));
	assert_string_equal(keys, "size flags ioas_id __reserved");
}

static void test_decode_refuses_unknown_ioctls_and_small_buffers(void **state)
{
	struct iommu_ioas_map m = { .size = sizeof(m) };
	char small[16];

	(void)state;
	assert_int_equal(iemu_ioctl_decode(IOMMU, _IO(';', 0x7f), &m, sizeof(m), text,
					   sizeof(text)), -ENOENT);
	assert_int_equal(iemu_ioctl_decode(IOMMU, IOMMU_IOAS_MAP, &m, sizeof(m), small,
					   sizeof(small)), -ENOSPC);
}

/* ---- pointers and fds ---- */

static void test_refs_describe_buffers_with_their_lengths(void **state)
{
	struct iommu_ioas_allow_iovas al = { .size = sizeof(al), .num_iovas = 3,
					     .allowed_iovas = 0x1000 };
	struct iommu_ioas_iova_ranges rg = { .size = sizeof(rg), .num_iovas = 2,
					     .allowed_iovas = 0x2000 };
	struct iommu_hwpt_get_dirty_bitmap db = { .size = sizeof(db), .length = 65 * 4096,
						  .page_size = 4096, .data = 0x3000 };
	struct iommu_hwpt_invalidate inv = { .size = sizeof(inv), .data_uptr = 0x4000,
					     .entry_len = 24, .entry_num = 5 };
	struct iommu_ioas_map m = { .size = sizeof(m), .user_va = 0x5000, .length = 8192 };
	struct iemu_ioctl_ref r[4];

	(void)state;
	assert_int_equal(iemu_ioctl_refs(IOMMU, IOMMU_IOAS_ALLOW_IOVAS, &al, sizeof(al), r, 4), 1);
	assert_int_equal(r[0].kind, IEMU_REF_IN);
	assert_string_equal(r[0].field, "allowed_iovas");
	assert_int_equal(r[0].offset, offsetof(struct iommu_ioas_allow_iovas, allowed_iovas));
	assert_int_equal(r[0].size, 8);
	assert_int_equal(r[0].value, 0x1000);
	assert_int_equal(r[0].len, 3 * sizeof(struct iommu_iova_range));
	assert_int_equal(iemu_ioctl_refs(IOMMU, IOMMU_IOAS_IOVA_RANGES, &rg, sizeof(rg), r, 4), 1);
	assert_int_equal(r[0].kind, IEMU_REF_OUT);
	assert_int_equal(r[0].len, 32);
	/* 65 pages: two 64-bit words of bitmap, read and written. */
	assert_int_equal(iemu_ioctl_refs(IOMMU, IOMMU_HWPT_GET_DIRTY_BITMAP, &db, sizeof(db), r, 4),
			 1);
	assert_int_equal(r[0].kind, IEMU_REF_INOUT);
	assert_int_equal(r[0].len, 16);
	assert_int_equal(iemu_ioctl_refs(IOMMU, IOMMU_HWPT_INVALIDATE, &inv, sizeof(inv), r, 4), 1);
	assert_int_equal(r[0].len, 120);
	assert_int_equal(iemu_ioctl_refs(IOMMU, IOMMU_IOAS_MAP, &m, sizeof(m), r, 4), 1);
	assert_int_equal(r[0].kind, IEMU_REF_MEMORY);
	assert_int_equal(r[0].value, 0x5000);
	assert_int_equal(r[0].len, 8192);
}

static void test_refs_describe_fds(void **state)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = 3,
					      .token_uuid_ptr = 0x6000 };
	struct {
		struct vfio_irq_set s;
		int32_t fd[3];
	} irq = { { sizeof(irq), VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 2, 0,
		    3 }, { 4, -1, 6 } };
	struct iommu_ioas_map_file mf = { .size = sizeof(mf), .fd = 9 };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iemu_ioctl_ref r[4];

	(void)state;
	/* The token is read only with the flag. */
	assert_int_equal(iemu_ioctl_refs(DEVICE, VFIO_DEVICE_BIND_IOMMUFD, &b, sizeof(b), r, 4), 1);
	assert_int_equal(r[0].kind, IEMU_REF_IOMMUFD);
	assert_int_equal(r[0].size, 4);
	assert_int_equal(r[0].value, 3);
	b.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	assert_int_equal(iemu_ioctl_refs(DEVICE, VFIO_DEVICE_BIND_IOMMUFD, &b, sizeof(b), r, 4), 2);
	assert_int_equal(r[1].kind, IEMU_REF_IN);
	assert_int_equal(r[1].len, 16);
	/* An old 16-byte BIND has no token field. */
	assert_int_equal(iemu_ioctl_refs(DEVICE, VFIO_DEVICE_BIND_IOMMUFD, &b, 16, r, 4), 1);
	assert_int_equal(iemu_ioctl_refs(DEVICE, VFIO_DEVICE_SET_IRQS, &irq, sizeof(irq), r, 4), 3);
	assert_int_equal(r[1].kind, IEMU_REF_EVENTFD);
	assert_int_equal(r[1].offset, offsetof(struct vfio_irq_set, data) + 4);
	assert_int_equal((int64_t)r[1].value, -1);
	/* Only the first max are stored; the count is all of them. */
	assert_int_equal(iemu_ioctl_refs(DEVICE, VFIO_DEVICE_SET_IRQS, &irq, sizeof(irq), r, 1), 3);
	irq.s.flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
	assert_int_equal(iemu_ioctl_refs(DEVICE, VFIO_DEVICE_SET_IRQS, &irq, sizeof(irq), r, 4), 0);
	assert_int_equal(iemu_ioctl_refs(IOMMU, IOMMU_IOAS_MAP_FILE, &mf, sizeof(mf), r, 4), 1);
	assert_int_equal(r[0].kind, IEMU_REF_FILE);
	assert_int_equal(r[0].value, 9);
	assert_int_equal(iemu_ioctl_refs(IOMMU, IOMMU_FAULT_QUEUE_ALLOC, &fa, sizeof(fa), r, 4), 1);
	assert_int_equal(r[0].kind, IEMU_REF_FD_OUT);
	assert_int_equal(iemu_ioctl_refs(IOMMU, IOMMU_DESTROY, &fa, 8, r, 4), 0);
	assert_int_equal(iemu_ioctl_refs(IOMMU, _IO(';', 0x7f), &fa, 8, r, 4), -ENOENT);
}

static void test_region_names(void **state)
{
	(void)state;
	assert_string_equal(iemu_region_name(VFIO_PCI_BAR0_REGION_INDEX), "BAR0");
	assert_string_equal(iemu_region_name(VFIO_PCI_CONFIG_REGION_INDEX), "CONFIG");
	assert_null(iemu_region_name(9));
}

/* ---- reading a process ---- */

static void test_proc_read_and_vma_at_see_the_process_memory(void **state)
{
	struct iemu *emu;
	struct iemu_proc *self;
	struct iemu_vma v;
	uint8_t *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t buf[8];

	(void)state;
	assert_true(p != MAP_FAILED);
	memcpy(p + 4090, "abcdef", 6);
	/* Pages: read-write, read-only, inaccessible. */
	assert_int_equal(mprotect(p + 4096, 4096, PROT_READ), 0);
	assert_int_equal(mprotect(p + 8192, 4096, PROT_NONE), 0);
	assert_int_equal(iemu_create(NULL, &emu), 0);
	assert_int_equal(iemu_proc_self(emu, &self), 0);
	assert_int_equal(iemu_proc_read(self, (uintptr_t)p + 4090, buf, 6), 0);
	assert_memory_equal(buf, "abcdef", 6);
	assert_int_equal(iemu_proc_vma_at(self, (uintptr_t)p + 4096, &v), 0);
	assert_true(v.start <= (uintptr_t)p + 4096 && v.end >= (uintptr_t)p + 8192);
	assert_int_equal(v.flags & (IEMU_VMA_READ | IEMU_VMA_WRITE), IEMU_VMA_READ);
	assert_int_equal(v.kind, IEMU_VMA_ANON);
	assert_int_equal(iemu_proc_read(self, (uintptr_t)p + 8188, buf, 8), -EFAULT);
	assert_int_equal(iemu_proc_read(self, 16, buf, 8), -EFAULT);
	iemu_proc_put(self);
	iemu_destroy(emu);
	munmap(p, 3 * 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_struct_decodes_to_its_abi_fields),
		cmocka_unit_test(test_every_known_ioctl_has_a_decoder),
		cmocka_unit_test(test_ioctls_without_struct_take_an_integer_or_nothing),
		cmocka_unit_test(test_map_is_decoded_with_flag_names_hex_addresses_decimal_sizes),
		cmocka_unit_test(test_unknown_bits_show_in_hex_and_no_flags_as_0),
		cmocka_unit_test(test_enums_by_name_and_unknown_values_as_numbers),
		cmocka_unit_test(test_feature_flags_name_the_feature),
		cmocka_unit_test(test_the_file_kind_picks_the_struct_of_a_shared_number),
		cmocka_unit_test(test_set_irqs_data_as_eventfds_or_booleans),
		cmocka_unit_test(test_feature_payload_and_hot_reset_devices),
		cmocka_unit_test(test_bytes_past_the_struct_show_as_tail_and_short_structs_stop),
		cmocka_unit_test(test_decode_refuses_unknown_ioctls_and_small_buffers),
		cmocka_unit_test(test_refs_describe_buffers_with_their_lengths),
		cmocka_unit_test(test_refs_describe_fds),
		cmocka_unit_test(test_region_names),
		cmocka_unit_test(test_proc_read_and_vma_at_see_the_process_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
