/*
 * tk_dump.c - writes the context file (spec §6 frame, tk_format.h payload).
 *
 * Single destination (file/FIFO/socket): header, one section per process,
 * trailer. Directory destination: one context.<pid> per process, each with
 * its own header, section and trailer. Data goes through write(2) at the
 * fd's current offset, in chunks, paced by CR_TESTKERNEL_RATE, with the
 * cancellation flag checked between chunks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tk_internal.h"

#define TK_CHUNK_MAX 65536

/* ---- paced, cancellable writer ---- */

struct tk_pace {
	uint64_t rate;   /* bytes per second, 0 = unlimited */
	size_t chunk;
	int64_t t0;
	uint64_t total;
};

struct tk_writer {
	struct tk_req *req;
	struct tk_pace *pace;
	int fail_write;  /* CR_TESTKERNEL_FAIL=write:N */
	int fd;
	int is_stream;   /* FIFO or socket: may block, so poll first */
	int is_sock;
	unsigned char *buf;
	size_t used;
};

static int tk_wait_writable(struct tk_writer *w)
{
	for (;;) {
		struct pollfd p = { .fd = w->fd, .events = POLLOUT, .revents = 0 };
		int r;

		if (tk_req_cancelled(w->req))
			return ECANCELED;
		tk_req_tick(w->req);
		r = tk_real_poll(&p, 1, 50);
		if (r < 0 && errno != EINTR)
			return errno;
		if (r > 0)
			return 0;  /* writable, or an error the write will report */
	}
}

static void tk_eat_sigpipe(void)
{
	sigset_t set;
	struct timespec zero = { 0, 0 };

	/* The worker blocks every signal: take back the SIGPIPE it caused. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	while (sigtimedwait(&set, NULL, &zero) == SIGPIPE)
		;
}

static int tk_write_raw(struct tk_writer *w, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t r;
		int err;

		if (w->is_stream) {
			err = tk_wait_writable(w);
			if (err != 0)
				return err;
		}
		r = w->is_sock ? send(w->fd, p, len, MSG_NOSIGNAL) : write(w->fd, p, len);
		if (r < 0) {
			err = errno;
			if (err == EINTR)
				continue;
			if (err == EAGAIN) {
				if (!w->is_stream && tk_req_sleep(w->req, 5000000) != 0)
					return ECANCELED;
				continue;
			}
			if (err == EPIPE)
				tk_eat_sigpipe();
			return err;
		}
		if (r == 0)
			return EIO;  /* a short write that cannot be completed */
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int tk_flush(struct tk_writer *w)
{
	struct tk_pace *pc = w->pace;
	int err;

	if (w->used == 0)
		return 0;
	if (tk_req_cancelled(w->req))
		return ECANCELED;
	err = tk_write_raw(w, w->buf, w->used);
	if (err != 0)
		return err;
	pc->total += w->used;
	w->used = 0;
	if (w->fail_write != 0)
		return w->fail_write;  /* injected after this first chunk */
	tk_req_tick(w->req);
	if (pc->rate != 0) {
		int64_t due = pc->t0 + (int64_t)((double)pc->total * 1e9 / (double)pc->rate);
		int64_t left = due - tk_now_ns();

		if (left > 0 && tk_req_sleep(w->req, left) != 0)
			return ECANCELED;
	}
	return 0;
}

static int tk_put(struct tk_writer *w, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		size_t n = w->pace->chunk - w->used;

		if (n > len)
			n = len;
		memcpy(w->buf + w->used, p, n);
		w->used += n;
		p += n;
		len -= n;
		if (w->used == w->pace->chunk) {
			int err = tk_flush(w);

			if (err != 0)
				return err;
		}
	}
	return 0;
}

static int tk_put_int(struct tk_writer *w, int32_t v)
{
	return tk_put(w, &v, sizeof(v));
}

/* ---- records ---- */

static int tk_rec_head(struct tk_writer *w, uint32_t tag, uint64_t len)
{
	struct tk_record_header h = { .tag = tag, .reserved = 0, .length = len };

	return tk_put(w, &h, sizeof(h));
}

static int tk_rec(struct tk_writer *w, uint32_t tag, const void *data, size_t len)
{
	int err = tk_rec_head(w, tag, len);

	return err != 0 ? err : tk_put(w, data, len);
}

/* A record holding [prefix] + exactly size bytes of fd (zero padded if it shrank). */
static int tk_rec_fd(struct tk_writer *w, uint32_t tag, const char *prefix, size_t plen, int fd,
		     uint64_t size)
{
	unsigned char buf[16384];
	uint64_t left = size;
	int err = tk_rec_head(w, tag, plen + size);

	if (err == 0 && plen > 0)
		err = tk_put(w, prefix, plen);
	while (err == 0 && left > 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t r = read(fd, buf, want);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			memset(buf, 0, want);
			r = (ssize_t)want;
		}
		err = tk_put(w, buf, (size_t)r);
		left -= (uint64_t)r;
	}
	return err;
}

static int tk_rec_pages(struct tk_writer *w, uint64_t size)
{
	unsigned char buf[4096];
	uint64_t off = 0;
	int err = tk_rec_head(w, TK_REC_PAGES, size);

	while (err == 0 && off < size) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf), i;

		for (i = 0; i < n; i++)
			buf[i] = TK_PAGE_BYTE(off + i);
		err = tk_put(w, buf, n);
		off += n;
	}
	return err;
}

/* ---- what we know of one process ---- */

struct tk_pinfo {
	pid_t pid;
	struct tk_pstat ps;
	struct tk_pstatus st;
	pid_t *tids;
	size_t ntids;
	char exe[PATH_MAX], cwd[PATH_MAX];
	char *argv, *env, *maps, *fds;
	size_t argv_len, env_len, maps_len, fds_len;
	int exe_fd;
};

static void tk_pinfo_free(struct tk_pinfo *pi)
{
	free(pi->tids);
	free(pi->argv);
	free(pi->env);
	free(pi->maps);
	free(pi->fds);
	if (pi->exe_fd >= 0)
		tk_real_close(pi->exe_fd);
}

static void tk_read_proc_file(pid_t pid, const char *what, char **buf, size_t *len)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	if (tk_read_file(path, buf, len) != 0) {
		*buf = NULL;  /* e.g. environ of another user: an empty record */
		*len = 0;
	}
}

/* A file of the shared directory the stand-in opens while it answers or is held. */
static int tk_is_own_file(const char *path)
{
	const char *dir = tk_env_str("CR_TESTKERNEL_DIR", TK_DEFAULT_DIR), *base;
	size_t n = strlen(dir);

	if (strncmp(path, dir, n) != 0 || path[n] != '/')
		return 0;
	base = path + n + 1;
	return strncmp(base, "busy.", 5) == 0 || strncmp(base, "ack.", 4) == 0 || strncmp(base, ".ack.", 5) == 0;
}

/* "fd flags pos path" per open fd, from /proc/PID/fd and fdinfo. */
static int tk_fds_text(pid_t pid, char **out, size_t *outlen)
{
	char dir[64], path[128], target[PATH_MAX], line[PATH_MAX + 96];
	pid_t *fds;
	size_t nfd, i, len = 0, cap = 256;
	char *text;
	int err;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	err = tk_list_numeric(dir, &fds, &nfd);
	if (err != 0)
		return err;
	text = malloc(cap);
	if (text == NULL) {
		free(fds);
		return ENOMEM;
	}
	text[0] = '\0';
	for (i = 0; i < nfd; i++) {
		char flags[32] = "0", pos[32] = "0", *info, *l, *save = NULL;
		size_t ilen;
		int n;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, (int)fds[i]);
		if (tk_readlink(path, target, sizeof(target)) != 0)
			continue;  /* closed meanwhile */
		if (tk_is_own_file(target))
			continue;  /* the stand-in's, open for a moment (busy lock, ack): not the program's */
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, (int)fds[i]);
		if (tk_read_file(path, &info, &ilen) == 0) {
			for (l = strtok_r(info, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
				if (strncmp(l, "pos:", 4) == 0)
					snprintf(pos, sizeof(pos), "%s", l + 4 + strspn(l + 4, " \t"));
				else if (strncmp(l, "flags:", 6) == 0)
					snprintf(flags, sizeof(flags), "%s", l + 6 + strspn(l + 6, " \t"));
			}
			free(info);
		}
		n = snprintf(line, sizeof(line), "%d %s %s %s\n", (int)fds[i], flags, pos, target);
		if (n < 0)
			continue;
		if (len + (size_t)n + 1 > cap) {
			char *nt;

			while (len + (size_t)n + 1 > cap)
				cap *= 2;
			nt = realloc(text, cap);
			if (nt == NULL) {
				free(text);
				free(fds);
				return ENOMEM;
			}
			text = nt;
		}
		memcpy(text + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	free(fds);
	*out = text;
	*outlen = len;
	return 0;
}

/* Collect everything first, so a process that exits is skipped cleanly. */
static int tk_gather(pid_t pid, unsigned int flags, struct tk_pinfo *pi)
{
	char path[64];
	int err;

	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	pi->exe_fd = -1;
	err = tk_proc_stat(pid, &pi->ps);
	if (err == 0 && (pi->ps.state == 'Z' || pi->ps.state == 'X'))
		err = ESRCH;
	if (err == 0)
		err = tk_proc_status(pid, &pi->st);
	if (err == 0)
		err = tk_proc_tids(pid, &pi->tids, &pi->ntids);
	if (err == 0 && pi->ntids == 0)
		err = ESRCH;
	if (err == 0) {
		/* Another user's target the requester may still checkpoint (BLCR dumps from
		 * inside it): its fd table is not ours to read, an empty FDS record. */
		err = tk_fds_text(pid, &pi->fds, &pi->fds_len);
		if (err == EACCES || err == EPERM) {
			pi->fds = calloc(1, 1);
			pi->fds_len = 0;
			err = pi->fds == NULL ? ENOMEM : 0;
		}
	}
	if (err != 0)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	tk_readlink(path, pi->exe, sizeof(pi->exe));
	if (flags & CR_CHKPT_DUMP_EXEC)
		pi->exe_fd = tk_real_open(path, O_RDONLY | O_CLOEXEC, 0);
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	tk_readlink(path, pi->cwd, sizeof(pi->cwd));
	tk_read_proc_file(pid, "cmdline", &pi->argv, &pi->argv_len);
	tk_read_proc_file(pid, "environ", &pi->env, &pi->env_len);
	tk_read_proc_file(pid, "maps", &pi->maps, &pi->maps_len);
	/* Still there? (the reads above do not fail for a zombie) */
	return tk_proc_stat(pid, &pi->ps) == 0 && pi->ps.state != 'Z' ? 0 : ESRCH;
}

static int tk_write_linkage(struct tk_writer *w, const struct tk_pinfo *pi)
{
	size_t i;
	int err = tk_put_int(w, (int32_t)(pi->ntids * sizeof(struct tk_linkage)));

	for (i = 0; err == 0 && i < pi->ntids; i++) {
		struct tk_linkage l;
		struct tk_pstatus ts;

		memset(&l, 0, sizeof(l));
		if (tk_proc_task_status(pi->pid, pi->tids[i], &ts) != 0)
			ts = pi->st;  /* the thread exited meanwhile */
		l.tid = pi->tids[i];
		l.tgid = pi->pid;
		l.ppid = pi->ps.ppid;
		l.pgid = pi->ps.pgrp;
		l.sid = pi->ps.sid;
		l.uid = ts.ruid;
		l.euid = ts.euid;
		l.gid = ts.rgid;
		l.egid = ts.egid;
		l.thread_index = (int32_t)i;
		l.num_threads = (int32_t)pi->ntids;
		l.state = ts.state;
		memcpy(l.comm, ts.name, sizeof(l.comm) - 1);
		err = tk_put(w, &l, sizeof(l));
	}
	return err;
}

static int tk_vmad_header(struct tk_writer *w)
{
	struct utsname u;
	unsigned char h[8] = { 'V', 'M', 'A', VMAD_FMT_VERSION, CR_ARCH_X86_64, 0, 0, 0 };
	int maj = 0, min = 0, pat = 0;

	if (uname(&u) == 0 && sscanf(u.release, "%d.%d.%d", &maj, &min, &pat) < 2)
		maj = min = pat = 0;
	h[5] = (unsigned char)(maj > 255 ? 255 : maj);
	h[6] = (unsigned char)(min > 255 ? 255 : min);
	h[7] = (unsigned char)(pat > 255 ? 255 : pat);
	return tk_put(w, h, sizeof(h));
}

/* PRIVFILE or SHAREDFILE records for each distinct file mapped with that column. */
static int tk_mapped_files(struct tk_writer *w, struct tk_req *req, const struct tk_pinfo *pi,
			   char kind, uint32_t tag)
{
	char *copy, *line, *save = NULL;
	char **seen = NULL;
	size_t nseen = 0, i;
	int err = 0;

	if (pi->maps == NULL)
		return 0;
	copy = strdup(pi->maps);
	if (copy == NULL)
		return ENOMEM;
	for (line = strtok_r(copy, "\n", &save); err == 0 && line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char perms[8], *path;
		int off = 0, dup = 0, fd;
		struct stat sb;

		/* addr perms offset dev inode path */
		if (sscanf(line, "%*s %7s %*s %*s %*s %n", perms, &off) != 1 || off == 0 ||
		    strlen(perms) < 4 || perms[3] != kind)
			continue;
		path = line + off;
		if (path[0] != '/')
			continue;
		for (i = 0; i < nseen && !dup; i++)
			dup = strcmp(seen[i], path) == 0;
		if (dup)
			continue;
		{
			char **ns = realloc(seen, (nseen + 1) * sizeof(*seen));

			if (ns == NULL) {
				err = ENOMEM;
				break;
			}
			seen = ns;
			seen[nseen++] = path;
		}
		fd = tk_real_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
		if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			tk_req_log(req, "pid %d: cannot save mapped file %s: %s", (int)pi->pid, path,
				   fd < 0 ? strerror(errno) : "not a regular file");
			if (fd >= 0)
				tk_real_close(fd);
			continue;
		}
		err = tk_rec_fd(w, tag, path, strlen(path) + 1, fd, (uint64_t)sb.st_size);
		tk_real_close(fd);
	}
	free(seen);
	free(copy);
	return err;
}

/* One process: section header, linkage, vmadump header, records. */
static int tk_write_section(struct tk_writer *w, struct tk_req *req, const struct tk_dump_opts *o,
			    const struct tk_pinfo *pi, const struct tk_dump_proc *dp)
{
	int32_t sec[3] = { (int32_t)pi->ntids, CR_RSTRT_CLONE_FLAGS, -1 };
	const char *comm = pi->st.name;
	int err = tk_put(w, sec, sizeof(sec));

	if (err == 0)
		err = tk_write_linkage(w, pi);
	if (err == 0)
		err = tk_vmad_header(w);
	if (err == 0)
		err = tk_rec(w, TK_REC_EXE, pi->exe, strlen(pi->exe));
	if (err == 0)
		err = tk_rec(w, TK_REC_CWD, pi->cwd, strlen(pi->cwd));
	if (err == 0)
		err = tk_rec(w, TK_REC_ARGV, pi->argv, pi->argv_len);
	if (err == 0)
		err = tk_rec(w, TK_REC_ENVIRON, pi->env, pi->env_len);
	if (err == 0)
		err = tk_rec(w, TK_REC_COMM, comm, strlen(comm));
	if (err == 0)
		err = tk_rec(w, TK_REC_STATE, dp->blob, dp->blob_len);
	if (err == 0)
		err = tk_rec(w, TK_REC_FDS, pi->fds, pi->fds_len);
	if (err == 0)
		err = tk_rec(w, TK_REC_MAPS, pi->maps, pi->maps_len);
	if (err == 0 && (o->flags & CR_CHKPT_DUMP_EXEC)) {
		struct stat sb;

		if (pi->exe_fd >= 0 && fstat(pi->exe_fd, &sb) == 0)
			err = tk_rec_fd(w, TK_REC_EXEFILE, NULL, 0, pi->exe_fd, (uint64_t)sb.st_size);
		else
			tk_req_log(req, "pid %d: cannot save the executable", (int)pi->pid);
	}
	if (err == 0 && (o->flags & CR_CHKPT_DUMP_PRIVATE))
		err = tk_mapped_files(w, req, pi, 'p', TK_REC_PRIVFILE);
	if (err == 0 && (o->flags & CR_CHKPT_DUMP_SHARED))
		err = tk_mapped_files(w, req, pi, 's', TK_REC_SHAREDFILE);
	if (err == 0)
		err = tk_rec_pages(w, o->image_size);
	if (err == 0)
		err = tk_rec_head(w, TK_REC_END, 0);
	return err;
}

static int tk_file_header(struct tk_writer *w, int scope)
{
	int32_t h[5] = { CR_CONTEXT_MAGIC0, CR_CONTEXT_MAGIC1, CR_CONTEXT_VERSION, scope,
			 CR_ARCH_X86_64 };

	return tk_put(w, h, sizeof(h));
}

static int tk_trailer(struct tk_writer *w)
{
	int32_t t[3] = { 0, CR_RSTRT_CLONE_FLAGS, -1 };

	return tk_put(w, t, sizeof(t));
}

static void tk_writer_init(struct tk_writer *w, struct tk_req *req, struct tk_pace *pc,
			   unsigned char *buf, int fd)
{
	struct stat sb;

	memset(w, 0, sizeof(*w));
	w->req = req;
	w->pace = pc;
	w->buf = buf;
	w->fd = fd;
	if (fstat(fd, &sb) == 0) {
		w->is_sock = S_ISSOCK(sb.st_mode);
		w->is_stream = S_ISFIFO(sb.st_mode) || w->is_sock;
	}
}

static int tk_dump_dir_one(struct tk_writer *w, struct tk_req *req, const struct tk_dump_opts *o,
			   const struct tk_pinfo *pi, const struct tk_dump_proc *dp)
{
	char name[64];
	int fd, err, cerr;

	snprintf(name, sizeof(name), "context.%d", (int)pi->pid);
	fd = tk_real_openat(o->dest_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			    0400);
	if (fd < 0) {
		err = errno;
		tk_req_log(req, "cannot create %s: %s", name, strerror(err));
		return err;
	}
	w->fd = fd;
	w->is_stream = w->is_sock = 0;
	err = tk_file_header(w, o->scope);
	if (err == 0)
		err = tk_write_section(w, req, o, pi, dp);
	if (err == 0)
		err = tk_trailer(w);
	if (err == 0)
		err = tk_flush(w);
	w->used = 0;
	cerr = tk_real_close(fd) == 0 ? 0 : errno;
	return err != 0 ? err : cerr;
}

/* The file header, written once per request, the way BLCR reports its failure. */
static int tk_dump_header(struct tk_writer *w, struct tk_req *req, const struct tk_dump_opts *o)
{
	int err = o->dest_is_ctrl ? EIO : tk_file_header(w, o->scope);

	if (err == 0)
		err = tk_flush(w);
	if (err != 0 && err != ECANCELED) {
		tk_req_log(req, "vfs_write returned %d", -err);
		tk_req_log(req, "file_header: write returned %d", -err);
	}
	return err;
}

int tk_dump(struct tk_req *req, const struct tk_dump_opts *o, struct tk_dump_proc *procs, size_t n)
{
	struct tk_pace pace = { .rate = o->rate, .t0 = tk_now_ns(), .total = 0 };
	struct tk_writer w;
	unsigned char *buf;
	size_t i, ndumped = 0;
	int err = 0;

	pace.chunk = TK_CHUNK_MAX;
	if (o->rate != 0 && o->rate / 20 < TK_CHUNK_MAX)
		pace.chunk = o->rate / 20 > 0 ? (size_t)(o->rate / 20) : 1;
	buf = malloc(pace.chunk);
	if (buf == NULL)
		return ENOMEM;
	tk_writer_init(&w, req, &pace, buf, o->dest_fd);

	if (!o->dest_is_dir && n > 0)
		err = tk_dump_header(&w, req, o);
	/* write:N fails the first chunk of the sections (after the header). */
	w.fail_write = o->fail_write;
	if (err != 0) {
		free(buf);
		return err;
	}
	if (err == 0 && o->format != cr_format_vmadump) {
		/* Each process's dump finds it; the trailer is still written. */
		for (i = 0; i < n; i++)
			tk_req_log(req, "unrecognized dump_format '%d'", o->format);
		if (!o->dest_is_dir && tk_trailer(&w) == 0)
			tk_flush(&w);
		free(buf);
		return EINVAL;
	}
	for (i = 0; i < n && err == 0; i++) {
		struct tk_pinfo pi;

		if (tk_req_cancelled(req)) {
			err = ECANCELED;
			break;
		}
		if (tk_gather(procs[i].pid, o->flags, &pi) != 0) {
			tk_req_log(req, "pid %d exited before it was dumped", (int)procs[i].pid);
			tk_pinfo_free(&pi);
			continue;
		}
		if (o->dest_is_dir) {
			err = tk_dump_dir_one(&w, req, o, &pi, &procs[i]);
		} else {
			err = tk_write_section(&w, req, o, &pi, &procs[i]);
			if (err == 0)
				err = tk_flush(&w);
		}
		tk_pinfo_free(&pi);
		if (err == 0) {
			procs[i].dumped = 1;
			ndumped++;
		} else if (err != ECANCELED) {
			tk_req_log(req, "vfs_write returned %d", -err);
		}
	}
	if (err == 0 && !o->dest_is_dir) {
		err = tk_trailer(&w);
		if (err == 0)
			err = tk_flush(&w);
		if (err != 0 && err != ECANCELED)
			tk_req_log(req, "vfs_write returned %d", -err);
	}
	if (err != 0 && err != ECANCELED)
		tk_req_log(req, "writing the context file failed: %s", strerror(err));
	if (err == 0 && ndumped == 0)
		err = ESRCH;
	free(buf);
	return err;
}
