// SPDX-License-Identifier: MIT
/* The items the other headers define, with their values there. */
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif
#include <linux/vfio.h>

#include "abi_table.h"

const struct abi_item abi_sys[] = {
#include "sys_items.h"
	{ NULL, 0 }
};
