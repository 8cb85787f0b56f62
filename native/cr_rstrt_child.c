/*
 * cr-rstrt-child - the child side of a BLCR restart, one per process of the
 * context file (spec §4.2, libcr's cri_rstrt_hndl_child_main).
 *
 *   cr-rstrt-child CTRL_FD THREADS CLONE_FLAGS
 *
 * `cr restart` runs it once per CR_OP_RSTRT_PROCS table entry, with the
 * ctrl fd inherited as CTRL_FD (the context file inherited beside it: the
 * kernel takes both out of the fd table, and logs "File descriptor closed
 * unexpectedly!" when one is missing) and the table's threads and clone_flags. It
 * installs a harmless CR_SIGNUM handler (closing the race with a checkpoint
 * that would otherwise find SIG_DFL), clones THREADS-1 tasks with exactly
 * CLONE_FLAGS, and every task calls ioctl(CTRL_FD, CR_OP_RSTRT_CHILD): the
 * kernel then turns the tasks into the checkpointed ones. That ioctl returns
 * only on error; the task then exits with errno & 0xff (exit_group from the
 * main task, exit from a clone), printing nothing. A usage error exits 255.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cr_blcr.h"

#define STACK_SIZE (64 * 1024)
#define MAX_THREADS 4096

static int ctrl_fd;

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* BLCR's "omit" handler just closes the race: nothing to do here. */
static void on_crsig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

static int clone_main(void *arg)
{
	int e;

	(void)arg;
	ioctl(ctrl_fd, CR_OP_RSTRT_CHILD, CR_NOARG);
	e = errno;
	/* Only this task: the others may still be restarting. */
	for (;;)
		syscall(SYS_exit, e & 0xff);
	return 0;
}

int main(int argc, char **argv)
{
	long fd, threads, flags, i;
	struct sigaction sa;
	unsigned char *stacks = NULL;

	if (argc != 4 || parse_long(argv[1], 0, INT_MAX, &fd) != 0 ||
	    parse_long(argv[2], 1, MAX_THREADS, &threads) != 0 ||
	    parse_long(argv[3], INT_MIN, UINT_MAX, &flags) != 0)
		_exit(255);
	ctrl_fd = (int)fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_crsig;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigaction(CR_SIGNUM, &sa, NULL);

	if (threads > 1) {
		size_t len = (size_t)(threads - 1) * STACK_SIZE;

		stacks = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
			      -1, 0);
		if (stacks == MAP_FAILED)
			_exit(errno & 0xff);
		for (i = 0; i < threads - 1; i++) {
			/* The stack grows down: pass each area's top. */
			void *top = stacks + (size_t)(i + 1) * STACK_SIZE;

			if (clone(clone_main, top, (int)(unsigned int)flags, NULL) < 0)
				_exit(errno & 0xff);
		}
	}
	ioctl(ctrl_fd, CR_OP_RSTRT_CHILD, CR_NOARG);
	_exit(errno & 0xff);
}
