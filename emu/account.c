// SPDX-License-Identifier: MIT
/*
 * Locked-memory accounting (see account.h).  The per-user counter is shared
 * by every context and process of that uid, as the kernel's user_struct is.
 */
#include "account.h"

#include <errno.h>
#include <stdlib.h>
#include <uthash.h>

#include "emu.h"
#include "proc.h"

struct acct_user {
	uid_t uid;
	uint64_t locked_vm;
	UT_hash_handle hh;
};

static struct acct_user *user_of(struct iemu *emu, uid_t uid, bool create)
{
	struct acct_user *u;

	HASH_FIND(hh, emu->users, &uid, sizeof(uid), u);
	if (!u && create) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return NULL;
		u->uid = uid;
		HASH_ADD(hh, emu->users, uid, sizeof(u->uid), u);
	}
	return u;
}

static int charge_locked(struct iemu_proc *proc, enum account_mode mode,
			 uint64_t npages)
{
	uint64_t limit;
	struct acct_user *u;

	switch (mode) {
	case ACCOUNT_USER:
		limit = proc_memlock_pages(proc);
		u = user_of(proc->emu, proc->uid, true);
		if (!u)
			return -ENOMEM;
		if (u->locked_vm + npages > limit || u->locked_vm + npages < npages)
			return -ENOMEM;
		u->locked_vm += npages;
		break;
	case ACCOUNT_MM:
		limit = proc_memlock_pages(proc);
		if (proc->locked_vm + npages +
			    (proc->ops->mlocked_pages ?
				     proc->ops->mlocked_pages(proc->opaque) : 0) >
		    limit)
			return -ENOMEM;
		proc->locked_vm += npages;
		break;
	default:
		break;
	}
	proc->pinned_vm += npages;
	return 0;
}

int account_charge(struct iemu_proc *proc, enum account_mode mode,
		   uint64_t npages)
{
	int rc;

	pthread_mutex_lock(&proc->emu->lock);
	rc = charge_locked(proc, mode, npages);
	pthread_mutex_unlock(&proc->emu->lock);
	return rc;
}

void account_uncharge(struct iemu_proc *proc, enum account_mode mode,
		      uint64_t npages)
{
	struct acct_user *u;

	pthread_mutex_lock(&proc->emu->lock);
	if (mode == ACCOUNT_USER) {
		u = user_of(proc->emu, proc->uid, false);
		if (u)
			u->locked_vm -= npages < u->locked_vm ? npages : u->locked_vm;
	} else if (mode == ACCOUNT_MM) {
		proc->locked_vm -= npages < proc->locked_vm ? npages : proc->locked_vm;
	}
	proc->pinned_vm -= npages < proc->pinned_vm ? npages : proc->pinned_vm;
	pthread_mutex_unlock(&proc->emu->lock);
}

uint64_t iemu_user_locked_pages(struct iemu *emu, uid_t uid)
{
	struct acct_user *u;
	uint64_t n;

	pthread_mutex_lock(&emu->lock);
	u = user_of(emu, uid, false);
	n = u ? u->locked_vm : 0;
	pthread_mutex_unlock(&emu->lock);
	return n;
}

void account_destroy(struct iemu *emu)
{
	struct acct_user *u, *tmp;

	HASH_ITER(hh, emu->users, u, tmp) {
		HASH_DEL(emu->users, u);
		free(u);
	}
}
