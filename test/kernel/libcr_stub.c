/*
 * libcr_stub.c - stand-ins for BLCR's libcr_run.so.0 and (with -DCR_OMIT)
 * libcr_omit.so.0, to be LD_PRELOADed into checkpoint targets.
 *
 * The constructor installs a CR_SIGNUM handler (SA_SIGINFO|SA_RESTART, all
 * signals masked), so the test kernel sees the process as supporting
 * checkpoints. The handler answers a trigger (sigqueue with a token) by
 * writing $CR_TESTKERNEL_DIR/ack.<token>.<pid>: "STUB\n" (or "OMIT\n") then
 * the registered state blob. It only uses raw syscalls (async-signal-safe,
 * and never the test kernel's interposed open/close when both are loaded).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cr_blcr.h"

#ifdef CR_OMIT
#define TK_STUB_ANSWER "OMIT\n"
#define TK_STUB_HOLDS 0  /* an omitted process is not dumped: it runs on */
#else
#define TK_STUB_HOLDS 1
#define TK_STUB_ANSWER "STUB\n"
#endif

#define TK_STUB_EXPORT __attribute__((visibility("default")))

/* libcr's link-me symbols, for programs that name them. */
#ifdef CR_OMIT
TK_STUB_EXPORT int cr_omit_link_me;
#else
TK_STUB_EXPORT int cr_run_link_me;
#endif

static char tk_dir[1024] = "/tmp/cr-testkernel";

/* A restarted program's saved state (CR_TESTKERNEL_RESTORE), until registered. */
static unsigned char *tk_restore_blob;
static size_t tk_restore_len;
static int tk_restore_pending;
/* <restore file>.up: made once the restarted program has registered its state (set up again). */
static char tk_restore_marker[1100];

static void *volatile tk_state_ptr;
static volatile size_t tk_state_len;

/* ---- raw syscalls ---- */

static int tk_sys_open(const char *path, int flags, int mode)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static void tk_sys_close(int fd)
{
	syscall(SYS_close, fd);
}

static int tk_sys_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		long w = syscall(SYS_write, fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* ---- path building without stdio ---- */

static size_t tk_append(char *buf, size_t pos, size_t size, const char *s)
{
	while (*s != '\0' && pos + 1 < size)
		buf[pos++] = *s++;
	buf[pos] = '\0';
	return pos;
}

static size_t tk_append_uint(char *buf, size_t pos, size_t size, unsigned long v)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (i > 0 && pos + 1 < size)
		buf[pos++] = tmp[--i];
	buf[pos] = '\0';
	return pos;
}

static void tk_ack_name(char *buf, size_t size, int hidden, unsigned int token, pid_t pid)
{
	size_t pos = 0;

	pos = tk_append(buf, pos, size, tk_dir);
	pos = tk_append(buf, pos, size, hidden ? "/.ack." : "/ack.");
	pos = tk_append_uint(buf, pos, size, token);
	pos = tk_append(buf, pos, size, ".");
	pos = tk_append_uint(buf, pos, size, (unsigned long)pid);
	if (hidden)
		tk_append(buf, pos, size, ".tmp");
}

/* ---- holding the target while the test kernel dumps it ---- */

/*
 * $CR_TESTKERNEL_DIR/busy.<pid>: "<requester pid> <token>\n" while a request
 * holds us. Its text (NUL terminated in buf) and the requester; 0 when none.
 */
static long tk_busy_owner(pid_t pid, char *buf, size_t size)
{
	char path[1200];
	size_t pos = 0;
	long r, owner = 0;
	int fd, i;

	buf[0] = '\0';
	pos = tk_append(path, pos, sizeof(path), tk_dir);
	pos = tk_append(path, pos, sizeof(path), "/busy.");
	tk_append_uint(path, pos, sizeof(path), (unsigned long)pid);
	fd = tk_sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	r = syscall(SYS_read, fd, buf, size - 1);
	tk_sys_close(fd);
	if (r < 0)
		r = 0;
	buf[r] = '\0';
	for (i = 0; i < r && buf[i] >= '0' && buf[i] <= '9'; i++)
		owner = owner * 10 + (buf[i] - '0');
	return owner;
}

static int tk_same(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/*
 * As in BLCR, a process stays in its checkpoint handler until the checkpoint
 * is over: it does not run on while it is dumped, so its saved state and what
 * it wrote agree. Over = the request's busy lock on us is gone (the test
 * kernel drops it when the request completes or fails), replaced (another
 * request, even of the same requester: the lock names its token), or its
 * owner died. Signals sent after the dump (--kill, --stop) reach us here.
 * At most 60 s.
 */
static void tk_hold_until_done(pid_t pid)
{
	char first[64], now[64];
	long owner = tk_busy_owner(pid, first, sizeof(first));
	struct timespec ts = { 0, 2000000 };
	int i;

	if (owner <= 0)
		return;
	for (i = 0; i < 30000; i++) {
		syscall(SYS_nanosleep, &ts, NULL);
		tk_busy_owner(pid, now, sizeof(now));
		if (!tk_same(first, now) || (syscall(SYS_kill, (pid_t)owner, 0) != 0 && errno == ESRCH))
			return;
	}
}

/* ---- the trigger handler ---- */

static void tk_stub_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno, fd;
	char tmp[1200], final[1200];
	pid_t pid = (pid_t)syscall(SYS_getpid);
	unsigned int token;
	void *ptr;
	size_t len;

	(void)sig;
	(void)uc;
	if (si == NULL || si->si_code != SI_QUEUE)
		goto out;  /* not a trigger from the test kernel */
	token = (unsigned int)si->si_value.sival_int;
	tk_ack_name(tmp, sizeof(tmp), 1, token, pid);
	tk_ack_name(final, sizeof(final), 0, token, pid);
	fd = tk_sys_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == ENOENT) {
		/* The shared directory is missing: create it, sticky and open to all. */
		if (mkdir(tk_dir, 01777) == 0)
			chmod(tk_dir, 01777);
		fd = tk_sys_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	}
	if (fd < 0)
		goto out;
	len = tk_state_len;
	ptr = tk_state_ptr;
	if (tk_sys_write_all(fd, TK_STUB_ANSWER, 5) != 0 ||
	    (ptr != NULL && len > 0 && tk_sys_write_all(fd, ptr, len) != 0)) {
		tk_sys_close(fd);
		unlink(tmp);
		goto out;
	}
	tk_sys_close(fd);
	if (syscall(SYS_renameat, AT_FDCWD, tmp, AT_FDCWD, final) != 0)
		unlink(tmp);
	else if (TK_STUB_HOLDS)
		tk_hold_until_done(pid);
out:
	errno = saved;
}

/*
 * Restart hook: a restarted program gets its saved state (read from
 * CR_TESTKERNEL_RESTORE by the constructor) copied into the memory it
 * registers first, so it continues where it stopped.
 */
static void tk_stub_restore_hook(void *ptr, size_t len)
{
	size_t n = len < tk_restore_len ? len : tk_restore_len;

	if (ptr != NULL && n > 0)
		memcpy(ptr, tk_restore_blob, n);
	tk_restore_pending = 0;
	free(tk_restore_blob);
	tk_restore_blob = NULL;
	tk_restore_len = 0;
}

/*
 * The restore file written by the test kernel for a restart child:
 * "TKRS", int32 signal, the STATE blob. Read once and deleted; a negative
 * (early) signal is raised here, before the program's own code runs.
 */
static void tk_stub_load_restore(const char *path)
{
	unsigned char *buf = NULL;
	size_t cap = 0, len = 0;
	int fd = tk_sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	int32_t sig;

	if (fd < 0)
		return;
	for (;;) {
		long r;

		if (cap - len < 4096) {
			unsigned char *nb = realloc(buf, cap + 65536);

			if (nb == NULL)
				break;
			buf = nb;
			cap += 65536;
		}
		r = syscall(SYS_read, fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	tk_sys_close(fd);
	unlink(path);
	if (buf == NULL || len < 8 || memcmp(buf, "TKRS", 4) != 0) {
		free(buf);
		return;
	}
	memcpy(&sig, buf + 4, 4);
	memmove(buf, buf + 8, len - 8);
	tk_restore_blob = buf;
	tk_restore_len = len - 8;
	tk_restore_pending = 1;
	if (sig < 0 && sig >= -64)
		kill(getpid(), -sig);
	if (strlen(path) + 4 < sizeof(tk_restore_marker)) {
		memcpy(tk_restore_marker, path, strlen(path));
		memcpy(tk_restore_marker + strlen(path), ".up", 4);
	}
}

TK_STUB_EXPORT void cr_testkernel_register_state(void *ptr, size_t len)
{
	tk_state_len = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	tk_state_ptr = ptr;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (tk_restore_pending)
		tk_stub_restore_hook(ptr, len);
	tk_state_len = ptr != NULL ? len : 0;
	if (tk_restore_marker[0] != '\0') {
		/*
		 * BLCR's restarted process is whole (handlers included) before its
		 * restart completes: the test kernel waits for this marker before it
		 * signals the program and completes the request.
		 */
		int fd = tk_sys_open(tk_restore_marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd >= 0)
			tk_sys_close(fd);
		tk_restore_marker[0] = '\0';
	}
}

__attribute__((constructor)) static void tk_stub_init(void)
{
	const char *dir = getenv("CR_TESTKERNEL_DIR");
	const char *restore = getenv("CR_TESTKERNEL_RESTORE");
	struct sigaction sa;

	if (dir != NULL && dir[0] != '\0' && strlen(dir) < sizeof(tk_dir))
		memcpy(tk_dir, dir, strlen(dir) + 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = tk_stub_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigaction(CR_SIGNUM, &sa, NULL);
	if (restore != NULL && restore[0] != '\0') {
		char path[1024];

		if (strlen(restore) < sizeof(path)) {
			memcpy(path, restore, strlen(restore) + 1);
			/* Not passed on to the program's own children. */
			unsetenv("CR_TESTKERNEL_RESTORE");
			tk_stub_load_restore(path);
		} else {
			unsetenv("CR_TESTKERNEL_RESTORE");
		}
	}
}
