/*
 * tk_rstrt.c - the RSTRT_* ops (spec §3, §4.2, §6).
 *
 * The requester side (the process that opened the ctrl fd):
 *   RSTRT_REQ    checks the arguments, the relocation table and the 20-byte
 *                header at the source fd's offset (errors: ioctl, or REAP with
 *                ASYNC_ERR), then reads and parses the rest of the image and
 *                checks it (vmadump header, pids in use, missing files). Those
 *                image errors always go to REAP. Then a worker thread starts.
 *   RSTRT_PROCS  waits until the previous child has called RSTRT_CHILD, then
 *                publishes the next section for the next child and returns 1
 *                with its table; 0 after the last one (or when the request has
 *                already failed).
 *   worker       watches the children that have called in until each has
 *                exec'ed (or failed); then the request completes (POLLIN) and
 *                REAP returns the first child's pid.
 * The child side (another process: the helper, exec'ed with the ctrl fd
 * inherited, the test kernel preloaded again) is tk_rstrt_child_foreign.
 *
 * The two sides meet in the ctrl FIFO's directory, under the key
 * <dir>/rstrt.<ino> (ino = the ctrl FIFO's inode, which the child gets from
 * fstat of the inherited fd):
 *   <key>.sec          the section handed out by PROCS, claimed by the child
 *                      (rename to <key>.sec.<pid>) and deleted by it;
 *   <key>.<i>.fifo     child i's status pipe: "C pid tasks\n" when it called
 *                      in, "F errno message\n" on failure; EOF at exec (the
 *                      child's end is O_CLOEXEC) or exit;
 *   <key>.<i>.state    what the stub restores: "TKRS", int32 signal, the
 *                      STATE blob (CR_TESTKERNEL_RESTORE; the stub deletes it);
 *   <key>.<i>.exe      the saved executable (EXEFILE), exec'ed instead of the
 *                      recorded path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tk_internal.h"

/* Records of the section file (our own, between requester and child). */
enum {
	TK_SF_END = 0, TK_SF_INDEX, TK_SF_THREADS, TK_SF_EXE, TK_SF_CWD, TK_SF_ARGV, TK_SF_ENV,
	TK_SF_FIFO, TK_SF_RESTORE, TK_SF_TGID,
};

#define TK_MAX_THREADS 4096
#define TK_CLONE_WAIT_NS 2000000000LL

struct tk_buf {
	unsigned char *p;
	size_t len;
};

struct tk_sec {
	int threads, clone_flags;
	pid_t tgid, pgid, sid;
	char *exe, *cwd;        /* relocated, NUL terminated */
	struct tk_buf argv, env, state, exefile;
	int has_exefile;
};

enum tk_cstate { TK_C_NONE = 0, TK_C_HANDED, TK_C_IN, TK_C_DONE, TK_C_FAILED };

struct tk_child {
	enum tk_cstate state;  /* (tk_mu) */
	int status_fd;         /* read end of <key>.<i>.fifo */
	pid_t pid;
	int tasks, err, got_fail;
	char line[1024];
	size_t llen;
	char fifo[PATH_MAX + 64], statef[PATH_MAX + 64], exef[PATH_MAX + 64];
};

struct tk_rstrt {
	struct cr_rstrt_args args;
	pid_t owner;
	char key[PATH_MAX + 32];
	char *reloc_old[CR_MAX_RSTRT_RELOC], *reloc_new[CR_MAX_RSTRT_RELOC];
	unsigned int nreloc;
	unsigned char *image;   /* the file after its header */
	size_t image_len;
	struct tk_sec *s;
	size_t ns;
	struct tk_child *c;
	size_t next;            /* next section to hand out (tk_mu) */
};

static int tk_rstrt_clones_in;  /* child side: clones that called in */

/* ---- helpers ---- */

static int tk_fail(int err)
{
	errno = err;
	return -1;
}

static void tk_rstrt_destroy(void *priv)
{
	struct tk_rstrt *rs = priv;
	int mine;
	size_t i;

	if (rs == NULL)
		return;
	/* In a forked child (tk_req_forget_all_locked) the files are the parent's. */
	mine = getpid() == rs->owner;
	for (i = 0; i < rs->ns; i++) {
		struct tk_child *c = rs->c != NULL ? &rs->c[i] : NULL;

		free(rs->s[i].exe);
		free(rs->s[i].cwd);
		if (c == NULL)
			continue;
		if (c->status_fd >= 0)
			tk_real_close(c->status_fd);
		if (mine && c->fifo[0] != '\0')
			unlink(c->fifo);
		/* A child that exec'ed leaves its state file to the stub. */
		if (mine && c->statef[0] != '\0' && c->state != TK_C_DONE)
			unlink(c->statef);
		if (mine && c->exef[0] != '\0')
			unlink(c->exef);
	}
	if (mine && rs->key[0] != '\0') {
		char path[PATH_MAX + 64];

		snprintf(path, sizeof(path), "%s.sec", rs->key);
		unlink(path);
	}
	for (i = 0; i < rs->nreloc; i++) {
		free(rs->reloc_old[i]);
		free(rs->reloc_new[i]);
	}
	free(rs->image);
	free(rs->s);
	free(rs->c);
	free(rs);
}

static int tk_valid_signal(int s)
{
	return (s >= 0 && s <= 64) || (s < 0 && -s <= 64);
}

/* ---- arguments ---- */

static int tk_copy_path(struct tk_req *req, const char *p, char **out)
{
	size_t n;

	if (p == NULL) {
		tk_req_log(req, "cr_rstrt_req: relocation path is NULL");
		return EFAULT;
	}
	n = strnlen(p, CR_PATH_MAX);
	if (n >= CR_PATH_MAX) {
		tk_req_log(req, "cr_rstrt_req: relocation path too long");
		return ENAMETOOLONG;
	}
	if (n == 0) {
		tk_req_log(req, "cr_rstrt_req: empty relocation path");
		return EINVAL;
	}
	if (p[0] != '/') {
		tk_req_log(req, "cr_rstrt_req: relocation path '%s' is not absolute", p);
		return EINVAL;
	}
	*out = strdup(p);
	if (*out == NULL)
		return ENOMEM;
	/* "/a/" matches like "/a" (but "/" stays "/"). */
	while (n > 1 && (*out)[n - 1] == '/')
		(*out)[--n] = '\0';
	return 0;
}

static int tk_check_reloc(struct tk_req *req, struct tk_rstrt *rs)
{
	const struct cr_rstrt_relocate *r = rs->args.relocate;
	unsigned int i;
	int err;

	if (r == NULL || r->count == 0)
		return 0;
	if (r->count > CR_MAX_RSTRT_RELOC) {
		tk_req_log(req, "cr_rstrt_req: %u relocations (at most %d)", r->count, CR_MAX_RSTRT_RELOC);
		return EINVAL;
	}
	for (i = 0; i < r->count; i++) {
		err = tk_copy_path(req, r->path[i].oldpath, &rs->reloc_old[i]);
		if (err == 0)
			err = tk_copy_path(req, r->path[i].newpath, &rs->reloc_new[i]);
		rs->nreloc = i + 1;
		if (err != 0)
			return err;
	}
	return 0;
}

static int tk_check_source(struct tk_req *req, int fd)
{
	struct stat sb;
	int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;

	if (fl < 0 || fstat(fd, &sb) != 0 || tk_is_ctrl_fd(fd)) {
		tk_req_log(req, "cr_rstrt_req: invalid source fd %d", fd);
		return EINVAL;
	}
	if ((fl & O_ACCMODE) == O_WRONLY || (fl & O_PATH)) {
		tk_req_log(req, "cr_rstrt_req: source fd %d is not open for reading", fd);
		return EBADF;
	}
	if (S_ISDIR(sb.st_mode)) {
		tk_req_log(req, "cr_rstrt_req: source fd %d is a directory", fd);
		return EISDIR;
	}
	return 0;
}

/* Read exactly len bytes at the fd's offset: 0, EIO on a short read, errno. */
static int tk_read_exact(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			return EIO;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int tk_check_header(struct tk_req *req, int fd)
{
	struct cr_context_file_header h;
	int err = tk_read_exact(fd, &h, sizeof(h));

	if (err == EIO) {
		tk_req_log(req, "file header: short read");
		return EIO;
	}
	if (err != 0) {
		tk_req_log(req, "file header: read failed: %s", strerror(err));
		return err;
	}
	if (h.magic[0] != CR_CONTEXT_MAGIC0 || h.magic[1] != CR_CONTEXT_MAGIC1) {
		tk_req_log(req, "file header has invalid signature");
		return EINVAL;
	}
	if (h.version < CR_CONTEXT_VERSION_MIN || h.version > CR_CONTEXT_VERSION) {
		tk_req_log(req, "file header has unsupported version %d (supported %d..%d)", h.version,
			   CR_CONTEXT_VERSION_MIN, CR_CONTEXT_VERSION);
		return EINVAL;
	}
	if (h.arch_id != CR_ARCH_X86_64) {
		tk_req_log(req, "file header has architecture %d, the kernel's is %d", h.arch_id,
			   CR_ARCH_X86_64);
		return CR_EBADARCH;
	}
	return 0;
}

/* ---- the image ---- */

struct tk_cursor {
	const unsigned char *p;
	size_t len, off;
};

static int tk_take(struct tk_cursor *cu, void *out, size_t n)
{
	if (cu->len - cu->off < n)
		return EIO;
	if (out != NULL)
		memcpy(out, cu->p + cu->off, n);
	cu->off += n;
	return 0;
}

/* path with the first matching relocation applied (malloc'ed). */
static char *tk_relocate(const struct tk_rstrt *rs, const char *path)
{
	unsigned int i;

	for (i = 0; i < rs->nreloc; i++) {
		const char *o = rs->reloc_old[i];
		size_t n = strlen(o);

		if (strcmp(o, "/") == 0)
			n = 0;
		if (strncmp(path, o, n) == 0 && (path[n] == '\0' || path[n] == '/')) {
			size_t nn = strlen(rs->reloc_new[i]), rest = strlen(path + n);
			char *r = malloc(nn + rest + 2);

			if (r == NULL)
				return NULL;
			memcpy(r, rs->reloc_new[i], nn);
			if (nn == 1 && rest > 0)
				nn = 0;  /* new "/" + "/x" */
			memcpy(r + nn, path + n, rest + 1);
			return r;
		}
	}
	return strdup(path);
}

static char *tk_strndup0(const unsigned char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static int tk_check_vmad(struct tk_req *req, const unsigned char *h)
{
	struct utsname u;
	int maj = 0, min = 0;

	if (h[0] != 'V' || h[1] != 'M' || h[2] != 'A' || h[3] != VMAD_FMT_VERSION ||
	    h[4] != CR_ARCH_X86_64) {
		tk_req_log(req, "vmadump: invalid header");
		return EINVAL;
	}
	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &maj, &min) == 2) {
		if (maj > 255)
			maj = 255;
		if (min > 255)
			min = 255;
		if (h[5] != maj || h[6] != min) {
			tk_req_log(req, "vmadump: kernel version mismatch (file %d.%d, running %d.%d)",
				   h[5], h[6], maj, min);
			return EINVAL;
		}
	}
	return 0;
}

/* Files that were open (FDS record): a missing regular path is ENOENT. */
static int tk_check_fds(struct tk_req *req, const struct tk_rstrt *rs, const struct tk_sec *s,
			const struct tk_buf *fds)
{
	char *text = tk_strndup0(fds->p, fds->len), *line, *save = NULL;
	int err = 0;

	if (text == NULL)
		return ENOMEM;
	for (line = strtok_r(text, "\n", &save); line != NULL && err == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		int fd, off = 0;
		char *path, *rel;
		size_t n;

		if (sscanf(line, "%d %*s %*s %n", &fd, &off) != 1 || off == 0)
			continue;
		path = line + off;
		n = strlen(path);
		/* Only plain files: not pipes/sockets, devices, /proc, deleted files. */
		if (path[0] != '/' || strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0 ||
		    (n > 10 && strcmp(path + n - 10, " (deleted)") == 0))
			continue;
		rel = tk_relocate(rs, path);
		if (rel == NULL) {
			err = ENOMEM;
			break;
		}
		if (access(rel, F_OK) != 0) {
			err = errno;
			tk_req_log(req, "pid %d: fd %d: cannot open %s: %s", (int)s->tgid, fd, rel,
				   strerror(err));
		}
		free(rel);
	}
	free(text);
	return err;
}

static int tk_parse_section(struct tk_req *req, struct tk_rstrt *rs, struct tk_cursor *cu,
			    struct tk_sec *s)
{
	struct tk_buf exe = { 0 }, cwd = { 0 }, fds = { 0 };
	unsigned char vmad[8];
	int32_t lbytes;
	int err, t;

	if (s->threads < 1 || s->threads > TK_MAX_THREADS) {
		tk_req_log(req, "invalid thread count %d", s->threads);
		return EINVAL;
	}
	if ((err = tk_take(cu, &lbytes, 4)) != 0)
		return err;
	if (lbytes != s->threads * (int32_t)sizeof(struct tk_linkage)) {
		tk_req_log(req, "invalid linkage size %d for %d threads", lbytes, s->threads);
		return EINVAL;
	}
	for (t = 0; t < s->threads; t++) {
		struct tk_linkage l;

		if ((err = tk_take(cu, &l, sizeof(l))) != 0)
			return err;
		if (t == 0) {
			s->tgid = l.tgid;
			s->pgid = l.pgid;
			s->sid = l.sid;
		}
	}
	if ((err = tk_take(cu, vmad, sizeof(vmad))) != 0)
		return err;
	if ((err = tk_check_vmad(req, vmad)) != 0)
		return err;
	for (;;) {
		struct tk_record_header h;
		struct tk_buf b;

		if ((err = tk_take(cu, &h, sizeof(h))) != 0)
			return err;
		if (h.length > cu->len - cu->off)
			return EIO;
		b.p = (unsigned char *)cu->p + cu->off;
		b.len = (size_t)h.length;
		cu->off += b.len;
		switch (h.tag) {
		case TK_REC_END: break;
		case TK_REC_EXE: exe = b; break;
		case TK_REC_CWD: cwd = b; break;
		case TK_REC_ARGV: s->argv = b; break;
		case TK_REC_ENVIRON: s->env = b; break;
		case TK_REC_STATE: s->state = b; break;
		case TK_REC_FDS: fds = b; break;
		case TK_REC_EXEFILE: s->exefile = b; s->has_exefile = 1; break;
		case TK_REC_COMM: case TK_REC_MAPS: case TK_REC_PRIVFILE: case TK_REC_SHAREDFILE:
		case TK_REC_PAGES:
			break;
		default:
			tk_req_log(req, "pid %d: unknown record %u", (int)s->tgid, h.tag);
			return EINVAL;
		}
		if (h.tag == TK_REC_END)
			break;
	}
	if (exe.len == 0 || s->argv.len == 0) {
		tk_req_log(req, "pid %d: no executable or arguments recorded", (int)s->tgid);
		return EINVAL;
	}
	{
		char *e = tk_strndup0(exe.p, exe.len), *c = tk_strndup0(cwd.p, cwd.len);

		s->exe = e != NULL ? tk_relocate(rs, e) : NULL;
		s->cwd = c != NULL ? tk_relocate(rs, c[0] != '\0' ? c : "/") : NULL;
		free(e);
		free(c);
		if (s->exe == NULL || s->cwd == NULL)
			return ENOMEM;
	}
	if (!s->has_exefile && access(s->exe, X_OK) != 0) {
		err = errno;
		tk_req_log(req, "pid %d: cannot find the executable %s: %s", (int)s->tgid, s->exe,
			   strerror(err));
		return err;
	}
	if (access(s->cwd, X_OK) != 0) {
		err = errno;
		tk_req_log(req, "pid %d: cannot restore the working directory %s: %s", (int)s->tgid,
			   s->cwd, strerror(err));
		return err;
	}
	return tk_check_fds(req, rs, s, &fds);
}

/* Is pid (or a process group / session with that id) in use? */
static int tk_in_use(pid_t id, int what /* 0 pid, 1 pgid, 2 sid */)
{
	struct tk_pstat *all;
	size_t n, i;
	int used = 0;

	if (id <= 0)
		return 0;
	if (what == 0)
		return kill(id, 0) == 0 || errno == EPERM;
	if (tk_proc_scan(&all, &n) != 0)
		return 0;
	for (i = 0; i < n && !used; i++)
		used = (what == 1 ? all[i].pgrp : all[i].sid) == id;
	free(all);
	return used;
}

static int tk_check_ids(struct tk_req *req, struct tk_rstrt *rs)
{
	unsigned int fl = rs->args.flags;
	size_t i;

	for (i = 0; i < rs->ns; i++) {
		const struct tk_sec *s = &rs->s[i];

		if ((fl & CR_RSTRT_RESTORE_PID) && tk_in_use(s->tgid, 0)) {
			tk_req_log(req, "found pid %d in use", (int)s->tgid);
			return EBUSY;
		}
		if ((fl & CR_RSTRT_RESTORE_PGID) && tk_in_use(s->pgid, 1)) {
			tk_req_log(req, "found pgid %d in use", (int)s->pgid);
			return EBUSY;
		}
		if ((fl & CR_RSTRT_RESTORE_SID) && tk_in_use(s->sid, 2)) {
			tk_req_log(req, "found sid %d in use", (int)s->sid);
			return EBUSY;
		}
	}
	return 0;
}

/* The image after the header: sections up to the trailer, then the checks. */
static int tk_parse_image(struct tk_req *req, struct tk_rstrt *rs)
{
	struct tk_cursor cu = { rs->image, rs->image_len, 0 };
	size_t cap = 0;
	int err;

	for (;;) {
		struct cr_section_header h;
		struct tk_sec *s;

		if ((err = tk_take(&cu, &h, sizeof(h))) != 0)
			goto short_read;
		if (h.num_threads == 0)
			break;
		if (rs->ns == cap) {
			size_t nc = cap ? cap * 2 : 4;
			struct tk_sec *ns = realloc(rs->s, nc * sizeof(*ns));

			if (ns == NULL)
				return ENOMEM;
			rs->s = ns;
			cap = nc;
		}
		s = &rs->s[rs->ns++];
		memset(s, 0, sizeof(*s));
		s->threads = h.num_threads;
		s->clone_flags = h.clone_flags;
		err = tk_parse_section(req, rs, &cu, s);
		if (err == EIO)
			goto short_read;
		if (err != 0)
			return err;
	}
	rs->c = calloc(rs->ns ? rs->ns : 1, sizeof(*rs->c));
	if (rs->c == NULL)
		return ENOMEM;
	for (size_t i = 0; i < rs->ns; i++)
		rs->c[i].status_fd = -1;
	return tk_check_ids(req, rs);
short_read:
	tk_req_log(req, "short read of the context file");
	return EIO;
}

/* ---- the worker: children that called in, until each exec'ed or failed ---- */

/* Feed status bytes of child c (owned by the caller's phase). */
static void tk_child_feed(struct tk_req *req, struct tk_child *c, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (c->llen < sizeof(c->line) - 1)
				c->line[c->llen++] = data[i];
			continue;
		}
		c->line[c->llen] = '\0';
		c->llen = 0;
		if (c->line[0] == 'C') {
			int pid = 0, tasks = 0;

			if (sscanf(c->line, "C %d %d", &pid, &tasks) == 2) {
				c->pid = pid;
				c->tasks = tasks;
			}
		} else if (c->line[0] == 'F' && !c->got_fail) {
			int err = 0, off = 0;

			if (sscanf(c->line, "F %d %n", &err, &off) >= 1) {
				c->got_fail = 1;
				c->err = err > 0 ? err : EIO;
				if (off > 0 && c->line[off] != '\0')
					tk_req_log(req, "%s", c->line + off);
			}
		}
	}
}

/* Read what is there: 1 at EOF, 0 otherwise. */
static int tk_child_read(struct tk_req *req, struct tk_child *c)
{
	char buf[512];

	for (;;) {
		ssize_t r = read(c->status_fd, buf, sizeof(buf));

		if (r > 0) {
			tk_child_feed(req, c, buf, (size_t)r);
			continue;
		}
		if (r == 0)
			return 1;
		return errno == EINTR ? 0 : (errno == EAGAIN ? 0 : 1);
	}
}

static void tk_rstrt_fail(struct tk_req *req, int err)
{
	tk_req_complete(req, err);
}

static void *tk_rstrt_worker(void *arg)
{
	struct tk_req *req = arg;
	struct tk_rstrt *rs = req->priv;
	struct pollfd *pf = calloc(rs->ns ? rs->ns : 1, sizeof(*pf));
	size_t *idx = calloc(rs->ns ? rs->ns : 1, sizeof(*idx));

	while (pf != NULL && idx != NULL && !tk_req_cancelled(req)) {
		size_t i, n = 0, settled = 0, next;
		int done, failed = 0;

		pthread_mutex_lock(&tk_mu);
		done = req->done;
		next = rs->next;
		for (i = 0; i < rs->ns; i++) {
			if (rs->c[i].state == TK_C_IN) {
				pf[n].fd = rs->c[i].status_fd;
				pf[n].events = POLLIN;
				pf[n].revents = 0;
				idx[n++] = i;
			} else if (rs->c[i].state == TK_C_DONE) {
				settled++;
			} else if (rs->c[i].state == TK_C_FAILED) {
				failed = 1;
			}
		}
		pthread_mutex_unlock(&tk_mu);
		if (done || failed)
			break;  /* PROCS has already stored the error */
		if (next == rs->ns && settled == rs->ns) {
			/* Every child has exec'ed: saved executables are no longer needed by name. */
			for (i = 0; i < rs->ns; i++)
				if (rs->c[i].exef[0] != '\0' && unlink(rs->c[i].exef) == 0)
					rs->c[i].exef[0] = '\0';
			pthread_mutex_lock(&tk_mu);
			req->reap_value = rs->ns > 0 ? rs->c[0].pid : 0;
			pthread_mutex_unlock(&tk_mu);
			tk_req_complete(req, 0);
			break;
		}
		if (n == 0) {
			tk_sleep_ns(5000000);
			continue;
		}
		if (tk_real_poll(pf, n, 20) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			struct tk_child *c = &rs->c[idx[i]];

			if (pf[i].revents == 0 || !tk_child_read(req, c))
				continue;
			/* EOF: it exec'ed (or died); a failure was reported first. */
			pthread_mutex_lock(&tk_mu);
			c->state = c->got_fail ? TK_C_FAILED : TK_C_DONE;
			pthread_mutex_unlock(&tk_mu);
			if (c->got_fail) {
				tk_rstrt_fail(req, c->err);
				break;
			}
			/* The positive signal, once it runs (a negative one: the stub). */
			if (rs->args.signal > 0 && kill(c->pid, rs->args.signal) != 0)
				errno = 0;  /* it exited already */
		}
	}
	if (pf == NULL || idx == NULL)
		tk_req_complete(req, ENOMEM);
	free(pf);
	free(idx);
	if (tk_req_cancelled(req))
		tk_req_complete(req, EINTR);
	tk_req_finish(req);
	return NULL;
}


/* ---- RSTRT_REQ ---- */

static int tk_rstrt_key(int fd, struct tk_rstrt *rs)
{
	char dir[PATH_MAX];
	unsigned long ino;

	if (tk_ctrl_file_ident(fd, dir, sizeof(dir), &ino) != 0)
		return ENOSYS;  /* an eventfd stand-in: no restart children possible */
	snprintf(rs->key, sizeof(rs->key), "%s/rstrt.%lu", dir, ino);
	return 0;
}

static int tk_rstrt_request(int fd, const struct cr_rstrt_args *uargs)
{
	struct tk_rstrt *rs;
	struct tk_req *req;
	int err, async;

	if (uargs == NULL)
		return tk_fail(EFAULT);
	rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		return tk_fail(ENOMEM);
	rs->args = *uargs;
	rs->owner = getpid();
	async = (uargs->flags & CR_RSTRT_ASYNC_ERR) != 0;
	req = tk_req_new(TK_REQ_RSTRT, rs, tk_rstrt_destroy);
	if (req == NULL) {
		free(rs);
		return tk_fail(ENOMEM);
	}
	err = tk_slot_attach(fd, req);
	if (err == 0) {
		/* Request-time errors: the ioctl's, or REAP's with ASYNC_ERR. */
		if (!tk_valid_signal(rs->args.signal)) {
			tk_req_log(req, "cr_rstrt_req: invalid signal %d", rs->args.signal);
			err = EINVAL;
		}
		if (err == 0)
			err = tk_check_source(req, rs->args.cr_fd);
		if (err == 0)
			err = tk_check_reloc(req, rs);
		if (err == 0)
			err = tk_check_header(req, rs->args.cr_fd);
		if (err == 0)
			rs->args.relocate = NULL;  /* copied: the caller may free it */
		if (err != 0 && async) {
			tk_req_complete(req, err);
			err = 0;
		} else if (err != 0) {
			tk_slot_detach(fd, req);
		} else {
			/* Reading the image: its errors always go to REAP. */
			int ierr = tk_read_fd(rs->args.cr_fd, (char **)&rs->image, &rs->image_len);

			if (ierr != 0)
				tk_req_log(req, "reading the context file failed: %s", strerror(ierr));
			if (ierr == 0)
				ierr = tk_parse_image(req, rs);
			if (ierr == 0)
				ierr = tk_rstrt_key(fd, rs);
			if (ierr == 0)
				ierr = tk_req_start_worker(req, tk_rstrt_worker);
			if (ierr != 0)
				tk_req_complete(req, ierr);
		}
	}
	pthread_mutex_lock(&tk_mu);
	tk_req_put_locked(req);
	pthread_mutex_unlock(&tk_mu);
	return err != 0 ? tk_fail(err) : 0;
}

/* ---- RSTRT_PROCS ---- */

static int tk_put_rec(int fd, uint32_t tag, const void *data, size_t len)
{
	struct tk_record_header h = { .tag = tag, .reserved = 0, .length = len };
	int err = tk_write_all(fd, &h, sizeof(h));

	return err != 0 || len == 0 ? err : tk_write_all(fd, data, len);
}

static int tk_write_file(const char *path, int mode, const void *a, size_t alen, const void *b,
			 size_t blen)
{
	int fd = tk_real_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	int err;

	if (fd < 0)
		return errno;
	err = tk_write_all(fd, a, alen);
	if (err == 0 && blen > 0)
		err = tk_write_all(fd, b, blen);
	if (tk_real_close(fd) != 0 && err == 0)
		err = errno;
	return err;
}

/* Prepare child i's files and publish <key>.sec. */
static int tk_hand_out(struct tk_req *req, struct tk_rstrt *rs, size_t i)
{
	struct tk_sec *s = &rs->s[i];
	struct tk_child *c = &rs->c[i];
	char sec[PATH_MAX + 64], tmp[PATH_MAX + 64];
	unsigned char head[8];
	int32_t v, sig = rs->args.signal;
	const char *exe = s->exe;
	int fd, err;

	snprintf(c->fifo, sizeof(c->fifo), "%s.%zu.fifo", rs->key, i);
	snprintf(c->statef, sizeof(c->statef), "%s.%zu.state", rs->key, i);
	unlink(c->fifo);
	if (mkfifo(c->fifo, 0600) != 0) {
		err = errno;
		c->fifo[0] = '\0';
		tk_req_log(req, "cannot create %s: %s", c->fifo, strerror(err));
		return err;
	}
	c->status_fd = tk_real_open(c->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
	if (c->status_fd < 0)
		return errno;
	memcpy(head, "TKRS", 4);
	memcpy(head + 4, &sig, 4);
	err = tk_write_file(c->statef, 0600, head, sizeof(head), s->state.p, s->state.len);
	if (err == 0 && s->has_exefile) {
		snprintf(c->exef, sizeof(c->exef), "%s.%zu.exe", rs->key, i);
		unlink(c->exef);
		err = tk_write_file(c->exef, 0700, s->exefile.p, s->exefile.len, NULL, 0);
		exe = c->exef;
	}
	if (err != 0) {
		tk_req_log(req, "cannot write the restart files of pid %d: %s", (int)s->tgid,
			   strerror(err));
		return err;
	}
	snprintf(sec, sizeof(sec), "%s.sec", rs->key);
	snprintf(tmp, sizeof(tmp), "%s.sec.tmp", rs->key);
	fd = tk_real_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno;
	v = (int32_t)i;
	err = tk_put_rec(fd, TK_SF_INDEX, &v, 4);
	v = s->threads;
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_THREADS, &v, 4);
	v = s->tgid;
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_TGID, &v, 4);
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_EXE, exe, strlen(exe));
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_CWD, s->cwd, strlen(s->cwd));
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_ARGV, s->argv.p, s->argv.len);
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_ENV, s->env.p, s->env.len);
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_FIFO, c->fifo, strlen(c->fifo));
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_RESTORE, c->statef, strlen(c->statef));
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_END, NULL, 0);
	if (tk_real_close(fd) != 0 && err == 0)
		err = errno;
	if (err == 0 && rename(tmp, sec) != 0)
		err = errno;
	if (err != 0) {
		unlink(tmp);
		tk_req_log(req, "cannot publish the section of pid %d: %s", (int)s->tgid, strerror(err));
	}
	return err;
}

/* Wait until child i has called in (PROCS's phase): 0, EINTR, EBADF. */
static int tk_wait_called_in(struct tk_req *req, struct tk_rstrt *rs, size_t i)
{
	struct tk_child *c = &rs->c[i];

	for (;;) {
		struct pollfd p = { .fd = c->status_fd, .events = POLLIN, .revents = 0 };
		int r, eof;

		if (tk_req_cancelled(req))
			return EBADF;
		r = tk_real_poll(&p, 1, 50);
		if (r < 0 && errno == EINTR)
			return EINTR;  /* a signal on the calling thread */
		if (r <= 0)
			continue;
		eof = tk_child_read(req, c);
		if (c->pid != 0 || c->got_fail || eof)
			break;
	}
	if (c->pid == 0 || c->got_fail) {
		int err = c->got_fail ? c->err : ECHILD;

		if (!c->got_fail)
			tk_req_log(req, "restart child for pid %d exited before RSTRT_CHILD",
				   (int)rs->s[i].tgid);
		pthread_mutex_lock(&tk_mu);
		c->state = TK_C_FAILED;
		pthread_mutex_unlock(&tk_mu);
		tk_rstrt_fail(req, err);
		return 0;
	}
	if (c->tasks != rs->s[i].threads) {
		if (!c->got_fail)
			tk_req_log(req, "pid %d: %d tasks called RSTRT_CHILD, the image has %d threads",
				   (int)rs->s[i].tgid, c->tasks, rs->s[i].threads);
		pthread_mutex_lock(&tk_mu);
		c->state = TK_C_FAILED;
		pthread_mutex_unlock(&tk_mu);
		tk_rstrt_fail(req, EINVAL);
		return 0;
	}
	pthread_mutex_lock(&tk_mu);
	c->state = TK_C_IN;  /* the worker takes over its status pipe */
	pthread_mutex_unlock(&tk_mu);
	return 0;
}

static int tk_rstrt_procs(int fd, struct cr_procs_tbl *tbl)
{
	struct tk_req *req = NULL;
	struct tk_rstrt *rs;
	size_t i;
	int err = 0, ret = 0, done;

	/* Hold a reference while we block (close may run meanwhile). */
	pthread_mutex_lock(&tk_mu);
	err = tk_slot_get_locked(fd, TK_REQ_RSTRT, &req);
	pthread_mutex_unlock(&tk_mu);
	if (err != 0)
		return tk_fail(err);
	rs = req->priv;
	if (tbl == NULL) {
		err = EFAULT;
		goto out;
	}
	pthread_mutex_lock(&tk_mu);
	done = req->done;
	i = rs->next;
	pthread_mutex_unlock(&tk_mu);
	if (done)
		goto out;  /* failed already (or nothing to restart): 0 */
	if (i > 0 && rs->c[i - 1].state == TK_C_HANDED) {
		err = tk_wait_called_in(req, rs, i - 1);
		if (err != 0)
			goto out;
		pthread_mutex_lock(&tk_mu);
		done = req->done;
		pthread_mutex_unlock(&tk_mu);
		if (done)
			goto out;
	}
	if (i == rs->ns)
		goto out;  /* the end-of-processes marker */
	err = tk_hand_out(req, rs, i);
	if (err != 0) {
		tk_rstrt_fail(req, err);
		err = 0;
		goto out;
	}
	pthread_mutex_lock(&tk_mu);
	rs->c[i].state = TK_C_HANDED;
	rs->next = i + 1;
	pthread_mutex_unlock(&tk_mu);
	tbl->threads = rs->s[i].threads;
	tbl->clone_flags = rs->s[i].clone_flags;
	ret = 1;
out:
	pthread_mutex_lock(&tk_mu);
	tk_req_put_locked(req);
	pthread_mutex_unlock(&tk_mu);
	return err != 0 ? tk_fail(err) : ret;
}

/* ---- RSTRT_CHILD in the child (another process) ---- */

struct tk_secfile {
	int32_t index, threads, tgid;
	char *exe, *cwd, *fifo, *restore;
	struct tk_buf argv, env;
	char *raw;
};

static int tk_read_secfile(const char *path, struct tk_secfile *sf)
{
	struct tk_cursor cu;
	size_t len;
	int err;

	memset(sf, 0, sizeof(*sf));
	err = tk_read_file(path, &sf->raw, &len);
	if (err != 0)
		return err;
	cu.p = (unsigned char *)sf->raw;
	cu.len = len;
	cu.off = 0;
	for (;;) {
		struct tk_record_header h;
		unsigned char *d;

		if (tk_take(&cu, &h, sizeof(h)) != 0 || h.length > cu.len - cu.off)
			return EINVAL;
		d = (unsigned char *)cu.p + cu.off;
		cu.off += (size_t)h.length;
		switch (h.tag) {
		case TK_SF_END: return sf->exe && sf->cwd && sf->fifo && sf->restore ? 0 : EINVAL;
		case TK_SF_INDEX: memcpy(&sf->index, d, 4); break;
		case TK_SF_THREADS: memcpy(&sf->threads, d, 4); break;
		case TK_SF_TGID: memcpy(&sf->tgid, d, 4); break;
		case TK_SF_EXE: sf->exe = tk_strndup0(d, h.length); break;
		case TK_SF_CWD: sf->cwd = tk_strndup0(d, h.length); break;
		case TK_SF_FIFO: sf->fifo = tk_strndup0(d, h.length); break;
		case TK_SF_RESTORE: sf->restore = tk_strndup0(d, h.length); break;
		case TK_SF_ARGV: sf->argv.p = d; sf->argv.len = h.length; break;
		case TK_SF_ENV: sf->env.p = d; sf->env.len = h.length; break;
		default: break;
		}
	}
}

/* NUL-separated strings (+ one extra) as a NULL-terminated vector. */
static char **tk_vector(const struct tk_buf *b, const char *extra, const char *drop_prefix)
{
	size_t n = 0, i, k = 0;
	char **v;

	for (i = 0; i < b->len; i++)
		n += b->p[i] == '\0';
	v = calloc(n + 3, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (i = 0; i < b->len;) {
		size_t l = strnlen((const char *)b->p + i, b->len - i);
		char *s = tk_strndup0(b->p + i, l);

		if (s != NULL && (drop_prefix == NULL || strncmp(s, drop_prefix, strlen(drop_prefix)) != 0))
			v[k++] = s;
		else
			free(s);
		i += l + 1;
	}
	if (extra != NULL)
		v[k++] = strdup(extra);
	v[k] = NULL;
	return v;
}

static void tk_report(int sfd, const char *fmt, ...) TK_PRINTF(2, 3);
static void tk_report(int sfd, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = tk_vformat_line(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (sfd >= 0 && tk_write_all(sfd, line, (size_t)n) != 0)
		errno = 0;
}

static int tk_child_main(int ctrl_fd, const char *dir, unsigned long ino)
{
	char sec[PATH_MAX + 64], claimed[PATH_MAX + 96], envvar[PATH_MAX + 64];
	struct tk_secfile sf;
	pid_t me = getpid();
	char **argv = NULL, **envp = NULL;
	int sfd = -1, err, tasks;
	int64_t until;

	snprintf(sec, sizeof(sec), "%s/rstrt.%lu.sec", dir, ino);
	snprintf(claimed, sizeof(claimed), "%s/rstrt.%lu.sec.%d", dir, ino, (int)me);
	if (rename(sec, claimed) != 0)
		return tk_fail(EINVAL);  /* no section handed out: not a restart child */
	err = tk_read_secfile(claimed, &sf);
	unlink(claimed);
	if (err != 0)
		return tk_fail(err);
	sfd = tk_real_open(sf.fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
	if (sfd < 0)
		return tk_fail(errno);  /* the requester is gone */
	/* Every task of the image calls in: the clones count themselves. */
	until = tk_now_ns() + TK_CLONE_WAIT_NS;
	while (__atomic_load_n(&tk_rstrt_clones_in, __ATOMIC_ACQUIRE) < sf.threads - 1 &&
	       tk_now_ns() < until)
		tk_sleep_ns(1000000);
	tk_sleep_ns(10000000);  /* any extra ones */
	tasks = 1 + __atomic_load_n(&tk_rstrt_clones_in, __ATOMIC_ACQUIRE);
	tk_report(sfd, "C %d %d", (int)me, tasks);
	if (tasks != sf.threads) {
		tk_report(sfd, "F %d pid %d: %d tasks called RSTRT_CHILD, the image has %d threads",
			  EINVAL, (int)sf.tgid, tasks, sf.threads);
		return tk_fail(EINVAL);
	}
	if (chdir(sf.cwd) != 0) {
		err = errno;
		tk_report(sfd, "F %d pid %d: cannot restore the working directory %s: %s", err,
			  (int)sf.tgid, sf.cwd, strerror(err));
		return tk_fail(err);
	}
	snprintf(envvar, sizeof(envvar), "CR_TESTKERNEL_RESTORE=%s", sf.restore);
	argv = tk_vector(&sf.argv, NULL, NULL);
	envp = tk_vector(&sf.env, envvar, "CR_TESTKERNEL_RESTORE=");
	if (argv == NULL || envp == NULL || argv[0] == NULL) {
		tk_report(sfd, "F %d pid %d: cannot build the arguments", ENOMEM, (int)sf.tgid);
		return tk_fail(ENOMEM);
	}
	/* The restarted program does not keep the ctrl fd. */
	fcntl(ctrl_fd, F_SETFD, FD_CLOEXEC);
	execve(sf.exe, argv, envp);
	err = errno;
	tk_report(sfd, "F %d pid %d: cannot exec %s: %s", err, (int)sf.tgid, sf.exe, strerror(err));
	return tk_fail(err);
}

int tk_rstrt_child_foreign(int fd, int *ret)
{
	char dir[PATH_MAX];
	unsigned long ino;
	struct stat sb;

	if ((pid_t)syscall(SYS_gettid) != (pid_t)syscall(SYS_getpid)) {
		/*
		 * A clone of the helper (threads 2..n): it shares our memory and
		 * TLS, so it only counts itself and exits (raw syscalls). The
		 * restarted program recreates its own threads.
		 */
		if (fstat(fd, &sb) != 0 || !S_ISFIFO(sb.st_mode))
			return 0;
		__atomic_add_fetch(&tk_rstrt_clones_in, 1, __ATOMIC_RELEASE);
		for (;;)
			syscall(SYS_exit, 0);
	}
	if (tk_ctrl_file_ident(fd, dir, sizeof(dir), &ino) != 0)
		return 0;
	*ret = tk_child_main(fd, dir, ino);
	return 1;
}

/* ---- the switch ---- */

int tk_rstrt_ioctl(int fd, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case CR_OP_RSTRT_REQ:
		return tk_rstrt_request(fd, (const struct cr_rstrt_args *)arg);
	case CR_OP_RSTRT_PROCS:
		return tk_rstrt_procs(fd, (struct cr_procs_tbl *)arg);
	case CR_OP_RSTRT_CHILD:
		/* On the requester's own fd: the requester is no restart child. */
		return tk_fail(EINVAL);
	default:
		return tk_fail(ENOTTY);
	}
}
