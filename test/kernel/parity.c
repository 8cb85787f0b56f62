/*
 * parity - runs the scenarios of test/parity/scenarios.txt against whatever
 * implements /proc/checkpoint/ctrl: the real BLCR module (in the BLCR lane's
 * guest) or the test kernel (LD_PRELOAD=libcr_testkernel.so, on the host),
 * and prints what it observes, normalised, one JSON line per scenario.
 *
 *   parity SCENARIO_FILE [NAME...]      (only the named scenarios, if given)
 *
 * Environment:
 *   PARITY_RUN     libcr_run.so.0 preloaded into "stub" targets (required)
 *   PARITY_OMIT    libcr_omit.so.0 preloaded into "omit" targets (required)
 *   PARITY_TARGET  the target program (default: parity-target beside this one)
 *   PARITY_KMSG    the kernel log: /dev/kmsg (the real module), or a file the
 *                  test kernel appends to ($CR_TESTKERNEL_DIR/kmsg)
 *   PARITY_TMP     scratch directory (one subdirectory per scenario)
 *
 * The file format and every step are described in test/parity/README.md.
 * Exit status: 0 when every scenario ran (whatever it observed), 1 when a step
 * could not be carried out (the reason is printed on stderr), 2 for usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cr_blcr.h"

/* Where the probe puts its descriptors, so that both kernels see the same numbers. */
#define FD_CTRL0 100   /* ctrl fds: 100, 101, ... */
#define FD_FILE0 120   /* destinations and sources: 120, 121, ... */
#define FD_CLOSED 99   /* never open */
#define WAIT_LIMIT_MS 20000

/* ---- small helpers ---- */

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static const char *cur_scenario = "";
static int cur_line;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "parity: %s (line %d): ", cur_scenario, cur_line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long parse_num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (*s == '\0' || *end != '\0' || errno != 0)
		die("bad number '%s'", s);
	return v;
}

/* dst = a/b[suffix], or die when it does not fit. */
static void path_join(char *dst, size_t size, const char *a, const char *b, const char *suffix)
{
	if ((size_t)snprintf(dst, size, "%s/%s%s", a, b, suffix) >= size)
		die("path too long: %s/%s", a, b);
}

static char *read_whole(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	if (buf == NULL)
		die("out of memory");
	for (;;) {
		ssize_t r;

		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			if (buf == NULL)
				die("out of memory");
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

/* ---- errno names ---- */

static const struct { int n; const char *name; } errnames[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EINTR, "EINTR" },
	{ EIO, "EIO" }, { ENXIO, "ENXIO" }, { EBADF, "EBADF" }, { ECHILD, "ECHILD" },
	{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
	{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
	{ EINVAL, "EINVAL" }, { EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" },
	{ EPIPE, "EPIPE" }, { EMLINK, "EMLINK" }, { EDEADLK, "EDEADLK" },
	{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOSYS, "ENOSYS" },
	{ CR_ETEMPFAIL, "CR_ETEMPFAIL" }, { CR_EPERMFAIL, "CR_EPERMFAIL" },
	{ CR_ENOSUPPORT, "CR_ENOSUPPORT" }, { CR_EVERSION, "CR_EVERSION" },
	{ CR_EOMITTED, "CR_EOMITTED" }, { CR_EBADARCH, "CR_EBADARCH" },
	{ CR_EPTRACED, "CR_EPTRACED" }, { CR_EPTRACER, "CR_EPTRACER" },
	{ CR_ERSTRTABRT, "CR_ERSTRTABRT" }, { CR_ERESTARTED, "CR_ERESTARTED" },
};

static const char *errname(int e)
{
	static char buf[32];
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].n == e)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

/* ---- JSON output (one line per scenario) ---- */

static char *js;
static size_t js_len, js_cap;

static void js_put(const char *s, size_t n)
{
	if (js_len + n + 1 > js_cap) {
		js_cap = (js_len + n + 1) * 2;
		js = realloc(js, js_cap);
		if (js == NULL)
			die("out of memory");
	}
	memcpy(js + js_len, s, n);
	js_len += n;
	js[js_len] = '\0';
}

static void js_raw(const char *s)
{
	js_put(s, strlen(s));
}

static void js_str(const char *s)
{
	js_raw("\"");
	for (; *s != '\0'; s++) {
		char esc[8];

		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			js_put(esc, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
			js_raw(esc);
		} else {
			js_put(s, 1);
		}
	}
	js_raw("\"");
}

static int js_first;

static void js_key(const char *k)
{
	if (!js_first)
		js_raw(",");
	js_first = 0;
	js_str(k);
	js_raw(":");
}

static void js_kint(const char *k, long v)
{
	char buf[32];

	js_key(k);
	snprintf(buf, sizeof(buf), "%ld", v);
	js_raw(buf);
}

static void js_kstr(const char *k, const char *v)
{
	js_key(k);
	js_str(v);
}

static void js_kbool(const char *k, int v)
{
	js_key(k);
	js_raw(v ? "true" : "false");
}

/* An ioctl-style result: "ret", and "errno" when it is -1. */
static void js_result(const char *k, int r, int err)
{
	char kb[64];

	js_kint(k, r);
	if (r == -1) {
		snprintf(kb, sizeof(kb), "%s_errno", k);
		js_kstr(kb, errname(err));
	}
}

/* ---- names: pids and objects of the scenario ---- */

enum kind { K_CTRL = 1, K_PROC, K_FILE };

struct obj {
	char name[32];
	enum kind kind;
	int fd;              /* K_CTRL: the ctrl fd (-1 once closed) */
	pid_t pid;           /* K_PROC */
	int is_child;        /* K_PROC: our own child (waitable) */
	int reaped;          /* K_PROC: waited for */
	char path[PATH_MAX]; /* K_FILE: the file; K_PROC: its report file */
	size_t seen;         /* K_PROC: report bytes already shown by "signals" */
	char prefix[16];     /* K_PROC: its prefix in the report ("c1 ") */
	int traced;          /* K_PROC: we PTRACE_SEIZEd it */
};

#define MAX_OBJS 64
static struct obj objs[MAX_OBJS];
static int nobjs, nctrl, nfiles, nrchild;
static char scratch[PATH_MAX];
static pid_t self_pid;

static struct obj *find_obj(const char *name)
{
	int i;

	for (i = 0; i < nobjs; i++)
		if (strcmp(objs[i].name, name) == 0)
			return &objs[i];
	return NULL;
}

static struct obj *need_obj(const char *name, enum kind kind)
{
	struct obj *o = find_obj(name);

	if (o == NULL || o->kind != kind)
		die("no such %s '%s'", kind == K_CTRL ? "ctrl fd" : kind == K_PROC ? "process" : "file", name);
	return o;
}

/* A process by name; NULL (observed as "proc":"unknown") when the scenario never met it. */
static struct obj *soft_proc(const char *name)
{
	struct obj *o = find_obj(name);

	if (o == NULL || o->kind != K_PROC) {
		js_kstr("proc", "unknown");
		return NULL;
	}
	return o;
}

static struct obj *new_obj(const char *name, enum kind kind)
{
	struct obj *o;

	if (find_obj(name) != NULL)
		die("'%s' defined twice", name);
	if (nobjs == MAX_OBJS)
		die("too many objects");
	o = &objs[nobjs++];
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->kind = kind;
	o->fd = -1;
	return o;
}

static const char *pid_name(pid_t pid)
{
	int i;

	if (pid == self_pid)
		return "self";
	for (i = nobjs - 1; i >= 0; i--)
		if (objs[i].kind == K_PROC && objs[i].pid == pid)
			return objs[i].name;
	return NULL;
}

/*
 * A log or kernel-log line made comparable: numbers that are pids of the
 * scenario become their names, others that look like pids become "PID",
 * hex addresses become "0xADDR".
 */
static void normalise(const char *in, char *out, size_t size)
{
	size_t n = 0;
	const char *p = in;

	while (*p != '\0' && n + 1 < size) {
		if (p[0] == '0' && p[1] == 'x' && ((p == in) || !(p[-1] >= '0' && p[-1] <= '9'))) {
			const char *q = p + 2;

			while ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F'))
				q++;
			if (q > p + 2) {
				n += (size_t)snprintf(out + n, size - n, "0xADDR");
				p = q;
				continue;
			}
		}
		if (*p >= '0' && *p <= '9' && (p == in || !((p[-1] >= '0' && p[-1] <= '9') || p[-1] == '.' ||
							   (p[-1] >= 'a' && p[-1] <= 'z') ||
							   (p[-1] >= 'A' && p[-1] <= 'Z')))) {
			const char *q = p;
			long v = 0;
			const char *nm;

			while (*q >= '0' && *q <= '9' && q - p < 10)
				v = v * 10 + (*q++ - '0');
			if (!(*q >= '0' && *q <= '9') && *q != '.' && (nm = pid_name((pid_t)v)) != NULL) {
				n += (size_t)snprintf(out + n, size - n, "%s", nm);
				p = q;
				continue;
			}
		}
		out[n++] = *p++;
	}
	if (n >= size)
		n = size - 1;
	out[n] = '\0';
}

static void js_klines(const char *k, const char *text)
{
	const char *p = text;
	int first = 1;

	js_key(k);
	js_raw("[");
	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char line[1200], norm[1400];

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		normalise(line, norm, sizeof(norm));
		if (!first)
			js_raw(",");
		first = 0;
		js_str(norm);
		p = nl != NULL ? nl + 1 : NULL;
	}
	js_raw("]");
}

/* ---- the kernel log ---- */

static const char *kmsg_path;
static off_t kmsg_mark;  /* a file: its size when the scenario started */
static int kmsg_fd = -1; /* /dev/kmsg: positioned at the end when the scenario started */

static int kmsg_is_dev(void)
{
	return strcmp(kmsg_path, "/dev/kmsg") == 0;
}

static void kmsg_start(void)
{
	struct stat sb;

	if (kmsg_is_dev()) {
		if (kmsg_fd >= 0)
			close(kmsg_fd);
		kmsg_fd = open(kmsg_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (kmsg_fd < 0 || lseek(kmsg_fd, 0, SEEK_END) < 0)
			die("%s: %s", kmsg_path, strerror(errno));
		return;
	}
	kmsg_mark = stat(kmsg_path, &sb) == 0 ? sb.st_size : 0;
}

/* /dev/kmsg writes a byte it does not print as \xNN: undo that, in place. */
static void kmsg_unescape(char *m)
{
	char *w = m;

	while (*m != '\0') {
		unsigned int v;

		if (m[0] == '\\' && m[1] == 'x' && sscanf(m + 2, "%2x", &v) == 1) {
			*w++ = (char)v;
			m += 4;
		} else {
			*w++ = *m++;
		}
	}
	*w = '\0';
}

/* On the real kernel log, a line naming the scenario (to place kernel messages). */
static void kmsg_mark_scenario(const char *name)
{
	int fd;
	char line[200];

	if (!kmsg_is_dev())
		return;
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	snprintf(line, sizeof(line), "parity: scenario %s\n", name);
	if (write(fd, line, strlen(line)) < 0)
		errno = 0;
	close(fd);
}

/* The "blcr: " lines logged since kmsg_start, without that prefix, '\n' separated. */
static char *kmsg_read(void)
{
	char *out = calloc(1, 1), *all = NULL;
	size_t olen = 0;

	if (out == NULL)
		die("out of memory");
	if (kmsg_is_dev()) {
		char rec[8192];

		for (;;) {
			ssize_t r = read(kmsg_fd, rec, sizeof(rec) - 1);
			char *msg, *end;

			if (r < 0 && errno == EPIPE)
				continue;  /* overwritten records: go on */
			if (r <= 0)
				break;
			rec[r] = '\0';
			msg = strchr(rec, ';');
			if (msg == NULL)
				continue;
			msg++;
			end = strchr(msg, '\n');
			if (end != NULL)
				*end = '\0';
			if (strncmp(msg, "blcr: ", 6) != 0)
				continue;
			msg += 6;
			kmsg_unescape(msg);
			while (*msg != '\0') {
				size_t l = strcspn(msg, "\n");

				if (l > 0) {
					out = realloc(out, olen + l + 2);
					if (out == NULL)
						die("out of memory");
					memcpy(out + olen, msg, l);
					olen += l;
					out[olen++] = '\n';
					out[olen] = '\0';
				}
				msg += l;
				if (*msg == '\n')
					msg++;
			}
		}
	} else {
		size_t len;
		char *p;

		all = read_whole(kmsg_path, &len);
		p = all != NULL && (off_t)len > kmsg_mark ? all + kmsg_mark : NULL;
		while (p != NULL && *p != '\0') {
			char *nl = strchr(p, '\n');
			size_t l = nl != NULL ? (size_t)(nl - p) : strlen(p);

			if (l >= 6 && strncmp(p, "blcr: ", 6) == 0) {
				out = realloc(out, olen + l + 1);
				if (out == NULL)
					die("out of memory");
				memcpy(out + olen, p + 6, l - 6);
				olen += l - 6;
				out[olen++] = '\n';
				out[olen] = '\0';
			}
			p = nl != NULL ? nl + 1 : NULL;
		}
		free(all);
	}
	if (olen > 0 && out[olen - 1] == '\n')
		out[olen - 1] = '\0';
	return out;
}

/* ---- step arguments ---- */

#define MAX_TOK 32
struct step {
	char *tok[MAX_TOK];
	int ntok;
};

/* The value of key=... among the step's tokens, or NULL. */
static const char *opt(const struct step *s, const char *key)
{
	size_t kl = strlen(key);
	int i;

	for (i = 1; i < s->ntok; i++)
		if (strncmp(s->tok[i], key, kl) == 0 && s->tok[i][kl] == '=')
			return s->tok[i] + kl + 1;
	return NULL;
}

static int has_word(const struct step *s, const char *word)
{
	int i;

	for (i = 1; i < s->ntok; i++)
		if (strcmp(s->tok[i], word) == 0)
			return 1;
	return 0;
}

static const char *arg(const struct step *s, int i)
{
	if (i >= s->ntok || strchr(s->tok[i], '=') != NULL)
		die("%s: argument %d missing", s->tok[0], i);
	return s->tok[i];
}

static const struct { const char *name; unsigned int v; } flagnames[] = {
	{ "PROHIBIT_SELF", CR_CHKPT_PROHIBIT_SELF }, { "PTRACED_ALLOW", CR_CHKPT_PTRACED_ALLOW },
	{ "PTRACED_SKIP", CR_CHKPT_PTRACED_SKIP }, { "PTRACER_SKIP", CR_CHKPT_PTRACER_SKIP },
	{ "ASYNC_ERR", CR_CHKPT_ASYNC_ERR }, { "DUMP_EXEC", CR_CHKPT_DUMP_EXEC },
	{ "R_ASYNC_ERR", CR_RSTRT_ASYNC_ERR }, { "RESTORE_PID", CR_RSTRT_RESTORE_PID },
	{ "RESTORE_PGID", CR_RSTRT_RESTORE_PGID }, { "RESTORE_SID", CR_RSTRT_RESTORE_SID },
};

static unsigned int parse_flags(const char *v)
{
	unsigned int f = 0;
	char buf[256], *save = NULL, *t;

	if (v == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", v);
	for (t = strtok_r(buf, "|", &save); t != NULL; t = strtok_r(NULL, "|", &save)) {
		size_t i;
		int found = 0;

		for (i = 0; i < sizeof(flagnames) / sizeof(flagnames[0]); i++) {
			if (strcmp(flagnames[i].name, t) == 0) {
				f |= flagnames[i].v;
				found = 1;
			}
		}
		if (!found)
			f |= (unsigned int)parse_num(t);
	}
	return f;
}

static int parse_scope(const char *v)
{
	if (v == NULL || strcmp(v, "tree") == 0)
		return CR_SCOPE_TREE;
	if (strcmp(v, "proc") == 0)
		return CR_SCOPE_PROC;
	if (strcmp(v, "pgrp") == 0)
		return CR_SCOPE_PGRP;
	if (strcmp(v, "sess") == 0)
		return CR_SCOPE_SESS;
	return (int)parse_num(v);
}

/* A pid by name ("self", a process object, "0", a number). */
static pid_t parse_pid(const char *v)
{
	struct obj *o;

	if (v == NULL || strcmp(v, "0") == 0)
		return 0;
	if (strcmp(v, "self") == 0)
		return self_pid;
	o = find_obj(v);
	if (o != NULL && o->kind == K_PROC)
		return o->pid;
	return (pid_t)parse_num(v);
}

/* ---- processes ---- */

static struct obj *add_proc(const char *name, pid_t pid, int is_child, const char *report,
			    const char *prefix)
{
	struct obj *o = new_obj(name, K_PROC);

	o->pid = pid;
	o->is_child = is_child;
	snprintf(o->path, sizeof(o->path), "%s", report != NULL ? report : "");
	snprintf(o->prefix, sizeof(o->prefix), "%s", prefix != NULL ? prefix : "");
	return o;
}

static char proc_state(pid_t pid)
{
	char path[64], *buf, *p, st;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	buf = read_whole(path, NULL);
	if (buf == NULL)
		return 0;
	p = strrchr(buf, ')');
	st = p != NULL && p[1] == ' ' ? p[2] : '?';
	free(buf);
	return st;
}

/* Wait (at most WAIT_LIMIT_MS) until the report of o has a line "PREFIXword ..." after from. */
static int wait_report(struct obj *o, const char *line, size_t from)
{
	long t0 = now_ms();
	char want[64];

	snprintf(want, sizeof(want), "%s%s", o->prefix, line);
	for (;;) {
		size_t len;
		char *buf = read_whole(o->path, &len), *p;
		int found = 0;

		for (p = buf != NULL && len > from ? buf + from : NULL; p != NULL && *p != '\0';) {
			char *nl = strchr(p, '\n');

			if (nl == NULL)
				break;
			if ((size_t)(nl - p) >= strlen(want) && strncmp(p, want, strlen(want)) == 0 &&
			    (p[strlen(want)] == '\n' || p[strlen(want)] == ' '))
				found = 1;
			p = nl + 1;
		}
		free(buf);
		if (found)
			return 1;
		if (now_ms() - t0 > WAIT_LIMIT_MS)
			return 0;
		msleep(5);
	}
}

static const char *env_need(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		die("%s is not set", name);
	return v;
}

static char target_prog[PATH_MAX];

/* target NAME stub|omit|none [target options...] */
static void step_target(const struct step *s)
{
	const char *name = arg(s, 1), *how = arg(s, 2);
	char report[PATH_MAX], *argv[MAX_TOK + 4];
	int argc = 0, i;
	pid_t pid;
	struct obj *o;
	size_t len;
	char *buf, *p;

	path_join(report, sizeof(report), scratch, name, ".report");
	argv[argc++] = target_prog;
	argv[argc++] = report;
	for (i = 3; i < s->ntok; i++) {
		char *eq = strchr(s->tok[i], '=');

		if (eq != NULL) {
			/* key=value: --key value */
			static char keys[MAX_TOK][64];

			snprintf(keys[i], sizeof(keys[i]), "--%.*s", (int)(eq - s->tok[i]), s->tok[i]);
			argv[argc++] = keys[i];
			argv[argc++] = eq + 1;
		} else {
			static char words[MAX_TOK][64];

			snprintf(words[i], sizeof(words[i]), "--%s", s->tok[i]);
			argv[argc++] = words[i];
		}
	}
	argv[argc] = NULL;
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		const char *pre = strcmp(how, "stub") == 0 ? env_need("PARITY_RUN")
				  : strcmp(how, "omit") == 0 ? env_need("PARITY_OMIT") : NULL;
		int devnull = open("/dev/null", O_RDWR);

		if (pre != NULL)
			setenv("LD_PRELOAD", pre, 1);
		else
			unsetenv("LD_PRELOAD");
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		for (i = 3; i < 1024; i++)
			if (i != 2)
				close(i);
		execv(target_prog, argv);
		_exit(127);
	}
	o = add_proc(name, pid, 1, report, "");
	if (!wait_report(o, "ready", 0)) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid)
			die("target %s exited (status 0x%x) before it was ready", name, st);
		die("target %s not ready", name);
	}
	/* Its helpers, by name: NAME.c1..., NAME.zombie, NAME.traced. */
	buf = read_whole(report, &len);
	for (p = buf, i = 0; p != NULL && *p != '\0';) {
		char *nl = strchr(p, '\n'), sub[48], prefix[16];
		int v;

		if (sscanf(p, "child %d", &v) == 1) {
			snprintf(sub, sizeof(sub), "%s.c%d", name, ++i);
			snprintf(prefix, sizeof(prefix), "c%d ", i);
			add_proc(sub, v, 0, o->path, prefix);
		} else if (sscanf(p, "zombie %d", &v) == 1) {
			snprintf(sub, sizeof(sub), "%s.zombie", name);
			add_proc(sub, v, 0, NULL, NULL);
		} else if (sscanf(p, "traced %d", &v) == 1) {
			snprintf(sub, sizeof(sub), "%s.traced", name);
			add_proc(sub, v, 0, NULL, NULL);
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	free(buf);
	/* An --exit target: wait until it is a zombie (not reaped). */
	if (opt(s, "exit") != NULL) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) != 0)
			die("waitid %s: %s", name, strerror(errno));
	}
	o->seen = len;
}

/* gone NAME: a pid that existed and no longer does. */
static void step_gone(const struct step *s)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid: %s", strerror(errno));
	add_proc(arg(s, 1), pid, 0, NULL, NULL)->reaped = 1;
}

static void on_crsig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

static void install_crsig(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_crsig;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(CR_SIGNUM, &sa, NULL) != 0)
		die("sigaction: %s", strerror(errno));
}

static int signum(const char *v)
{
	static const struct { const char *n; int s; } names[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
		{ "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
		{ "WINCH", SIGWINCH },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].n, v) == 0)
			return names[i].s;
	return (int)parse_num(v);
}

/* A request's signal: a name or number, negative for the "early" signal. */
static int sigarg(const char *v)
{
	if (v == NULL)
		return 0;
	return v[0] == '-' ? -signum(v + 1) : signum(v);
}

/* Wait (bounded) until pid is in state st ('T', 'Z', ...). */
static int wait_state(pid_t pid, char st)
{
	long t0 = now_ms();

	while (proc_state(pid) != st) {
		if (now_ms() - t0 > WAIT_LIMIT_MS)
			return 0;
		msleep(5);
	}
	return 1;
}

static void step_kill(const struct step *s)
{
	struct obj *o = soft_proc(arg(s, 1));
	int sig = signum(arg(s, 2));

	if (o == NULL)
		return;

	if (kill(o->pid, sig) != 0) {
		js_kstr("kill", errname(errno));
		return;
	}
	if (sig == SIGSTOP && !wait_state(o->pid, 'T'))
		die("%s did not stop", o->name);
}

static void step_trace(const struct step *s)
{
	struct obj *o = need_obj(arg(s, 1), K_PROC);

	if (ptrace(PTRACE_SEIZE, o->pid, NULL, NULL) != 0)
		die("PTRACE_SEIZE %s: %s", o->name, strerror(errno));
	o->traced = 1;
}

static const char *state_word(char st)
{
	switch (st) {
	case 0: return "gone";
	case 'T': return "stopped";
	case 't': return "traced";
	case 'Z': return "zombie";
	case 'X': return "dead";
	default: return "running";
	}
}

static void step_state(const struct step *s)
{
	struct obj *o = soft_proc(arg(s, 1));

	if (o == NULL)
		return;

	js_kstr("state", state_word(proc_state(o->pid)));
}

/* wait NAME: its exit status (our child, or a restored process). */
static void step_wait(const struct step *s)
{
	struct obj *o = soft_proc(arg(s, 1));
	long t0 = now_ms();
	int st;

	if (o == NULL)
		return;

	for (;;) {
		pid_t r = waitpid(o->pid, &st, WNOHANG | __WALL);

		if (r == o->pid)
			break;
		if (r < 0) {
			js_kstr("wait", errname(errno));
			return;
		}
		if (now_ms() - t0 > WAIT_LIMIT_MS) {
			js_kstr("wait", "timeout");
			return;
		}
		msleep(5);
	}
	o->reaped = 1;
	if (WIFEXITED(st))
		js_kint("exit", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		js_kint("signal", WTERMSIG(st));
}

/* signals NAME: the report lines of NAME (and its children) since the last look, sorted
 * (the order between processes means nothing). */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void step_signals(const struct step *s)
{
	struct obj *o = soft_proc(arg(s, 1));
	size_t len, n = 0, i;
	char *buf, *p, *lines[256];

	if (o == NULL)
		return;
	buf = read_whole(o->path, &len);
	for (p = buf != NULL && len > o->seen ? buf + o->seen : NULL; p != NULL && *p != '\0';) {
		char *nl = strchr(p, '\n');

		if (nl == NULL)
			break;
		*nl = '\0';
		if (strstr(p, "sig ") != NULL && n < 256)
			lines[n++] = p;
		p = nl + 1;
	}
	qsort(lines, n, sizeof(lines[0]), cmp_str);
	js_key("signals");
	js_raw("[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			js_raw(",");
		js_str(lines[i]);
	}
	js_raw("]");
	if (buf != NULL)
		o->seen = len;
	free(buf);
}

static void step_waitsig(const struct step *s)
{
	struct obj *o = soft_proc(arg(s, 1));
	char line[32];

	if (o == NULL)
		return;

	snprintf(line, sizeof(line), "sig %d", signum(arg(s, 2)));
	js_kbool("seen", wait_report(o, line, o->seen));
}

/* ---- files ---- */

static struct obj *file_obj(const char *name)
{
	struct obj *o = find_obj(name);

	if (o == NULL) {
		o = new_obj(name, K_FILE);
		path_join(o->path, sizeof(o->path), scratch, name, "");
	}
	if (o->kind != K_FILE)
		die("'%s' is not a file", name);
	return o;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) != 0)
		die("%s: %s", path, strerror(errno));
}

/* file NAME [header=A,B,C,D,E] [copy=OTHER len=N] [hardlink] [dir] */
static void step_file(const struct step *s)
{
	struct obj *o = file_obj(arg(s, 1));
	const char *h = opt(s, "header"), *copy = opt(s, "copy");

	if (has_word(s, "dir")) {
		if (mkdir(o->path, 0700) != 0)
			die("mkdir %s: %s", o->path, strerror(errno));
		return;
	}
	if (h != NULL) {
		int32_t v[5];

		if (sscanf(h, "%d,%d,%d,%d,%d", &v[0], &v[1], &v[2], &v[3], &v[4]) != 5)
			die("header wants 5 numbers");
		write_file(o->path, v, sizeof(v));
	} else if (copy != NULL) {
		struct obj *src = file_obj(copy);
		size_t len, want = opt(s, "len") ? (size_t)parse_num(opt(s, "len")) : (size_t)-1;
		char *buf = read_whole(src->path, &len);

		if (buf == NULL)
			die("%s: %s", src->path, strerror(errno));
		write_file(o->path, buf, want < len ? want : len);
		free(buf);
	} else {
		write_file(o->path, "", 0);
	}
	if (has_word(s, "hardlink")) {
		char other[PATH_MAX + 8];

		snprintf(other, sizeof(other), "%s.link", o->path);
		if (link(o->path, other) != 0)
			die("link: %s", strerror(errno));
	}
}

/* header NAME: the first 20 bytes of a context file as five int32 (or its size). */
static void step_header(const struct step *s)
{
	struct obj *o = file_obj(arg(s, 1));
	size_t len;
	char *buf = read_whole(o->path, &len);

	if (buf == NULL) {
		js_kstr("header", "missing");
	} else if (len < 20) {
		js_kint("size", (long)len);
	} else {
		int32_t v[5];
		char txt[96];

		memcpy(v, buf, sizeof(v));
		snprintf(txt, sizeof(txt), "%d,%d,%d,%d,%d", v[0], v[1], v[2], v[3], v[4]);
		js_kstr("header", txt);
	}
	free(buf);
}

/* dirfiles: the context files in the scratch directory, names normalised. */
static void step_dirfiles(const struct step *s)
{
	DIR *d = opendir(scratch);
	struct dirent *de;
	char names[32][300];
	int n = 0, i, j, first = 1;

	(void)s;
	if (d == NULL)
		die("opendir: %s", strerror(errno));
	while ((de = readdir(d)) != NULL && n < 32) {
		if (strncmp(de->d_name, "context.", 8) == 0) {
			const char *nm = pid_name((pid_t)atoi(de->d_name + 8));

			snprintf(names[n++], sizeof(names[0]), "context.%s", nm != NULL ? nm : "PID");
		}
	}
	closedir(d);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char t[300];

				memcpy(t, names[i], sizeof(t));
				memcpy(names[i], names[j], sizeof(t));
				memcpy(names[j], t, sizeof(t));
			}
	js_key("files");
	js_raw("[");
	for (i = 0; i < n; i++) {
		if (!first)
			js_raw(",");
		first = 0;
		js_str(names[i]);
	}
	js_raw("]");
}

/*
 * open(2) that returns exactly fd want: the free fds below it are filled
 * first, so the kernel hands out want itself (no dup: a dup of an emulated
 * ctrl fd would not be the same thing to every implementation).
 */
static int open_at(int want, const char *path, int flags, mode_t mode)
{
	int tries;

	for (tries = 0; tries < 20; tries++) {
		int fillers[FD_FILE0 + 64], nf = 0, fd, i;

		close(want);
		for (fd = 3; fd < want; fd++) {
			if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
				if (dup2(2, fd) < 0)
					die("dup2: %s", strerror(errno));
				fillers[nf++] = fd;
			}
		}
		fd = open(path, flags, mode);
		for (i = 0; i < nf; i++)
			close(fillers[i]);
		if (fd == want || fd < 0)
			return fd;
		close(fd);  /* another thread took an fd meanwhile: again */
	}
	die("could not open %s at fd %d", path, want);
}

/* The next destination/source fd (FD_FILE0 + k). */
static int next_file_fd(void)
{
	return FD_FILE0 + nfiles++;
}

static int place_open(const char *path, int flags, mode_t mode)
{
	int fd = open_at(next_file_fd(), path, flags, mode);

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

/* dest=... / src=...: F (O_WRONLY|O_TRUNC or O_RDONLY), F:rdonly, F:wronly, dir,
 * cwd, closed, devnull, or a ctrl name. */
static int open_fd_spec(const char *v, int for_write)
{
	char name[64], *colon;
	struct obj *o;

	if (v == NULL)
		die("dest/src missing");
	if (strcmp(v, "cwd") == 0)
		return CR_DEST_CWD;
	if (strcmp(v, "closed") == 0) {
		close(FD_CLOSED);
		return FD_CLOSED;
	}
	if (strcmp(v, "devnull") == 0)
		return place_open("/dev/null", O_WRONLY | O_CLOEXEC, 0);
	if (strcmp(v, "dir") == 0)
		return place_open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	snprintf(name, sizeof(name), "%s", v);
	colon = strchr(name, ':');
	if (colon != NULL)
		*colon++ = '\0';
	o = find_obj(name);
	if (o != NULL && o->kind == K_CTRL)
		return o->fd;
	o = file_obj(name);
	if (colon != NULL && strcmp(colon, "rdonly") == 0)
		return place_open(o->path, O_RDONLY | O_CLOEXEC, 0);
	if (colon != NULL && strcmp(colon, "wronly") == 0)
		return place_open(o->path, O_WRONLY | O_CLOEXEC, 0);
	if (colon != NULL && strcmp(colon, "dir") == 0)
		return place_open(o->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (for_write)
		return place_open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	return place_open(o->path, O_RDONLY | O_CLOEXEC, 0);
}

/* ---- the ctrl file ---- */

static int do_ioctl(int fd, unsigned long op, unsigned long a, int *err)
{
	int r;

	errno = 0;
	r = ioctl(fd, op, a);
	*err = errno;
	return r;
}

static void step_open(const struct step *s)
{
	struct obj *o = new_obj(arg(s, 1), K_CTRL);
	int fd = open_at(FD_CTRL0 + nctrl++, CR_CTRL_FILE, O_WRONLY | O_CLOEXEC, 0), err;

	if (fd < 0)
		die("open %s: %s", CR_CTRL_FILE, strerror(errno));
	o->fd = fd;
	if (!has_word(s, "noversion")) {
		int r = do_ioctl(o->fd, CR_OP_VERSION, CR_MODULE_VERSION, &err);

		if (r != 0)
			die("VERSION: %s", errname(err));
	}
}

static void step_version(const struct step *s)
{
	struct obj *o = need_obj(arg(s, 1), K_CTRL);
	int err, r = do_ioctl(o->fd, CR_OP_VERSION, (unsigned long)parse_num(arg(s, 2)), &err);

	js_result("ret", r, err);
}

static void step_close(const struct step *s)
{
	struct obj *o = need_obj(arg(s, 1), K_CTRL);

	js_result("ret", close(o->fd), errno);
	o->fd = -1;
}

static int last_chkpt_ret;

static void step_chkpt(const struct step *s)
{
	struct obj *o = need_obj(arg(s, 1), K_CTRL);
	struct cr_chkpt_args a = {
		.cr_target = parse_pid(opt(s, "target")),
		.cr_scope = (cr_scope_t)parse_scope(opt(s, "scope")),
		.cr_fd = open_fd_spec(opt(s, "dest"), 1),
		.cr_secs = opt(s, "secs") ? (unsigned int)parse_num(opt(s, "secs")) : 0,
		.dump_format = opt(s, "format") ? (cr_format_t)parse_num(opt(s, "format")) : cr_format_vmadump,
		.signal = sigarg(opt(s, "signal")),
		.flags = parse_flags(opt(s, "flags")),
	};
	long t0 = now_ms();
	int err, r;

	r = do_ioctl(o->fd, CR_OP_CHKPT_REQ, (unsigned long)&a, &err);
	last_chkpt_ret = r;
	js_result("ret", r, err);
	/*
	 * "timed": whether the ioctl blocked for BLCR's 0.5 s retry. Only a lower
	 * bound is sure (a loaded machine makes any call slow), so only steps
	 * where the retry is the question ask.
	 */
	if (has_word(s, "timed"))
		js_kbool("blocked", now_ms() - t0 >= 480);
}

static const char *revents_text(short re);
static void step_log(const struct step *s);

/* cycle C ...chkpt options...: chkpt, then (if it returned 0) poll, log and reap. */
static void step_cycle(const struct step *s)
{
	struct obj *o = need_obj(arg(s, 1), K_CTRL);
	struct pollfd p = { .fd = o->fd, .events = POLLIN | POLLRDNORM };
	int err, r;

	step_chkpt(s);
	if (last_chkpt_ret != 0)
		return;
	r = poll(&p, 1, WAIT_LIMIT_MS);
	js_kstr("poll", r < 0 ? errname(errno) : r == 0 ? "timeout" : revents_text(p.revents));
	step_log(s);
	r = do_ioctl(o->fd, CR_OP_CHKPT_REAP, CR_NOARG, &err);
	js_result("reap", r, err);
}

static const char *revents_text(short re)
{
	static char buf[96];

	buf[0] = '\0';
	if (re & POLLIN)
		strcat(buf, "IN|");
	if (re & POLLRDNORM)
		strcat(buf, "RDNORM|");
	if (re & POLLOUT)
		strcat(buf, "OUT|");
	if (re & POLLERR)
		strcat(buf, "ERR|");
	if (re & POLLHUP)
		strcat(buf, "HUP|");
	if (re & POLLNVAL)
		strcat(buf, "NVAL|");
	if (buf[0] == '\0')
		return "0";
	buf[strlen(buf) - 1] = '\0';
	return buf;
}

/* poll C [timeout=MS] [events=0]: the revents, or "timeout". */
static void step_poll(const struct step *s)
{
	struct obj *o = need_obj(arg(s, 1), K_CTRL);
	const char *tmo = opt(s, "timeout"), *ev = opt(s, "events");
	struct pollfd p = { .fd = o->fd, .events = ev ? (short)parse_num(ev) : (POLLIN | POLLRDNORM) };
	int r;

	do {
		r = poll(&p, 1, tmo ? (int)parse_num(tmo) : WAIT_LIMIT_MS);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		js_kstr("poll", errname(errno));
	else
		js_kstr("poll", r == 0 ? "timeout" : revents_text(p.revents));
}

/* select C: which sets it is in, at once. */
static void step_select(const struct step *s)
{
	struct obj *o = need_obj(arg(s, 1), K_CTRL);
	fd_set r, w, e;
	struct timeval tv = { 0, 0 };
	char buf[32] = "";
	int n;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(o->fd, &r);
	FD_SET(o->fd, &w);
	FD_SET(o->fd, &e);
	n = select(o->fd + 1, &r, &w, &e, &tv);
	if (n < 0) {
		js_kstr("select", errname(errno));
		return;
	}
	if (FD_ISSET(o->fd, &r))
		strcat(buf, "r");
	if (FD_ISSET(o->fd, &w))
		strcat(buf, "w");
	if (FD_ISSET(o->fd, &e))
		strcat(buf, "e");
	js_kstr("select", buf[0] ? buf : "none");
}

/* log C [rstrt] [len=N]: the log (size query, then fill), or with len the raw call. */
static void step_log(const struct step *s)
{
	struct obj *o = need_obj(arg(s, 1), K_CTRL);
	unsigned long op = has_word(s, "rstrt") ? CR_OP_RSTRT_LOG : CR_OP_CHKPT_LOG;
	struct cr_log_args la = { 0, NULL };
	int err, r;

	if (opt(s, "len") != NULL) {
		char buf[64];

		memset(buf, 'x', sizeof(buf));
		la.len = (unsigned int)parse_num(opt(s, "len"));
		la.buf = la.len > 0 ? buf : NULL;
		if (la.len > sizeof(buf))
			die("len too big");
		r = do_ioctl(o->fd, op, (unsigned long)&la, &err);
		js_result("ret", r, err);
		if (la.len > 0 && r >= 0) {
			buf[sizeof(buf) - 1] = '\0';
			js_kstr("buf", buf);
		}
		return;
	}
	r = do_ioctl(o->fd, op, (unsigned long)&la, &err);
	if (r < 0) {
		js_result("ret", r, err);
		return;
	}
	js_kbool("empty", r == 0);
	if (r > 0) {
		char *buf = calloc(1, (size_t)r + 1);
		size_t l;

		if (buf == NULL)
			die("out of memory");
		la.len = (unsigned int)r;
		la.buf = buf;
		if (do_ioctl(o->fd, op, (unsigned long)&la, &err) < 0)
			die("LOG fill: %s", errname(err));
		l = strlen(buf);
		if (l > 0 && buf[l - 1] == '\n')
			buf[l - 1] = '\0';
		js_klines("log", buf);
		free(buf);
	}
}

static void step_reap(const struct step *s, unsigned long op)
{
	struct obj *o = need_obj(arg(s, 1), K_CTRL);
	int err, r = do_ioctl(o->fd, op, CR_NOARG, &err);

	if (r > 0) {
		const char *n = pid_name(r);

		js_kstr("ret", n != NULL ? n : "PID");
		if (opt(s, "as") != NULL) {
			/* The restored process, under a name of its own from now on. */
			struct obj *of = need_obj(opt(s, "of"), K_PROC);
			int i;

			for (i = 0; i < nobjs; i++)
				if (objs[i].kind == K_PROC && objs[i].pid == r)
					objs[i].reaped = 1;
			add_proc(opt(s, "as"), r, 1, of->path, "")->seen = of->seen;
		}
		return;
	}
	js_result("ret", r, err);
}

static const struct { const char *n; unsigned long op; } opnames[] = {
	{ "HAND_CHKPT", CR_OP_HAND_CHKPT }, { "HAND_ABORT", CR_OP_HAND_ABORT },
	{ "HAND_PHASE1", CR_OP_HAND_PHASE1 }, { "HAND_PHASE2", CR_OP_HAND_PHASE2 },
	{ "HAND_DONE", CR_OP_HAND_DONE }, { "HAND_SRC", CR_OP_HAND_SRC },
	{ "HAND_CHKPT_INFO", CR_OP_HAND_CHKPT_INFO }, { "CHKPT_FWD", CR_OP_CHKPT_FWD },
	{ "CHKPT_REAP", CR_OP_CHKPT_REAP }, { "RSTRT_REAP", CR_OP_RSTRT_REAP },
	{ "RSTRT_CHILD", CR_OP_RSTRT_CHILD }, { "RSTRT_PROCS", CR_OP_RSTRT_PROCS },
	{ "CHKPT_LOG", CR_OP_CHKPT_LOG }, { "RSTRT_LOG", CR_OP_RSTRT_LOG },
	{ "CHKPT_REQ", CR_OP_CHKPT_REQ }, { "RSTRT_REQ", CR_OP_RSTRT_REQ },
};

/* ioctl C OP [ARG]: a raw call; ARG is a number or "null"/"buf" (a zeroed buffer). */
static void step_ioctl(const struct step *s)
{
	struct obj *o = need_obj(arg(s, 1), K_CTRL);
	const char *opn = arg(s, 2);
	static char zero[8192];
	unsigned long op = 0, a = CR_NOARG;
	size_t i;
	int found = 0, err, r;

	for (i = 0; i < sizeof(opnames) / sizeof(opnames[0]); i++)
		if (strcmp(opnames[i].n, opn) == 0) {
			op = opnames[i].op;
			found = 1;
		}
	if (!found)
		op = (unsigned long)parse_num(opn);
	if (s->ntok > 3 && strchr(s->tok[3], '=') == NULL) {
		memset(zero, 0, sizeof(zero));
		a = strcmp(s->tok[3], "null") == 0 ? 0
		    : strcmp(s->tok[3], "buf") == 0 ? (unsigned long)zero : (unsigned long)parse_num(s->tok[3]);
	}
	r = do_ioctl(o->fd, op, a, &err);
	js_result("ret", r, err);
}

/* rstrt C src=F [signal=N] [flags=...] [reloc=N|relative|none] */
static void step_rstrt(const struct step *s)
{
	struct obj *o = need_obj(arg(s, 1), K_CTRL);
	const char *rl = opt(s, "reloc");
	struct cr_rstrt_relocate *reloc = NULL;
	struct cr_rstrt_args a;
	int err, r;

	memset(&a, 0, sizeof(a));
	a.cr_fd = open_fd_spec(opt(s, "src"), 0);
	a.signal = sigarg(opt(s, "signal"));
	a.flags = parse_flags(opt(s, "flags"));
	if (rl != NULL) {
		unsigned int n = strcmp(rl, "relative") == 0 ? 1 : (unsigned int)parse_num(rl), i;

		reloc = calloc(1, CR_RSTRT_RELOCATE_SIZE(n));
		if (reloc == NULL)
			die("out of memory");
		reloc->count = n;
		for (i = 0; i < n; i++) {
			reloc->path[i].oldpath = strcmp(rl, "relative") == 0 ? "relative/path" : "/parity/old";
			reloc->path[i].newpath = "/parity/new";
		}
		a.relocate = reloc;
	}
	r = do_ioctl(o->fd, CR_OP_RSTRT_REQ, (unsigned long)&a, &err);
	js_result("ret", r, err);
	free(reloc);
}

/*
 * procs C of=T [closesrc=FD|closesrc] : RSTRT_PROCS until it returns <= 0; for
 * each 1, fork a child (R1, R2...) that calls RSTRT_CHILD on the inherited
 * ctrl fd, as libcr's restart does. The children are processes of T's report.
 */
static void step_procs(const struct step *s)
{
	struct obj *o = need_obj(arg(s, 1), K_CTRL), *of = need_obj(opt(s, "of"), K_PROC);
	int first = 1, k;

	js_key("procs");
	js_raw("[");
	for (k = 0; k < 8; k++) {
		struct cr_procs_tbl tbl = { 0, 0 };
		int err, r = do_ioctl(o->fd, CR_OP_RSTRT_PROCS, (unsigned long)&tbl, &err);
		char item[64], name[32];
		pid_t pid;

		if (r == -1)
			snprintf(item, sizeof(item), "\"%s\"", errname(err));
		else if (r > 0)
			snprintf(item, sizeof(item), "\"%d threads=%d\"", r, tbl.threads);
		else
			snprintf(item, sizeof(item), "%d", r);
		if (!first)
			js_raw(",");
		first = 0;
		js_raw(item);
		if (r <= 0)
			break;
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			install_crsig();
			if (has_word(s, "closesrc")) {
				int fd;

				for (fd = FD_FILE0; fd < FD_FILE0 + 16; fd++)
					close(fd);
			}
			ioctl(o->fd, CR_OP_RSTRT_CHILD, CR_NOARG);
			_exit(errno & 0xff);
		}
		snprintf(name, sizeof(name), "R%d", ++nrchild);
		add_proc(name, pid, 1, of->path, "")->seen = of->seen;
	}
	js_raw("]");
}

static void step_kmsg(const struct step *s)
{
	char *k = kmsg_read();

	(void)s;
	js_klines("kmsg", k);
	free(k);
}

/* ---- running steps ---- */

static void run_step(struct step *s);

static void step_selfhandler(const struct step *s)
{
	(void)s;
	install_crsig();
}

/*
 * "inchild [as=U[,E]] STEP...": the step in a forked child (with that uid,
 * and euid), its observation sent back through a pipe; the child exits after
 * the step. (A request made in a child that exits before another process
 * reaps it corrupts the real module's memory: use "cycle" there.)
 */
static void step_inchild(struct step *s)
{
	int p[2], st, skip = 1;
	pid_t pid;
	struct step sub;
	const char *as = NULL;

	if (s->ntok > 1 && strncmp(s->tok[1], "as=", 3) == 0) {
		as = s->tok[1] + 3;
		skip = 2;
	}
	memset(&sub, 0, sizeof(sub));
	for (sub.ntok = 0; sub.ntok + skip < s->ntok; sub.ntok++)
		sub.tok[sub.ntok] = s->tok[sub.ntok + skip];
	if (sub.ntok == 0)
		die("inchild: no step");
	if (pipe(p) != 0)
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		if (as != NULL) {
			long u = 0, e = 0;

			if (sscanf(as, "%ld,%ld", &u, &e) != 2)
				e = u = parse_num(as);
			if (setresuid((uid_t)u, (uid_t)e, (uid_t)u) != 0)
				die("setresuid: %s", strerror(errno));
		}
		js_len = 0;
		js_first = 1;
		if (js != NULL)
			js[0] = '\0';
		run_step(&sub);
		if (write(p[1], js != NULL ? js : "", js_len) != (ssize_t)js_len)
			_exit(1);
		close(p[1]);
		_exit(0);
	}
	close(p[1]);
	{
		char buf[16384];
		size_t n = 0;
		ssize_t r;

		while ((r = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
			n += (size_t)r;
		buf[n] = '\0';
		close(p[0]);
		if (n > 0) {
			if (!js_first)
				js_raw(",");
			js_raw(buf);
			js_first = 0;
		}
	}
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid: %s", strerror(errno));
}

static void run_step(struct step *s)
{
	const char *op = s->tok[0];

	if (strcmp(op, "inchild") == 0)
		step_inchild(s);
	else if (strcmp(op, "open") == 0)
		step_open(s);
	else if (strcmp(op, "version") == 0)
		step_version(s);
	else if (strcmp(op, "close") == 0)
		step_close(s);
	else if (strcmp(op, "target") == 0)
		step_target(s);
	else if (strcmp(op, "gone") == 0)
		step_gone(s);
	else if (strcmp(op, "selfhandler") == 0)
		step_selfhandler(s);
	else if (strcmp(op, "kill") == 0)
		step_kill(s);
	else if (strcmp(op, "trace") == 0)
		step_trace(s);
	else if (strcmp(op, "state") == 0)
		step_state(s);
	else if (strcmp(op, "wait") == 0)
		step_wait(s);
	else if (strcmp(op, "signals") == 0)
		step_signals(s);
	else if (strcmp(op, "waitsig") == 0)
		step_waitsig(s);
	else if (strcmp(op, "file") == 0)
		step_file(s);
	else if (strcmp(op, "header") == 0)
		step_header(s);
	else if (strcmp(op, "dirfiles") == 0)
		step_dirfiles(s);
	else if (strcmp(op, "chkpt") == 0)
		step_chkpt(s);
	else if (strcmp(op, "cycle") == 0)
		step_cycle(s);
	else if (strcmp(op, "poll") == 0)
		step_poll(s);
	else if (strcmp(op, "select") == 0)
		step_select(s);
	else if (strcmp(op, "log") == 0)
		step_log(s);
	else if (strcmp(op, "reap") == 0)
		step_reap(s, CR_OP_CHKPT_REAP);
	else if (strcmp(op, "rreap") == 0)
		step_reap(s, CR_OP_RSTRT_REAP);
	else if (strcmp(op, "ioctl") == 0)
		step_ioctl(s);
	else if (strcmp(op, "rstrt") == 0)
		step_rstrt(s);
	else if (strcmp(op, "procs") == 0)
		step_procs(s);
	else if (strcmp(op, "kmsg") == 0)
		step_kmsg(s);
	else
		die("unknown step '%s'", op);
}

/* ---- scenarios ---- */

/* Kill and reap everything the scenario started; close its descriptors. */
static void cleanup(void)
{
	int i, fd;

	for (i = nobjs - 1; i >= 0; i--) {
		struct obj *o = &objs[i];

		if (o->kind == K_CTRL && o->fd >= 0)
			close(o->fd);
		if (o->kind != K_PROC || o->reaped || o->pid <= 0)
			continue;
		if (o->traced)
			ptrace(PTRACE_DETACH, o->pid, NULL, NULL);
		kill(o->pid, SIGKILL);
	}
	for (i = nobjs - 1; i >= 0; i--) {
		struct obj *o = &objs[i];
		int st;

		if (o->kind == K_PROC && o->is_child && !o->reaped)
			waitpid(o->pid, &st, __WALL);
	}
	while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
		;
	for (fd = FD_FILE0; fd < FD_FILE0 + 32; fd++)
		close(fd);
	signal(CR_SIGNUM, SIG_DFL);
	nobjs = nctrl = nfiles = nrchild = 0;
}

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			char sub[PATH_MAX + 300];

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			path_join(sub, sizeof(sub), path, de->d_name, "");
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int wanted(const char *name, int argc, char **argv)
{
	int i;

	if (argc <= 2)
		return 1;
	for (i = 2; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	FILE *f;
	char line[1024], name[128] = "", *tmp;
	int in = 0, step_no = 0, run = 0, lineno = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: parity SCENARIO_FILE [NAME...]\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (f == NULL) {
		fprintf(stderr, "parity: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (getenv("PARITY_TARGET") != NULL) {
		snprintf(target_prog, sizeof(target_prog), "%s", getenv("PARITY_TARGET"));
	} else {
		char self[PATH_MAX], *slash;
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n <= 0)
			die("readlink /proc/self/exe: %s", strerror(errno));
		self[n] = '\0';
		slash = strrchr(self, '/');
		*slash = '\0';
		path_join(target_prog, sizeof(target_prog), self, "parity-target", "");
	}
	kmsg_path = env_need("PARITY_KMSG");
	tmp = (char *)env_need("PARITY_TMP");
	self_pid = getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *hash, *limit = NULL;
		struct step s;

		lineno++;
		cur_line = lineno;
		line[strcspn(line, "\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		hash = strstr(p, " # limit: ");
		if (hash != NULL) {
			*hash = '\0';
			limit = hash + 10;
		}
		if (strncmp(p, "scenario ", 9) == 0) {
			if (in)
				die("scenario inside scenario");
			snprintf(name, sizeof(name), "%s", p + 9);
			cur_scenario = name;
			in = 1;
			run = wanted(name, argc, argv);
			step_no = 0;
			if (!run)
				continue;
			path_join(scratch, sizeof(scratch), tmp, name, "");
			rm_rf(scratch);
			if (mkdir(scratch, 0777) != 0 || chmod(scratch, 0777) != 0 || chdir(scratch) != 0)
				die("%s: %s", scratch, strerror(errno));
			kmsg_start();
			kmsg_mark_scenario(name);
			js_len = 0;
			js_first = 1;
			js_raw("{");
			js_kstr("scenario", name);
			js_key("steps");
			js_raw("[");
			continue;
		}
		if (strcmp(p, "end") == 0) {
			if (!in)
				die("end outside a scenario");
			in = 0;
			if (!run)
				continue;
			cleanup();
			js_raw("]}");
			printf("%s\n", js);
			if (chdir("/") != 0)
				die("chdir /: %s", strerror(errno));
			continue;
		}
		if (!in)
			die("step outside a scenario");
		if (!run)
			continue;
		{
			char copy[1024], *save = NULL, *t;
			size_t mark;

			snprintf(copy, sizeof(copy), "%s", p);
			memset(&s, 0, sizeof(s));
			for (t = strtok_r(p, " \t", &save); t != NULL && s.ntok < MAX_TOK;
			     t = strtok_r(NULL, " \t", &save))
				s.tok[s.ntok++] = t;
			if (step_no++ > 0)
				js_raw(",");
			js_raw("{");
			js_first = 1;
			js_kstr("step", copy);
			if (limit != NULL)
				js_kstr("limit", limit);
			mark = js_len;
			run_step(&s);
			(void)mark;
			js_raw("}");
		}
	}
	if (in)
		die("missing 'end'");
	fclose(f);
	return 0;
}
