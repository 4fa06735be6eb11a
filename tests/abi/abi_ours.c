// SPDX-License-Identifier: MIT
/* Every item with its value in the project's own headers. */
#include "iommufd_emu/uapi/iommufd.h"
#include "iommufd_emu/uapi/vfio.h"

#include "abi_table.h"

const struct abi_item abi_ours[] = {
#include "items.h"
	{ NULL, 0 }
};
