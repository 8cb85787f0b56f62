/*
 * tk_chkpt.c - CR_OP_CHKPT_REQ.
 *
 * In the ioctl, as BLCR's do_chkpt_req: the argument, scope, signal and
 * destination checks, the targets and their checks (tk_targets.c, with the
 * one retry on CR_ENOSUPPORT), the triggers (tk_handshake.c). Their errors
 * are the ioctl's, or REAP's with ASYNC_ERR. Then a worker thread waits for
 * the handlers' answers (tk_handshake.c), dumps (tk_dump.c) and sends the
 * signals after the checkpoint (here).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tk_internal.h"
#include "tk_chkpt.h"

static void tk_chkpt_destroy(void *priv)
{
	struct tk_chkpt *ck = priv;
	size_t i;

	if (ck == NULL)
		return;
	if (ck->dest_fd >= 0)
		tk_real_close(ck->dest_fd);
	for (i = 0; i < ck->nt; i++)
		free(ck->t[i].blob);
	free(ck->t);
	free(ck);
}

/* ---- synchronous validation (inside the ioctl) ---- */

static int tk_valid_signal(int s)
{
	return (s >= 0 && s <= 64) || (s < 0 && -s <= 64);
}

/* The destination, as BLCR's cr_loc_init and validate_file check it (their log lines). */
static int tk_loc_init(struct tk_req *req, struct tk_chkpt *ck, int ctrl_fd)
{
	int fd = ck->args.cr_fd, fl, dfd;
	struct tk_ofile *mine = NULL, *theirs = NULL;
	struct stat sb;

	if (fd == CR_DEST_CWD) {
		dfd = tk_real_open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (dfd < 0)
			return errno;
	} else {
		fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
		if (fl < 0 || fstat(fd, &sb) != 0) {
			tk_req_log(req, "invalid file descriptor %d received", fd);
			return EINVAL;
		}
		/* The very open file the request is made on (a dup of the ctrl fd counts). */
		if (tk_ofile_get(ctrl_fd, &mine) == 0 && tk_ofile_get(fd, &theirs) == 0 && mine == theirs) {
			pthread_mutex_lock(&tk_mu);
			tk_ofile_put_locked(mine);
			tk_ofile_put_locked(theirs);
			pthread_mutex_unlock(&tk_mu);
			tk_req_log(req, "file descriptor %d is the ctrl descriptor", fd);
			return EINVAL;
		}
		pthread_mutex_lock(&tk_mu);
		if (mine != NULL)
			tk_ofile_put_locked(mine);
		if (theirs != NULL)
			tk_ofile_put_locked(theirs);
		pthread_mutex_unlock(&tk_mu);
		if (S_ISREG(sb.st_mode) || S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)) {
			if (S_ISREG(sb.st_mode) && sb.st_nlink > 1)
				return EMLINK;
			if ((fl & O_ACCMODE) == O_RDONLY || (fl & O_PATH))
				return EBADF;
			/* Another ctrl file is a regular file to BLCR: writing to it fails. */
			ck->dest_is_ctrl = theirs != NULL || tk_ctrl_file_ident(fd, NULL, 0, NULL) == 0;
		} else if (!S_ISDIR(sb.st_mode)) {
			tk_req_log(req, "unsupported file type");
			return EINVAL;
		}
		/* Our own reference, sharing the file offset, like the kernel's fget. */
		dfd = fcntl(fd, F_DUPFD_CLOEXEC, 512);
		if (dfd < 0)
			dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (dfd < 0)
			return errno;
		if (!S_ISDIR(sb.st_mode)) {
			ck->dest_fd = dfd;
			return 0;
		}
	}
	/* A directory: the requester may create files in it. */
	if (faccessat(dfd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
		int err = errno;

		tk_real_close(dfd);
		return err;
	}
	ck->dest_fd = dfd;
	ck->dest_is_dir = 1;
	return 0;
}

static int tk_validate(struct tk_req *req, struct tk_chkpt *ck, int ctrl_fd)
{
	const struct cr_chkpt_args *a = &ck->args;
	int err;

	if ((unsigned int)a->cr_scope > CR_SCOPE_TREE) {
		tk_req_log(req, "invalid scope value: %d", (int)a->cr_scope);
		return EINVAL;
	}
	if (!tk_valid_signal(a->signal)) {
		tk_req_log(req, "invalid signal value: %d", a->signal);
		return EINVAL;
	}
	err = tk_loc_init(req, ck, ctrl_fd);
	if (err != 0)
		tk_req_log(req, "Failed to initialize destination file descriptor");
	return err;
}

static void tk_read_knobs(struct tk_chkpt *ck)
{
	const char *fail = tk_env_str("CR_TESTKERNEL_FAIL", "");
	static unsigned int counter;
	unsigned int c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);

	snprintf(ck->dir, sizeof(ck->dir), "%s", tk_env_str("CR_TESTKERNEL_DIR", TK_DEFAULT_DIR));
	ck->image_size = tk_env_u64("CR_TESTKERNEL_IMAGE_SIZE", 65536);
	ck->rate = tk_env_u64("CR_TESTKERNEL_RATE", 0);
	if (strncmp(fail, "tempfail", 8) == 0) {
		ck->fail_kind = TK_FAIL_TEMP;
		ck->fail_code = fail[8] == ':' ? atoi(fail + 9) : CR_ETEMPFAIL;
	} else if (strncmp(fail, "permfail", 8) == 0) {
		ck->fail_kind = TK_FAIL_PERM;
		ck->fail_code = fail[8] == ':' ? atoi(fail + 9) : CR_EPERMFAIL;
	} else if (strncmp(fail, "write:", 6) == 0) {
		ck->fail_kind = TK_FAIL_WRITE;
		ck->fail_code = atoi(fail + 6);
	}
	if (ck->fail_kind != TK_FAIL_NONE && ck->fail_code <= 0)
		ck->fail_kind = TK_FAIL_NONE;
	/* Unique with the busy locks: no two live requests share a target. */
	ck->token = ((unsigned int)(ck->requester & 0x7fff) << 16) | (c & 0xffff);
}

static void tk_read_requester(struct tk_chkpt *ck)
{
	struct tk_pstatus self;

	ck->requester = getpid();
	ck->req_pgrp = getpgrp();
	ck->req_sid = getsid(0);
	ck->req_uid = getuid();
	ck->req_euid = geteuid();
	ck->req_cap_kill = tk_proc_self_status(&self) == 0 && ((self.capeff >> 5) & 1);
}

static void *tk_chkpt_worker(void *arg);

/* ---- the requester inside its own scope ----
 *
 * The kernel triggers every target, the requester's own process included when
 * it falls in the scope (and PROHIBIT_SELF is not set), with CR_SIGNUM,
 * si_code SI_KERNEL and si_pid = a ctrl fd in that process. A requester that
 * cannot be dumped answers HAND_ABORT(OMIT) on it (BLCR's libcr_omit, cr's
 * own handler) and is left out. Only a thread may send itself an SI_KERNEL
 * signal, so this is emulated for the calling thread alone, synchronously in
 * CR_OP_CHKPT_REQ: the handler runs as the signal is sent, and its ioctl finds
 * the request through the thread-local below. The fd it names is the
 * request's own ctrl fd (the kernel puts a second one in the process). Other
 * targets keep the stub's sigqueue/ack handshake.
 */
/* volatile: read by a signal handler on this thread, which the compiler cannot see. */
static __thread struct tk_chkpt *volatile tk_self_ck;
static __thread volatile int tk_self_fd = -1;

int tk_chkpt_self_triggered(int fd)
{
	return tk_self_ck != NULL && fd == tk_self_fd;
}

int tk_chkpt_hand_abort(int fd, unsigned long flags)
{
	if (tk_self_ck != NULL && fd == tk_self_fd && (flags & 0xffff) == CR_CHECKPOINT_OMIT) {
		tk_self_ck->self_omitted = 1;
		errno = CR_EOMITTED;
		return -1;
	}
	errno = ESRCH;
	return -1;
}

/* Whether the requester falls in the request's scope (what the worker will resolve). */
static int tk_self_in_scope(const struct tk_chkpt *ck)
{
	pid_t id = ck->args.cr_target, p = ck->requester;
	struct tk_pstatus st;
	struct tk_pstat ps;
	int hops;

	if (id == 0)
		return 1;
	switch (ck->args.cr_scope) {
	case CR_SCOPE_PROC:
		return id == p || (tk_proc_status(id, &st) == 0 && st.tgid == p);
	case CR_SCOPE_PGRP:
		return id == ck->req_pgrp;
	case CR_SCOPE_SESS:
		return id == ck->req_sid;
	default:
		for (hops = 0; p > 0 && hops < 65536; hops++) {
			if (p == id)
				return 1;
			if (p == 1 || tk_proc_stat(p, &ps) != 0)
				return 0;
			p = ps.ppid;
		}
		return 0;
	}
}

static void tk_self_trigger(int fd, struct tk_chkpt *ck)
{
	struct sigaction sa;
	sigset_t one, old;
	siginfo_t si;

	if ((ck->args.flags & CR_CHKPT_PROHIBIT_SELF) || sigaction(CR_SIGNUM, NULL, &sa) != 0 ||
	    sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN || !tk_self_in_scope(ck))
		return;
	memset(&si, 0, sizeof(si));
	si.si_signo = CR_SIGNUM;
	si.si_code = SI_KERNEL;
	si.si_pid = fd;
	/* The kernel unblocks CR_SIGNUM in a task it triggers. */
	sigemptyset(&one);
	sigaddset(&one, CR_SIGNUM);
	pthread_sigmask(SIG_UNBLOCK, &one, &old);
	tk_self_ck = ck;
	tk_self_fd = fd;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), CR_SIGNUM, &si) != 0)
		errno = 0;  /* not triggered: the worker treats the requester as any target */
	tk_self_ck = NULL;
	tk_self_fd = -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}


/* The kernel's 0.5 s wait before its one retry: cut short by a signal, as wait_event_interruptible is. */
static void tk_retry_pause(void)
{
	struct timespec ts = { 0, 500000000 };

	nanosleep(&ts, NULL);
}

/*
 * Everything BLCR does inside the ioctl: arguments, destination, targets and
 * their checks (with its one retry, 0.5 s later, on CR_ENOSUPPORT), then the
 * triggers. Errors are the ioctl's, or REAP's with ASYNC_ERR. Then the worker
 * waits for the handlers, dumps and signals.
 */
static int tk_chkpt_setup(struct tk_req *req, struct tk_chkpt *ck, int fd)
{
	int err = tk_validate(req, ck, fd), attempt;

	if (err != 0)
		return err;
	tk_read_requester(ck);
	tk_read_knobs(ck);
	for (attempt = 0;; attempt++) {
		err = tk_build_targets(req, ck);
		if (err != CR_ENOSUPPORT || attempt > 0)
			break;
		/* BLCR frees the request and makes a new one: a new log. */
		tk_drop_targets(ck);
		tk_req_log_reset(req);
		tk_retry_pause();
		tk_req_log(req, "Retry request on -CR_ENOSUPPORT");
	}
	if (err != 0)
		return err;
	if (ck->args.cr_secs != 0)
		req->deadline_ns = tk_now_ns() + (int64_t)ck->args.cr_secs * 1000000000;
	/* The requester in its own scope is triggered first; a HAND_ABORT(OMIT) leaves it out. */
	tk_self_trigger(fd, ck);
	if (ck->self_omitted) {
		struct tk_target *self = tk_find(ck, ck->requester);

		if (self != NULL)
			self->excluded = 1;
	}
	tk_trigger(ck);
	return 0;
}

int tk_chkpt_request(int fd, const struct cr_chkpt_args *uargs)
{
	struct tk_chkpt *ck;
	struct tk_req *req;
	int err;

	if (uargs == NULL) {
		errno = EFAULT;
		return -1;
	}
	ck = calloc(1, sizeof(*ck));
	if (ck == NULL) {
		errno = ENOMEM;
		return -1;
	}
	ck->args = *uargs;
	ck->dest_fd = -1;
	req = tk_req_new(TK_REQ_CHKPT, ck, tk_chkpt_destroy);
	if (req == NULL) {
		free(ck);
		errno = ENOMEM;
		return -1;
	}
	err = tk_req_attach(fd, req);
	if (err == 0) {
		err = tk_chkpt_setup(req, ck, fd);
		if (err == 0 && tk_count_left(ck) == 0) {
			/* Nobody to checkpoint (all skipped): done at once; REAP says ESRCH. */
			tk_unlock_targets(ck);
			tk_req_complete(req, ESRCH);
		} else if (err == 0) {
			err = tk_req_start_worker(req, tk_chkpt_worker);
		}
		if (err != 0) {
			tk_unlock_targets(ck);
			if (ck->args.flags & CR_CHKPT_ASYNC_ERR) {
				tk_req_complete(req, err);  /* REAP returns it, LOG explains it */
				err = 0;
			} else {
				tk_req_detach(req);
			}
		}
	}
	pthread_mutex_lock(&tk_mu);
	tk_req_put_locked(req);  /* the caller's reference */
	pthread_mutex_unlock(&tk_mu);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* ---- after the handshake ---- */

static int tk_apply_fail_knob(struct tk_req *req, struct tk_chkpt *ck)
{
	size_t i;

	if (ck->fail_kind == TK_FAIL_TEMP) {
		tk_req_log(req, "checkpoint cancelled by the application (CR_TESTKERNEL_FAIL)");
		return ck->fail_code;
	}
	if (ck->fail_kind != TK_FAIL_PERM)
		return 0;
	tk_req_log(req, "checkpoint failed permanently (CR_TESTKERNEL_FAIL): killing the targets");
	for (i = 0; i < ck->nt; i++) {
		if (ck->t[i].excluded)
			continue;
		if (kill(ck->t[i].pid, SIGKILL) == 0)
			ck->t[i].continued = 0;
	}
	return ck->fail_code;
}

static int tk_dump_all(struct tk_req *req, struct tk_chkpt *ck)
{
	struct tk_dump_proc *procs = calloc(ck->nt ? ck->nt : 1, sizeof(*procs));
	struct tk_dump_opts o = {
		.dest_fd = ck->dest_fd,
		.dest_is_dir = ck->dest_is_dir,
		.dest_is_ctrl = ck->dest_is_ctrl,
		.scope = ck->args.cr_scope,
		.format = (int)ck->args.dump_format,
		.flags = ck->args.flags & CR_CHKPT_DUMP_ALL,
		.image_size = ck->image_size,
		.rate = ck->rate,
		.fail_write = ck->fail_kind == TK_FAIL_WRITE ? ck->fail_code : 0,
	};
	size_t i, n = 0;
	int err;

	if (procs == NULL)
		return ENOMEM;
	for (i = 0; i < ck->nt; i++) {
		if (ck->t[i].excluded)
			continue;
		procs[n].pid = ck->t[i].pid;
		procs[n].blob = ck->t[i].blob;
		procs[n].blob_len = ck->t[i].blob_len;
		n++;
	}
	err = tk_dump(req, &o, procs, n);
	/* A negative ("early") signal once the whole file, trailer included, is written. */
	for (i = 0; err == 0 && ck->args.signal < 0 && i < n; i++)
		if (procs[i].dumped && kill(procs[i].pid, -ck->args.signal) != 0)
			errno = 0;  /* it exited: nothing to do */
	free(procs);
	return err;
}

/*
 * After the checkpoint, each process that answered STUB gets the positive
 * signal, else SIGSTOP if it was stopped, whatever the dump's result (BLCR's
 * pre-complete barrier does not look at it); none after a TEMP failure (it
 * clears the signal) or a PERM one (the targets were killed).
 */
static void tk_signal_after(struct tk_chkpt *ck, int fail_knob)
{
	size_t i;

	for (i = 0; i < ck->nt; i++) {
		struct tk_target *t = &ck->t[i];
		int sig = 0;

		if (t->answered && !t->omitted && fail_knob != TK_FAIL_PERM)
			sig = ck->args.signal > 0 && fail_knob != TK_FAIL_TEMP ? ck->args.signal
				: (t->continued ? SIGSTOP : 0);
		else if (t->continued)
			sig = SIGSTOP;
		if (sig != 0 && kill(t->pid, sig) != 0)
			errno = 0;  /* exited meanwhile */
		t->continued = 0;
	}
}

static int tk_chkpt_run(struct tk_req *req, struct tk_chkpt *ck, int *fail_knob)
{
	int err = tk_collect(req, ck);

	/* Every handler has answered: BLCR clears the expiration then (cr_dump_self). */
	req->deadline_ns = 0;
	if (err == 0 && tk_count_left(ck) == 0)
		err = ESRCH;  /* all omitted or gone: nothing checkpointed, BLCR says nothing */
	if (err == 0) {
		err = tk_apply_fail_knob(req, ck);
		if (err != 0)
			*fail_knob = ck->fail_kind;
	}
	if (err == 0)
		err = tk_dump_all(req, ck);
	return err;
}

static void *tk_chkpt_worker(void *arg)
{
	struct tk_req *req = arg;
	struct tk_chkpt *ck = req->priv;
	int fail_knob = TK_FAIL_NONE;
	int err = tk_chkpt_run(req, ck, &fail_knob);

	tk_signal_after(ck, fail_knob);
	tk_unlock_targets(ck);
	tk_req_complete(req, err == ECANCELED ? EINTR : err);
	tk_req_finish(req);
	return NULL;
}
