/* SPDX-License-Identifier: MIT */
/*
 * The operation target's opcodes (the first byte of each operation, taken
 * modulo OPC_COUNT), shared with the seed generator.  The argument bytes
 * of each operation are read in the order its op_* function in
 * fuzz_ops.c reads them.
 */
#ifndef IEMU_FUZZ_OPS_H
#define IEMU_FUZZ_OPS_H

enum op_code {
	OPC_ioas_alloc,     /* ctx, proc */
	OPC_destroy,        /* ctx, id */
	OPC_map,            /* ctx, ioas, flags, va(2), len, iova(2), proc */
	OPC_map_file,       /* ctx, fd, ioas, flags, start, len, iova(2), proc */
	OPC_copy,           /* ctx, dst, src, flags, len, src_iova(2), dst_iova(2), proc */
	OPC_unmap,          /* ctx, how, ioas, iova(2), len */
	OPC_allow_iovas,    /* ctx, n, ioas, n x (iova(2), len) */
	OPC_iova_ranges,    /* ctx, ioas, num */
	OPC_option,         /* ctx, bits, [ioas], proc */
	OPC_change_process, /* ctx, proc */
	OPC_vfio_ioas,      /* ctx, op, ioas */
	OPC_compat,         /* ctx, which, proc, ... */
	OPC_hwpt_alloc,     /* ctx, flags, dev, pt */
	OPC_dirty,          /* ctx, bits, hwpt, [iova(2), len, pgsize, va(2)] */
	OPC_info,           /* ctx, which, proc, ... */
	OPC_test_domain,    /* ctx, geometry, ioas */
	OPC_ctx_close,      /* slot */
	OPC_file_open,      /* slot, device, proc */
	OPC_file_close,     /* slot */
	OPC_bind,           /* slot, ctx, proc */
	OPC_attach,         /* slot, bits, id */
	OPC_cfg,            /* slot, bits, offset, value(4) */
	OPC_bar,            /* slot, bits, offset(2), value(4) */
	OPC_set_irqs,       /* slot, index/flags, start/count, 4 fds */
	OPC_dev_misc,       /* slot, which, arg, ... */
	OPC_dma,            /* device, kind, sel, sel, addr(2), src(2), len */
	OPC_irq,            /* device, what */
	OPC_acc_create,     /* slot, ctx */
	OPC_acc_destroy,    /* slot */
	OPC_acc_attach,     /* slot, how, ioas */
	OPC_acc_pin,        /* slot, sel, iova(2), len */
	OPC_acc_unpin,      /* index */
	OPC_acc_rw,         /* slot, sel, iova(2), len */
	OPC_anon,           /* which, fd, len, cookie, codes */
	OPC_fault_alloc,    /* ctx, flags */
	OPC_mock,           /* ctx, which, id, id, bits, iova(2), va */
	OPC_staccess,       /* ctx, which, fd/ioas, len, iova(2), va(2) */
	OPC_viommu,         /* ctx, which, id, id, type, bits, iova(2) */
	OPC_ioas_alloc2,
	OPC_map2,
	OPC_file_open2,
	OPC_bind2,
	OPC_attach2,
	OPC_dma2,
	OPC_COUNT,
};

/* How many argument bytes each operation reads (checked by the target at
 * start-up), so that the seed generator can pad operations. */
static const unsigned char op_nargs[OPC_COUNT] = {
	[OPC_ioas_alloc] = 2, [OPC_destroy] = 2,	[OPC_map] = 9,
	[OPC_map_file] = 9,   [OPC_copy] = 10,		[OPC_unmap] = 6,
	[OPC_allow_iovas] = 15, [OPC_iova_ranges] = 3,	[OPC_option] = 4,
	[OPC_change_process] = 2, [OPC_vfio_ioas] = 3,	[OPC_compat] = 16,
	[OPC_hwpt_alloc] = 4, [OPC_dirty] = 9,		[OPC_info] = 14,
	[OPC_test_domain] = 3, [OPC_ctx_close] = 1,	[OPC_file_open] = 3,
	[OPC_file_close] = 1, [OPC_bind] = 3,		[OPC_attach] = 3,
	[OPC_cfg] = 7,	      [OPC_bar] = 8,		[OPC_set_irqs] = 7,
	[OPC_dev_misc] = 8,   [OPC_dma] = 9,		[OPC_irq] = 2,
	[OPC_acc_create] = 2, [OPC_acc_destroy] = 1,	[OPC_acc_attach] = 3,
	[OPC_acc_pin] = 5,    [OPC_acc_unpin] = 1,	[OPC_acc_rw] = 5,
	[OPC_anon] = 5,       [OPC_fault_alloc] = 2,	[OPC_mock] = 8,
	[OPC_staccess] = 8,   [OPC_viommu] = 8,
	[OPC_ioas_alloc2] = 2, [OPC_map2] = 9,		[OPC_file_open2] = 3,
	[OPC_bind2] = 3,      [OPC_attach2] = 3,	[OPC_dma2] = 9,
};

#endif
