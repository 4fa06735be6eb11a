// SPDX-License-Identifier: MIT
/*
 * Reading a request's arguments for the trace (see capture.h).  The struct
 * is read from the size (or argsz) it declares, as far as it can be read:
 * where the read faults matters (EFAULT), as does a non-zero tail (E2BIG).
 * Its buffers, the memory it maps and its fds come from the decoder's
 * description of its pointers (iemu_ioctl_refs).  Whether memory is
 * writable is asked only when the ioctl failed with EFAULT, the only time
 * it can have mattered.
 */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"

#define PAGE 4096ULL
#define MEMORY_SPAN_MAX (1ULL << 40) /* of a map's memory described by its regions */

/* Read up to len bytes at addr, as far as they can be read (a fault comes
 * at a page boundary, so the readable part is a prefix read whole). */
static size_t read_prefix(struct iemu_proc *proc, uint64_t addr, uint8_t *buf, size_t len,
			  bool *fault)
{
	size_t got = 0;

	*fault = false;
	if (!len || !iemu_proc_read(proc, addr, buf, len))
		return len;
	*fault = true;
	while (got < len) {
		size_t n = PAGE - ((addr + got) & (PAGE - 1));

		if (n > len - got)
			n = len - got;
		if (addr + got < addr || iemu_proc_read(proc, addr + got, buf + got, n))
			break;
		got += n;
	}
	return got;
}

/* Whether every byte of [addr, addr + len) lies in writable memory. */
static bool writable(struct iemu_proc *proc, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;
	struct iemu_vma v;

	while (addr < end) {
		if (iemu_proc_vma_at(proc, addr, &v) || v.start > addr ||
		    !(v.flags & IEMU_VMA_WRITE))
			return false;
		addr = v.end;
	}
	return true;
}

/* ---- before the call ---- */

/* How many bytes of the struct to read: its declared size, at least the
 * size the ABI knows (handlers read a fixed minimum before checking). */
static size_t struct_len(struct capture *c)
{
	uint32_t declared;
	size_t want = c->shape.size;

	if ((c->shape.sized || !c->known) &&
	    !iemu_proc_read(c->proc, c->arg, &declared, sizeof(declared)) && declared > want)
		want = declared;
	if (!want)
		want = sizeof(declared);
	return want < CAPTURE_RAW_MAX ? want : CAPTURE_RAW_MAX;
}

static void read_string(struct capture *c)
{
	c->got = read_prefix(c->proc, c->arg, c->raw, 256, &c->fault);
	for (size_t i = 0; i < c->got; i++) {
		if (!c->raw[i]) {
			c->got = i + 1;
			c->fault = false;
			break;
		}
	}
}

static void read_buffer(struct capture *c, struct capture_ref *cr)
{
	size_t len = cr->ref.len < CAPTURE_BUF_MAX ? cr->ref.len : CAPTURE_BUF_MAX;

	if (!cr->ref.value || !len)
		return;
	cr->bytes = malloc(len);
	if (cr->bytes)
		cr->got = read_prefix(c->proc, cr->ref.value, cr->bytes, len, &cr->fault);
}

/* The regions of the client's address space the memory spans, clipped to
 * it.  A range that wraps is refused before memory is looked at. */
static void read_vmas(struct capture *c, struct capture_ref *cr)
{
	const struct iemu_ioctl_ref *r = &cr->ref;
	uint64_t va = r->value, len = r->len < MEMORY_SPAN_MAX ? r->len : MEMORY_SPAN_MAX;
	uint64_t end = va + len, addr = va;
	struct iemu_vma v;

	if (!va || !r->len || va + r->len < va)
		return;
	cr->vmas = calloc(CAPTURE_VMAS_MAX, sizeof(*cr->vmas));
	while (cr->vmas && cr->nvmas < CAPTURE_VMAS_MAX && addr < end &&
	       !iemu_proc_vma_at(c->proc, addr, &v) && v.start < end) {
		v.start = v.start > va ? v.start : va;
		v.end = v.end < end ? v.end : end;
		cr->vmas[cr->nvmas++] = v;
		addr = v.end;
	}
}

/* What the client's fd number is; our copy is closed again at once. */
static void classify_fd(struct capture *c, struct capture_ref *f)
{
	int fd = (int)f->ref.value, ours;
	char path[64], target[256];
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return;
	ours = iemu_proc_dup_fd(c->proc, fd);
	if (ours < 0) {
		f->err = -ours;
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ours);
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	if (!strcmp(target, "anon_inode:[eventfd]"))
		f->is = "eventfd";
	else if (!fstat(ours, &st) && S_ISREG(st.st_mode))
		f->is = strncmp(target, "/memfd:", 7) ? "file" : "memfd";
	else
		f->is = "other";
	if (!fstat(ours, &st))
		f->size = st.st_size;
	close(ours);
}

/* The refs, as many as the argument has (the struct's size bounds them). */
static void find_refs(struct capture *c)
{
	int n = iemu_ioctl_refs(c->kind, c->cmd, c->raw, c->got, NULL, 0);
	struct iemu_ioctl_ref *refs = n > 0 ? calloc(n, sizeof(*refs)) : NULL;

	c->refs = refs ? calloc(n, sizeof(*c->refs)) : NULL;
	if (!c->refs) {
		free(refs);
		return;
	}
	c->nrefs = (unsigned int)iemu_ioctl_refs(c->kind, c->cmd, c->raw, c->got, refs, n);
	for (unsigned int i = 0; i < c->nrefs; i++)
		c->refs[i].ref = refs[i];
	free(refs);
}

static void read_refs(struct capture *c)
{
	find_refs(c);
	for (unsigned int i = 0; i < c->nrefs; i++) {
		struct capture_ref *cr = &c->refs[i];

		switch (cr->ref.kind) {
		case IEMU_REF_IN:
		case IEMU_REF_OUT:
		case IEMU_REF_INOUT:
			read_buffer(c, cr);
			break;
		case IEMU_REF_MEMORY:
			read_vmas(c, cr);
			break;
		case IEMU_REF_EVENTFD:
		case IEMU_REF_FILE:
			classify_fd(c, cr);
			break;
		default:
			break;
		}
	}
}

void capture_begin(struct capture *c, struct iemu_proc *proc, enum iemu_file_kind kind,
		   unsigned int cmd, uint64_t arg)
{
	memset(c, 0, sizeof(*c));
	c->proc = proc;
	c->kind = kind;
	c->cmd = cmd;
	c->arg = arg;
	/* An ioctl the decoder does not know is read as a sized struct. */
	c->known = !iemu_ioctl_arg(kind, cmd, &c->shape);
	if (!c->known)
		c->shape = (struct iemu_ioctl_arg){ .kind = IEMU_ARG_STRUCT, .sized = true };
	if (c->shape.kind == IEMU_ARG_STRING && arg)
		read_string(c);
	else if (c->shape.kind == IEMU_ARG_STRUCT && arg)
		c->got = read_prefix(proc, arg, c->raw, struct_len(c), &c->fault);
	if (c->known && c->shape.kind == IEMU_ARG_STRUCT)
		read_refs(c);
}

/* ---- after the call ---- */

static void put_decoded(struct jbuf *j, const char *key, struct capture *c, const void *data,
			size_t len)
{
	size_t cap = 8192, limit = 64 * len + 8192;
	char *text = NULL;
	int n = -ENOSPC;

	/* A decoded byte takes at most a few dozen characters. */
	while (c->known && n == -ENOSPC && cap <= limit) {
		free(text);
		text = malloc(cap);
		n = text ? iemu_ioctl_decode(c->kind, c->cmd, data, len, text, cap) : -ENOMEM;
		cap *= 4;
	}
	if (n >= 0) {
		jb_key(j, key);
		jb_printf(j, "{%s}", text);
	}
	free(text);
}

static void put_in(struct capture *c, long result)
{
	struct jbuf *j = &c->args;

	if (c->shape.kind == IEMU_ARG_INT) {
		put_decoded(j, "in", c, &c->arg, sizeof(c->arg));
		return;
	}
	if (c->shape.kind == IEMU_ARG_NONE || !c->arg)
		return;
	put_decoded(j, "in", c, c->raw, c->got);
	jb_key(j, "raw");
	jb_hex(j, c->raw, c->got);
	if (c->fault)
		jb_printf(j, ",\"raw_fault\":%zu", c->got);
	if (result == -EFAULT && c->got && !writable(c->proc, c->arg, c->got))
		jb_printf(j, ",\"raw_ro\":true");
}

static bool is_buffer(const struct iemu_ioctl_ref *r)
{
	return r->kind == IEMU_REF_IN || r->kind == IEMU_REF_OUT || r->kind == IEMU_REF_INOUT;
}

static void put_buf(struct capture *c, const struct capture_ref *b, long result)
{
	const struct iemu_ioctl_ref *r = &b->ref;
	struct jbuf *j = &c->args;

	jb_printf(j, "{\"field\":\"%s\",\"addr\":\"0x%llx\",\"len\":%llu,\"hex\":", r->field,
		  (unsigned long long)r->value, (unsigned long long)r->len);
	jb_hex(j, b->bytes, b->got);
	if (b->fault)
		jb_printf(j, ",\"fault\":%zu", b->got);
	if (result == -EFAULT && r->kind != IEMU_REF_IN && b->got &&
	    !writable(c->proc, r->value, b->got))
		jb_printf(j, ",\"ro\":true");
	jb_printf(j, "}");
}

static const char *prot_text(unsigned int flags, char out[5])
{
	out[0] = flags & IEMU_VMA_READ ? 'r' : '-';
	out[1] = flags & IEMU_VMA_WRITE ? 'w' : '-';
	out[2] = flags & IEMU_VMA_EXEC ? 'x' : '-';
	out[3] = flags & IEMU_VMA_SHARED ? 's' : 'p';
	out[4] = '\0';
	return out;
}

static void put_mem(struct capture *c, const struct capture_ref *m)
{
	static const char *const kinds[] = { "anon", "shmem", "file", "io" };
	const struct iemu_ioctl_ref *r = &m->ref;
	struct jbuf *j = &c->args;
	char prot[5];

	jb_printf(j, "{\"field\":\"%s\",\"addr\":\"0x%llx\",\"len\":%llu,\"vmas\":[", r->field,
		  (unsigned long long)r->value, (unsigned long long)r->len);
	for (unsigned int k = 0; k < m->nvmas; k++) {
		const struct iemu_vma *v = &m->vmas[k];

		jb_printf(j, "%s{\"off\":%llu,\"len\":%llu,\"prot\":\"%s\",\"kind\":\"%s\"}",
			  k ? "," : "", (unsigned long long)(v->start - r->value),
			  (unsigned long long)(v->end - v->start), prot_text(v->flags, prot),
			  kinds[v->kind < 4 ? v->kind : 0]);
	}
	jb_printf(j, "]}");
}

static void put_fd(struct capture *c, const struct capture_ref *f)
{
	struct jbuf *j = &c->args;
	const char *err = f->err ? strerrorname_np(f->err) : NULL;

	jb_printf(j, "{\"field\":\"%s\",\"fd\":%d,\"is\":\"%s\"", f->ref.field,
		  (int)f->ref.value, f->err ? (err ? err : "?") : f->is);
	if (f->is && strcmp(f->is, "eventfd"))
		jb_printf(j, ",\"size\":%llu", (unsigned long long)f->size);
	jb_printf(j, "}");
}

static bool wants(const struct capture *c, unsigned int i, enum iemu_ref_kind kind)
{
	const struct iemu_ioctl_ref *r = &c->refs[i].ref;

	if (kind == IEMU_REF_IN)
		return is_buffer(r);
	if (kind == IEMU_REF_EVENTFD)
		return (r->kind == IEMU_REF_EVENTFD || r->kind == IEMU_REF_FILE) &&
		       (int)r->value >= 0;
	return r->kind == kind;
}

/* A list member of the refs of one sort: buffers, memory, or fds. */
static void put_refs(struct capture *c, const char *key, enum iemu_ref_kind sort, long result)
{
	bool any = false;

	for (unsigned int i = 0; i < c->nrefs; i++) {
		if (!wants(c, i, sort))
			continue;
		if (!any) {
			jb_key(&c->args, key);
			jb_printf(&c->args, "[");
		} else {
			jb_printf(&c->args, ",");
		}
		any = true;
		if (sort == IEMU_REF_IN)
			put_buf(c, &c->refs[i], result);
		else if (sort == IEMU_REF_MEMORY)
			put_mem(c, &c->refs[i]);
		else
			put_fd(c, &c->refs[i]);
	}
	if (any)
		jb_printf(&c->args, "]");
}

static void put_bind(struct capture *c, const struct bind_seen *bind)
{
	const char *err;

	if (!bind || !bind->seen)
		return;
	if (!bind->rc) {
		jb_printf(&c->args, ",\"bind_iommu\":%u", bind->serial);
		return;
	}
	err = strerrorname_np(-bind->rc);
	jb_printf(&c->args, ",\"bind_iommu\":\"%s\"", err ? err : "?");
}

/* The struct and the output buffers as the ioctl left them. */
static void put_out(struct capture *c)
{
	uint8_t *after = c->got ? malloc(c->got) : NULL;
	bool fault, any = false;

	if (after && c->shape.kind == IEMU_ARG_STRUCT && c->arg &&
	    read_prefix(c->proc, c->arg, after, c->got, &fault) == c->got)
		put_decoded(&c->outs, "out", c, after, c->got);
	free(after);
	for (unsigned int i = 0; i < c->nrefs; i++) {
		const struct iemu_ioctl_ref *r = &c->refs[i].ref;
		struct capture_ref *b = &c->refs[i];

		if (r->kind != IEMU_REF_OUT && r->kind != IEMU_REF_INOUT)
			continue;
		/* One entry per output buffer, in order, "" when unread. */
		jb_printf(&c->outs, "%s{\"field\":\"%s\",\"hex\":", any ? "," : ",\"bufs_out\":[",
			  r->field);
		if (!b->bytes || read_prefix(c->proc, r->value, b->bytes, b->got, &fault) != b->got)
			jb_printf(&c->outs, "\"\"}");
		else {
			jb_hex(&c->outs, b->bytes, b->got);
			jb_printf(&c->outs, "}");
		}
		any = true;
	}
	if (any)
		jb_printf(&c->outs, "]");
}

void capture_end(struct capture *c, long result, const struct bind_seen *bind, pid_t pid)
{
	put_in(c, result);
	put_refs(c, "bufs", IEMU_REF_IN, result);
	put_refs(c, "mem", IEMU_REF_MEMORY, result);
	put_refs(c, "fds", IEMU_REF_EVENTFD, result);
	put_bind(c, bind);
	put_out(c);
	if (result)
		return;
	for (unsigned int i = 0; i < c->nrefs; i++)
		if (c->refs[i].ref.kind == IEMU_REF_MEMORY)
			snapshot_watch(pid, c->refs[i].ref.value, c->refs[i].ref.len);
}

void capture_free(struct capture *c)
{
	for (unsigned int i = 0; i < c->nrefs; i++) {
		free(c->refs[i].bytes);
		free(c->refs[i].vmas);
	}
	free(c->refs);
	jb_free(&c->args);
	jb_free(&c->outs);
}

/* ---- opens and region I/O ---- */

static unsigned long long status_caps(pid_t pid)
{
	char path[64], line[256];
	unsigned long long caps = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

void capture_client(struct jbuf *j, pid_t pid)
{
	char path[64], line[256], soft[32] = "unlimited";
	FILE *f;

	jb_printf(j, ",\"caps\":\"0x%llx\"", status_caps(pid));
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Max locked memory %31s", soft) == 1)
			break;
	if (f)
		fclose(f);
	if (!strcmp(soft, "unlimited"))
		jb_printf(j, ",\"memlock\":\"unlimited\"");
	else
		jb_printf(j, ",\"memlock\":%llu", strtoull(soft, NULL, 10));
}

void capture_region_io(struct jbuf *j, uint64_t off, size_t len)
{
	const char *region = iemu_region_name(off >> 40);

	jb_printf(j, ",\"off\":\"0x%llx\"", (unsigned long long)off);
	if (region)
		jb_printf(j, ",\"region\":\"%s\"", region);
	else
		jb_printf(j, ",\"region\":%llu", (unsigned long long)(off >> 40));
	jb_printf(j, ",\"pos\":\"0x%llx\",\"len\":%zu",
		  (unsigned long long)(off & ((1ULL << 40) - 1)), len);
}

void capture_data(struct jbuf *j, const void *data, size_t len)
{
	jb_key(j, "data");
	jb_hex(j, data, len < CAPTURE_DATA_MAX ? len : CAPTURE_DATA_MAX);
}
