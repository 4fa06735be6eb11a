/* SPDX-License-Identifier: MIT */
/*
 * Client processes of the FUSE server.  FUSE names the calling thread; a
 * client is its thread group, with the emulator's iemu_proc for it (memory,
 * credentials, limits).  A monitor thread notices when a client exits.
 */
#ifndef IEMU_FUSE_CLIENTS_H
#define IEMU_FUSE_CLIENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct iemu;
struct iemu_proc;
struct client;

/* What the status view shows of a client. */
struct client_info {
	pid_t pid;
	char comm[17];
	bool memory_ok;
	unsigned int contexts;
	struct iemu_proc *proc; /* may be NULL */
};

/* Start the table and its monitor thread. */
int clients_init(struct iemu *emu);
void clients_fini(void);

/* The client of thread tid, created on first sight (never NULL unless out of
 * memory); takes a reference. */
struct client *client_of_thread(pid_t tid);
/* The client of thread tid if its process is one already, else NULL; takes a
 * reference. */
struct client *client_known(pid_t tid);
void client_put(struct client *c);

/* The emulator's process for the client, retrying access if it was refused
 * before (the client may have called prctl(PR_SET_PTRACER) since); NULL if
 * its memory cannot be reached, after logging why once. */
struct iemu_proc *client_proc(struct client *c);

pid_t client_pid(const struct client *c);

/* Count of contexts the client opened (for the status view). */
void client_add_context(struct client *c, int delta);

/* Call fn for each live client. */
void clients_for_each(void (*fn)(void *arg, const struct client_info *info),
		      void *arg);

#endif
