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
	TK_SF_FAIL,   /* int32 errno, then log lines: the section's failure */
	TK_SF_IDS,    /* int32 flags, pgid, sid: the RESTORE_* checks */
	TK_SF_SRC,    /* int32 requester pid, source fd; uint64 dev, ino: the context file */
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
	/*
	 * What BLCR's child would find wrong reading this section: the errno
	 * and the log lines (each '\n'-terminated), raised by the restart child
	 * that takes the section, not by RSTRT_REQ.
	 */
	int err;
	char errlog[2048];
	size_t errlog_len;
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
	size_t short_at;        /* the section whose header is cut short (PROCS: EIO), or SIZE_MAX */
	struct tk_child *c;
	size_t next;            /* next section to hand out (tk_mu) */
	dev_t src_dev;          /* the context file, for the child's "closed unexpectedly" check */
	ino_t src_ino;
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
		if (mine && c->statef[0] != '\0') {
			char up[PATH_MAX + 80];

			snprintf(up, sizeof(up), "%s.up", c->statef);
			unlink(up);
		}
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

/* ---- arguments (RSTRT_REQ, with BLCR's log lines) ---- */

/* my_getname: EFAULT, ENAMETOOLONG, EINVAL (empty) say nothing; a relative path is logged. */
static int tk_copy_path(struct tk_req *req, const char *p, const char *which, char **out)
{
	size_t n;

	if (p == NULL)
		return EFAULT;
	n = strnlen(p, CR_PATH_MAX);
	if (n >= CR_PATH_MAX)
		return ENAMETOOLONG;
	if (n == 0)
		return EINVAL;
	if (p[0] != '/') {
		tk_req_log(req, "relocate.%s '%s' is not a full path", which, p);
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
		/* (sic, with its extra newline) */
		tk_req_log(req, "Relocation count of %u exceedes max %d\n", r->count, CR_MAX_RSTRT_RELOC);
		return EINVAL;
	}
	for (i = 0; i < r->count; i++) {
		err = tk_copy_path(req, r->path[i].oldpath, "oldpath", &rs->reloc_old[i]);
		if (err == 0)
			err = tk_copy_path(req, r->path[i].newpath, "newpath", &rs->reloc_new[i]);
		rs->nreloc = i + 1;
		if (err != 0)
			return err;
	}
	return 0;
}

/* cr_loc_init (for reading) and the directory check: BLCR's words. */
static int tk_check_source(struct tk_req *req, int ctrl_fd, struct tk_rstrt *rs)
{
	int fd = rs->args.cr_fd, fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1, err = 0;
	struct tk_ofile *mine = NULL, *theirs = NULL;
	struct stat sb;

	if (fl < 0 || fstat(fd, &sb) != 0) {
		tk_req_log(req, "invalid file descriptor %d received", fd);
		err = EINVAL;
	} else {
		if (tk_ofile_get(ctrl_fd, &mine) == 0 && tk_ofile_get(fd, &theirs) == 0 && mine == theirs) {
			tk_req_log(req, "file descriptor %d is the ctrl descriptor", fd);
			err = EINVAL;
		}
		pthread_mutex_lock(&tk_mu);
		if (mine != NULL)
			tk_ofile_put_locked(mine);
		if (theirs != NULL)
			tk_ofile_put_locked(theirs);
		pthread_mutex_unlock(&tk_mu);
	}
	if (err == 0 && S_ISDIR(sb.st_mode)) {
		if (faccessat(fd, ".", R_OK | X_OK, AT_EACCESS) != 0) {
			err = errno;
		} else {
			tk_req_log(req, "source descriptor must not be a directory");
			return EISDIR;
		}
	} else if (err == 0 && !S_ISREG(sb.st_mode) && !S_ISCHR(sb.st_mode) && !S_ISFIFO(sb.st_mode) &&
		   !S_ISSOCK(sb.st_mode)) {
		tk_req_log(req, "unsupported file type");
		err = EINVAL;
	} else if (err == 0 && S_ISREG(sb.st_mode) && sb.st_nlink > 1) {
		err = EMLINK;
	} else if (err == 0 && ((fl & O_ACCMODE) == O_WRONLY || (fl & O_PATH))) {
		err = EBADF;
	}
	if (err != 0) {
		tk_req_log(req, "failed to initialize source file descriptor");
		return err;
	}
	rs->src_dev = sb.st_dev;
	rs->src_ino = sb.st_ino;
	return 0;
}

/* cr_kread: reads until done; a read of 0 (or an error) is logged, 0 becoming EIO. */
static int tk_kread(struct tk_req *req, int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int err = r == 0 ? EIO : errno;

			tk_req_log(req, "vfs_read returned %d", r == 0 ? 0 : -err);
			return err;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int tk_check_header(struct tk_req *req, int fd)
{
	struct cr_context_file_header h;
	int err = tk_kread(req, fd, &h, sizeof(h));

	if (err != 0) {
		tk_req_log(req, "failed to read file header");
		return err;
	}
	if (h.magic[0] != CR_CONTEXT_MAGIC0 || h.magic[1] != CR_CONTEXT_MAGIC1) {
		tk_req_log(req, "file header has invalid signature");
		return EINVAL;
	}
	if (h.version < CR_CONTEXT_VERSION_MIN || h.version > CR_CONTEXT_VERSION) {
		tk_req_log(req, "file header has incorrect/unsupported version");
		return EINVAL;
	}
	if (h.arch_id != CR_ARCH_X86_64) {
		tk_req_log(req, "file header has incorrect architecture (%d, but expecting %d)", h.arch_id,
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

/* A line for section s's deferred failure (its child logs it). */
static void tk_sec_log(struct tk_sec *s, const char *fmt, ...) TK_PRINTF(2, 3);
static void tk_sec_log(struct tk_sec *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = tk_vformat_line(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || s->errlog_len + (size_t)n >= sizeof(s->errlog))
		return;
	memcpy(s->errlog + s->errlog_len, line, (size_t)n + 1);
	s->errlog_len += (size_t)n;
}

/* Section s fails with err (the first failure wins). */
static int tk_sec_fail(struct tk_sec *s, int err)
{
	if (s->err == 0)
		s->err = err;
	return err;
}

/* A short read in section s: what cr_kread logs, then BLCR's line for the part (or ours). */
static int tk_sec_short(struct tk_sec *s, const char *what)
{
	tk_sec_log(s, "vfs_read returned 0");
	if (what != NULL) {
		/* cr_load_linkage, then its caller, which turns any failure into ENOMEM. */
		tk_sec_log(s, "linkage: read %s returned %d", what, -EIO);
		tk_sec_log(s, "Error reading linkage structure! err=%d", -EIO);
		return tk_sec_fail(s, ENOMEM);
	}
	tk_sec_log(s, "short read of the context file");
	return tk_sec_fail(s, EIO);
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

static int tk_check_vmad(struct tk_sec *s, const unsigned char *h)
{
	struct utsname u;
	int maj = 0, min = 0;

	if (h[0] != 'V' || h[1] != 'M' || h[2] != 'A' || h[3] != VMAD_FMT_VERSION ||
	    h[4] != CR_ARCH_X86_64) {
		tk_sec_log(s, "vmadump: invalid header");
		return tk_sec_fail(s, EINVAL);
	}
	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &maj, &min) == 2) {
		if (maj > 255)
			maj = 255;
		if (min > 255)
			min = 255;
		if (h[5] != maj || h[6] != min) {
			tk_sec_log(s, "vmadump: kernel version mismatch (file %d.%d, running %d.%d)",
				   h[5], h[6], maj, min);
			return tk_sec_fail(s, EINVAL);
		}
	}
	return 0;
}

/* Files that were open (FDS record): a missing regular path is ENOENT. */
static int tk_check_fds(const struct tk_rstrt *rs, struct tk_sec *s, const struct tk_buf *fds)
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
			tk_sec_log(s, "pid %d: fd %d: cannot open %s: %s", (int)s->tgid, fd, rel,
				   strerror(err));
			tk_sec_fail(s, err);
		}
		free(rel);
	}
	free(text);
	return err;
}

/* One section, after its header: 0, or the failure recorded in s (and returned). */
static int tk_parse_section(struct tk_rstrt *rs, struct tk_cursor *cu, struct tk_sec *s)
{
	struct tk_buf exe = { 0 }, cwd = { 0 }, fds = { 0 };
	unsigned char vmad[8];
	int32_t lbytes;
	int err, t;

	if (tk_take(cu, &lbytes, 4) != 0)
		return tk_sec_short(s, "size");
	if (s->threads < 1 || s->threads > TK_MAX_THREADS) {
		tk_sec_log(s, "invalid thread count %d", s->threads);
		return tk_sec_fail(s, EINVAL);
	}
	if (lbytes != s->threads * (int32_t)sizeof(struct tk_linkage)) {
		tk_sec_log(s, "invalid linkage size %d for %d threads", lbytes, s->threads);
		return tk_sec_fail(s, EINVAL);
	}
	for (t = 0; t < s->threads; t++) {
		struct tk_linkage l;

		if (tk_take(cu, &l, sizeof(l)) != 0)
			return tk_sec_short(s, "table");
		if (t == 0) {
			s->tgid = l.tgid;
			s->pgid = l.pgid;
			s->sid = l.sid;
		}
	}
	if (tk_take(cu, vmad, sizeof(vmad)) != 0)
		return tk_sec_short(s, NULL);
	if ((err = tk_check_vmad(s, vmad)) != 0)
		return err;
	for (;;) {
		struct tk_record_header h;
		struct tk_buf b;

		if (tk_take(cu, &h, sizeof(h)) != 0 || h.length > cu->len - cu->off)
			return tk_sec_short(s, NULL);
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
			tk_sec_log(s, "pid %d: unknown record %u", (int)s->tgid, h.tag);
			return tk_sec_fail(s, EINVAL);
		}
		if (h.tag == TK_REC_END)
			break;
	}
	if (exe.len == 0 || s->argv.len == 0) {
		tk_sec_log(s, "pid %d: no executable or arguments recorded", (int)s->tgid);
		return tk_sec_fail(s, EINVAL);
	}
	{
		char *e = tk_strndup0(exe.p, exe.len), *c = tk_strndup0(cwd.p, cwd.len);

		s->exe = e != NULL ? tk_relocate(rs, e) : NULL;
		s->cwd = c != NULL ? tk_relocate(rs, c[0] != '\0' ? c : "/") : NULL;
		free(e);
		free(c);
		if (s->exe == NULL || s->cwd == NULL)
			return tk_sec_fail(s, ENOMEM);
	}
	if (!s->has_exefile && access(s->exe, X_OK) != 0) {
		err = errno;
		tk_sec_log(s, "pid %d: cannot find the executable %s: %s", (int)s->tgid, s->exe,
			   strerror(err));
		return tk_sec_fail(s, err);
	}
	if (access(s->cwd, X_OK) != 0) {
		err = errno;
		tk_sec_log(s, "pid %d: cannot restore the working directory %s: %s", (int)s->tgid,
			   s->cwd, strerror(err));
		return tk_sec_fail(s, err);
	}
	return tk_check_fds(rs, s, &fds);
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

/*
 * The image after the header. BLCR reads it as it goes: RSTRT_PROCS the
 * section headers, each child its section. We read it all now, and note where
 * each of those readers would fail: a section header cut short (PROCS gives
 * EIO), or a section's failure (its child reports it). Reading stops at the
 * first failing section (BLCR's children die there). 0 or ENOMEM.
 */
static int tk_parse_image(struct tk_rstrt *rs)
{
	struct tk_cursor cu = { rs->image, rs->image_len, 0 };
	size_t cap = 0, i;

	rs->short_at = SIZE_MAX;
	for (;;) {
		struct cr_section_header h;
		struct tk_sec *s;

		if (tk_take(&cu, &h, sizeof(h)) != 0) {
			rs->short_at = rs->ns;
			break;
		}
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
		if (tk_parse_section(rs, &cu, s) != 0)
			break;
	}
	rs->c = calloc(rs->ns ? rs->ns : 1, sizeof(*rs->c));
	if (rs->c == NULL)
		return ENOMEM;
	for (i = 0; i < rs->ns; i++)
		rs->c[i].status_fd = -1;
	return 0;
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
		} else if (c->line[0] == 'L' && c->line[1] == ' ') {
			tk_req_log(req, "%s", c->line + 2);
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

/*
 * BLCR's restarted process is whole - memory, handlers - when its restart
 * completes and its positive signal comes. Ours runs its program from main:
 * wait until the stub says it has registered its state again (<state>.up),
 * or a second for a program that never does, or until it is gone.
 */
static void tk_wait_set_up(struct tk_child *c)
{
	char marker[PATH_MAX + 80];
	int64_t until = tk_now_ns() + 1000000000;

	snprintf(marker, sizeof(marker), "%s.up", c->statef);
	while (tk_now_ns() < until && unlink(marker) != 0 && kill(c->pid, 0) == 0)
		tk_sleep_ns(2000000);
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

		done = tk_req_is_done(req);
		pthread_mutex_lock(&tk_mu);
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
		if (next == rs->ns && settled == rs->ns && rs->short_at == SIZE_MAX) {
			/* Every child has exec'ed: saved executables are no longer needed by name. */
			for (i = 0; i < rs->ns; i++)
				if (rs->c[i].exef[0] != '\0' && unlink(rs->c[i].exef) == 0)
					rs->c[i].exef[0] = '\0';
			tk_req_set_value(req, rs->ns > 0 ? rs->c[0].pid : 0);
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
			/* Set up again: the positive signal (a negative one: the stub, before main). */
			tk_wait_set_up(c);
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

/* In BLCR's order: relocations, signal, source, header. 0 or the error (logged). */
static int tk_rstrt_check(struct tk_req *req, struct tk_rstrt *rs, int fd)
{
	int err = tk_check_reloc(req, rs);

	if (err != 0)
		return err;
	if (!tk_valid_signal(rs->args.signal)) {
		tk_req_log(req, "invalid signal value: %d", rs->args.signal);
		return EINVAL;
	}
	err = tk_check_source(req, fd, rs);
	if (err == 0)
		err = tk_check_header(req, rs->args.cr_fd);
	return err;
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
	rs->short_at = SIZE_MAX;
	async = (uargs->flags & CR_RSTRT_ASYNC_ERR) != 0;
	req = tk_req_new(TK_REQ_RSTRT, rs, tk_rstrt_destroy);
	if (req == NULL) {
		free(rs);
		return tk_fail(ENOMEM);
	}
	err = tk_req_attach(fd, req);
	if (err == 0) {
		/* Request-time errors: the ioctl's, or REAP's with ASYNC_ERR. */
		err = tk_rstrt_check(req, rs, fd);
		rs->args.relocate = NULL;  /* copied: the caller may free it */
		if (err != 0 && async) {
			tk_req_complete(req, err);
			err = 0;
		} else if (err != 0) {
			tk_req_detach(req);
		} else {
			/* The rest of the image, read now; its faults come up where BLCR meets them. */
			int ierr = tk_read_fd(rs->args.cr_fd, (char **)&rs->image, &rs->image_len);

			if (ierr != 0) {
				rs->image_len = 0;  /* BLCR's first read there fails: PROCS says so */
				ierr = 0;
			}
			ierr = tk_parse_image(rs);
			if (ierr == 0)
				ierr = tk_rstrt_key(fd, rs);
			if (ierr == 0)
				ierr = tk_req_start_worker(req, tk_rstrt_worker);
			if (ierr != 0) {
				tk_req_complete(req, ierr);
			} else {
				/* PROCS finds it through the open file. */
				pthread_mutex_lock(&tk_mu);
				req->refs++;
				req->of->rstrt = req;
				pthread_mutex_unlock(&tk_mu);
			}
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
	const char *exe = s->exe != NULL ? s->exe : "";
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
		err = tk_put_rec(fd, TK_SF_CWD, s->cwd != NULL ? s->cwd : "/", s->cwd != NULL ? strlen(s->cwd) : 1);
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_ARGV, s->argv.p, s->argv.len);
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_ENV, s->env.p, s->env.len);
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_FIFO, c->fifo, strlen(c->fifo));
	if (err == 0)
		err = tk_put_rec(fd, TK_SF_RESTORE, c->statef, strlen(c->statef));
	if (err == 0) {
		int32_t ids[3] = { (int32_t)rs->args.flags, s->pgid, s->sid };

		err = tk_put_rec(fd, TK_SF_IDS, ids, sizeof(ids));
	}
	if (err == 0) {
		unsigned char src[24];
		int32_t who[2] = { (int32_t)getpid(), rs->args.cr_fd };
		uint64_t dev = (uint64_t)rs->src_dev, ino = (uint64_t)rs->src_ino;

		memcpy(src, who, 8);
		memcpy(src + 8, &dev, 8);
		memcpy(src + 16, &ino, 8);
		err = tk_put_rec(fd, TK_SF_SRC, src, sizeof(src));
	}
	if (err == 0 && s->err != 0) {
		unsigned char fail[4 + sizeof(s->errlog)];
		int32_t e = s->err;

		memcpy(fail, &e, 4);
		memcpy(fail + 4, s->errlog, s->errlog_len);
		err = tk_put_rec(fd, TK_SF_FAIL, fail, 4 + s->errlog_len);
	}
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

/* The state of fd's restart slot: TK_SLOT_NONE when fd is no emulated ctrl fd. */
static int tk_rstrt_slot_state(int fd)
{
	struct tk_ofile *of;
	int st;

	if (tk_ofile_get(fd, &of) != 0)
		return TK_SLOT_NONE;
	tk_sh_lock(of->sh);
	st = of->sh->slot[TK_REQ_RSTRT - 1].state;
	tk_sh_unlock(of->sh);
	pthread_mutex_lock(&tk_mu);
	tk_ofile_put_locked(of);
	pthread_mutex_unlock(&tk_mu);
	return st;
}

static int tk_rstrt_procs(int fd, struct cr_procs_tbl *tbl)
{
	struct tk_req *req = NULL;
	struct tk_rstrt *rs;
	size_t i;
	int err = 0, ret = 0, st = tk_rstrt_slot_state(fd);

	if (st == TK_SLOT_NONE) {
		tk_kmsg("do_rstrt_procs: No rstrt_req attached to filp!");
		return tk_fail(EINVAL);
	}
	if (st == TK_SLOT_DONE)
		return 0;  /* failed already (or nothing left): 0 */
	/* Hold a reference while we block (close may run meanwhile). */
	pthread_mutex_lock(&tk_mu);
	err = tk_slot_get_rstrt_locked(fd, &req);
	pthread_mutex_unlock(&tk_mu);
	if (err != 0)
		return tk_fail(err);  /* another process's request: not emulated */
	rs = req->priv;
	if (tbl == NULL) {
		err = EFAULT;
		goto out;
	}
	pthread_mutex_lock(&tk_mu);
	i = rs->next;
	pthread_mutex_unlock(&tk_mu);
	if (tk_req_is_done(req))
		goto out;
	if (i > 0 && rs->c[i - 1].state == TK_C_HANDED) {
		err = tk_wait_called_in(req, rs, i - 1);
		if (err != 0)
			goto out;
		if (tk_req_is_done(req))
			goto out;
	}
	if (i == rs->short_at) {
		/* BLCR's PROCS reads the next section header there and stops; the request never ends. */
		tk_req_log(req, "vfs_read returned 0");
		tk_req_log(req, "proc_header: read returned %d", -EIO);
		err = EIO;
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
	int32_t fail_err;          /* TK_SF_FAIL */
	struct tk_buf fail_log;
	int32_t flags, pgid, sid;  /* TK_SF_IDS */
	int32_t req_pid, src_fd;   /* TK_SF_SRC */
	uint64_t src_dev, src_ino;
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
		case TK_SF_FAIL:
			if (h.length >= 4) {
				memcpy(&sf->fail_err, d, 4);
				sf->fail_log.p = d + 4;
				sf->fail_log.len = h.length - 4;
			}
			break;
		case TK_SF_IDS:
			if (h.length == 12) {
				memcpy(&sf->flags, d, 4);
				memcpy(&sf->pgid, d + 4, 4);
				memcpy(&sf->sid, d + 8, 4);
			}
			break;
		case TK_SF_SRC:
			if (h.length == 24) {
				memcpy(&sf->req_pid, d, 4);
				memcpy(&sf->src_fd, d + 4, 4);
				memcpy(&sf->src_dev, d + 8, 8);
				memcpy(&sf->src_ino, d + 16, 8);
			}
			break;
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

/*
 * A restart child whose restore fails does not come back from RSTRT_CHILD:
 * BLCR kills it (SIGKILL) once it has told the requester.
 */
static void tk_child_die(int sfd)
{
	if (sfd >= 0)
		tk_real_close(sfd);
	for (;;)
		kill(getpid(), SIGKILL);
}

/* Report "L line" for each line of a section's failure log, then "F errno". */
static void tk_report_fail(int sfd, int err, const struct tk_buf *log)
{
	size_t i = 0;

	while (i < log->len) {
		size_t l = strnlen((const char *)log->p + i, log->len - i), nl;
		const char *p = (const char *)log->p + i;

		for (nl = 0; nl < l && p[nl] != '\n'; nl++)
			;
		tk_report(sfd, "L %.*s", (int)nl, p);
		i += nl + 1;
	}
	tk_report(sfd, "F %d", err);
}

/*
 * BLCR's child takes the context file out of its fd table (cr_hide_filp): one
 * that does not have it there logs "File descriptor closed unexpectedly!" to
 * the kernel log (and goes on). Ours: any fd on the requester's open file
 * (kcmp), or on the same inode where kcmp is not available.
 */
static int tk_has_source(const struct tk_secfile *sf)
{
	pid_t *fds = NULL;
	size_t n = 0, i;
	int found = 0;

	if (tk_list_numeric("/proc/self/fd", &fds, &n) != 0)
		return 1;  /* cannot tell: say nothing */
	for (i = 0; i < n && !found; i++) {
		struct stat sb;
		long k;

		if (fstat((int)fds[i], &sb) != 0 || (uint64_t)sb.st_dev != sf->src_dev ||
		    (uint64_t)sb.st_ino != sf->src_ino)
			continue;
		k = syscall(SYS_kcmp, getpid(), (pid_t)sf->req_pid, 0 /* KCMP_FILE */, fds[i], sf->src_fd);
		found = k == 0 || (k < 0 && errno != EBADF);
	}
	free(fds);
	return found;
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
	/* What reading its section found wrong (linkage, records, files). */
	if (sf.fail_err != 0) {
		tk_report_fail(sfd, sf.fail_err, &sf.fail_log);
		tk_child_die(sfd);
	}
	/* cr_reserve_ids: the ids it is to get back must be free. */
	if ((sf.flags & CR_RSTRT_RESTORE_PID) && tk_in_use(sf.tgid, 0)) {
		tk_report(sfd, "F %d found pid %d in use", EBUSY, (int)sf.tgid);
		tk_child_die(sfd);
	}
	if ((sf.flags & CR_RSTRT_RESTORE_PGID) && tk_in_use(sf.pgid, 1)) {
		tk_report(sfd, "F %d found pgrp %d in use", EBUSY, (int)sf.pgid);
		tk_child_die(sfd);
	}
	if ((sf.flags & CR_RSTRT_RESTORE_SID) && tk_in_use(sf.sid, 2)) {
		tk_report(sfd, "F %d found session %d in use", EBUSY, (int)sf.sid);
		tk_child_die(sfd);
	}
	if (!tk_has_source(&sf))
		tk_kmsg("File descriptor closed unexpectedly!");
	tk_report(sfd, "C %d %d", (int)me, tasks);
	if (tasks != sf.threads) {
		tk_report(sfd, "F %d pid %d: %d tasks called RSTRT_CHILD, the image has %d threads",
			  EINVAL, (int)sf.tgid, tasks, sf.threads);
		tk_child_die(sfd);
	}
	if (chdir(sf.cwd) != 0) {
		err = errno;
		tk_report(sfd, "F %d pid %d: cannot restore the working directory %s: %s", err,
			  (int)sf.tgid, sf.cwd, strerror(err));
		tk_child_die(sfd);
	}
	snprintf(envvar, sizeof(envvar), "CR_TESTKERNEL_RESTORE=%s", sf.restore);
	argv = tk_vector(&sf.argv, NULL, NULL);
	envp = tk_vector(&sf.env, envvar, "CR_TESTKERNEL_RESTORE=");
	if (argv == NULL || envp == NULL || argv[0] == NULL) {
		tk_report(sfd, "F %d pid %d: cannot build the arguments", ENOMEM, (int)sf.tgid);
		tk_child_die(sfd);
	}
	/* The restarted program does not keep the ctrl fd. */
	fcntl(ctrl_fd, F_SETFD, FD_CLOEXEC);
	execve(sf.exe, argv, envp);
	err = errno;
	tk_report(sfd, "F %d pid %d: cannot exec %s: %s", err, (int)sf.tgid, sf.exe, strerror(err));
	tk_child_die(sfd);
	return -1;
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
		/* The requester itself is no restart child. */
		return tk_fail(EINVAL);
	default:
		return tk_fail(ENOTTY);
	}
}
