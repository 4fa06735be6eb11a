// SPDX-License-Identifier: MIT
/*
 * `iommufd-emu replay FILE [--fast]`: re-issue a trace against a fresh
 * in-process emulator built as the trace's header line says (devices,
 * kernel, seed, injection rules), and report the first request whose
 * result differs: its return value or errno, the decoded fields the ioctl
 * wrote back, the output buffers, the bytes a device read returned.
 * Fields that depend on where things live in a process (pointers, fd
 * numbers: what iemu_ioctl_refs names) are not compared.
 *
 * Requests are re-issued in the trace's order, one at a time, by the
 * replayer itself standing for every traced process: arguments are rebuilt
 * from their recorded bytes with the fix-ups of replay_mem.c; BIND's fd is
 * a fake number that the fd resolver maps to the context of the iommu file
 * the trace says it resolved to.
 *
 * Device registers change with time (a DMA completes, an interrupt is
 * raised): by default the recorded gaps between requests are kept, and a
 * region read that differs is retried for a while, as the device may be
 * slower here; --fast issues requests back to back and compares at once.
 */
#include "replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iommufd_emu.h"

#define FAKE_FD_BASE 0x20000000 /* BIND's iommufd: this plus the file's serial */
#define FAKE_FD_EBADFD (FAKE_FD_BASE - 1)
#define FAKE_FD_EBADF (FAKE_FD_BASE - 2)
#define READ_SETTLE_US 1000000.0 /* how long a differing read is retried */

struct file {
	unsigned int serial;
	struct iemu_ctx *ctx;         /* iommu */
	struct iemu_devfile *dev;     /* device */
	struct file *next;
};

struct replay {
	bool fast;
	unsigned long lineno;
	unsigned long requests;
	struct iemu *emu;
	struct iemu_proc *self;
	struct file *files;
	bool paced;                   /* last_t and last_real are set */
	double last_t, last_real;
	struct jbuf diff;             /* what differs in the current request */
};

/* ---- sessions: one emulator per header line ---- */

static struct file *file_of(struct replay *r, unsigned int serial)
{
	for (struct file *f = r->files; f; f = f->next)
		if (f->serial == serial)
			return f;
	return NULL;
}

static int resolve(void *opaque, struct iemu_proc *caller, int fd, struct iemu_ctx **out)
{
	struct replay *r = opaque;
	struct file *f;

	(void)caller;
	if (fd == FAKE_FD_EBADFD)
		return -EBADFD;
	if (fd < FAKE_FD_BASE)
		return -EBADF;
	f = file_of(r, (unsigned int)(fd - FAKE_FD_BASE));
	if (!f || !f->ctx)
		return -EBADFD;
	*out = iemu_ctx_get(f->ctx);
	return 0;
}

static void close_files(struct replay *r, bool devices)
{
	struct file **pp = &r->files, *f;

	while ((f = *pp)) {
		if (!!f->dev != devices) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		if (f->dev)
			iemu_devfile_close(f->dev);
		else
			iemu_ctx_close(f->ctx);
		free(f);
	}
}

static void session_end(struct replay *r)
{
	if (!r->emu)
		return;
	/* Device files first: their binding holds a context. */
	close_files(r, true);
	close_files(r, false);
	iemu_set_fd_resolver(r->emu, NULL, NULL);
	iemu_proc_put(r->self);
	iemu_destroy(r->emu);
	r->emu = NULL;
	r->self = NULL;
	r->paced = false;
	rmem_reset();
}

static int add_devices(struct replay *r, const struct jv *list)
{
	char err[256];

	for (size_t i = 0; i < json_count(list); i++) {
		const struct jv *spec = json_at(list, i);
		int rc = spec->type == J_STR ?
				 iemu_device_add(r->emu, spec->s, NULL, err, sizeof(err)) : -EINVAL;

		if (rc) {
			fprintf(stderr, "replay: line %lu: device %s: %s\n", r->lineno,
				spec->type == J_STR ? spec->s : "?",
				rc == -EINVAL ? err : strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int add_injections(struct replay *r, const struct jv *list, uint64_t seed)
{
	struct iemu_inject rule;
	char err[256];

	iemu_inject_seed(r->emu, seed);
	for (size_t i = 0; i < json_count(list); i++) {
		const struct jv *text = json_at(list, i);
		int rc = text->type == J_STR ? iemu_inject_parse(text->s, &rule, err, sizeof(err)) :
					       -EINVAL;

		if (!rc)
			rc = iemu_inject_add(r->emu, &rule);
		if (rc) {
			fprintf(stderr, "replay: line %lu: inject %s: %s\n", r->lineno,
				text->type == J_STR ? text->s : "?",
				rc == -EINVAL ? err : strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* A fresh emulator as the header describes the server (NULL: the defaults). */
static int session_start(struct replay *r, const struct jv *hdr)
{
	const char *kernel = json_str(hdr, "kernel");
	const struct jv *mock = json_get(hdr, "selftest_mock");
	struct iemu_config cfg = {
		.kernel = kernel && !strcmp(kernel, "6.12") ? IEMU_KERNEL_6_12 : IEMU_KERNEL_7_3,
		.selftest_mock = mock && mock->type == J_BOOL && mock->s[0] == 't',
	};
	uint64_t seed = 0;
	int rc;

	session_end(r);
	json_get_u64(hdr, "seed", &seed);
	json_get_u64(hdr, "add_caps", &cfg.add_caps);
	rc = iemu_create(&cfg, &r->emu);
	if (rc)
		return rc;
	rc = iemu_proc_self(r->emu, &r->self);
	if (!rc)
		rc = add_devices(r, json_get(hdr, "devices"));
	if (!rc)
		rc = add_injections(r, json_get(hdr, "inject"), seed);
	if (rc) {
		if (r->self)
			iemu_proc_put(r->self);
		iemu_destroy(r->emu);
		r->emu = NULL;
		return rc;
	}
	iemu_set_fd_resolver(r->emu, resolve, r);
	return 0;
}

/* ---- comparing ---- */

static void differ(struct replay *r, const char *what, const char *want, const char *got)
{
	jb_printf(&r->diff, "  %s: expected %s, got %s\n", what, want, got);
}

static void result_text(long rc, char *out, size_t len)
{
	const char *name = rc < 0 ? strerrorname_np((int)-rc) : NULL;

	if (rc < 0)
		snprintf(out, len, "-1 %s", name ? name : "?");
	else
		snprintf(out, len, "%ld", rc);
}

static void compare_result(struct replay *r, const struct jv *line, long got)
{
	const char *err = json_str(line, "errno");
	char want[64], have[64];
	uint64_t ret = 0;

	json_get_u64(line, "ret", &ret);
	if (err)
		snprintf(want, sizeof(want), "-1 %s", err);
	else
		snprintf(want, sizeof(want), "%lld", (long long)ret);
	result_text(got, have, sizeof(have));
	if (strcmp(want, have))
		differ(r, "result", want, have);
}

static bool is_ref_field(const struct iemu_ioctl_ref *refs, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(refs[i].field, name))
			return true;
	return false;
}

/* Every recorded member but the pointers and fds against ours. */
static void compare_members(struct replay *r, const char *prefix, const struct jv *want,
			    const struct jv *got, const struct iemu_ioctl_ref *refs, int nrefs)
{
	char what[128];

	for (const struct jv *m = want->child; m; m = m->next) {
		const struct jv *g = json_get(got, m->key);
		char *a, *b;

		if (is_ref_field(refs, nrefs, m->key))
			continue;
		a = json_text(m);
		b = g ? json_text(g) : strdup("nothing");
		if (a && b && strcmp(a, b)) {
			snprintf(what, sizeof(what), "%s.%s", prefix, m->key);
			differ(r, what, a, b);
		}
		free(a);
		free(b);
	}
}

static void compare_hex(struct replay *r, const char *what, const char *want,
			const uint8_t *got, size_t n)
{
	struct jbuf j = { 0 };

	jb_hex(&j, got, n);
	/* jb_hex quotes; the recorded text has no quotes. */
	if (j.p && (strlen(want) != n * 2 || strncmp(want, j.p + 1, n * 2))) {
		char *have = strndup(j.p + 1, n * 2);

		differ(r, what, want, have ? have : "?");
		free(have);
	}
	jb_free(&j);
}

/* ---- pacing ---- */

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void sleep_us(double us)
{
	struct timespec t = { (time_t)(us / 1e6), (long)((us - (time_t)(us / 1e6) * 1e6) * 1e3) };

	if (us > 0)
		nanosleep(&t, NULL);
}

/* Keep at least the recorded gap since the previous request's start. */
static void pace(struct replay *r, const struct jv *line)
{
	const struct jv *t = json_get(line, "t");
	double rec;

	if (r->fast || !t || t->type != J_NUM)
		return;
	rec = strtod(t->s, NULL) * 1e6;
	if (r->paced)
		sleep_us(r->last_real + (rec - r->last_t) - now_us());
	r->paced = true;
	r->last_t = rec;
	r->last_real = now_us();
}

/* ---- requests ---- */

static void set_credentials(struct replay *r, const struct jv *line)
{
	const struct jv *memlock = json_get(line, "memlock");
	uint64_t v;

	if (json_get_u64(line, "caps", &v))
		iemu_proc_set_caps(r->self, v);
	if (memlock && memlock->type == J_STR && !strcmp(memlock->s, "unlimited"))
		iemu_proc_set_memlock(r->self, UINT64_MAX);
	else if (json_u64(memlock, &v))
		iemu_proc_set_memlock(r->self, v);
}

static void do_open(struct replay *r, const struct jv *line, const char *name)
{
	struct file *f = calloc(1, sizeof(*f));
	struct iemu_device *d;
	uint64_t serial = 0;
	long rc;

	if (!f) {
		differ(r, "open", "a file", "no memory");
		return;
	}
	json_get_u64(line, "serial", &serial);
	set_credentials(r, line);
	if (!strcmp(name, "iommu")) {
		rc = iemu_ctx_open(r->emu, r->self, &f->ctx);
	} else {
		d = iemu_device_find(r->emu, name);
		rc = d ? iemu_devfile_open(d, r->self, &f->dev) : -ENOENT;
	}
	compare_result(r, line, rc);
	if (rc) {
		free(f);
		return;
	}
	f->serial = (unsigned int)serial;
	f->next = r->files;
	r->files = f;
}

static struct file *take_file(struct replay *r, unsigned int serial)
{
	struct file **pp, *f;

	for (pp = &r->files; (f = *pp); pp = &f->next) {
		if (f->serial == serial) {
			*pp = f->next;
			return f;
		}
	}
	return NULL;
}

static void do_release(struct replay *r, struct file *f)
{
	f = take_file(r, f->serial);
	if (f->dev)
		iemu_devfile_close(f->dev);
	else
		iemu_ctx_close(f->ctx);
	free(f);
}

/* Recorded hex into a new buffer: its length in *n, NULL when absent. */
static uint8_t *hex_member(const struct jv *obj, const char *key, size_t *n)
{
	const struct jv *v = json_get(obj, key);
	uint8_t *out;
	long got;

	*n = 0;
	if (!v || v->type != J_STR)
		return NULL;
	out = malloc(v->len / 2 + 1);
	if (!out)
		return NULL;
	got = hex_decode(v->s, v->len, out, v->len / 2);
	if (got < 0) {
		free(out);
		return NULL;
	}
	*n = (size_t)got;
	return out;
}

static long region_io(struct file *f, bool write, void *buf, size_t len, uint64_t off)
{
	return write ? iemu_devfile_write(f->dev, buf, len, off) :
		       iemu_devfile_read(f->dev, buf, len, off);
}

/* A register that changes with time may read otherwise here for a while. */
static bool read_matches(const struct jv *line, long rc, const uint8_t *buf)
{
	const char *want = json_str(line, "data");
	uint64_t ret = 0;
	char have[3];

	json_get_u64(line, "ret", &ret);
	if (json_str(line, "errno") || rc < 0)
		return json_str(line, "errno") && rc < 0;
	if ((uint64_t)rc != ret || !want || strlen(want) != 2 * (size_t)rc)
		return (uint64_t)rc == ret && !want;
	for (long i = 0; i < rc; i++) {
		snprintf(have, sizeof(have), "%02x", buf[i]);
		if (strncmp(want + 2 * i, have, 2))
			return false;
	}
	return true;
}

static void do_rw(struct replay *r, const struct jv *line, struct file *f, bool write)
{
	uint64_t off = 0, len = 0;
	double start = now_us();
	uint8_t *buf;
	size_t n;
	long rc;

	json_get_u64(line, "off", &off);
	json_get_u64(line, "len", &len);
	if (!f->dev) {
		differ(r, "file", "a device file", "the iommu file");
		return;
	}
	buf = write ? hex_member(line, "data", &n) : NULL;
	if (!write || !buf || n < len) {
		uint8_t *all = calloc(1, len ? len : 1);

		if (all && buf)
			memcpy(all, buf, n);
		free(buf);
		buf = all;
	}
	if (!buf) {
		differ(r, "buffer", "memory", "none");
		return;
	}
	rc = region_io(f, write, buf, len, off);
	while (!write && !r->fast && !read_matches(line, rc, buf) &&
	       now_us() - start < READ_SETTLE_US) {
		sleep_us(1000);
		rc = region_io(f, write, buf, len, off);
	}
	compare_result(r, line, rc);
	if (!write && rc > 0 && json_str(line, "data"))
		compare_hex(r, "data", json_str(line, "data"), buf, rc);
	free(buf);
}

/* ---- ioctls ---- */

struct ioctl_call {
	enum iemu_file_kind kind;
	unsigned int cmd;
	struct iemu_ioctl_arg shape;
	bool known;
	uint8_t *raw;
	size_t n;
	uint8_t *arg;                /* where the struct is in the replayer */
	struct iemu_ioctl_ref *refs;
	int nrefs;
	uint8_t **bufs;              /* the replayer's buffers, by ref */
	struct rcall rc;
};

static void put_pointer(struct ioctl_call *c, const struct iemu_ioctl_ref *ref, uint64_t v)
{
	if (ref->offset + ref->size <= c->n)
		memcpy(c->raw + ref->offset, &v, ref->size < 8 ? ref->size : 8);
}

static void put_fd(struct ioctl_call *c, const struct iemu_ioctl_ref *ref, int fd)
{
	int32_t v = fd;

	if (ref->offset + 4 <= c->n)
		memcpy(c->raw + ref->offset, &v, 4);
}

/* The i-th element of a recorded list, counting only those of one sort. */
static const struct jv *next_entry(const struct jv *line, const char *key, unsigned int *i)
{
	return json_at(json_get(line, key), (*i)++);
}

static int fix_buffer(struct ioctl_call *c, unsigned int i, const struct jv *b)
{
	const struct iemu_ioctl_ref *ref = &c->refs[i];
	uint64_t fault = 0, len = ref->len;
	size_t n = 0;
	uint8_t *bytes;

	if (!ref->value)
		return 0; /* NULL stays NULL */
	bytes = hex_member(b, "hex", &n);
	c->bufs[i] = rcall_buffer(&c->rc, bytes ? bytes : (uint8_t *)"", n, len,
				  json_get_u64(b, "fault", &fault), json_get(b, "ro") != NULL);
	free(bytes);
	if (!c->bufs[i])
		return -ENOMEM;
	put_pointer(c, ref, (uintptr_t)c->bufs[i]);
	return 0;
}

static int fix_fd(struct ioctl_call *c, unsigned int i, const struct jv *e)
{
	const char *is = json_str(e, "is");
	uint64_t size = 0;
	int fd;

	json_get_u64(e, "size", &size);
	fd = rcall_fd(&c->rc, is ? is : "EBADF", size);
	if (fd < 0)
		return fd;
	put_fd(c, &c->refs[i], fd);
	return 0;
}

static void fix_bind(struct ioctl_call *c, unsigned int i, const struct jv *line)
{
	const struct jv *bind = json_get(line, "bind_iommu");
	uint64_t serial;
	int fd = FAKE_FD_EBADF;

	if ((int)c->refs[i].value < 0)
		return; /* refused before any lookup */
	if (json_u64(bind, &serial) && bind->type == J_NUM)
		fd = FAKE_FD_BASE + (int)serial;
	else if (bind && bind->type == J_STR && strcmp(bind->s, "EBADF"))
		fd = FAKE_FD_EBADFD;
	put_fd(c, &c->refs[i], fd);
}

/* Point the struct's pointers and fds at the replayer's stand-ins. */
static int fix_refs(struct ioctl_call *c, const struct jv *line)
{
	unsigned int bi = 0, mi = 0, fi = 0;
	uint64_t va;
	int rc = 0;

	c->nrefs = iemu_ioctl_refs(c->kind, c->cmd, c->raw, c->n, NULL, 0);
	if (c->nrefs <= 0) {
		c->nrefs = 0;
		return 0;
	}
	c->refs = calloc(c->nrefs, sizeof(*c->refs));
	c->bufs = calloc(c->nrefs, sizeof(*c->bufs));
	if (!c->refs || !c->bufs)
		return -ENOMEM;
	iemu_ioctl_refs(c->kind, c->cmd, c->raw, c->n, c->refs, c->nrefs);
	for (int i = 0; i < c->nrefs && !rc; i++) {
		const struct iemu_ioctl_ref *ref = &c->refs[i];

		switch (ref->kind) {
		case IEMU_REF_IN:
		case IEMU_REF_OUT:
		case IEMU_REF_INOUT:
			rc = fix_buffer(c, i, next_entry(line, "bufs", &bi));
			break;
		case IEMU_REF_MEMORY:
			rc = rmem_establish(next_entry(line, "mem", &mi), &va);
			if (!rc)
				put_pointer(c, ref, va);
			break;
		case IEMU_REF_EVENTFD:
		case IEMU_REF_FILE:
			if ((int)ref->value >= 0)
				rc = fix_fd(c, i, next_entry(line, "fds", &fi));
			break;
		case IEMU_REF_IOMMUFD:
			fix_bind(c, i, line);
			break;
		default:
			break;
		}
	}
	return rc;
}

/* The argument: an integer as recorded, NULL as recorded, else the
 * recorded bytes with the fix-ups. */
static int build_arg(struct ioctl_call *c, const struct jv *line, uint64_t *arg)
{
	uint64_t rec = 0, fault = 0;
	uint32_t declared = 0;
	size_t total;
	int rc;

	json_get_u64(line, "arg", &rec);
	*arg = rec;
	if (!rec || (c->known && c->shape.kind != IEMU_ARG_STRUCT &&
		     c->shape.kind != IEMU_ARG_STRING))
		return 0;
	c->raw = hex_member(line, "raw", &c->n);
	if (!c->raw)
		return -EINVAL;
	if (c->known && c->shape.kind == IEMU_ARG_STRUCT) {
		rc = fix_refs(c, line);
		if (rc)
			return rc;
	}
	/* Past what was recorded (4 KiB at most), a declared size reads zeros. */
	total = c->n;
	if ((c->shape.sized || !c->known) && c->n >= sizeof(declared)) {
		memcpy(&declared, c->raw, sizeof(declared));
		total = declared > c->n ? declared : c->n;
	}
	c->arg = rcall_buffer(&c->rc, c->raw, c->n, total, json_get_u64(line, "raw_fault", &fault),
			      json_get(line, "raw_ro") != NULL);
	if (!c->arg)
		return -ENOMEM;
	*arg = (uintptr_t)c->arg;
	return 0;
}

static void compare_out(struct replay *r, struct ioctl_call *c, const struct jv *line)
{
	const struct jv *want = json_get(line, "out"), *outs = json_get(line, "bufs_out");
	size_t cap = 64 * c->n + 8192;
	char *text = want && c->arg ? malloc(cap) : NULL, what[96];
	struct jdoc doc;
	unsigned int bo = 0;
	int n;

	n = text ? iemu_ioctl_decode(c->kind, c->cmd, c->arg, c->n, text + 1, cap - 2) : -ENOENT;
	if (n >= 0) {
		/* Ours as an object, to compare member by member. */
		text[0] = '{';
		memcpy(text + 1 + n, "}", 2);
		if (!json_parse(text, &doc)) {
			compare_members(r, "out", want, doc.root, c->refs, c->nrefs);
			json_free(&doc);
		}
	}
	free(text);
	for (int i = 0; i < c->nrefs; i++) {
		const struct iemu_ioctl_ref *ref = &c->refs[i];
		const struct jv *o;
		const char *hex;

		if (ref->kind != IEMU_REF_OUT && ref->kind != IEMU_REF_INOUT)
			continue;
		o = next_entry(line, "bufs_out", &bo);
		hex = json_str(o, "hex");
		if (!outs || !hex || !*hex || !c->bufs[i])
			continue;
		snprintf(what, sizeof(what), "%s (buffer)", ref->field);
		compare_hex(r, what, hex, c->bufs[i], strlen(hex) / 2);
	}
}

static long issue(struct file *f, struct replay *r, unsigned int cmd, uint64_t arg)
{
	if (f->ctx)
		return iemu_ctx_ioctl(f->ctx, r->self, cmd, arg);
	return iemu_devfile_ioctl(f->dev, r->self, cmd, arg);
}

static int parse_cmd(const char *text, unsigned int *cmd)
{
	unsigned int kinds;
	char *end;

	if (!text)
		return -EINVAL;
	if (!strncmp(text, "0x", 2)) {
		*cmd = (unsigned int)strtoul(text, &end, 16);
		return *end ? -EINVAL : 0;
	}
	return iemu_ioctl_number(text, cmd, &kinds);
}

static void do_ioctl(struct replay *r, const struct jv *line, struct file *f)
{
	struct ioctl_call *c = calloc(1, sizeof(*c));
	uint64_t arg;
	long rc;

	if (!c) {
		differ(r, "ioctl", "memory", "none");
		return;
	}
	c->kind = f->dev ? IEMU_FILE_DEVICE : IEMU_FILE_IOMMU;
	if (parse_cmd(json_str(line, "cmd"), &c->cmd)) {
		const char *cmd = json_str(line, "cmd");

		differ(r, "cmd", "an ioctl", cmd ? cmd : "none");
		free(c);
		return;
	}
	c->known = !iemu_ioctl_arg(c->kind, c->cmd, &c->shape);
	if (!c->known)
		c->shape.sized = true;
	rc = build_arg(c, line, &arg);
	if (rc) {
		differ(r, "argument", "rebuilt", strerror(-rc));
	} else {
		rc = issue(f, r, c->cmd, arg);
		compare_result(r, line, rc);
		compare_out(r, c, line);
	}
	rcall_end(&c->rc);
	free(c->refs);
	free(c->bufs);
	free(c->raw);
	free(c);
}

/* ---- lines ---- */

static void describe(const struct jv *line, char *out, size_t len)
{
	const char *op = json_str(line, "op"), *file = json_str(line, "file");
	const char *cmd = json_str(line, "cmd"), *region = json_str(line, "region");
	const char *pos = json_str(line, "pos");
	uint64_t serial = 0;

	json_get_u64(line, "serial", &serial);
	snprintf(out, len, "%s (serial %llu) %s%s%s%s%s", file ? file : "?",
		 (unsigned long long)serial, op ? op : "?", cmd ? " " : "", cmd ? cmd : "",
		 region ? " " : "", region ? region : "");
	if (region && pos)
		snprintf(out + strlen(out), len - strlen(out), "+%s", pos);
}

static void do_mem(const struct jv *line)
{
	uint64_t va;
	uint8_t *data;
	size_t n;

	if (!json_get_u64(line, "va", &va))
		return;
	data = hex_member(line, "data", &n);
	if (data)
		rmem_store(va, data, n);
	free(data);
}

/* One request; false when it diverged (r->diff says how). */
static bool do_request(struct replay *r, const struct jv *line, const char *op)
{
	const char *name = json_str(line, "file");
	uint64_t serial = 0;
	struct file *f;

	json_get_u64(line, "serial", &serial);
	pace(r, line);
	r->requests++;
	if (!strcmp(op, "open")) {
		do_open(r, line, name ? name : "");
		return !r->diff.len;
	}
	f = file_of(r, (unsigned int)serial);
	if (!f) {
		differ(r, "file", "an open file", "none with that serial");
		return false;
	}
	if (!strcmp(op, "release"))
		do_release(r, f);
	else if (!strcmp(op, "read") || !strcmp(op, "write"))
		do_rw(r, line, f, op[0] == 'w');
	else
		do_ioctl(r, line, f);
	return !r->diff.len;
}

static bool is_request(const char *op)
{
	static const char *const ops[] = { "open", "release", "read", "write", "ioctl" };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i]))
			return true;
	return false;
}

/* 0 to go on, 1 at a divergence, 2 on a bad line. */
static int do_line(struct replay *r, char *text)
{
	const char *op;
	char what[256];
	struct jdoc doc;
	int rc = 0;

	if (json_parse(text, &doc)) {
		fprintf(stderr, "replay: line %lu is not JSON\n", r->lineno);
		return 2;
	}
	op = json_str(doc.root, "op");
	if (json_get(doc.root, "iommufd_emu_trace")) {
		rc = session_start(r, doc.root) ? 2 : 0;
	} else if (op && is_request(op)) {
		if (!r->emu && session_start(r, NULL)) {
			rc = 2;
		} else if (!do_request(r, doc.root, op)) {
			describe(doc.root, what, sizeof(what));
			printf("replay: divergence at line %lu: %s\n%s", r->lineno, what,
			       jb_text(&r->diff));
			rc = 1;
		}
	} else if (op && !strcmp(op, "mem")) {
		do_mem(doc.root);
	}
	json_free(&doc);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: iommufd-emu replay FILE [--fast]\n");
}

int replay_main(int argc, char **argv)
{
	struct replay r = { 0 };
	const char *path = NULL;
	size_t cap = 0;
	char *text = NULL;
	ssize_t n;
	int rc = 0;
	FILE *in;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fast")) {
			r.fast = true;
		} else if (!path && argv[i][0] != '-') {
			path = argv[i];
		} else {
			usage();
			return 2;
		}
	}
	if (!path) {
		usage();
		return 2;
	}
	in = fopen(path, "re");
	if (!in) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 2;
	}
	while (!rc && (n = getline(&text, &cap, in)) > 0) {
		r.lineno++;
		if (text[n - 1] == '\n')
			text[--n] = '\0';
		if (n)
			rc = do_line(&r, text);
	}
	free(text);
	fclose(in);
	session_end(&r);
	jb_free(&r.diff);
	if (!rc)
		printf("replay: %lu requests, no divergence\n", r.requests);
	return rc;
}
