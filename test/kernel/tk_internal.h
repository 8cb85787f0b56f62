/*
 * tk_internal.h - shared declarations of the test kernel (libcr_testkernel.so).
 *
 * Files:
 *   tk_ctrl.c   interposed open/close/ioctl, the fd table, the op switch
 *   tk_poll.c   interposed poll/ppoll/select
 *   tk_req.c    the request object: refcount, log, completion, cancellation
 *   tk_chkpt.c  CR_OP_CHKPT_REQ: validation, the worker's steps, signals
 *   tk_targets.c    targets of a request and their checks (tk_chkpt.h)
 *   tk_handshake.c  busy locks, trigger and acks (tk_chkpt.h)
 *   tk_proc.c   /proc parsing and target resolution
 *   tk_dump.c   the context file writer
 *   tk_rstrt.c  the RSTRT_* ops: request, image parser, PROCS, worker, RSTRT_CHILD
 *   tk_util.c   env knobs, file and time helpers
 *
 * Locking: one mutex, tk_mu, guards the fd table and every request's shared
 * fields (refs, fd, done, finished, result, log). It is never held while
 * sleeping, waiting on the real poll, or doing /proc or file I/O.
 */
#ifndef TK_INTERNAL_H
#define TK_INTERNAL_H

#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/types.h>
#include <time.h>

#include "cr_blcr.h"
#include "tk_format.h"

#define TK_HIDDEN __attribute__((visibility("hidden")))
#define TK_EXPORT __attribute__((visibility("default")))
#define TK_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- tk_ctrl.c: the real libc functions and the fd table ---- */

TK_HIDDEN int tk_real_open(const char *path, int flags, mode_t mode);
TK_HIDDEN int tk_real_openat(int dirfd, const char *path, int flags, mode_t mode);
TK_HIDDEN int tk_real_close(int fd);
TK_HIDDEN int tk_real_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
			    const sigset_t *mask);
TK_HIDDEN int tk_real_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv);
TK_HIDDEN int tk_real_poll(struct pollfd *fds, nfds_t n, int timeout);

#define TK_DEFAULT_DIR "/tmp/cr-testkernel"
/* Basename prefix of the FIFO behind an emulated ctrl fd (see README). */
#define TK_CTRL_PREFIX "tkctrl."

/*
 * If fd is an emulated ctrl fd of any process (a FIFO named TK_CTRL_PREFIX...,
 * inherited or not), 0 and its directory and inode; else ENOENT. dir may be
 * NULL.
 */
TK_HIDDEN int tk_ctrl_file_ident(int fd, char *dir, size_t dirsize, unsigned long *ino);

/* Non-zero when at least one emulated ctrl fd exists (lock-free hint). */
TK_HIDDEN int tk_any_ctrl(void);

struct tk_req;
enum tk_req_kind { TK_REQ_CHKPT = 1, TK_REQ_RSTRT = 2 };

/*
 * The open file behind an emulated ctrl fd. BLCR hangs requests off the
 * struct file (one checkpoint and one restart request at most), so every fd
 * sharing it - the same process's, a forked child's - sees the same requests.
 * What they see lives in memory shared across fork (struct tk_shared); the
 * process that made a request runs its worker and owns its private state.
 */
#define TK_LOG_CAP 4092  /* BLCR's errbuf: one page less its header */

enum tk_slot_state { TK_SLOT_NONE = 0, TK_SLOT_PENDING, TK_SLOT_DONE };

struct tk_rslot {
	uint32_t gen;       /* bumped by each request */
	int32_t state;      /* enum tk_slot_state */
	int32_t result;     /* 0 or a positive errno */
	int32_t reap_value; /* REAP's value on success */
	int32_t owner;      /* the process running its worker */
	uint32_t log_len;
	char log[TK_LOG_CAP + 1];
};

struct tk_shared {
	pthread_mutex_t mu;        /* process-shared, robust */
	struct tk_rslot slot[2];   /* [TK_REQ_CHKPT - 1], [TK_REQ_RSTRT - 1] */
};

struct tk_ofile {
	int refs;            /* table fds + requests of this process (tk_mu) */
	int nfds;            /* table fds of this process (tk_mu) */
	int wfd;             /* our own dup of the fd: completion wake-ups, drains */
	unsigned long ino;
	struct tk_shared *sh;
	struct tk_req *rstrt;  /* a restart request made by this process (a reference) */
};

TK_HIDDEN void tk_sh_lock(struct tk_shared *sh);
TK_HIDDEN void tk_sh_unlock(struct tk_shared *sh);
/* The ofile of an emulated fd, with a new reference: 0, or EBADF. */
TK_HIDDEN int tk_ofile_get(int fd, struct tk_ofile **out);
TK_HIDDEN void tk_ofile_put_locked(struct tk_ofile *of);

/* The fd's restart request made by this process, with a new reference: 0, or EINVAL
 * (call with tk_mu held). */
TK_HIDDEN int tk_slot_get_rstrt_locked(int fd, struct tk_req **out);
/* State of an fd as poll sees it (call with tk_mu held). */
enum tk_pstate { TK_PS_NOT_CTRL = 0, TK_PS_NOREQ, TK_PS_PENDING, TK_PS_DONE };
TK_HIDDEN enum tk_pstate tk_slot_pstate_locked(int fd);
/* Non-zero when fd is an emulated ctrl fd (takes tk_mu). */
TK_HIDDEN int tk_is_ctrl_fd(int fd);

/* ---- tk_req.c: the request object ---- */

extern TK_HIDDEN pthread_mutex_t tk_mu;
extern TK_HIDDEN pthread_cond_t tk_cv;

struct tk_req {
	enum tk_req_kind kind;
	int refs;          /* the ioctl's, the worker's, the ofile's (restart) (tk_mu) */
	struct tk_ofile *of;  /* the open file it hangs off (a reference), once attached */
	uint32_t gen;      /* its generation in the ofile's slot */
	pid_t owner;       /* the process that made it */
	int has_worker;    /* a worker thread owns a reference */
	int finished;      /* the worker has released everything (tk_mu) */
	int cancel;        /* restart: its requester closed the ctrl fd (atomic) */
	int64_t deadline_ns;  /* cr_secs expiry on the monotonic clock, 0 = none */
	int timeout_logged;   /* worker only */
	void *priv;        /* kind-specific data, freed by destroy */
	void (*destroy)(void *priv);
	struct tk_req *live_prev, *live_next;  /* every request of this process */
};

/* A new request holding one reference: the caller's. */
TK_HIDDEN struct tk_req *tk_req_new(enum tk_req_kind kind, void *priv, void (*destroy)(void *));
/* Drop one reference; frees at zero. Call with tk_mu held. */
TK_HIDDEN void tk_req_put_locked(struct tk_req *req);
/* Hang req off fd's open file: 0, EAGAIN (a request of that kind is there; for a
 * restart, either kind), EBADF. */
TK_HIDDEN int tk_req_attach(int fd, struct tk_req *req);
/* Take it off again (a request that failed in the ioctl). */
TK_HIDDEN void tk_req_detach(struct tk_req *req);
/* Format one log/report line into line[size]: the text, truncated if need be, then '\n' and a NUL.
 * Returns its length (without the NUL), or -1. */
TK_HIDDEN int tk_vformat_line(char *line, size_t size, const char *fmt, va_list ap);
/* Start a detached worker thread (all signals blocked) holding a reference on req: 0 or an errno. */
TK_HIDDEN int tk_req_start_worker(struct tk_req *req, void *(*fn)(void *));
/* A line of the request's log (and of the kernel log, as BLCR's printk does). */
TK_HIDDEN void tk_req_log(struct tk_req *req, const char *fmt, ...) TK_PRINTF(2, 3);
/* Forget the log so far (a retried request starts a new one). */
TK_HIDDEN void tk_req_log_reset(struct tk_req *req);
/* Store the result (first call wins) and make the ctrl fd readable. */
TK_HIDDEN void tk_req_complete(struct tk_req *req, int err);
TK_HIDDEN void tk_req_set_value(struct tk_req *req, int value);
/* Non-zero once the request is complete (or reaped, or no longer attached). */
TK_HIDDEN int tk_req_is_done(struct tk_req *req);
/* The worker is done with everything: wake close(), drop its reference. */
TK_HIDDEN void tk_req_finish(struct tk_req *req);
TK_HIDDEN int tk_req_cancelled(struct tk_req *req);
/* Kernel-log "chkpt_watchdog: timeout detected" once when cr_secs has expired. */
TK_HIDDEN void tk_req_tick(struct tk_req *req);
/* Sleep ns in short slices; ECANCELED if the request was cancelled, else 0. */
TK_HIDDEN int tk_req_sleep(struct tk_req *req, int64_t ns);
/* In a forked child: forget every request inherited from the parent (not their ofiles). */
TK_HIDDEN void tk_req_forget_all_locked(void);

/* ---- tk_kmsg.c: the emulated kernel log ---- */

TK_HIDDEN void tk_kmsg(const char *fmt, ...) TK_PRINTF(1, 2);
TK_HIDDEN void tk_kmsg_line(const char *line);

/* ---- tk_chkpt.c ---- */

/* CR_OP_CHKPT_REQ on the emulated fd: ioctl return value (0 or -1/errno). */
TK_HIDDEN int tk_chkpt_request(int fd, const struct cr_chkpt_args *uargs);
/* CR_OP_HAND_ABORT: -1/CR_EOMITTED while the requester answers its own trigger, else -1/ESRCH. */
TK_HIDDEN int tk_chkpt_self_triggered(int fd);
TK_HIDDEN int tk_chkpt_hand_abort(int fd, unsigned long flags);

/* ---- tk_rstrt.c ---- */

TK_HIDDEN int tk_rstrt_ioctl(int fd, unsigned int cmd, unsigned long arg);
/*
 * CR_OP_RSTRT_CHILD on an fd that is not in this process's table (a restart
 * child that inherited the ctrl fd across exec). 0 when fd is not an emulated
 * ctrl file (the caller passes the ioctl on); else 1 and *ret = -1 with errno
 * set (on success the call never returns: the caller is overlaid).
 */
TK_HIDDEN int tk_rstrt_child_foreign(int fd, int *ret);

/* ---- tk_proc.c ---- */

struct tk_pstatus {
	pid_t tgid, ppid, tracer;
	uid_t ruid, euid, suid;
	gid_t rgid, egid;
	int threads;
	char state;
	char name[16];  /* Name: (the comm) */
	uint64_t sigcgt, sigign, capeff;
};

struct tk_pstat {
	pid_t pid, ppid, pgrp, sid;
	unsigned long flags;
	char state;
};

#define TK_PF_KTHREAD 0x00200000ul

/* 0, ESRCH when the process is gone, or another errno. */
TK_HIDDEN int tk_proc_status(pid_t pid, struct tk_pstatus *st);
/* The calling thread's status (its own capabilities). */
TK_HIDDEN int tk_proc_self_status(struct tk_pstatus *st);
TK_HIDDEN int tk_proc_task_status(pid_t pid, pid_t tid, struct tk_pstatus *st);
TK_HIDDEN int tk_proc_stat(pid_t pid, struct tk_pstat *st);
/* A process's comm and wait status (/proc/PID/stat exit_code; 0 while it runs). */
TK_HIDDEN int tk_proc_exit(pid_t pid, char *comm, size_t size, int *code);
/* Every process on the system, sorted by pid. */
TK_HIDDEN int tk_proc_scan(struct tk_pstat **list, size_t *n);
/* The numeric entries of a directory (e.g. /proc/PID/fd), sorted. */
TK_HIDDEN int tk_list_numeric(const char *dir, pid_t **out, size_t *n);
/* The tids of pid, sorted. */
TK_HIDDEN int tk_proc_tids(pid_t pid, pid_t **tids, size_t *n);
/* Sorted, distinct TracerPid values of every process. */
TK_HIDDEN int tk_proc_tracers(pid_t **list, size_t *n);
/* Resolve (scope, id) to processes: PROC/PGRP/SESS by pid, TREE pre-order. */
TK_HIDDEN int tk_proc_resolve(int scope, pid_t id, struct tk_pstat **out, size_t *n);

/* ---- tk_dump.c ---- */

struct tk_dump_proc {
	pid_t pid;
	const unsigned char *blob;  /* the stub's state blob */
	size_t blob_len;
	int dumped;                 /* out: the section was written */
};

struct tk_dump_opts {
	int dest_fd;          /* a file/FIFO/socket, or a directory */
	int dest_is_dir;
	int dest_is_ctrl;     /* another ctrl file: its first write fails (EIO) */
	int scope;
	int format;           /* dump_format: anything but 0 fails after the file header */
	unsigned int flags;   /* CR_CHKPT_DUMP_* */
	uint64_t image_size;  /* PAGES record length */
	uint64_t rate;        /* bytes per second, 0 = unlimited */
	int fail_write;       /* errno injected after the first chunk, 0 = none */
};

/* 0 or a positive errno (ECANCELED when the request was cancelled). */
TK_HIDDEN int tk_dump(struct tk_req *req, const struct tk_dump_opts *o,
		      struct tk_dump_proc *procs, size_t n);

/* ---- tk_util.c ---- */

TK_HIDDEN uint64_t tk_env_u64(const char *name, uint64_t dflt);
TK_HIDDEN const char *tk_env_str(const char *name, const char *dflt);
/* Read a whole file (NUL terminated, *len excludes the NUL): 0 or errno. */
TK_HIDDEN int tk_read_file(const char *path, char **buf, size_t *len);
TK_HIDDEN int tk_read_fd(int fd, char **buf, size_t *len);
/* readlink into buf (NUL terminated): 0 or errno. */
TK_HIDDEN int tk_readlink(const char *path, char *buf, size_t size);
TK_HIDDEN int64_t tk_now_ns(void);
TK_HIDDEN void tk_sleep_ns(int64_t ns);
/* Create dir with mode 01777 when missing: 0 or errno. */
TK_HIDDEN int tk_ensure_dir(const char *dir);
/* write() until done (EINTR retried): 0 or errno (EIO for a zero write). */
TK_HIDDEN int tk_write_all(int fd, const void *buf, size_t len);
TK_HIDDEN const char *tk_errname(int err);

#endif
