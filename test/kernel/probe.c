/*
 * tkprobe - drives the emulated /proc/checkpoint/ctrl directly, one rule per
 * scenario. Run with LD_PRELOAD=build/libcr_testkernel.so.
 *
 *   tkprobe SCENARIO [ARGS]   prints "ok" (exit 0) or "FAIL: why" (exit 1)
 *   tkprobe chkpt [OPTIONS]   one checkpoint request; prints "result 0" or
 *                             "result errno N NAME", then "log LINE" lines
 *
 * Scenarios taking [PID FILE] use that stub-preloaded process and output file;
 * without them they fall back to the probe itself as the target.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cr_blcr.h"

/* ---- helpers ---- */

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) \
			fail(__VA_ARGS__); \
	} while (0)

/* Expect ioctl-style result r == -1 with errno e (errno saved as err). */
#define CHECK_ERR(r, err, e, what) \
	CHECK((r) == -1 && (err) == (e), "%s: got %d errno %d, want -1 errno %d", what, (r), (err), (e))

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

static int ctrl_open(void)
{
	int fd = open(CR_CTRL_FILE, O_WRONLY | O_CLOEXEC);

	CHECK(fd >= 0, "open %s: %s", CR_CTRL_FILE, strerror(errno));
	CHECK(ioctl(fd, CR_OP_VERSION, (unsigned long)CR_MODULE_VERSION) == 0, "VERSION: %s",
	      strerror(errno));
	return fd;
}

static int do_ioctl(int fd, unsigned long op, unsigned long arg, int *err)
{
	int r;

	errno = 0;
	r = ioctl(fd, op, arg);
	*err = errno;
	return r;
}

static int request(int fd, pid_t target, int scope, int dest, int sig, unsigned int flags, int *err)
{
	struct cr_chkpt_args a = {
		.cr_target = target, .cr_scope = (cr_scope_t)scope, .cr_fd = dest,
		.cr_secs = 0, .dump_format = cr_format_vmadump, .signal = sig, .flags = flags,
	};

	return do_ioctl(fd, CR_OP_CHKPT_REQ, (unsigned long)&a, err);
}

static int reap(int fd, int *err)
{
	return do_ioctl(fd, CR_OP_CHKPT_REAP, CR_NOARG, err);
}

/* poll for POLLIN: the revents, 0 on timeout. */
static short wait_done(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDNORM, .revents = 0 };
	int r = poll(&p, 1, timeout_ms);

	CHECK(r >= 0, "poll: %s", strerror(errno));
	return r == 0 ? 0 : p.revents;
}

/* The request's whole log (size query, then fill), malloc'ed. */
static char *get_log(int fd)
{
	struct cr_log_args la = { 0, NULL };
	int err, n = do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err);
	char *buf;

	CHECK(n >= 0, "LOG size: errno %d", err);
	buf = calloc(1, (size_t)n + 1);
	CHECK(buf != NULL, "calloc");
	if (n > 0) {
		la.len = (unsigned int)n;
		la.buf = buf;
		CHECK(do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err) == n, "LOG fill");
	}
	return buf;
}

static int make_pipe_dest(int *rd)
{
	int p[2];

	CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	*rd = p[0];
	return p[1];
}

static int open_dest(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

static off_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' ? p[2] : '?';
}

static void ok(void)
{
	printf("ok\n");
	exit(0);
}

/* The target of the slow scenarios: argv PID FILE (a stub-preloaded process). */
struct target {
	pid_t pid;
	const char *file;
};

static struct target get_target(int argc, char **argv)
{
	struct target t = { 0, NULL };

	CHECK(argc >= 4, "usage: %s PID FILE", argv[1]);
	t.pid = (pid_t)atoi(argv[2]);
	t.file = argv[3];
	return t;
}

/* Start a slow (paced) checkpoint of the target; the request's expected final errno (0). */
static int start_slow(int fd, const struct target *t, int *dest)
{
	int err;

	setenv("CR_TESTKERNEL_RATE", "200000", 1);
	setenv("CR_TESTKERNEL_IMAGE_SIZE", "131072", 1);
	*dest = open_dest(t->file);
	CHECK(request(fd, t->pid, CR_SCOPE_PROC, *dest, 0, CR_CHKPT_ASYNC_ERR, &err) == 0,
	      "CHKPT_REQ pid %d: errno %d", (int)t->pid, err);
	return 0;
}

/* A CR_SIGNUM handler that never answers: support present, a request on us stays pending. */
static void on_crsig_silent(int sig)
{
	(void)sig;
}

static void install_silent_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crsig_silent;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	CHECK(sigaction(CR_SIGNUM, &sa, NULL) == 0, "sigaction: %s", strerror(errno));
}

/* Reads a pipe to its end, counting bytes. */
struct drain {
	int fd;
	long bytes;
};

static void *drain_main(void *arg)
{
	struct drain *d = arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(d->fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			d->bytes += n;
	return NULL;
}

/* ---- scenarios ---- */

static void sc_version_ok(void)
{
	int fd, err;

	unsetenv("CR_TESTKERNEL_VERSION");
	fd = ctrl_open();
	CHECK(do_ioctl(fd, CR_OP_VERSION, 0xA, &err) == 0, "0xA against 0xA: errno %d", err);
	setenv("CR_TESTKERNEL_VERSION", "10", 1);
	CHECK(do_ioctl(fd, CR_OP_VERSION, 0xA, &err) == 0, "0xA against decimal 10: errno %d", err);
	setenv("CR_TESTKERNEL_VERSION", "0x10005", 1);
	CHECK(do_ioctl(fd, CR_OP_VERSION, 0x10003, &err) == 0, "1.3 against 1.5: errno %d", err);
	CHECK(do_ioctl(fd, CR_OP_VERSION, 0x10005, &err) == 0, "1.5 against 1.5: errno %d", err);
	CHECK(close(fd) == 0, "close: %s", strerror(errno));
	fd = open(CR_CTRL_FILE, O_RDONLY);
	CHECK(fd >= 0, "open O_RDONLY: %s", strerror(errno));
	CHECK(do_ioctl(fd, CR_OP_VERSION, 0x10000, &err) == 0, "1.0 against 1.5: errno %d", err);
	CHECK(close(fd) == 0, "close: %s", strerror(errno));
	ok();
}

static void sc_version_mismatch(void)
{
	static const unsigned long bad0[] = { 0xB, 0x9, 0x0, 0x1000A, 0x100000000ul };
	static const unsigned long bad1[] = { 0x10006, 0x20000, 0x5 };
	int fd, err, r;
	size_t i;

	unsetenv("CR_TESTKERNEL_VERSION");
	fd = open(CR_CTRL_FILE, O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open: %s", strerror(errno));
	for (i = 0; i < sizeof(bad0) / sizeof(bad0[0]); i++) {
		r = do_ioctl(fd, CR_OP_VERSION, bad0[i], &err);
		CHECK_ERR(r, err, CR_EVERSION, "version against 0.10");
	}
	setenv("CR_TESTKERNEL_VERSION", "0x10005", 1);
	for (i = 0; i < sizeof(bad1) / sizeof(bad1[0]); i++) {
		r = do_ioctl(fd, CR_OP_VERSION, bad1[i], &err);
		CHECK_ERR(r, err, CR_EVERSION, "version against 1.5");
	}
	close(fd);
	ok();
}

static void sc_reqs_per_fd(void)
{
	int fd = ctrl_open(), fd2 = ctrl_open(), rd, dest = make_pipe_dest(&rd), err, r;

	r = request(fd, 0, 7, dest, 0, CR_CHKPT_ASYNC_ERR, &err);
	CHECK(r == 0, "first request: errno %d", err);
	r = request(fd, 0, CR_SCOPE_PROC, dest, 0, CR_CHKPT_ASYNC_ERR, &err);
	CHECK_ERR(r, err, EAGAIN, "second request on the same fd");
	r = request(fd, 0, 7, dest, 0, 0, &err);
	CHECK_ERR(r, err, EAGAIN, "second request without ASYNC_ERR");
	r = request(fd2, 0, 7, dest, 0, CR_CHKPT_ASYNC_ERR, &err);
	CHECK(r == 0, "a request on another fd: errno %d", err);
	CHECK(wait_done(fd, 2000) & POLLIN, "first request never completed");
	r = reap(fd, &err);
	CHECK_ERR(r, err, EINVAL, "reap of the bad-scope request");
	r = request(fd, 0, 7, dest, 0, CR_CHKPT_ASYNC_ERR, &err);
	CHECK(r == 0, "new request after REAP: errno %d", err);
	CHECK(wait_done(fd, 2000) & POLLIN, "new request never completed");
	r = reap(fd, &err);
	CHECK_ERR(r, err, EINVAL, "reap of the new request");
	r = reap(fd2, &err);
	CHECK_ERR(r, err, EINVAL, "reap on the other fd");
	r = reap(fd2, &err);
	CHECK_ERR(r, err, EINVAL, "second reap (no request)");
	ok();
}

static void sc_log_rules(int argc, char **argv)
{
	static const char line[] = "invalid scope value: 7\n";
	struct target t = get_target(argc, argv);
	struct cr_log_args la;
	char buf[256];
	int fd = ctrl_open(), rd, dest, err, r, expect, n = (int)sizeof(line);

	la.len = 0;
	la.buf = NULL;
	r = do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err);
	CHECK_ERR(r, err, EINVAL, "LOG without a request");

	/* A request in progress has an empty log: 0, and buf gets a NUL. */
	expect = start_slow(fd, &t, &dest);
	r = do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err);
	CHECK(r == 0, "LOG of a fresh request: %d (errno %d), want 0", r, err);
	memset(buf, 'x', sizeof(buf));
	la.len = sizeof(buf);
	la.buf = buf;
	r = do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err);
	CHECK(r == 0 && buf[0] == '\0', "LOG fill of an empty log: %d", r);
	CHECK(wait_done(fd, 20000) & POLLIN, "slow request never completed");
	if (expect == 0) {
		la.len = 0;
		r = do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err);
		CHECK(r == 0, "LOG after a clean checkpoint: %d, want 0 (log: %s)", r, get_log(fd));
	}
	r = reap(fd, &err);
	CHECK(expect == 0 ? r == 0 : (r == -1 && err == expect), "slow request reap: %d errno %d", r,
	      err);
	close(dest);

	dest = make_pipe_dest(&rd);
	CHECK(request(fd, 0, 7, dest, 0, CR_CHKPT_ASYNC_ERR, &err) == 0, "bad scope request");
	CHECK(wait_done(fd, 2000) & POLLIN, "bad scope request not done");
	la.len = 0;
	la.buf = NULL;
	r = do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err);
	CHECK(r == n, "LOG size %d, want %d", r, n);
	r = do_ioctl(fd, CR_OP_CHKPT_LOG, 0, &err);
	CHECK_ERR(r, err, EFAULT, "LOG with a NULL argument");
	memset(buf, 'x', sizeof(buf));
	la.len = 5;
	la.buf = buf;
	r = do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err);
	CHECK(r == n, "LOG len 5 returned %d, want %d", r, n);
	CHECK(memcmp(buf, "inva", 4) == 0 && buf[4] == '\0' && buf[5] == 'x',
	      "LOG len 5 must copy 4 bytes and a NUL");
	la.len = 1;
	r = do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err);
	CHECK(r == n && buf[0] == '\0', "LOG len 1 must copy only a NUL");
	la.len = sizeof(buf);
	CHECK(do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err) == n, "full LOG");
	CHECK(strcmp(buf, line) == 0, "log text '%s'", buf);
	memset(buf, 0, sizeof(buf));
	CHECK(do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err) == n && strcmp(buf, line) == 0,
	      "LOG must be repeatable");
	r = reap(fd, &err);
	CHECK_ERR(r, err, EINVAL, "reap");
	r = do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err);
	CHECK_ERR(r, err, EINVAL, "LOG after REAP");
	ok();
}

static void sc_reap_eagain(int argc, char **argv)
{
	struct target t = get_target(argc, argv);
	int fd = ctrl_open(), dest, err, r, expect = start_slow(fd, &t, &dest);
	long t0 = now_ms();

	r = reap(fd, &err);
	CHECK_ERR(r, err, EAGAIN, "REAP right after the request");
	CHECK(wait_done(fd, 20000) & POLLIN, "never completed");
	CHECK(now_ms() - t0 >= 300, "completed too fast (%ld ms) to test EAGAIN", now_ms() - t0);
	r = reap(fd, &err);
	CHECK(expect == 0 ? r == 0 : (r == -1 && err == expect), "REAP: %d errno %d, want %d", r, err,
	      expect);
	r = reap(fd, &err);
	CHECK_ERR(r, err, EINVAL, "second REAP");
	if (t.pid > 0)
		CHECK(file_size(t.file) > 131072, "context file too small: %ld", (long)file_size(t.file));
	ok();
}

static void sc_pollerr_no_request(void)
{
	int fd = ctrl_open(), p[2], r;
	struct pollfd pf[2];
	struct timespec ts = { 5, 0 };
	fd_set rs, ws;
	struct timeval tv = { 5, 0 };
	long t0 = now_ms();

	CHECK(pipe(p) == 0, "pipe");
	pf[0].fd = fd;
	pf[0].events = POLLIN;
	pf[1].fd = p[0];
	pf[1].events = POLLIN;
	r = poll(pf, 2, 5000);
	CHECK(r == 1 && pf[0].revents == POLLERR && pf[1].revents == 0, "poll: %d revents %#x %#x",
	      r, pf[0].revents, pf[1].revents);
	pf[0].revents = 0;
	r = ppoll(pf, 1, &ts, NULL);
	CHECK(r == 1 && pf[0].revents == POLLERR, "ppoll: %d revents %#x", r, pf[0].revents);
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(fd, &rs);
	FD_SET(p[0], &rs);
	r = select((fd > p[0] ? fd : p[0]) + 1, &rs, &ws, NULL, &tv);
	CHECK(r == 1 && FD_ISSET(fd, &rs) && !FD_ISSET(p[0], &rs), "select: %d", r);
	CHECK(now_ms() - t0 < 1000, "POLLERR must be immediate (%ld ms)", now_ms() - t0);
	ok();
}

struct poller {
	int fd;
	short events;
	int r;
	short revents;
};

static void *poller_main(void *arg)
{
	struct poller *pp = arg;
	struct pollfd p = { .fd = pp->fd, .events = pp->events, .revents = 0 };

	pp->r = poll(&p, 1, -1);
	pp->revents = p.revents;
	return NULL;
}

static void *pipe_writer(void *arg)
{
	msleep(100);
	if (write(*(int *)arg, "x", 1) != 1)
		abort();
	return NULL;
}

static void sc_pollin_on_completion(int argc, char **argv)
{
	struct target t = get_target(argc, argv);
	int fd = ctrl_open(), dest, err, p[2], r, expect;
	struct poller pp = { .fd = fd, .events = POLLIN | POLLRDNORM, .r = -2, .revents = 0 };
	struct pollfd pf[2];
	pthread_t th, tw;
	long t0;
	fd_set rs;
	struct timeval tv = { 0, 0 };

	expect = start_slow(fd, &t, &dest);
	t0 = now_ms();
	CHECK(wait_done(fd, 0) == 0, "ready right away");
	CHECK(wait_done(fd, 100) == 0 && now_ms() - t0 >= 90, "poll 100 ms did not time out");
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	CHECK(select(fd + 1, &rs, NULL, NULL, &tv) == 0, "select must time out while pending");
	/* Another fd becoming ready ends the wait; the ctrl fd stays not ready. */
	CHECK(pipe(p) == 0, "pipe");
	CHECK(pthread_create(&tw, NULL, pipe_writer, &p[1]) == 0, "pthread_create");
	pf[0].fd = fd;
	pf[0].events = POLLIN;
	pf[1].fd = p[0];
	pf[1].events = POLLIN;
	r = poll(pf, 2, 10000);
	pthread_join(tw, NULL);
	CHECK(r == 1 && pf[0].revents == 0 && pf[1].revents == POLLIN, "poll with a pipe: %d %#x %#x",
	      r, pf[0].revents, pf[1].revents);
	/* The blocking wait itself happens on another thread. */
	CHECK(pthread_create(&th, NULL, poller_main, &pp) == 0, "pthread_create");
	pthread_join(th, NULL);
	CHECK(pp.r == 1 && pp.revents == (POLLIN | POLLRDNORM), "thread poll: %d revents %#x", pp.r,
	      pp.revents);
	pf[0].revents = 0;
	pf[0].events = POLLIN;
	CHECK(poll(pf, 1, 0) == 1 && pf[0].revents == POLLIN, "POLLIN only when asked for POLLIN");
	pf[0].events = POLLOUT;
	CHECK(poll(pf, 1, 0) == 0, "a done request is not writable");
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	tv.tv_sec = 1;
	CHECK(select(fd + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(fd, &rs), "select after completion");
	r = reap(fd, &err);
	CHECK(expect == 0 ? r == 0 : (r == -1 && err == expect), "REAP: %d errno %d", r, err);
	CHECK(wait_done(fd, 1000) == POLLERR, "POLLERR again after REAP");
	ok();
}

static void sc_async_err_deferral(void)
{
	static const int badsig[] = { 65, -65, 1000 };
	int fd = ctrl_open(), rd, dest = make_pipe_dest(&rd), err, r;
	struct cr_log_args la = { 0, NULL };
	char *log;
	size_t i;

	r = request(fd, 0, 7, dest, 0, CR_CHKPT_ASYNC_ERR, &err);
	CHECK(r == 0, "bad scope with ASYNC_ERR: %d errno %d", r, err);
	CHECK(wait_done(fd, 1000) & POLLIN, "deferred error must complete at once");
	log = get_log(fd);
	CHECK(strcmp(log, "invalid scope value: 7\n") == 0, "log: %s", log);
	free(log);
	r = reap(fd, &err);
	CHECK_ERR(r, err, EINVAL, "REAP of the deferred bad scope");

	r = request(fd, 0, 7, dest, 0, 0, &err);
	CHECK_ERR(r, err, EINVAL, "bad scope without ASYNC_ERR");
	r = reap(fd, &err);
	CHECK_ERR(r, err, EINVAL, "REAP must find no request");
	r = do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err);
	CHECK_ERR(r, err, EINVAL, "LOG must find no request");
	CHECK(wait_done(fd, 1000) == POLLERR, "poll must say no request");

	for (i = 0; i < sizeof(badsig) / sizeof(badsig[0]); i++) {
		r = request(fd, 0, CR_SCOPE_PROC, dest, badsig[i], 0, &err);
		CHECK_ERR(r, err, EINVAL, "bad signal without ASYNC_ERR");
		r = request(fd, 0, CR_SCOPE_PROC, dest, badsig[i], CR_CHKPT_ASYNC_ERR, &err);
		CHECK(r == 0, "bad signal %d with ASYNC_ERR: errno %d", badsig[i], err);
		CHECK(wait_done(fd, 1000) & POLLIN, "bad signal: not done");
		r = reap(fd, &err);
		CHECK_ERR(r, err, EINVAL, "REAP of the bad signal");
	}
	r = do_ioctl(fd, CR_OP_CHKPT_REQ, 0, &err);
	CHECK_ERR(r, err, EFAULT, "NULL argument");
	ok();
}

static void sc_enotty(void)
{
	int fd = ctrl_open(), err, r, p[2], avail = -1;
	struct termios tio;

	r = do_ioctl(fd, _IO(CR_IOCTL_BASE, 0xff), 0, &err);
	CHECK_ERR(r, err, ENOTTY, "unknown op");
	r = do_ioctl(fd, _IO(CR_IOCTL_BASE, 0x11), CR_NOARG, &err);
	CHECK_ERR(r, err, ENOTTY, "removed op 0x11");
	r = do_ioctl(fd, 0x401ca110, 0, &err);
	CHECK_ERR(r, err, ENOTTY, "CHKPT_REQ encoded with the struct size");
	r = do_ioctl(fd, TCGETS, (unsigned long)&tio, &err);
	CHECK_ERR(r, err, ENOTTY, "TCGETS");
	/* Other fds are untouched. */
	CHECK(pipe(p) == 0 && write(p[1], "abc", 3) == 3, "pipe");
	CHECK(ioctl(p[0], FIONREAD, &avail) == 0 && avail == 3, "FIONREAD on a pipe: %d", avail);
	ok();
}

static void sc_hand_esrch(void)
{
	static const unsigned long ops[] = {
		CR_OP_HAND_CHKPT, CR_OP_HAND_ABORT, CR_OP_HAND_PHASE1, CR_OP_HAND_SUSP,
		CR_OP_HAND_PHASE2, CR_OP_HAND_DONE, CR_OP_HAND_SRC, CR_OP_HAND_CHKPT_INFO,
		CR_OP_CHKPT_FWD,
	};
	static char buf[64];
	int fd = ctrl_open(), err, r;
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		r = do_ioctl(fd, ops[i], ops[i] == CR_OP_HAND_DONE ? 0 : (unsigned long)buf, &err);
		CHECK(r == -1 && err == ESRCH, "op %#lx: %d errno %d, want ESRCH", ops[i], r, err);
	}
	/* Those reading a structure first fault on NULL; HAND_DONE checks its flags first. */
	r = do_ioctl(fd, CR_OP_HAND_CHKPT_INFO, 0, &err);
	CHECK_ERR(r, err, EFAULT, "HAND_CHKPT_INFO NULL");
	r = do_ioctl(fd, CR_OP_CHKPT_FWD, 0, &err);
	CHECK_ERR(r, err, EFAULT, "CHKPT_FWD NULL");
	r = do_ioctl(fd, CR_OP_HAND_DONE, 4, &err);
	CHECK_ERR(r, err, EINVAL, "HAND_DONE with bad flags");
	ok();
}

/* ---- restart ---- */

static void usage(void) __attribute__((noreturn));

static int rstrt_req(int fd, int src, int sig, struct cr_rstrt_relocate *rel, unsigned int flags,
		     int *err)
{
	struct cr_rstrt_args a = { .cr_fd = src, .signal = sig, .relocate = rel, .flags = flags };

	return do_ioctl(fd, CR_OP_RSTRT_REQ, (unsigned long)&a, err);
}

static char *rstrt_log(int fd)
{
	struct cr_log_args la = { 0, NULL };
	int err, n = do_ioctl(fd, CR_OP_RSTRT_LOG, (unsigned long)&la, &err);
	char *buf;

	CHECK(n >= 0, "RSTRT_LOG size: errno %d", err);
	buf = calloc(1, (size_t)n + 1);
	CHECK(buf != NULL, "calloc");
	if (n > 0) {
		la.len = (unsigned int)n;
		la.buf = buf;
		CHECK(do_ioctl(fd, CR_OP_RSTRT_LOG, (unsigned long)&la, &err) == n, "RSTRT_LOG fill");
	}
	return buf;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	CHECK(len == 0 || write(fd, data, len) == (ssize_t)len, "write %s", path);
	close(fd);
}

/* A context file with the given header ints and then extra bytes. */
static void write_image(const char *path, int m0, int m1, int version, int arch, const void *tail,
			size_t tlen)
{
	unsigned char buf[256];
	int32_t h[5] = { m0, m1, version, CR_SCOPE_TREE, arch };

	memcpy(buf, h, sizeof(h));
	memcpy(buf + sizeof(h), tail, tlen);
	write_file(path, buf, sizeof(h) + tlen);
}

static const int32_t trailer[3] = { 0, CR_RSTRT_CLONE_FLAGS, -1 };

static int open_ro(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

/* One request on a fresh ctrl fd: the ioctl's errno (0) and REAP's. */
static void rstrt_expect(const char *path, off_t off, unsigned int flags, int want,
			 const char *logpart)
{
	int fd = ctrl_open(), src = open_ro(path), err, r;
	struct cr_procs_tbl tbl;
	char *log;

	CHECK(lseek(src, off, SEEK_SET) == off, "lseek");
	r = rstrt_req(fd, src, 0, NULL, flags, &err);
	if (!(flags & CR_RSTRT_ASYNC_ERR) && want != 0 &&
	    (want == EIO || want == EINVAL || want == CR_EBADARCH) && r == -1) {
		CHECK(err == want, "%s: ioctl errno %d, want %d", path, err, want);
		CHECK(wait_done(fd, 0) == POLLERR, "%s: a request is left", path);
		close(fd);
		close(src);
		return;
	}
	CHECK(r == 0, "%s: ioctl %d errno %d (want 0, error %d at REAP)", path, r, err, want);
	CHECK(wait_done(fd, 5000) & POLLIN, "%s: never done", path);
	CHECK(do_ioctl(fd, CR_OP_RSTRT_PROCS, (unsigned long)&tbl, &err) == 0, "%s: PROCS must be 0",
	      path);
	log = rstrt_log(fd);
	if (logpart != NULL)
		CHECK(strstr(log, logpart) != NULL, "%s: log lacks '%s': %s", path, logpart, log);
	r = do_ioctl(fd, CR_OP_RSTRT_REAP, CR_NOARG, &err);
	if (want == 0)
		CHECK(r == 0, "%s: REAP %d errno %d, want 0 (%s)", path, r, err, log);
	else
		CHECK_ERR(r, err, want, path);
	free(log);
	close(fd);
	close(src);
}

static void sc_rstrt_header(int argc, char **argv)
{
	char p[4096];
	unsigned char junk[32];
	int32_t body[3] = { 1, CR_RSTRT_CLONE_FLAGS, -1 };
	int pass;

	CHECK(argc >= 3, "usage: rstrt-header DIR");
	memset(junk, 0x5a, sizeof(junk));
	for (pass = 0; pass < 2; pass++) {
		unsigned int fl = pass ? CR_RSTRT_ASYNC_ERR : 0;

		snprintf(p, sizeof(p), "%s/h-empty", argv[2]);
		write_file(p, "", 0);
		rstrt_expect(p, 0, fl, EIO, pass ? "vfs_read returned 0\nfailed to read file header" : NULL);
		snprintf(p, sizeof(p), "%s/h-short", argv[2]);
		write_file(p, "C\0\0\0R\0\0\0\x09\0", 10);
		rstrt_expect(p, 0, fl, EIO, NULL);
		snprintf(p, sizeof(p), "%s/h-magic", argv[2]);
		write_image(p, 'C', 'X', 9, 5, trailer, sizeof(trailer));
		rstrt_expect(p, 0, fl, EINVAL, pass ? "file header has invalid signature" : NULL);
		snprintf(p, sizeof(p), "%s/h-v7", argv[2]);
		write_image(p, 'C', 'R', 7, 5, trailer, sizeof(trailer));
		rstrt_expect(p, 0, fl, EINVAL, pass ? "file header has incorrect/unsupported version" : NULL);
		snprintf(p, sizeof(p), "%s/h-v10", argv[2]);
		write_image(p, 'C', 'R', 10, 5, trailer, sizeof(trailer));
		rstrt_expect(p, 0, fl, EINVAL, NULL);
		snprintf(p, sizeof(p), "%s/h-arch", argv[2]);
		write_image(p, 'C', 'R', 9, 1, trailer, sizeof(trailer));
		rstrt_expect(p, 0, fl, CR_EBADARCH,
			     pass ? "file header has incorrect architecture (1, but expecting 5)" : NULL);
		/* Accepted headers: versions 8 and 9, nothing to restart. */
		snprintf(p, sizeof(p), "%s/h-v8", argv[2]);
		write_image(p, 'C', 'R', 8, 5, trailer, sizeof(trailer));
		rstrt_expect(p, 0, fl, 0, NULL);
		/* The header is read at the fd's offset. */
		snprintf(p, sizeof(p), "%s/h-offset", argv[2]);
		{
			unsigned char b[64];
			int32_t h[5] = { 'C', 'R', 9, 0, 5 };

			memcpy(b, junk, 4);
			memcpy(b + 4, h, 20);
			memcpy(b + 24, trailer, 12);
			write_file(p, b, 36);
		}
		rstrt_expect(p, 0, fl, EINVAL, NULL);
		rstrt_expect(p, 4, fl, 0, NULL);
		/*
		 * Cut after the header: RSTRT_REQ is fine (it reads only the header);
		 * PROCS, reading the first section header, fails with EIO, and the
		 * request never completes (as BLCR's).
		 */
		snprintf(p, sizeof(p), "%s/h-truncated", argv[2]);
		write_image(p, 'C', 'R', 9, 5, body, 0);
		{
			int fd = ctrl_open(), src = open_ro(p), err;
			struct cr_procs_tbl tbl;
			char *log;

			CHECK(rstrt_req(fd, src, 0, NULL, fl, &err) == 0,
			      "a cut image must fail in PROCS, not in the ioctl (errno %d)", err);
			CHECK_ERR(do_ioctl(fd, CR_OP_RSTRT_PROCS, (unsigned long)&tbl, &err), err, EIO,
				  "PROCS at the cut");
			log = rstrt_log(fd);
			CHECK(strcmp(log, "vfs_read returned 0\nproc_header: read returned -5\n") == 0,
			      "truncated log: %s", log);
			free(log);
			CHECK(wait_done(fd, 100) == 0, "truncated: must stay pending");
			CHECK_ERR(do_ioctl(fd, CR_OP_RSTRT_REAP, CR_NOARG, &err), err, EAGAIN, "truncated REAP");
			close(fd);
			close(src);
		}
	}
	ok();
}

static void sc_rstrt_args(int argc, char **argv)
{
	char p[4096], dir[4096], *longp, *log;
	struct cr_rstrt_relocate *rel = calloc(1, CR_RSTRT_RELOCATE_SIZE(20));
	struct cr_procs_tbl tbl;
	struct cr_log_args la = { 0, NULL };
	int fd = ctrl_open(), src, wr, dfd, err, r;

	CHECK(argc >= 3 && rel != NULL, "usage: rstrt-args DIR");
	snprintf(p, sizeof(p), "%s/a-ok", argv[2]);
	write_image(p, 'C', 'R', 9, 5, trailer, sizeof(trailer));
	/* Nothing attached. */
	CHECK_ERR(do_ioctl(fd, CR_OP_RSTRT_PROCS, (unsigned long)&tbl, &err), err, EINVAL, "PROCS");
	CHECK_ERR(do_ioctl(fd, CR_OP_RSTRT_REAP, CR_NOARG, &err), err, EINVAL, "REAP");
	CHECK_ERR(do_ioctl(fd, CR_OP_RSTRT_LOG, (unsigned long)&la, &err), err, EINVAL, "LOG");
	CHECK_ERR(do_ioctl(fd, CR_OP_RSTRT_CHILD, CR_NOARG, &err), err, EINVAL, "CHILD (requester)");
	CHECK_ERR(do_ioctl(fd, CR_OP_RSTRT_REQ, 0, &err), err, EFAULT, "NULL argument");
	src = open_ro(p);
	/* Signal. */
	CHECK_ERR(rstrt_req(fd, src, 65, NULL, 0, &err), err, EINVAL, "signal 65");
	CHECK_ERR(rstrt_req(fd, src, -65, NULL, 0, &err), err, EINVAL, "signal -65");
	CHECK(wait_done(fd, 0) == POLLERR, "no request after a failed ioctl");
	CHECK(rstrt_req(fd, src, 65, NULL, CR_RSTRT_ASYNC_ERR, &err) == 0, "ASYNC_ERR signal 65");
	CHECK(wait_done(fd, 1000) & POLLIN, "not done");
	log = rstrt_log(fd);
	CHECK(strcmp(log, "invalid signal value: 65\n") == 0, "log: %s", log);
	free(log);
	CHECK_ERR(do_ioctl(fd, CR_OP_RSTRT_REAP, CR_NOARG, &err), err, EINVAL, "REAP signal 65");
	/* Source fd. */
	CHECK_ERR(rstrt_req(fd, 1000, 0, NULL, 0, &err), err, EINVAL, "closed source fd");
	CHECK_ERR(rstrt_req(fd, -1, 0, NULL, 0, &err), err, EINVAL, "source fd -1");
	CHECK_ERR(rstrt_req(fd, fd, 0, NULL, 0, &err), err, EINVAL, "the ctrl fd as source");
	wr = open(p, O_WRONLY | O_CLOEXEC);
	CHECK(wr >= 0, "open O_WRONLY");
	CHECK_ERR(rstrt_req(fd, wr, 0, NULL, 0, &err), err, EBADF, "write-only source");
	snprintf(dir, sizeof(dir), "%s", argv[2]);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0, "open dir");
	CHECK_ERR(rstrt_req(fd, dfd, 0, NULL, 0, &err), err, EISDIR, "directory source");
	CHECK(rstrt_req(fd, dfd, 0, NULL, CR_RSTRT_ASYNC_ERR, &err) == 0, "ASYNC_ERR directory");
	CHECK(wait_done(fd, 1000) & POLLIN, "not done");
	CHECK_ERR(do_ioctl(fd, CR_OP_RSTRT_REAP, CR_NOARG, &err), err, EISDIR, "REAP directory");
	/* Relocations. */
	rel->count = 17;
	CHECK_ERR(rstrt_req(fd, src, 0, rel, 0, &err), err, EINVAL, "17 relocations");
	rel->count = 1;
	rel->path[0].oldpath = "";
	rel->path[0].newpath = "/x";
	CHECK_ERR(rstrt_req(fd, src, 0, rel, 0, &err), err, EINVAL, "empty old path");
	rel->path[0].oldpath = "/x";
	rel->path[0].newpath = "";
	CHECK_ERR(rstrt_req(fd, src, 0, rel, 0, &err), err, EINVAL, "empty new path");
	rel->path[0].newpath = "relative/y";
	CHECK_ERR(rstrt_req(fd, src, 0, rel, 0, &err), err, EINVAL, "relative new path");
	rel->path[0].oldpath = "x";
	rel->path[0].newpath = "/y";
	CHECK_ERR(rstrt_req(fd, src, 0, rel, 0, &err), err, EINVAL, "relative old path");
	longp = malloc(CR_PATH_MAX + 2);
	CHECK(longp != NULL, "malloc");
	memset(longp, 'a', CR_PATH_MAX + 1);
	longp[0] = '/';
	longp[CR_PATH_MAX + 1] = '\0';
	rel->path[0].oldpath = longp;
	CHECK_ERR(rstrt_req(fd, src, 0, rel, 0, &err), err, ENAMETOOLONG, "path beyond PATH_MAX");
	rel->path[0].oldpath = NULL;
	CHECK_ERR(rstrt_req(fd, src, 0, rel, 0, &err), err, EFAULT, "NULL path");
	rel->path[0].oldpath = "/x";
	rel->path[0].newpath = "rel";
	CHECK(rstrt_req(fd, src, 0, rel, CR_RSTRT_ASYNC_ERR, &err) == 0, "ASYNC_ERR relocation");
	CHECK(wait_done(fd, 1000) & POLLIN, "not done");
	CHECK_ERR(do_ioctl(fd, CR_OP_RSTRT_REAP, CR_NOARG, &err), err, EINVAL, "REAP relocation");
	/* 16 valid pairs, then one request per fd. */
	rel->count = 16;
	for (r = 0; r < 16; r++) {
		rel->path[r].oldpath = "/old";
		rel->path[r].newpath = "/new/";
	}
	CHECK(rstrt_req(fd, src, 0, rel, 0, &err) == 0, "16 relocations: errno %d", err);
	CHECK_ERR(rstrt_req(fd, src, 0, NULL, 0, &err), err, EAGAIN, "second request");
	CHECK_ERR(rstrt_req(fd, src, 0, NULL, CR_RSTRT_ASYNC_ERR, &err), err, EAGAIN,
		  "second request (ASYNC_ERR)");
	/* A checkpoint request is another slot of the open file: it goes on (we have no handler). */
	CHECK_ERR(request(fd, 0, CR_SCOPE_PROC, 1, 0, 0, &err), err, CR_ENOSUPPORT, "a checkpoint request");
	CHECK_ERR(reap(fd, &err), err, EINVAL, "CHKPT_REAP of a restart");
	CHECK(wait_done(fd, 1000) & POLLIN, "an empty image is done at once");
	CHECK(do_ioctl(fd, CR_OP_RSTRT_PROCS, (unsigned long)&tbl, &err) == 0, "PROCS: 0");
	CHECK(do_ioctl(fd, CR_OP_RSTRT_REAP, CR_NOARG, &err) == 0, "REAP: 0 (no process)");
	CHECK(wait_done(fd, 0) == POLLERR, "POLLERR after REAP");
	CHECK_ERR(do_ioctl(fd, CR_OP_RSTRT_REAP, CR_NOARG, &err), err, EINVAL, "second REAP");
	close(fd);
	ok();
}

static volatile sig_atomic_t got_alarm;

static void on_alarm(int sig)
{
	(void)sig;
	got_alarm = 1;
}

/* PROCS blocks until the previous child called in; a signal makes it EINTR. */
static void sc_rstrt_procs_eintr(int argc, char **argv)
{
	struct cr_procs_tbl tbl = { 0, 0 };
	struct sigaction sa;
	int fd = ctrl_open(), src, err, r;
	long t0;

	CHECK(argc >= 3, "usage: rstrt-procs-eintr IMAGE");
	src = open_ro(argv[2]);
	CHECK(rstrt_req(fd, src, 0, NULL, CR_RSTRT_ASYNC_ERR, &err) == 0, "REQ: errno %d", err);
	r = do_ioctl(fd, CR_OP_RSTRT_PROCS, (unsigned long)&tbl, &err);
	CHECK(r > 0, "PROCS: %d errno %d (%s)", r, err, rstrt_log(fd));
	CHECK(tbl.threads >= 1 && tbl.clone_flags == CR_RSTRT_CLONE_FLAGS, "table %d %#x", tbl.threads,
	      tbl.clone_flags);
	CHECK(wait_done(fd, 50) == 0, "done before the child called in");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;  /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	t0 = now_ms();
	alarm(1);
	r = do_ioctl(fd, CR_OP_RSTRT_PROCS, (unsigned long)&tbl, &err);
	CHECK_ERR(r, err, EINTR, "blocked PROCS interrupted");
	CHECK(got_alarm && now_ms() - t0 >= 800, "PROCS did not block (%ld ms)", now_ms() - t0);
	CHECK(wait_done(fd, 0) == 0, "done after EINTR");
	t0 = now_ms();
	CHECK(close(fd) == 0, "close: %s", strerror(errno));
	CHECK(now_ms() - t0 < 2000, "close took %ld ms", now_ms() - t0);
	ok();
}

/* ---- rstrt: one full restart, children made by the helper ---- */

static const char *default_helper(void)
{
	static char path[4096];
	char self[4000];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	CHECK(n > 0, "readlink /proc/self/exe");
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	/* test/kernel/build -> native/build */
	snprintf(path, sizeof(path), "%s/../../../native/build/cr-rstrt-child", self);
	return path;
}

static pid_t spawn_helper(const char *helper, int ctrl, int threads, int flags)
{
	pid_t pid = fork();

	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		char a1[16], a2[16], a3[16];
		int null = open("/dev/null", O_RDWR);

		/* The ctrl fd as fd 3, inherited (no O_CLOEXEC). */
		if (ctrl == 3)
			fcntl(3, F_SETFD, 0);
		else if (dup2(ctrl, 3) != 3)
			_exit(120);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		snprintf(a1, sizeof(a1), "3");
		snprintf(a2, sizeof(a2), "%d", threads);
		snprintf(a3, sizeof(a3), "%#x", (unsigned int)flags);
		execl(helper, helper, a1, a2, a3, (char *)NULL);
		_exit(121);
	}
	return pid;
}

static void print_status(const char *what, int status)
{
	if (WIFEXITED(status))
		printf("%s exit %d\n", what, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("%s signal %d\n", what, WTERMSIG(status));
}

static int cmd_rstrt(int argc, char **argv)
{
	struct cr_rstrt_relocate *rel = calloc(1, CR_RSTRT_RELOCATE_SIZE(CR_MAX_RSTRT_RELOC + 1));
	const char *file = NULL, *helper = NULL;
	unsigned int flags = CR_RSTRT_ASYNC_ERR;
	int i, fd, src, r, err, sig = 0, wait_it = 0, threads_override = 0, timeout_ms = 20000;
	pid_t helpers[64];
	int nh = 0;
	off_t off = 0;
	char *log, *line, *save = NULL;

	CHECK(rel != NULL, "calloc");
	for (i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--no-async") == 0) {
			flags &= ~CR_RSTRT_ASYNC_ERR;
			continue;
		}
		if (strcmp(o, "--wait") == 0) {
			wait_it = 1;
			continue;
		}
		if (v == NULL)
			usage();
		if (strcmp(o, "--file") == 0)
			file = v;
		else if (strcmp(o, "--offset") == 0)
			off = atol(v);
		else if (strcmp(o, "--flags") == 0)
			flags |= (unsigned int)strtoul(v, NULL, 0);
		else if (strcmp(o, "--signal") == 0)
			sig = atoi(v);
		else if (strcmp(o, "--helper") == 0)
			helper = v;
		else if (strcmp(o, "--threads") == 0)
			threads_override = atoi(v);
		else if (strcmp(o, "--timeout-ms") == 0)
			timeout_ms = atoi(v);
		else if (strcmp(o, "--relocate") == 0) {
			char *eq = strchr(v, '=');

			CHECK(eq != NULL && rel->count <= CR_MAX_RSTRT_RELOC, "--relocate OLD=NEW");
			rel->path[rel->count].oldpath = strndup(v, (size_t)(eq - v));
			rel->path[rel->count].newpath = eq + 1;
			rel->count++;
		} else
			usage();
		i++;
	}
	if (file == NULL)
		usage();
	if (helper == NULL)
		helper = default_helper();
	src = open_ro(file);
	CHECK(lseek(src, off, SEEK_SET) == off, "lseek");
	fd = ctrl_open();
	r = rstrt_req(fd, src, sig, rel->count > 0 ? rel : NULL, flags, &err);
	if (r != 0) {
		printf("result errno %d %s\n", err, strerror(err));
		return 1;
	}
	for (;;) {
		struct cr_procs_tbl tbl = { 0, 0 };

		r = do_ioctl(fd, CR_OP_RSTRT_PROCS, (unsigned long)&tbl, &err);
		if (r < 0) {
			printf("procs errno %d\n", err);
			break;
		}
		if (r == 0)
			break;
		printf("procs %d %#x\n", tbl.threads, (unsigned int)tbl.clone_flags);
		CHECK(nh < 64, "too many processes");
		helpers[nh++] = spawn_helper(helper, fd, threads_override > 0 ? threads_override : tbl.threads,
					     tbl.clone_flags);
	}
	close(src);
	if (!(wait_done(fd, timeout_ms) & POLLIN)) {
		printf("result timeout\n");
		return 1;
	}
	log = rstrt_log(fd);
	r = do_ioctl(fd, CR_OP_RSTRT_REAP, CR_NOARG, &err);
	if (r >= 0)
		printf("result %d\n", r);
	else
		printf("result errno %d %s\n", err, strerror(err));
	for (line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		printf("log %s\n", line);
	free(log);
	close(fd);
	for (i = 0; i < nh; i++) {
		int status;

		if (r > 0 && helpers[i] == r)
			continue;
		/* Helpers that did not become a restarted process exit on their own. */
		if (r <= 0 || !wait_it) {
			long t0 = now_ms();
			pid_t w;

			while ((w = waitpid(helpers[i], &status, WNOHANG)) == 0 && now_ms() - t0 < 3000)
				msleep(5);
			if (w == helpers[i])
				print_status("helper", status);
		}
	}
	if (r > 0 && wait_it) {
		int status;

		while (waitpid(r, &status, 0) < 0 && errno == EINTR)
			;
		print_status("restarted", status);
	}
	return r >= 0 ? 0 : 1;
}

static void sc_emlink(int argc, char **argv)
{
	char path[4096], lnk[4200];
	int fd = ctrl_open(), dest, err, r;
	char *log;

	CHECK(argc >= 3, "usage: emlink DIR");
	snprintf(path, sizeof(path), "%s/emlink.ctx", argv[2]);
	snprintf(lnk, sizeof(lnk), "%s.link", path);
	dest = open_dest(path);
	unlink(lnk);
	CHECK(link(path, lnk) == 0, "link: %s", strerror(errno));
	r = request(fd, 0, CR_SCOPE_PROC, dest, 0, 0, &err);
	CHECK_ERR(r, err, EMLINK, "hard-linked destination");
	r = request(fd, 0, CR_SCOPE_PROC, dest, 0, CR_CHKPT_ASYNC_ERR, &err);
	CHECK(r == 0, "with ASYNC_ERR: errno %d", err);
	CHECK(wait_done(fd, 1000) & POLLIN, "not done");
	log = get_log(fd);
	CHECK(strcmp(log, "Failed to initialize destination file descriptor\n") == 0, "log: %s", log);
	free(log);
	r = reap(fd, &err);
	CHECK_ERR(r, err, EMLINK, "REAP");
	/* Back to one link: accepted. */
	CHECK(unlink(lnk) == 0, "unlink");
	r = request(fd, 0, 7, dest, 0, 0, &err);
	CHECK_ERR(r, err, EINVAL, "single link (scope still invalid)");
	ok();
}

static void sc_ebadf_readonly_dest(int argc, char **argv)
{
	char path[4096];
	int fd = ctrl_open(), dest, err, r;

	CHECK(argc >= 3, "usage: ebadf-readonly-dest DIR");
	snprintf(path, sizeof(path), "%s/ro.ctx", argv[2]);
	close(open_dest(path));
	dest = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(dest >= 0, "open: %s", strerror(errno));
	r = request(fd, 0, CR_SCOPE_PROC, dest, 0, 0, &err);
	CHECK_ERR(r, err, EBADF, "read-only destination");
	r = request(fd, 0, CR_SCOPE_PROC, dest, 0, CR_CHKPT_ASYNC_ERR, &err);
	CHECK(r == 0, "with ASYNC_ERR: errno %d", err);
	CHECK(wait_done(fd, 1000) & POLLIN, "not done");
	r = reap(fd, &err);
	CHECK_ERR(r, err, EBADF, "REAP");
	ok();
}

static void sc_einval_ctrl_as_dest(void)
{
	int fd = ctrl_open(), other = ctrl_open(), err, r, devnull;

	r = request(fd, 0, CR_SCOPE_PROC, fd, 0, 0, &err);
	CHECK_ERR(r, err, EINVAL, "the ctrl fd itself");
	/* Another ctrl fd is a file to BLCR: accepted (we, the target, then lack a handler). */
	r = request(fd, 0, CR_SCOPE_PROC, other, 0, 0, &err);
	CHECK_ERR(r, err, CR_ENOSUPPORT, "another ctrl fd");
	r = request(fd, 0, CR_SCOPE_PROC, 1000, 0, 0, &err);
	CHECK_ERR(r, err, EINVAL, "a closed fd (not EBADF)");
	r = request(fd, 0, CR_SCOPE_PROC, -1, 0, 0, &err);
	CHECK_ERR(r, err, EINVAL, "fd -1");
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(devnull >= 0, "open /dev/null");
	r = request(fd, 0, CR_SCOPE_PROC, devnull, 0, 0, &err);
	CHECK_ERR(r, err, CR_ENOSUPPORT, "a character device (accepted)");
	r = request(fd, 0, CR_SCOPE_PROC, fd, 0, CR_CHKPT_ASYNC_ERR, &err);
	CHECK(r == 0, "ctrl fd with ASYNC_ERR: errno %d", err);
	CHECK(wait_done(fd, 1000) & POLLIN, "not done");
	r = reap(fd, &err);
	CHECK_ERR(r, err, EINVAL, "REAP");
	ok();
}

static int self_request(int scope, unsigned int flags, long *ms, char **log)
{
	int fd = ctrl_open(), rd, dest = make_pipe_dest(&rd), err, r;
	long t0 = now_ms();

	r = request(fd, 0, scope, dest, 0, flags | CR_CHKPT_ASYNC_ERR, &err);
	CHECK(r == 0, "request: errno %d", err);
	CHECK(wait_done(fd, 10000) & POLLIN, "never completed");
	*ms = now_ms() - t0;
	*log = get_log(fd);
	r = reap(fd, &err);
	close(fd);
	close(dest);
	close(rd);
	return r == 0 ? 0 : err;
}

static void sc_target_zero_self(void)
{
	char *log;
	long ms;
	int err;

	/* No handler: CR_ENOSUPPORT (found before PROHIBIT_SELF), after the 0.5 s retry in the ioctl. */
	err = self_request(CR_SCOPE_PROC, 0, &ms, &log);
	CHECK(err == CR_ENOSUPPORT, "PROC self: errno %d, want CR_ENOSUPPORT", err);
	CHECK(ms >= 450, "CR_ENOSUPPORT after %ld ms: the 0.5 s retry is missing", ms);
	CHECK(strcmp(log, "Retry request on -CR_ENOSUPPORT\n") == 0, "log: %s", log);
	free(log);
	err = self_request(CR_SCOPE_PROC, CR_CHKPT_PROHIBIT_SELF, &ms, &log);
	CHECK(err == CR_ENOSUPPORT, "PROC self with PROHIBIT_SELF, no handler: errno %d", err);
	free(log);
	/* With a handler, PROHIBIT_SELF is what stops it. */
	install_silent_handler();
	err = self_request(CR_SCOPE_PROC, CR_CHKPT_PROHIBIT_SELF, &ms, &log);
	CHECK(err == EDEADLK, "PROC self with PROHIBIT_SELF: errno %d, want EDEADLK", err);
	CHECK(log[0] == '\0', "EDEADLK logs nothing: %s", log);
	free(log);
	err = self_request(CR_SCOPE_TREE, CR_CHKPT_PROHIBIT_SELF, &ms, &log);
	CHECK(err == EDEADLK, "TREE self with PROHIBIT_SELF: errno %d, want EDEADLK", err);
	free(log);
	ok();
}

/*
 * Closing the ctrl fd drops only our reference (BLCR's release): the dump goes
 * on to the end, the busy lock goes then, the stopped target is stopped again.
 */
static void sc_close_continues(int argc, char **argv)
{
	char lock[4200];
	const char *dir = getenv("CR_TESTKERNEL_DIR");
	pid_t pid;
	const char *file;
	int fd = ctrl_open(), dest, err, r, i;
	long t0;

	CHECK(argc >= 4, "usage: close-continues PID FILE");
	pid = (pid_t)atoi(argv[2]);
	file = argv[3];
	snprintf(lock, sizeof(lock), "%s/busy.%d", dir ? dir : "/tmp/cr-testkernel", (int)pid);
	CHECK(kill(pid, SIGSTOP) == 0, "SIGSTOP: %s", strerror(errno));
	for (i = 0; i < 200 && proc_state(pid) != 'T'; i++)
		msleep(10);
	CHECK(proc_state(pid) == 'T', "target did not stop");
	setenv("CR_TESTKERNEL_RATE", "400000", 1);
	setenv("CR_TESTKERNEL_IMAGE_SIZE", "600000", 1);
	dest = open_dest(file);
	CHECK(request(fd, pid, CR_SCOPE_PROC, dest, 0, CR_CHKPT_ASYNC_ERR, &err) == 0, "request: %d",
	      err);
	for (i = 0; i < 500 && file_size(file) <= 0; i++)
		msleep(10);
	CHECK(file_size(file) > 0, "the dump never started");
	CHECK(access(lock, F_OK) == 0, "no busy lock %s while dumping", lock);
	t0 = now_ms();
	CHECK(close(fd) == 0, "close: %s", strerror(errno));
	CHECK(now_ms() - t0 < 200, "close took %ld ms", now_ms() - t0);
	CHECK(file_size(file) < 600000, "the dump was over before the close");
	for (i = 0; i < 2000 && access(lock, F_OK) == 0; i++)
		msleep(10);
	CHECK(access(lock, F_OK) != 0, "the dump never ended (busy lock %s)", lock);
	CHECK(file_size(file) > 600000, "the dump stopped at %ld", (long)file_size(file));
	for (i = 0; i < 200 && proc_state(pid) != 'T'; i++)
		msleep(10);
	CHECK(proc_state(pid) == 'T', "target not stopped again (state %c)", proc_state(pid));
	CHECK(kill(pid, SIGCONT) == 0, "SIGCONT");
	/* The target is free again: a quick checkpoint works. */
	setenv("CR_TESTKERNEL_RATE", "0", 1);
	setenv("CR_TESTKERNEL_IMAGE_SIZE", "4096", 1);
	fd = ctrl_open();
	close(dest);
	dest = open_dest(file);
	CHECK(request(fd, pid, CR_SCOPE_PROC, dest, 0, CR_CHKPT_ASYNC_ERR, &err) == 0, "request 2");
	CHECK(wait_done(fd, 10000) & POLLIN, "request 2 never completed");
	r = reap(fd, &err);
	CHECK(r == 0, "request 2: errno %d (%s)", err, get_log(fd));
	ok();
}

/* After fork the child shares the open file: it sees, and may reap, the parent's request. */
static void sc_fork_shares_request(int argc, char **argv)
{
	struct target t = get_target(argc, argv);
	int fd = ctrl_open(), dest, err, r, status;
	pid_t child;

	start_slow(fd, &t, &dest);
	child = fork();
	CHECK(child >= 0, "fork: %s", strerror(errno));
	if (child == 0) {
		struct cr_log_args la = { 0, NULL };
		int rd, d2 = make_pipe_dest(&rd);

		if (wait_done(fd, 0) != 0)
			_exit(10);  /* pending for us too */
		if (reap(fd, &err) != -1 || err != EAGAIN)
			_exit(11);
		if (do_ioctl(fd, CR_OP_CHKPT_LOG, (unsigned long)&la, &err) != 0)
			_exit(12);
		if (request(fd, 0, 7, d2, 0, CR_CHKPT_ASYNC_ERR, &err) != -1 || err != EAGAIN)
			_exit(13);
		if (!(wait_done(fd, 20000) & POLLIN))
			_exit(14);
		if (reap(fd, &err) != 0)
			_exit(15);
		if (close(fd) != 0)
			_exit(16);
		_exit(0);
	}
	CHECK(waitpid(child, &status, 0) == child, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child check %d failed",
	      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	CHECK(wait_done(fd, 0) == POLLERR, "reaped by the child: no request left");
	r = reap(fd, &err);
	CHECK_ERR(r, err, EINVAL, "parent REAP after the child's");
	ok();
}

/* One request on pid, running the tracee's stops meanwhile: the errno. */
static int traced_request(pid_t pid, int scope, unsigned int flags, char **log)
{
	int fd = ctrl_open(), rd, dest = make_pipe_dest(&rd), err, r, status;
	struct drain d = { rd, 0 };
	pthread_t th;

	CHECK(pthread_create(&th, NULL, drain_main, &d) == 0, "pthread_create");
	r = request(fd, pid, scope, dest, 0, flags | CR_CHKPT_ASYNC_ERR, &err);
	CHECK(r == 0, "request: errno %d", err);
	while (wait_done(fd, 10) == 0) {
		/* We are the tracer: let the trigger signal through. */
		pid_t w = waitpid(-1, &status, WNOHANG | __WALL);

		if (w > 0 && WIFSTOPPED(status))
			ptrace(PTRACE_CONT, w, NULL, (void *)(long)WSTOPSIG(status));
	}
	*log = get_log(fd);
	r = reap(fd, &err);
	close(fd);
	close(dest);
	pthread_join(th, NULL);
	close(rd);
	return r == 0 ? 0 : err;
}

static void sc_ptrace(int argc, char **argv)
{
	pid_t pid;
	char *log;
	int err;

	CHECK(argc >= 3, "usage: ptrace PID");
	pid = (pid_t)atoi(argv[2]);
	CHECK(ptrace(PTRACE_SEIZE, pid, NULL, NULL) == 0, "PTRACE_SEIZE: %s", strerror(errno));
	err = traced_request(pid, CR_SCOPE_PROC, 0, &log);
	CHECK(err == CR_EPTRACED, "traced target: errno %d, want CR_EPTRACED (%s)", err, log);
	CHECK(log[0] == '\0', "BLCR logs nothing for a ptraced target: %s", log);
	free(log);
	err = traced_request(pid, CR_SCOPE_PROC, CR_CHKPT_PTRACED_SKIP, &log);
	CHECK(err == ESRCH, "PTRACED_SKIP: errno %d, want ESRCH (%s)", err, log);
	free(log);
	err = traced_request(pid, CR_SCOPE_PROC, CR_CHKPT_PTRACED_ALLOW, &log);
	CHECK(err == 0, "PTRACED_ALLOW: errno %d (%s)", err, log);
	free(log);
	/* We are a tracer ourselves. */
	err = traced_request(0, CR_SCOPE_PROC, 0, &log);
	CHECK(err == CR_EPTRACER, "tracer target: errno %d, want CR_EPTRACER (%s)", err, log);
	free(log);
	err = traced_request(0, CR_SCOPE_PROC, CR_CHKPT_PTRACER_SKIP, &log);
	CHECK(err == ESRCH, "PTRACER_SKIP: errno %d, want ESRCH (%s)", err, log);
	free(log);
	CHECK(ptrace(PTRACE_DETACH, pid, NULL, NULL) == 0 || errno == ESRCH, "detach");
	ok();
}

/* Threads racing open/request/poll/reap/close (for the sanitizers). */
#define STRESS_NOPID 0x7ffffff0  /* never a live pid: the worker ends in ESRCH */

static void *stress_main(void *arg)
{
	long fails = 0;
	int i, err;

	(void)arg;
	for (i = 0; i < 100; i++) {
		int fd = ctrl_open(), rd, dest = make_pipe_dest(&rd), r;

		switch (i % 4) {
		case 0:
			r = request(fd, 0, 7, dest, 0, CR_CHKPT_ASYNC_ERR, &err);
			fails += r != 0 || !(wait_done(fd, 5000) & POLLIN) || reap(fd, &err) != -1 ||
				 err != EINVAL;
			break;
		case 1:
			r = request(fd, STRESS_NOPID, CR_SCOPE_TREE, dest, 0, CR_CHKPT_ASYNC_ERR, &err);
			fails += r != 0 || !(wait_done(fd, 5000) & POLLIN) || reap(fd, &err) != -1 ||
				 err != ESRCH;
			break;
		case 2:
			/* close with the (failed) request not reaped */
			r = request(fd, STRESS_NOPID, CR_SCOPE_PGRP, dest, 0, CR_CHKPT_ASYNC_ERR, &err);
			fails += r != 0;
			break;
		default:
			/* Without ASYNC_ERR the ioctl itself says ESRCH. */
			r = request(fd, STRESS_NOPID, CR_SCOPE_PROC, dest, 0, 0, &err);
			fails += r != -1 || err != ESRCH;
			break;
		}
		fails += close(fd) != 0;
		close(dest);
		close(rd);
	}
	return (void *)fails;
}

static void sc_stress(void)
{
	pthread_t th[8];
	long total = 0;
	int i;

	for (i = 0; i < 8; i++)
		CHECK(pthread_create(&th[i], NULL, stress_main, NULL) == 0, "pthread_create");
	for (i = 0; i < 8; i++) {
		void *ret;

		pthread_join(th[i], &ret);
		total += (long)ret;
	}
	CHECK(total == 0, "%ld operations gave the wrong result", total);
	ok();
}

/* ---- chkpt: one general request ---- */

static int parse_scope(const char *s)
{
	if (strcmp(s, "proc") == 0)
		return CR_SCOPE_PROC;
	if (strcmp(s, "pgrp") == 0)
		return CR_SCOPE_PGRP;
	if (strcmp(s, "sess") == 0)
		return CR_SCOPE_SESS;
	if (strcmp(s, "tree") == 0)
		return CR_SCOPE_TREE;
	return atoi(s);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tkprobe chkpt [--pid N] [--scope proc|pgrp|sess|tree|N]\n"
		"         [--file F | --dir D | --cwd | --pipe] [--signal S] [--flags N]\n"
		"         [--secs N] [--format N] [--no-async] [--timeout-ms N]\n"
		"       tkprobe rstrt --file F [--offset N] [--flags N] [--signal S]\n"
		"         [--relocate OLD=NEW]... [--helper PATH] [--threads N] [--no-async]\n"
		"         [--wait] [--timeout-ms N]\n"
		"       tkprobe SCENARIO [ARGS]  (see README.md)\n");
	exit(2);
}

static int cmd_chkpt(int argc, char **argv)
{
	struct cr_chkpt_args a = { 0, CR_SCOPE_TREE, -1, 0, cr_format_vmadump, 0, CR_CHKPT_ASYNC_ERR };
	struct drain d = { -1, 0 };
	pthread_t th;
	int fd, i, r, err, use_pipe = 0, timeout_ms = -1;
	char *log, *line, *save = NULL;
	short rev;

	for (i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--no-async") == 0) {
			a.flags &= ~CR_CHKPT_ASYNC_ERR;
			continue;
		}
		if (strcmp(o, "--cwd") == 0) {
			a.cr_fd = CR_DEST_CWD;
			continue;
		}
		if (strcmp(o, "--pipe") == 0) {
			use_pipe = 1;
			continue;
		}
		if (v == NULL)
			usage();
		if (strcmp(o, "--pid") == 0)
			a.cr_target = atoi(v);
		else if (strcmp(o, "--scope") == 0)
			a.cr_scope = (cr_scope_t)parse_scope(v);
		else if (strcmp(o, "--file") == 0)
			a.cr_fd = open_dest(v);
		else if (strcmp(o, "--dir") == 0) {
			a.cr_fd = open(v, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			CHECK(a.cr_fd >= 0, "open %s: %s", v, strerror(errno));
		} else if (strcmp(o, "--signal") == 0)
			a.signal = atoi(v);
		else if (strcmp(o, "--flags") == 0)
			a.flags |= (unsigned int)strtoul(v, NULL, 0);
		else if (strcmp(o, "--secs") == 0)
			a.cr_secs = (unsigned int)atoi(v);
		else if (strcmp(o, "--format") == 0)
			a.dump_format = (cr_format_t)atoi(v);
		else if (strcmp(o, "--timeout-ms") == 0)
			timeout_ms = atoi(v);
		else
			usage();
		i++;
	}
	if (use_pipe) {
		int p[2];

		CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe");
		a.cr_fd = p[1];
		d.fd = p[0];
		CHECK(pthread_create(&th, NULL, drain_main, &d) == 0, "pthread_create");
	}
	fd = ctrl_open();
	r = do_ioctl(fd, CR_OP_CHKPT_REQ, (unsigned long)&a, &err);
	if (r == 0) {
		rev = wait_done(fd, timeout_ms);
		if (rev == 0) {
			printf("result timeout\n");
			return 1;
		}
		log = get_log(fd);
		r = reap(fd, &err);
	} else {
		log = strdup("");
	}
	if (r == 0)
		printf("result 0\n");
	else
		printf("result errno %d %s\n", err, strerror(err));
	for (line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		printf("log %s\n", line);
	free(log);
	if (use_pipe) {
		close(a.cr_fd);
		pthread_join(th, NULL);
		printf("bytes %ld\n", d.bytes);
	}
	return r == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *sc = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(sc, "chkpt") == 0)
		return cmd_chkpt(argc, argv);
	if (strcmp(sc, "rstrt") == 0)
		return cmd_rstrt(argc, argv);
	if (strcmp(sc, "version-ok") == 0)
		sc_version_ok();
	if (strcmp(sc, "version-mismatch") == 0)
		sc_version_mismatch();
	if (strcmp(sc, "reqs-per-fd") == 0)
		sc_reqs_per_fd();
	if (strcmp(sc, "log-rules") == 0)
		sc_log_rules(argc, argv);
	if (strcmp(sc, "reap-eagain") == 0)
		sc_reap_eagain(argc, argv);
	if (strcmp(sc, "pollerr-no-request") == 0)
		sc_pollerr_no_request();
	if (strcmp(sc, "pollin-on-completion") == 0)
		sc_pollin_on_completion(argc, argv);
	if (strcmp(sc, "async-err-deferral") == 0)
		sc_async_err_deferral();
	if (strcmp(sc, "enotty") == 0)
		sc_enotty();
	if (strcmp(sc, "hand-esrch") == 0)
		sc_hand_esrch();
	if (strcmp(sc, "rstrt-header") == 0)
		sc_rstrt_header(argc, argv);
	if (strcmp(sc, "rstrt-args") == 0)
		sc_rstrt_args(argc, argv);
	if (strcmp(sc, "rstrt-procs-eintr") == 0)
		sc_rstrt_procs_eintr(argc, argv);
	if (strcmp(sc, "emlink") == 0)
		sc_emlink(argc, argv);
	if (strcmp(sc, "ebadf-readonly-dest") == 0)
		sc_ebadf_readonly_dest(argc, argv);
	if (strcmp(sc, "einval-ctrl-as-dest") == 0)
		sc_einval_ctrl_as_dest();
	if (strcmp(sc, "target-zero-self") == 0)
		sc_target_zero_self();
	if (strcmp(sc, "close-continues") == 0)
		sc_close_continues(argc, argv);
	if (strcmp(sc, "fork-shares-request") == 0)
		sc_fork_shares_request(argc, argv);
	if (strcmp(sc, "stress") == 0)
		sc_stress();
	if (strcmp(sc, "ptrace") == 0)
		sc_ptrace(argc, argv);
	usage();
	return 2;
}
