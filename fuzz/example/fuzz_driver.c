// SPDX-License-Identifier: MIT
/*
 * The worked example's harness: the fuzzer's bytes become calls of the
 * example driver (driver.c), whose syscalls the shim routes to the
 * emulator in-process.  After each call the harness holds the driver to
 * its own bookkeeping through the emulator's public API (mappings and
 * pinned pages match the queues the driver believes it set up), and after
 * dt_close() nothing may be left: no file, no pinned page, no binding.
 * LeakSanitizer (libFuzzer's -detect_leaks) catches memory either side
 * leaks.
 *
 * Input: groups of 4 bytes: operation, queue, ring entries (log2, or a
 * raw count), IOVA selector.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "iommufd_emu.h"
#include "shim.h"

static const char *const devices[] = { "dmatest,queues=2", NULL };

#define CHECK(cond, ...)                                                 \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "driver harness: " __VA_ARGS__); \
			fprintf(stderr, "\n");                           \
			abort();                                         \
		}                                                        \
	} while (0)

/* The emulator agrees with the driver: one mapping per queue it set up. */
static void check_driver(struct dt *d)
{
	struct iemu_ctx_stats st;
	uint64_t areas = 0, bytes = 0;

	for (int i = 0; i < DT_QUEUES; i++) {
		areas += d->q[i].ring != NULL;
		bytes += d->q[i].ring ? d->q[i].bytes : 0;
	}
	iemu_ctx_stats(shim_ctx(d->iommufd), &st);
	CHECK(st.areas == areas && st.mapped_bytes == bytes,
	      "the IOAS has %llu mappings (%llu bytes), the driver set up %llu (%llu bytes)",
	      (unsigned long long)st.areas, (unsigned long long)st.mapped_bytes,
	      (unsigned long long)areas, (unsigned long long)bytes);
	/* Attached to a domain, every mapping is pinned. */
	CHECK(st.pinned_pages == bytes / 4096, "%llu pages pinned for %llu bytes mapped",
	      (unsigned long long)st.pinned_pages, (unsigned long long)bytes);
}

static void check_gone(void)
{
	struct iemu_device_info info;
	struct iemu_proc_stats ps;

	CHECK(shim_open_files() == 0, "%u emulated files still open", shim_open_files());
	iemu_device_info(iemu_device_next(shim_emu(), NULL), &info);
	CHECK(!info.bound && !info.pt_id, "the device is still bound");
	iemu_proc_stats(shim_self(), &ps);
	CHECK(!ps.pinned_vm && !ps.locked_vm, "%llu pages still pinned",
	      (unsigned long long)ps.pinned_vm);
}

static uint64_t iova_of(uint8_t b)
{
	static const uint64_t special[] = {
		0, 0xfee00000, 0x800, 1ULL << 48, (1ULL << 48) - 4096, UINT64_MAX - 4095,
		0xfedff000, 0x100000,
	};

	return b & 0x80 ? special[b % 8] : (uint64_t)(b & 0x7f) << 16;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt d;

	shim_start(devices);
	if (dt_open(&d, "/dev/vfio/devices/vfio0"))
		abort(); /* the set-up itself must work */
	for (size_t i = 0; i + 4 <= size && i < 64 * 4; i += 4) {
		unsigned int q = data[i + 1] % DT_QUEUES;
		unsigned int entries = data[i + 2] & 0x80 ? data[i + 2] & 0x7f :
				       1u << (data[i + 2] % 14);

		if (data[i] & 1)
			dt_queue_teardown(&d, q);
		else
			dt_queue_setup(&d, q, entries, iova_of(data[i + 3]));
		check_driver(&d);
	}
	dt_close(&d);
	check_gone();
	return 0;
}
