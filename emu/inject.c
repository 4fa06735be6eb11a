// SPDX-License-Identifier: MIT
/*
 * Fault injection rules (see inject.h).
 */
#include "inject.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "emu.h"

struct inject_rule {
	struct iemu_inject r;
	uint64_t seen;      /* matching events so far */
	uint64_t state;     /* its generator */
};

void inject_init(struct injector *in)
{
	memset(in, 0, sizeof(*in));
	in->pin_limit = UINT64_MAX;
}

void inject_destroy(struct injector *in)
{
	free(in->rules);
}

/* splitmix64: spreads a seed and an index into a generator state. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64*: a uniform double in [0, 1). */
static double draw(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) / (double)(1ULL << 53);
}

static void restart(struct injector *in)
{
	for (unsigned int i = 0; i < in->nrules; i++) {
		in->rules[i].seen = 0;
		in->rules[i].state = mix(in->seed ^ mix(i + 1)) | 1;
	}
	in->fired = 0;
}

int iemu_inject_add(struct iemu *emu, const struct iemu_inject *rule)
{
	struct injector *in = &emu->inject;
	struct inject_rule *bigger;
	int rc = 0;

	if (rule->kind == IEMU_INJECT_PIN_LIMIT) {
		pthread_mutex_lock(&emu->lock);
		in->pin_limit = rule->pages;
		pthread_mutex_unlock(&emu->lock);
		return 0;
	}
	if ((!rule->nth && !(rule->probability > 0)) ||
	    (rule->kind == IEMU_INJECT_IOCTL && rule->err <= 0))
		return -EINVAL;
	pthread_mutex_lock(&emu->lock);
	bigger = realloc(in->rules, (in->nrules + 1) * sizeof(*bigger));
	if (!bigger) {
		rc = -ENOMEM;
	} else {
		struct inject_rule *r = &bigger[in->nrules];

		in->rules = bigger;
		*r = (struct inject_rule){ .r = *rule };
		r->state = mix(in->seed ^ mix(in->nrules + 1)) | 1;
		in->nrules++;
	}
	pthread_mutex_unlock(&emu->lock);
	return rc;
}

void iemu_inject_seed(struct iemu *emu, uint64_t seed)
{
	pthread_mutex_lock(&emu->lock);
	emu->inject.seed = seed;
	restart(&emu->inject);
	pthread_mutex_unlock(&emu->lock);
}

uint64_t iemu_inject_fired(struct iemu *emu)
{
	uint64_t n;

	pthread_mutex_lock(&emu->lock);
	n = emu->inject.fired;
	pthread_mutex_unlock(&emu->lock);
	return n;
}

/* One more matching event for rule r: whether it fires. */
static bool fires(struct injector *in, struct inject_rule *r)
{
	bool yes;

	r->seen++;
	yes = r->r.nth ? r->seen == r->r.nth : draw(&r->state) < r->r.probability;
	in->fired += yes;
	return yes;
}

static bool ioctl_matches(const struct inject_rule *r, enum iemu_file_kind file,
			  unsigned int cmd)
{
	return r->r.kind == IEMU_INJECT_IOCTL && (!r->r.cmd || r->r.cmd == cmd) &&
	       (!r->r.files || (r->r.files >> file & 1));
}

int inject_ioctl(struct iemu *emu, enum iemu_file_kind file, unsigned int cmd, pid_t pid)
{
	struct injector *in = &emu->inject;
	unsigned int i;
	int err = 0;
	uint64_t n = 0;

	if (!in->nrules)
		return 0;
	pthread_mutex_lock(&emu->lock);
	for (i = 0; i < in->nrules && !err; i++)
		if (ioctl_matches(&in->rules[i], file, cmd) && fires(in, &in->rules[i])) {
			err = in->rules[i].r.err;
			n = in->rules[i].seen;
		}
	pthread_mutex_unlock(&emu->lock);
	if (err) {
		const char *name = iemu_ioctl_name(file, cmd);

		check_report(emu, IEMU_REPORT_INJECTED, pid, NULL, name ? name : "ioctl", 0, 0, 0,
			     "injected: %s failed with %s (rule %u, matching call %llu)",
			     name ? name : "ioctl", strerrorname_np(err) ? strerrorname_np(err) : "?",
			     i, (unsigned long long)n);
	}
	return err;
}

int inject_dma(struct iemu *emu, const char *device, pid_t pid)
{
	struct injector *in = &emu->inject;
	unsigned int i;
	int what = 0;

	(void)pid;
	if (!in->nrules)
		return 0;
	pthread_mutex_lock(&emu->lock);
	for (i = 0; i < in->nrules && !what; i++) {
		struct inject_rule *r = &in->rules[i];

		if ((r->r.kind == IEMU_INJECT_DMA_DROP || r->r.kind == IEMU_INJECT_DMA_ERROR) &&
		    (!r->r.device[0] || !strcmp(r->r.device, device)) && fires(in, r))
			what = r->r.kind;
	}
	pthread_mutex_unlock(&emu->lock);
	return what;
}

uint64_t inject_pin_limit(struct iemu *emu)
{
	return emu->inject.pin_limit;
}

/* ---- the text form ---- */

static int bad(char *err, size_t len, const char *fmt, const char *what)
{
	if (err && len)
		snprintf(err, len, fmt, what);
	return -EINVAL;
}

/* An errno by name ("ENOMEM") or number. */
static int parse_errno(const char *s, int *out)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end && n > 0 && n < 4096) {
		*out = (int)n;
		return 0;
	}
	for (int e = 1; e < 4096; e++) {
		const char *name = strerrorname_np(e);

		if (name && !strcmp(name, s)) {
			*out = e;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	*out = strtoull(s, &end, 0);
	return *s && !*end ? 0 : -EINVAL;
}

/* The target: ioctl=NAME|*, dma=DEVICE|*, pin-limit=PAGES. */
static int parse_target(const char *key, const char *val, struct iemu_inject *r,
			char *err, size_t len)
{
	if (!strcmp(key, "ioctl")) {
		r->kind = IEMU_INJECT_IOCTL;
		if (strcmp(val, "*") && iemu_ioctl_number(val, &r->cmd, &r->files))
			return bad(err, len, "ioctl=%s: no ioctl has that name", val);
		return 0;
	}
	if (!strcmp(key, "dma")) {
		r->kind = IEMU_INJECT_DMA_ERROR;
		if (strcmp(val, "*"))
			snprintf(r->device, sizeof(r->device), "%s", val);
		return 0;
	}
	if (!strcmp(key, "pin-limit")) {
		r->kind = IEMU_INJECT_PIN_LIMIT;
		return parse_u64(val, &r->pages) ? bad(err, len, "pin-limit=%s: expected pages",
							 val) : 0;
	}
	return bad(err, len, "%s: a rule starts with ioctl=, dma= or pin-limit=", key);
}

static int parse_option(char *opt, struct iemu_inject *r, char *err, size_t len)
{
	char *val = strchr(opt, '=');

	if (val)
		*val++ = 0;
	if (!strcmp(opt, "drop") && !val && r->kind != IEMU_INJECT_IOCTL)
		r->kind = IEMU_INJECT_DMA_DROP;
	else if (!strcmp(opt, "error") && !val && r->kind != IEMU_INJECT_IOCTL)
		r->kind = IEMU_INJECT_DMA_ERROR;
	else if (!strcmp(opt, "nth") && val && !parse_u64(val, &r->nth) && r->nth)
		;
	else if (!strcmp(opt, "p") && val && (r->probability = strtod(val, NULL)) > 0 &&
		 r->probability <= 1)
		;
	else if (!strcmp(opt, "errno") && val && !parse_errno(val, &r->err))
		;
	else
		return bad(err, len, "%s: expected drop, error, nth=N, p=P (0-1] or errno=NAME",
			   opt);
	return 0;
}

int iemu_inject_parse(const char *text, struct iemu_inject *out, char *err, size_t errlen)
{
	char copy[256], *save, *tok, *val;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(copy))
		return bad(err, errlen, "%s: too long", "rule");
	strcpy(copy, text);
	tok = strtok_r(copy, ",", &save);
	val = tok ? strchr(tok, '=') : NULL;
	if (!val)
		return bad(err, errlen, "%s: a rule starts with ioctl=, dma= or pin-limit=", text);
	*val++ = 0;
	rc = parse_target(tok, val, out, err, errlen);
	while (!rc && (tok = strtok_r(NULL, ",", &save)))
		rc = parse_option(tok, out, err, errlen);
	if (rc || out->kind == IEMU_INJECT_PIN_LIMIT)
		return rc;
	if (!out->nth && !(out->probability > 0))
		return bad(err, errlen, "%s: say when: nth=N or p=P", text);
	if (out->kind == IEMU_INJECT_IOCTL && !out->err)
		return bad(err, errlen, "%s: an ioctl rule needs errno=NAME", text);
	return 0;
}
