// SPDX-License-Identifier: MIT
/*
 * Writes the hand-made seeds of the targets and the operation target's
 * dictionary: `make fuzz-seeds` runs it (mkseeds DIR writes DIR/ops/,
 * DIR/copyin/, DIR/driver/ and fuzz/dict/ops.dict).  Each seed is one
 * scenario a driver would play (map and DMA, an emulated device, noiommu,
 * accesses, the VFIO container API, HWPTs and replace, MAP_FILE and
 * CHANGE_PROCESS, interrupts); the dictionary holds its operations one by
 * one, for the fuzzer to splice into other inputs.  The long runs' merged
 * corpora sit beside these seeds (files named by their hash).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_ops.h"

struct buf {
	uint8_t b[1024];
	size_t n;
};

static FILE *dict;
static const uint8_t *seen[256];
static size_t seen_len[256], nseen;

/* Append an operation to the seed, and to the dictionary the first time. */
static void add(struct buf *s, const uint8_t *op, size_t n)
{
	memcpy(s->b + s->n, op, n);
	s->n += n;
	if (!dict)
		return;
	for (size_t i = 0; i < nseen; i++)
		if (seen_len[i] == n && !memcmp(seen[i], op, n))
			return;
	if (nseen < 256) {
		seen[nseen] = op;
		seen_len[nseen++] = n;
	}
	fprintf(dict, "\"");
	for (size_t i = 0; i < n; i++)
		fprintf(dict, "\\x%02x", op[i]);
	fprintf(dict, "\"\n");
}

/* An operation: its opcode and leading arguments, padded with zeros to
 * the bytes it reads. */
#define OP(s, ...)                                                        \
	do {                                                              \
		static const uint8_t _in[] = { __VA_ARGS__ };             \
		static uint8_t _op[33] = { 0 };                                   \
		size_t _n = 1u + op_nargs[_in[0]];                        \
		if (sizeof(_in) > _n) {                                   \
			fprintf(stderr, "op %u: too many bytes\n", _in[0]); \
			exit(1);                                          \
		}                                                         \
		memcpy(_op, _in, sizeof(_in));                            \
		add(s, _op, _n);                                          \
	} while (0)

static void save(const char *dir, const char *name, const struct buf *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* IOAS_ALLOC in context 0; MAP of 4 pages at arena page 16, IOVA 1 MiB. */
#define ALLOC OPC_ioas_alloc, 0, 0
#define MAP_RW OPC_map, 0, 0, 1, 0x10, 0x00, 3, 0x00, 0x01, 0
/* MAP of 4 pages at IOVA 16 MiB, inside the mock domain's aperture. */
#define MAP_MOCK OPC_map, 0, 0, 1, 0x10, 0x00, 3, 0x08, 0xf0, 0
#define OPEN(dev) OPC_file_open, 0, dev, 0
#define BIND OPC_bind, 0, 0, 0
#define ATTACH_IOAS OPC_attach, 0, 0, 0
#define ENABLE OPC_cfg, 0, 0, 0, 0, 0, 0, 0
/* DMA of 4 KiB by device dev into its first mapping (kind 0 read, 1 write,
 * 2 copy one page further). */
#define DMA(dev, kind) OPC_dma, dev, kind, 0, 0, 0x00, 0x00, 0x01, 0x00, 0xc0

static void ops_seeds(const char *dir)
{
	struct buf s;

	s.n = 0; /* map, a device behind VT-d, DMA, dirty tracking, unmap */
	OP(&s, ALLOC);
	OP(&s, MAP_RW);
	OP(&s, OPEN(0));
	OP(&s, BIND);
	OP(&s, ATTACH_IOAS);
	OP(&s, ENABLE);
	OP(&s, DMA(0, 1));
	OP(&s, DMA(0, 0));
	OP(&s, DMA(0, 2));
	OP(&s, OPC_dirty, 0, 2, 0);
	OP(&s, DMA(0, 1));
	OP(&s, OPC_dirty, 0, 0x81, 0, 0x00, 0x01, 3, 12);
	save(dir, "seed-dma-vtd", &s);

	s.n = 0; /* a HWPT with dirty tracking: DMA writes set bits, the bitmap reads them */
	OP(&s, ALLOC);
	OP(&s, MAP_RW);
	OP(&s, OPEN(0));
	OP(&s, BIND);
	OP(&s, OPC_hwpt_alloc, 0, 0x02, 0, 0);
	OP(&s, OPC_attach, 0, 8, 0);
	OP(&s, ENABLE);
	OP(&s, OPC_dirty, 0, 2, 0);
	OP(&s, DMA(0, 1));
	OP(&s, OPC_dirty, 0, 0x81, 0, 0x00, 0x01, 3, 12);
	OP(&s, OPC_dirty, 0, 0x83, 0, 0x00, 0x01, 3, 12);
	OP(&s, OPC_unmap, 0, 0, 0, 0x00, 0x01, 3);
	OP(&s, DMA(0, 0));
	save(dir, "seed-dirty", &s);

	s.n = 0; /* an emulated device: DMA through its access */
	OP(&s, ALLOC);
	OP(&s, MAP_RW);
	OP(&s, OPEN(2));
	OP(&s, BIND);
	OP(&s, ATTACH_IOAS);
	OP(&s, ENABLE);
	OP(&s, DMA(2, 1));
	OP(&s, DMA(2, 2));
	OP(&s, OPC_unmap, 0, 1, 0, 0, 0, 0);
	save(dir, "seed-emulated", &s);

	s.n = 0; /* noiommu with a software page table: GET_PA, physical DMA */
	OP(&s, ALLOC);
	OP(&s, OPEN(3));
	OP(&s, BIND);
	OP(&s, ATTACH_IOAS);
	OP(&s, MAP_RW);
	OP(&s, OPC_info, 0, 1, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 3);
	OP(&s, ENABLE);
	OP(&s, DMA(3, 1));
	OP(&s, OPC_file_close, 0);
	OP(&s, OPEN(4));
	OP(&s, BIND);
	OP(&s, ATTACH_IOAS);
	save(dir, "seed-noiommu", &s);

	s.n = 0; /* an access: attach, pin, copy, unmap asks it to unpin */
	OP(&s, ALLOC);
	OP(&s, MAP_RW);
	OP(&s, OPC_acc_create, 0, 0);
	OP(&s, OPC_acc_attach, 0, 0, 0);
	OP(&s, OPC_acc_pin, 0, 0, 0, 0, 0);
	OP(&s, OPC_acc_rw, 0, 1, 0, 0, 3);
	OP(&s, OPC_unmap, 0, 0, 0, 0x00, 0x01, 3);
	OP(&s, OPC_acc_destroy, 0);
	save(dir, "seed-access", &s);

	s.n = 0; /* the VFIO container API on /dev/iommu */
	OP(&s, ALLOC);
	OP(&s, OPC_vfio_ioas, 0, 1, 0);
	/* compat: ctx, which, proc; MAP_DMA flags, va, len, iova (3-9);
	 * UNMAP_DMA bits, iova, len (9-12); SET_IOMMU type (13); GET_INFO
	 * argsz (14); CHECK_EXTENSION (15). */
	OP(&s, OPC_compat, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
	OP(&s, OPC_compat, 0, 0, 0, 3, 0x10, 0x00, 3, 0x00, 0x01);
	OP(&s, OPC_compat, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200);
	OP(&s, OPC_compat, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0);
	OP(&s, OPC_compat, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1);
	OP(&s, OPC_compat, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
	save(dir, "seed-compat", &s);

	s.n = 0; /* HWPT_ALLOC, attach to it, replace by an IOAS, detach */
	OP(&s, ALLOC);
	OP(&s, ALLOC);
	OP(&s, OPEN(0));
	OP(&s, BIND);
	OP(&s, OPC_hwpt_alloc, 0, 0x00, 0, 0);
	OP(&s, OPC_attach, 0, 8, 0);
	OP(&s, MAP_RW);
	OP(&s, OPC_attach, 0, 0, 1);
	OP(&s, OPC_attach, 0, 1, 0);
	OP(&s, OPC_destroy, 0, 3);
	save(dir, "seed-hwpt", &s);

	s.n = 0; /* MAP_FILE, a domain, CHANGE_PROCESS to another user */
	OP(&s, ALLOC);
	OP(&s, OPC_map_file, 0, 0, 0, 1, 0, 3, 0x00, 0x01, 0);
	OP(&s, OPC_test_domain, 0, 0, 0);
	OP(&s, OPC_change_process, 0, 1);
	OP(&s, OPC_option, 0, 0x02, 0);
	save(dir, "seed-file", &s);

	s.n = 0; /* MSI-X and error eventfds, interrupts from the model */
	OP(&s, OPEN(0));
	OP(&s, BIND);
	OP(&s, OPC_set_irqs, 0, 0x12, 0x02, 0, 1, 0, 0);
	OP(&s, OPC_irq, 0, 0);
	OP(&s, OPC_set_irqs, 0, 0x13, 0x01, 2, 0, 0, 0);
	OP(&s, OPC_irq, 0, 3);
	OP(&s, OPC_dev_misc, 0, 3, 0);
	save(dir, "seed-msix", &s);

	s.n = 0; /* edu's INTx: trigger, assert, unmask */
	OP(&s, OPEN(1));
	OP(&s, BIND);
	OP(&s, OPC_set_irqs, 0, 0x10, 0x01, 0, 0, 0, 0);
	OP(&s, OPC_irq, 1, 1);
	OP(&s, OPC_set_irqs, 0, 0x60, 0x01, 0, 0, 0, 0);
	OP(&s, OPC_irq, 1, 2);
	OP(&s, OPC_bar, 0, 0x48, 0x60, 0x00, 1, 0, 0, 0);
	save(dir, "seed-intx", &s);

	s.n = 0; /* a mock device, a nesting parent, a vIOMMU with a vDEVICE,
		  * a vEVENTQ and a HW queue, a nested HWPT with a fault queue:
		  * an IOPF read and answered, a vEVENT read */
	OP(&s, ALLOC);
	OP(&s, OPC_mock, 0, 0, 0);                 /* MOCK_DOMAIN on the IOAS */
	OP(&s, MAP_MOCK);
	OP(&s, OPC_hwpt_alloc, 0, 0x01, 0, 0);     /* NEST_PARENT */
	OP(&s, OPC_viommu, 0, 0, 0, 1);            /* VIOMMU_ALLOC on it */
	OP(&s, OPC_viommu, 0, 1, 0, 0, 1);         /* VDEVICE_ALLOC, virt_id 1 */
	OP(&s, OPC_viommu, 0, 2, 0, 0, 0, 2);      /* VEVENTQ_ALLOC, depth 2: fd 0 */
	OP(&s, OPC_fault_alloc, 0, 0);             /* fd 1 */
	OP(&s, OPC_viommu, 0, 0x84, 0, 0, 4, 0);   /* nested on the vIOMMU, IOPF */
	OP(&s, OPC_mock, 0, 2, 0, 0x80);           /* replace onto the nested HWPT */
	OP(&s, OPC_mock, 0, 6, 0, 0, 0, 0x08, 0xf0); /* TRIGGER_IOPF */
	OP(&s, OPC_anon, 0, 1, 4);                 /* read the fault */
	OP(&s, OPC_anon, 1, 1, 4, 0, 0);           /* answer it */
	OP(&s, OPC_mock, 0, 7, 0);                 /* TRIGGER_VEVENT */
	OP(&s, OPC_anon, 0, 0, 5);                 /* read the event */
	OP(&s, OPC_viommu, 0, 3, 0, 0, 0, 0, 0, 0); /* HW_QUEUE_ALLOC on the mapping */
	OP(&s, OPC_viommu, 0, 0x45, 0, 3, 0, 0);   /* invalidate the nested HWPT */
	OP(&s, OPC_viommu, 0, 0x85, 0, 3, 1, 1);   /* invalidate through the vIOMMU */
	OP(&s, OPC_anon, 3, 0);                    /* close the vEVENTQ */
	save(dir, "seed-viommu", &s);

	s.n = 0; /* mock PASIDs: attach, replace, detach, dirty bits */
	OP(&s, ALLOC);
	OP(&s, OPC_mock, 0, 1, 0, 0, 0x04);        /* MOCK_DOMAIN_FLAGS: PASID */
	OP(&s, OPC_hwpt_alloc, 0, 0x08, 0, 0);     /* a PASID-compatible HWPT */
	OP(&s, OPC_mock, 0, 2, 0, 0x41);           /* the RID onto it */
	OP(&s, OPC_mock, 0, 3, 0, 0x41, 0);        /* PASID 1 attach */
	OP(&s, OPC_mock, 0, 4, 0, 0x40, 0);        /* PASID 1 replace */
	OP(&s, OPC_mock, 0, 9, 0, 0x41, 0);        /* PASID_CHECK_HWPT */
	OP(&s, OPC_mock, 0, 5, 0, 0, 0);           /* PASID 1 detach */
	OP(&s, MAP_MOCK);
	OP(&s, OPC_mock, 0, 10, 0, 0, 1, 0x08, 0xf0); /* DIRTY */
	OP(&s, OPC_mock, 0, 8, 0, 0, 0, 0x00, 0x02); /* ADD_RESERVED */
	save(dir, "seed-pasid", &s);

	s.n = 0; /* the selftest's access: pages pinned by a file, RW, unmap */
	OP(&s, ALLOC);
	OP(&s, MAP_RW);
	OP(&s, OPC_staccess, 0, 0x10, 0);          /* CREATE_ACCESS, pinning */
	OP(&s, OPC_staccess, 0, 0x11, 0, 0, 0x00, 0x01, 0x10, 0x00); /* ACCESS_PAGES */
	OP(&s, OPC_staccess, 0, 0x13, 0, 3, 0x00, 0x01);  /* ACCESS_RW */
	OP(&s, OPC_unmap, 0, 1, 0, 0, 0, 0);
	OP(&s, OPC_staccess, 0, 0x02, 0, 0);       /* DESTROY_ACCESS_PAGES */
	OP(&s, OPC_anon, 3, 0);
	save(dir, "seed-staccess", &s);
}

/* One copy-in call: kind (0 ctx, 1 device, 2 region I/O), selector,
 * caller/target, placement, size rule, three aims, extra, argument. */
static void call(struct buf *s, uint8_t kind, uint8_t sel, uint8_t who, uint8_t how,
		 uint8_t srule, uint8_t aim, const uint8_t *arg, uint8_t len)
{
	uint8_t hdr[10] = { kind, sel, who, how, srule, aim, aim, aim, 0, len };

	memcpy(s->b + s->n, hdr, sizeof(hdr));
	s->n += sizeof(hdr);
	memcpy(s->b + s->n, arg, len);
	s->n += len;
}

static void copyin_seeds(const char *dir)
{
	static const uint8_t zero[64];
	static const uint8_t cfg_read[] = { 0x04, 0x00, 2 };
	char name[64];
	struct buf s;

	/* Every command once, well formed, then misplaced and with tails. */
	for (int kind = 0; kind < 2; kind++) {
		for (int sel = 0; sel < (kind ? 14 : 33); sel++) {
			s.n = 0;
			call(&s, kind, sel, 0, 0, 1, 1, zero, 48);
			call(&s, kind, sel, 0x80, 0, 1, 1, zero, 48);
			call(&s, kind, sel, 0, 1, 4, 2, zero, 48);
			call(&s, kind, sel, 0x80, 2, 5, 3, zero, 48);
			call(&s, kind, sel, 0, 3, 3, 4, zero, 48);
			call(&s, kind, sel, 0x80, 4, 6, 6, zero, 48);
			snprintf(name, sizeof(name), "seed-%s-%02d", kind ? "dev" : "ctx", sel);
			save(dir, name, &s);
		}
	}
	s.n = 0;
	call(&s, 2, 7, 0, 0, 0, 0, cfg_read, sizeof(cfg_read));
	call(&s, 2, 2, 0, 0, 0, 0, cfg_read, sizeof(cfg_read));
	call(&s, 2, 9, 0, 0, 0, 0, cfg_read, sizeof(cfg_read));
	save(dir, "seed-region", &s);
}

static void driver_seeds(const char *dir)
{
	static const uint8_t up_down[] = { 0, 0, 4, 0, 0, 1, 6, 0x81, 1, 0, 0, 0, 1, 1, 0, 0 };
	static const uint8_t bad[] = { 0, 0, 0x83, 0, 0, 1, 4, 0x83, 0, 0, 4, 0x85 };
	struct buf s;

	memcpy(s.b, up_down, sizeof(up_down));
	s.n = sizeof(up_down);
	save(dir, "seed-queues", &s);
	memcpy(s.b, bad, sizeof(bad));
	s.n = sizeof(bad);
	save(dir, "seed-refused", &s);
}

static void subdir(char *out, size_t n, const char *dir, const char *sub)
{
	snprintf(out, n, "%s/%s", dir, sub);
	if (mkdir(out, 0755) && errno != EEXIST) {
		perror(out);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	char path[512];

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dict = fopen("fuzz/dict/ops.dict", "w");
	if (!dict) {
		perror("fuzz/dict/ops.dict");
		return 1;
	}
	fprintf(dict, "# Operations of the seeds, one by one (made by fuzz/mkseeds.c).\n");
	subdir(path, sizeof(path), argv[1], "ops");
	ops_seeds(path);
	fclose(dict);
	dict = NULL;
	subdir(path, sizeof(path), argv[1], "copyin");
	copyin_seeds(path);
	subdir(path, sizeof(path), argv[1], "driver");
	driver_seeds(path);
	return 0;
}
