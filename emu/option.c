// SPDX-License-Identifier: MIT
/*
 * IOMMU_OPTION: the global RLIMIT_MODE and the per-IOAS HUGE_PAGES option.
 * Only the 8-byte val64 is written back, as the kernel does.
 */
#include <errno.h>
#include <stddef.h>

#include "ctx.h"
#include "ioas.h"
#include "iommufd_emu/uapi/iommufd.h"
#include "proc.h"
#include "ucmd.h"

static int rlimit_mode(struct ucmd *u, struct iommu_option *cmd)
{
	struct iemu_ctx *ctx = u->ctx;

	if (cmd->object_id)
		return -EOPNOTSUPP;
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = ctx->account_mode == ACCOUNT_MM;
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;
	if (!proc_capable(u->caller, IEMU_CAP_SYS_RESOURCE))
		return -EPERM;
	if (ctx->nobjs)
		return -EBUSY;
	if (cmd->val64 > 1)
		return -EINVAL;
	ctx->account_mode = cmd->val64 ? ACCOUNT_MM : ACCOUNT_USER;
	return 0;
}

static int huge_pages(struct ucmd *u, struct iommu_option *cmd)
{
	struct ioas *ioas = ioas_find(u->ctx, cmd->object_id);

	if (!ioas)
		return -ENOENT;
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = !ioas->iopt.disable_large_pages;
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;
	if (cmd->val64 == 0)
		return iopt_disable_large_pages(&ioas->iopt);
	if (cmd->val64 != 1)
		return -EINVAL;
	iopt_enable_large_pages(&ioas->iopt);
	return 0;
}

int ioas_option(struct ucmd *u)
{
	struct iommu_option *cmd = u->cmd;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = rlimit_mode(u, cmd);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = huge_pages(u, cmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	return copy_to_user(u->caller, u->ubuffer + offsetof(struct iommu_option, val64),
			    &cmd->val64, sizeof(cmd->val64));
}
