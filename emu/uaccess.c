// SPDX-License-Identifier: MIT
/*
 * User memory copies (see uaccess.h).  A tail is checked page by page: a
 * page is readable or not as a whole, so the first non-zero byte and the
 * first fault come in the same order as in the kernel's word-by-word scan.
 */
#include "uaccess.h"

#include <errno.h>
#include <string.h>

#include "emu.h"
#include "proc.h"

int copy_from_user(struct iemu_proc *p, void *dst, uint64_t src, size_t len)
{
	return proc_read(p, src, dst, len);
}

int copy_to_user(struct iemu_proc *p, uint64_t dst, const void *src, size_t len)
{
	return proc_write(p, dst, src, len);
}

int check_zeroed_user(struct iemu_proc *p, uint64_t addr, uint64_t len)
{
	unsigned char buf[PAGE_SIZE];

	while (len) {
		uint64_t chunk = PAGE_SIZE - (addr & (PAGE_SIZE - 1));

		if (chunk > len)
			chunk = len;
		if (proc_read(p, addr, buf, chunk))
			return -EFAULT;
		for (uint64_t i = 0; i < chunk; i++)
			if (buf[i])
				return 0;
		addr += chunk;
		len -= chunk;
	}
	return 1;
}

int copy_struct_from_user(struct iemu_proc *p, void *dst, size_t ksize,
			  uint64_t src, size_t usize)
{
	size_t size = usize < ksize ? usize : ksize;
	int rc;

	if (usize < ksize) {
		memset((char *)dst + size, 0, ksize - size);
	} else if (usize > ksize) {
		rc = check_zeroed_user(p, src + size, usize - ksize);
		if (rc <= 0)
			return rc ? rc : -E2BIG;
	}
	return copy_from_user(p, dst, src, size) ? -EFAULT : 0;
}
