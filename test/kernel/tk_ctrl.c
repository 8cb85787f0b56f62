/*
 * tk_ctrl.c - interposition of open/close/ioctl and the emulated fd table.
 *
 * Only the exact path /proc/checkpoint/ctrl is emulated. Opening it returns a
 * real fd, recorded in the table: a FIFO opened O_RDWR in $CR_TESTKERNEL_DIR
 * (named tkctrl.<pid>.<n>.<salt>, unlinked at once), so that a process that
 * inherits it (a restart child, after exec) can still tell it apart by its
 * name and inode. Each open has its tk_ofile: the requests that hang off it
 * live in memory shared with forked children (BLCR hangs them off the
 * struct file). The fd becomes readable when a request completes (we write
 * 8 bytes to it ourselves). If the FIFO cannot be made, an eventfd stands in
 * (everything but restart children works the same).
 * Every other call goes to the real libc function.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tk_internal.h"

/* ---- the real functions ---- */

typedef int (*tk_open_fn)(const char *, int, ...);
typedef int (*tk_openat_fn)(int, const char *, int, ...);
typedef int (*tk_open2_fn)(const char *, int);
typedef int (*tk_openat2_fn)(int, const char *, int);
typedef int (*tk_close_fn)(int);
typedef int (*tk_ioctl_fn)(int, unsigned long, ...);
typedef int (*tk_poll_fn)(struct pollfd *, nfds_t, int);
typedef int (*tk_ppoll_fn)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
typedef int (*tk_select_fn)(int, fd_set *, fd_set *, fd_set *, struct timeval *);

static struct {
	tk_open_fn open, open64;
	tk_openat_fn openat, openat64;
	tk_open2_fn open_2, open64_2;
	tk_openat2_fn openat_2, openat64_2;
	tk_close_fn close;
	tk_ioctl_fn ioctl;
	tk_poll_fn poll;
	tk_ppoll_fn ppoll;
	tk_select_fn select;
} tk_real;

#define TK_RESOLVE1(field, name) \
	if (__atomic_load_n(&tk_real.field, __ATOMIC_ACQUIRE) == NULL) \
		__atomic_store_n(&tk_real.field, (__typeof__(tk_real.field))dlsym(RTLD_NEXT, name), \
				 __ATOMIC_RELEASE)

static void tk_resolve(void)
{
	TK_RESOLVE1(open, "open");
	TK_RESOLVE1(open64, "open64");
	TK_RESOLVE1(openat, "openat");
	TK_RESOLVE1(openat64, "openat64");
	TK_RESOLVE1(open_2, "__open_2");
	TK_RESOLVE1(open64_2, "__open64_2");
	TK_RESOLVE1(openat_2, "__openat_2");
	TK_RESOLVE1(openat64_2, "__openat64_2");
	TK_RESOLVE1(close, "close");
	TK_RESOLVE1(ioctl, "ioctl");
	TK_RESOLVE1(poll, "poll");
	TK_RESOLVE1(ppoll, "ppoll");
	TK_RESOLVE1(select, "select");
}

/* The real function, resolved on first use if the constructor has not run yet. */
#define REAL(field) \
	(__atomic_load_n(&tk_real.field, __ATOMIC_ACQUIRE) != NULL \
		 ? tk_real.field : (tk_resolve(), tk_real.field))

#define TK_NOSYS(field) \
	do { \
		if (REAL(field) == NULL) { \
			errno = ENOSYS; \
			return -1; \
		} \
	} while (0)

int tk_real_open(const char *path, int flags, mode_t mode)
{
	TK_NOSYS(open);
	return REAL(open)(path, flags, mode);
}

int tk_real_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	TK_NOSYS(openat);
	return REAL(openat)(dirfd, path, flags, mode);
}

int tk_real_close(int fd)
{
	TK_NOSYS(close);
	return REAL(close)(fd);
}

int tk_real_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	TK_NOSYS(ppoll);
	return REAL(ppoll)(fds, n, ts, mask);
}

int tk_real_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	TK_NOSYS(poll);
	return REAL(poll)(fds, n, timeout);
}

int tk_real_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	TK_NOSYS(select);
	return REAL(select)(n, r, w, e, tv);
}

/* ---- open files and the fd table ---- */

void tk_sh_lock(struct tk_shared *sh)
{
	/* Robust: a process that died holding it (killed mid-call) does not wedge the rest. */
	if (pthread_mutex_lock(&sh->mu) == EOWNERDEAD)
		pthread_mutex_consistent(&sh->mu);
}

void tk_sh_unlock(struct tk_shared *sh)
{
	pthread_mutex_unlock(&sh->mu);
}

/* Where the test kernel keeps fds of its own, out of the way of programs that dup2 to small numbers. */
#define TK_PRIVATE_FD_MIN 512

static struct tk_ofile *tk_ofile_new(int fd)
{
	struct tk_ofile *of = calloc(1, sizeof(*of));
	pthread_mutexattr_t ma;
	struct stat sb;

	if (of == NULL)
		return NULL;
	of->sh = mmap(NULL, sizeof(struct tk_shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (of->sh == MAP_FAILED) {
		free(of);
		return NULL;
	}
	of->wfd = fcntl(fd, F_DUPFD_CLOEXEC, TK_PRIVATE_FD_MIN);
	if (of->wfd < 0)
		of->wfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (of->wfd < 0 || pthread_mutexattr_init(&ma) != 0) {
		if (of->wfd >= 0)
			tk_real_close(of->wfd);
		munmap(of->sh, sizeof(struct tk_shared));
		free(of);
		return NULL;
	}
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&of->sh->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	of->ino = fstat(fd, &sb) == 0 ? (unsigned long)sb.st_ino : 0;
	of->refs = 1;
	return of;
}

void tk_ofile_put_locked(struct tk_ofile *of)
{
	if (--of->refs > 0)
		return;
	tk_real_close(of->wfd);
	munmap(of->sh, sizeof(struct tk_shared));
	free(of);
}

struct tk_slot {
	unsigned char used;   /* fd is an emulated ctrl fd */
	struct tk_ofile *of;  /* its open file (a reference) */
};

static struct tk_slot *tk_slots;  /* indexed by fd (tk_mu) */
static size_t tk_nslots;
static int tk_nctrl;              /* used slots (atomic reads without tk_mu) */

int tk_any_ctrl(void)
{
	return __atomic_load_n(&tk_nctrl, __ATOMIC_ACQUIRE) != 0;
}

static struct tk_slot *tk_slot_locked(int fd)
{
	if (fd < 0 || (size_t)fd >= tk_nslots || !tk_slots[fd].used)
		return NULL;
	return &tk_slots[fd];
}

static int tk_slots_grow_locked(int fd)
{
	size_t n = tk_nslots ? tk_nslots : 64;
	struct tk_slot *ns;

	if ((size_t)fd < tk_nslots)
		return 0;
	while (n <= (size_t)fd)
		n *= 2;
	ns = realloc(tk_slots, n * sizeof(*ns));
	if (ns == NULL)
		return ENOMEM;
	memset(ns + tk_nslots, 0, (n - tk_nslots) * sizeof(*ns));
	tk_slots = ns;
	tk_nslots = n;
	return 0;
}

static void tk_drain(int fd)
{
	uint64_t v[8];
	int saved = errno;

	/* Non-blocking (FIFO or eventfd): EAGAIN just means nothing is left. */
	while (read(fd, v, sizeof(v)) > 0)
		;
	errno = saved;
}

static void tk_wake(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0)
		errno = 0;  /* a pending wake-up is already there */
}

/* Remove fd from the table; returns its ofile (still referenced) or NULL. */
static struct tk_ofile *tk_slot_remove_locked(int fd)
{
	struct tk_slot *s = tk_slot_locked(fd);
	struct tk_ofile *of;

	if (s == NULL)
		return NULL;
	of = s->of;
	s->of = NULL;
	s->used = 0;
	of->nfds--;
	__atomic_sub_fetch(&tk_nctrl, 1, __ATOMIC_RELEASE);
	return of;
}

/* The last fd of this process on the open file is gone: a restart request made here stops. */
static struct tk_req *tk_ofile_last_close_locked(struct tk_ofile *of)
{
	struct tk_req *req = of->rstrt;

	if (of->nfds > 0 || req == NULL)
		return NULL;
	of->rstrt = NULL;
	__atomic_store_n(&req->cancel, 1, __ATOMIC_RELEASE);
	tk_req_detach(req);
	return req;  /* the ofile's reference, for the caller to drop */
}

/* A real open returned fd: an entry for it is stale (closed behind our back). */
static void tk_forget_stale(int fd)
{
	struct tk_ofile *of;
	struct tk_req *req;

	if (fd < 0 || !tk_any_ctrl())
		return;
	pthread_mutex_lock(&tk_mu);
	of = tk_slot_remove_locked(fd);
	if (of != NULL) {
		req = tk_ofile_last_close_locked(of);
		if (req != NULL)
			tk_req_put_locked(req);
		tk_ofile_put_locked(of);
	}
	pthread_mutex_unlock(&tk_mu);
}

int tk_ofile_get(int fd, struct tk_ofile **out)
{
	struct tk_slot *s;

	pthread_mutex_lock(&tk_mu);
	s = tk_slot_locked(fd);
	if (s != NULL) {
		s->of->refs++;
		*out = s->of;
	}
	pthread_mutex_unlock(&tk_mu);
	return s != NULL ? 0 : EBADF;  /* EBADF: closed concurrently */
}

/* A restart request on fd made by this process, still there. */
static struct tk_req *tk_local_rstrt_locked(struct tk_ofile *of)
{
	struct tk_req *req = of->rstrt;
	struct tk_rslot *sl = &of->sh->slot[TK_REQ_RSTRT - 1];
	int live;

	if (req == NULL || req->owner != getpid())
		return NULL;
	tk_sh_lock(of->sh);
	live = sl->gen == req->gen && sl->state != TK_SLOT_NONE;
	tk_sh_unlock(of->sh);
	return live ? req : NULL;
}

int tk_slot_get_rstrt_locked(int fd, struct tk_req **out)
{
	struct tk_slot *s = tk_slot_locked(fd);
	struct tk_req *req = s != NULL ? tk_local_rstrt_locked(s->of) : NULL;

	if (req == NULL)
		return EINVAL;
	req->refs++;
	*out = req;
	return 0;
}

enum tk_pstate tk_slot_pstate_locked(int fd)
{
	struct tk_slot *s = tk_slot_locked(fd);
	struct tk_shared *sh;
	enum tk_pstate st = TK_PS_NOREQ;
	int i;

	if (s == NULL)
		return TK_PS_NOT_CTRL;
	sh = s->of->sh;
	tk_sh_lock(sh);
	/* Like ctrl_poll: a restart request first, then a checkpoint request. */
	for (i = TK_REQ_RSTRT - 1; i >= 0; i--) {
		if (sh->slot[i].state != TK_SLOT_NONE) {
			st = sh->slot[i].state == TK_SLOT_DONE ? TK_PS_DONE : TK_PS_PENDING;
			break;
		}
	}
	tk_sh_unlock(sh);
	return st;
}

int tk_is_ctrl_fd(int fd)
{
	int r;

	if (!tk_any_ctrl())
		return 0;
	pthread_mutex_lock(&tk_mu);
	r = tk_slot_locked(fd) != NULL;
	pthread_mutex_unlock(&tk_mu);
	return r;
}

/* ---- open / close ---- */

static int tk_is_ctrl_path(const char *path)
{
	return path != NULL && strcmp(path, CR_CTRL_FILE) == 0;
}

/* An eventfd: the fallback, and the fresh fds of a forked child. */
static int tk_ctrl_make_eventfd(int cloexec)
{
	return eventfd(0, EFD_NONBLOCK | (cloexec ? EFD_CLOEXEC : 0));
}

/* The FIFO behind a new emulated ctrl fd (see the top of this file). */
static int tk_ctrl_make_fd(int cloexec)
{
	static unsigned int counter;
	char dir[PATH_MAX], path[PATH_MAX + 64];
	int tries, fd, saved = errno;

	snprintf(dir, sizeof(dir), "%s", tk_env_str("CR_TESTKERNEL_DIR", TK_DEFAULT_DIR));
	if (tk_ensure_dir(dir) == 0) {
		for (tries = 0; tries < 8; tries++) {
			unsigned int n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);

			snprintf(path, sizeof(path), "%s/%s%d.%u.%lx", dir, TK_CTRL_PREFIX, (int)getpid(),
				 n, (unsigned long)(tk_now_ns() & 0xffffff));
			if (mkfifo(path, 0600) != 0) {
				if (errno == EEXIST)
					continue;
				break;
			}
			fd = tk_real_open(path, O_RDWR | O_NONBLOCK | (cloexec ? O_CLOEXEC : 0), 0);
			unlink(path);
			if (fd >= 0) {
				errno = saved;
				return fd;
			}
			break;
		}
	}
	errno = saved;
	return tk_ctrl_make_eventfd(cloexec);
}

int tk_ctrl_file_ident(int fd, char *dir, size_t dirsize, unsigned long *ino)
{
	static const char deleted[] = " (deleted)";
	char link[64], target[PATH_MAX + 16], *base;
	struct stat sb;
	size_t len;

	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISFIFO(sb.st_mode))
		return ENOENT;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (tk_readlink(link, target, sizeof(target)) != 0)
		return ENOENT;
	len = strlen(target);
	if (len > sizeof(deleted) - 1 && strcmp(target + len - (sizeof(deleted) - 1), deleted) == 0)
		target[len - (sizeof(deleted) - 1)] = '\0';
	base = strrchr(target, '/');
	if (base == NULL || strncmp(base + 1, TK_CTRL_PREFIX, strlen(TK_CTRL_PREFIX)) != 0)
		return ENOENT;
	*base = '\0';
	if (dir != NULL) {
		if (strlen(target) + 1 > dirsize)
			return ENAMETOOLONG;
		memcpy(dir, target, strlen(target) + 1);
	}
	if (ino != NULL)
		*ino = (unsigned long)sb.st_ino;
	return 0;
}

static int tk_ctrl_open(int flags)
{
	struct tk_ofile *of, *stale;
	int efd, err;

	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
		errno = EEXIST;
		return -1;
	}
	if (flags & O_DIRECTORY) {
		errno = ENOTDIR;
		return -1;
	}
	efd = tk_ctrl_make_fd((flags & O_CLOEXEC) != 0);
	if (efd < 0)
		return -1;
	of = tk_ofile_new(efd);
	if (of == NULL) {
		tk_real_close(efd);
		errno = ENOMEM;
		return -1;
	}
	pthread_mutex_lock(&tk_mu);
	err = tk_slots_grow_locked(efd);
	if (err != 0) {
		tk_ofile_put_locked(of);
		pthread_mutex_unlock(&tk_mu);
		tk_real_close(efd);
		errno = err;
		return -1;
	}
	stale = tk_slot_remove_locked(efd);
	if (stale != NULL) {
		struct tk_req *req = tk_ofile_last_close_locked(stale);

		if (req != NULL)
			tk_req_put_locked(req);
		tk_ofile_put_locked(stale);
	}
	tk_slots[efd].used = 1;
	tk_slots[efd].of = of;
	of->nfds = 1;
	__atomic_add_fetch(&tk_nctrl, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&tk_mu);
	return efd;
}

static mode_t tk_open_mode(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(ap, unsigned int);
	return 0;
}

#define TK_OPEN_BODY(field, ...) \
	do { \
		int fd_; \
		TK_NOSYS(field); \
		fd_ = REAL(field)(__VA_ARGS__); \
		if (fd_ >= 0) { \
			int e_ = errno; \
			tk_forget_stale(fd_); \
			errno = e_; \
		} \
		return fd_; \
	} while (0)

TK_EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = tk_open_mode(flags, ap);
	va_end(ap);
	if (tk_is_ctrl_path(path))
		return tk_ctrl_open(flags);
	TK_OPEN_BODY(open, path, flags, mode);
}

TK_EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = tk_open_mode(flags, ap);
	va_end(ap);
	if (tk_is_ctrl_path(path))
		return tk_ctrl_open(flags);
	TK_OPEN_BODY(open64, path, flags, mode);
}

TK_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = tk_open_mode(flags, ap);
	va_end(ap);
	if (tk_is_ctrl_path(path))
		return tk_ctrl_open(flags);
	TK_OPEN_BODY(openat, dirfd, path, flags, mode);
}

TK_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = tk_open_mode(flags, ap);
	va_end(ap);
	if (tk_is_ctrl_path(path))
		return tk_ctrl_open(flags);
	TK_OPEN_BODY(openat64, dirfd, path, flags, mode);
}

TK_EXPORT int __open_2(const char *path, int flags)
{
	if (tk_is_ctrl_path(path))
		return tk_ctrl_open(flags);
	TK_OPEN_BODY(open_2, path, flags);
}

TK_EXPORT int __open64_2(const char *path, int flags)
{
	if (tk_is_ctrl_path(path))
		return tk_ctrl_open(flags);
	TK_OPEN_BODY(open64_2, path, flags);
}

TK_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	if (tk_is_ctrl_path(path))
		return tk_ctrl_open(flags);
	TK_OPEN_BODY(openat_2, dirfd, path, flags);
}

TK_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	if (tk_is_ctrl_path(path))
		return tk_ctrl_open(flags);
	TK_OPEN_BODY(openat64_2, dirfd, path, flags);
}

/* How long close() waits for a cancelled restart worker to undo what it did. */
#define TK_CLOSE_WAIT_SEC 3

/*
 * Closing an fd drops its reference on the open file. A checkpoint request
 * goes on (BLCR: the targets finish, get their signal; nobody reaps it). A
 * restart request made here stops when this process's last fd on it goes.
 */
static void tk_ctrl_close(int fd)
{
	struct tk_ofile *of;
	struct tk_req *req;

	pthread_mutex_lock(&tk_mu);
	of = tk_slot_remove_locked(fd);
	if (of == NULL) {
		pthread_mutex_unlock(&tk_mu);
		return;
	}
	req = tk_ofile_last_close_locked(of);
	if (req != NULL) {
		/* Wake a PROCS or poll still waiting on the fd. */
		tk_wake(of->wfd);
		if (req->has_worker && !req->finished) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += TK_CLOSE_WAIT_SEC;
			while (!req->finished) {
				if (pthread_cond_timedwait(&tk_cv, &tk_mu, &until) == ETIMEDOUT)
					break;
			}
		}
		tk_req_put_locked(req);
	}
	tk_ofile_put_locked(of);
	pthread_mutex_unlock(&tk_mu);
}

TK_EXPORT int close(int fd)
{
	TK_NOSYS(close);
	if (tk_any_ctrl())
		tk_ctrl_close(fd);
	return REAL(close)(fd);
}

/* ---- ioctl ---- */

static int tk_fail(int err)
{
	errno = err;
	return -1;
}

static int tk_op_version(unsigned long arg)
{
	uint64_t kv = tk_env_u64("CR_TESTKERNEL_VERSION", CR_MODULE_VERSION);
	unsigned long kmaj = (kv >> 16) & 0xffff, kmin = kv & 0xffff;
	unsigned long umaj = arg >> 16, umin = arg & 0xffff;
	int ok = umaj == kmaj && (kmaj == 0 ? umin == kmin : umin <= kmin);

	if (!ok)
		tk_kmsg("request from pid %d for unsupported version %d.%d", (int)getpid(), (int)umaj,
			(int)umin);
	return ok ? 0 : tk_fail(CR_EVERSION);
}

static const char *tk_op_fn(enum tk_req_kind kind, int log)
{
	if (kind == TK_REQ_CHKPT)
		return log ? "do_chkpt_log" : "cr_chkpt_reap";
	return log ? "do_rstrt_log" : "cr_rstrt_reap";
}

static int tk_op_reap(int fd, enum tk_req_kind kind)
{
	struct tk_slot *s;
	struct tk_rslot *sl;
	struct tk_ofile *of;
	struct tk_req *drop = NULL;
	int res, value, state;

	pthread_mutex_lock(&tk_mu);
	s = tk_slot_locked(fd);
	if (s == NULL) {
		pthread_mutex_unlock(&tk_mu);
		return tk_fail(EINVAL);
	}
	of = s->of;
	tk_sh_lock(of->sh);
	sl = &of->sh->slot[kind - 1];
	state = sl->state;
	res = sl->result;
	value = sl->reap_value;
	if (state == TK_SLOT_DONE) {
		sl->state = TK_SLOT_NONE;
		tk_drain(of->wfd);
	}
	tk_sh_unlock(of->sh);
	if (state == TK_SLOT_DONE && kind == TK_REQ_RSTRT && of->rstrt != NULL &&
	    of->rstrt->owner == getpid()) {
		drop = of->rstrt;
		of->rstrt = NULL;
	}
	if (drop != NULL)
		tk_req_put_locked(drop);
	pthread_mutex_unlock(&tk_mu);
	if (state == TK_SLOT_NONE)
		return tk_fail(EINVAL);
	if (state == TK_SLOT_PENDING)
		return tk_fail(EAGAIN);
	return res != 0 ? tk_fail(res) : value;
}

static int tk_op_log(int fd, enum tk_req_kind kind, struct cr_log_args *la)
{
	struct tk_slot *s;
	struct tk_rslot *sl;
	struct tk_ofile *of;
	size_t need, n;

	if (la == NULL || (la->len > 0 && la->buf == NULL))
		return tk_fail(EFAULT);
	pthread_mutex_lock(&tk_mu);
	s = tk_slot_locked(fd);
	if (s == NULL) {
		pthread_mutex_unlock(&tk_mu);
		return tk_fail(EINVAL);
	}
	of = s->of;
	tk_sh_lock(of->sh);
	sl = &of->sh->slot[kind - 1];
	if (sl->state == TK_SLOT_NONE) {
		tk_sh_unlock(of->sh);
		pthread_mutex_unlock(&tk_mu);
		tk_kmsg("%s: No %s attached to filp!", tk_op_fn(kind, 1),
			kind == TK_REQ_CHKPT ? "chkpt_req" : "rstrt_req");
		return tk_fail(EINVAL);
	}
	need = sl->log_len != 0 ? sl->log_len + 1 : 0;
	if (la->len > 0) {
		n = sl->log_len < la->len - 1 ? sl->log_len : la->len - 1;
		if (n > 0)
			memcpy(la->buf, sl->log, n);
		la->buf[n] = '\0';
	}
	tk_sh_unlock(of->sh);
	pthread_mutex_unlock(&tk_mu);
	return (int)need;
}

/*
 * The handler ops outside a checkpoint (no caller is ever inside one: the
 * stand-in answers the trigger with an ack file), with what BLCR says then.
 */
static int tk_op_hand(unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case CR_OP_HAND_ABORT:
		tk_kmsg("cr_hand_abort: No matching task found!");
		return tk_fail(ESRCH);
	case CR_OP_HAND_DONE:
		if (arg & ~(unsigned long)CR_HOLD_BOTH) {
			tk_kmsg("cr_hand_complete: invalid flags");
			return tk_fail(EINVAL);
		}
		tk_kmsg("cr_hand_complete: No matching task found!");
		return tk_fail(ESRCH);
	case CR_OP_HAND_CHKPT_INFO:
	case CR_OP_CHKPT_FWD:
		/* Both read their argument first. */
		return tk_fail(arg == 0 ? EFAULT : ESRCH);
	default:
		return tk_fail(ESRCH);
	}
}

static int tk_ctrl_ioctl(int fd, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case CR_OP_VERSION:
		return tk_op_version(arg);
	case CR_OP_CHKPT_REQ:
		return tk_chkpt_request(fd, (const struct cr_chkpt_args *)arg);
	case CR_OP_CHKPT_REAP:
		return tk_op_reap(fd, TK_REQ_CHKPT);
	case CR_OP_CHKPT_LOG:
		return tk_op_log(fd, TK_REQ_CHKPT, (struct cr_log_args *)arg);
	case CR_OP_RSTRT_REAP:
		return tk_op_reap(fd, TK_REQ_RSTRT);
	case CR_OP_RSTRT_LOG:
		return tk_op_log(fd, TK_REQ_RSTRT, (struct cr_log_args *)arg);
	case CR_OP_RSTRT_REQ:
	case CR_OP_RSTRT_PROCS:
		return tk_rstrt_ioctl(fd, cmd, arg);
	case CR_OP_RSTRT_CHILD: {
		struct tk_req *own = NULL;
		int r;

		/* A forked child of the requester shares the fd: it is a restart child. */
		pthread_mutex_lock(&tk_mu);
		if (tk_slot_get_rstrt_locked(fd, &own) == 0)
			tk_req_put_locked(own);
		pthread_mutex_unlock(&tk_mu);
		if (own == NULL && tk_rstrt_child_foreign(fd, &r))
			return r;
		return tk_rstrt_ioctl(fd, cmd, arg);
	}
	case CR_OP_HAND_ABORT:
		/* The requester answering its own trigger (tk_chkpt.c); else no matching task. */
		if (tk_chkpt_self_triggered(fd))
			return tk_chkpt_hand_abort(fd, arg);
		return tk_op_hand(cmd, arg);
	case CR_OP_HAND_CHKPT:
	case CR_OP_HAND_PHASE1:
	case CR_OP_HAND_SUSP:
	case CR_OP_HAND_PHASE2:
	case CR_OP_HAND_DONE:
	case CR_OP_HAND_SRC:
	case CR_OP_HAND_CHKPT_INFO:
	case CR_OP_CHKPT_FWD:
		return tk_op_hand(cmd, arg);
	default:
		return tk_fail(ENOTTY);
	}
}

TK_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (tk_is_ctrl_fd(fd))
		return tk_ctrl_ioctl(fd, (unsigned int)request, arg);
	if ((unsigned int)request == CR_OP_RSTRT_CHILD) {
		int r;

		/* A restart child on the ctrl fd it inherited (not in our table). */
		if (tk_rstrt_child_foreign(fd, &r))
			return r;
	}
	TK_NOSYS(ioctl);
	return REAL(ioctl)(fd, request, arg);
}

/* ---- fork ---- */

static void tk_atfork_prepare(void)
{
	pthread_mutex_lock(&tk_mu);
}

static void tk_atfork_parent(void)
{
	pthread_mutex_unlock(&tk_mu);
}

/*
 * The child keeps every emulated fd on the same open file (as the kernel's
 * fork shares the struct file): it sees the same requests. The requests'
 * private parts and workers stayed in the parent: forget them, and count the
 * ofiles' references again (its table's fds only).
 */
static void tk_atfork_child(void)
{
	size_t fd;

	tk_req_forget_all_locked();
	for (fd = 0; fd < tk_nslots; fd++) {
		if (tk_slots[fd].used) {
			tk_slots[fd].of->refs = 0;
			tk_slots[fd].of->nfds = 0;
			tk_slots[fd].of->rstrt = NULL;
		}
	}
	for (fd = 0; fd < tk_nslots; fd++) {
		if (tk_slots[fd].used) {
			tk_slots[fd].of->refs++;
			tk_slots[fd].of->nfds++;
		}
	}
	pthread_mutex_unlock(&tk_mu);
}

__attribute__((constructor)) static void tk_init(void)
{
	/* Cheap on purpose: symbol lookups and the fork handlers only. */
	tk_resolve();
	if (pthread_atfork(tk_atfork_prepare, tk_atfork_parent, tk_atfork_child) != 0)
		errno = 0;
}
