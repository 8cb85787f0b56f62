/*
 * cr-chkpt-parent - the process that stands where cr was when cr is inside
 * the scope of its own checkpoint (spec §4.1 "Process structure").
 *
 *   cr-chkpt-parent PROGRAM [ARG...]
 *
 * A program that checkpoints itself through system("cr_checkpoint ... $PID")
 * waits for its child, which is cr. cr (Node) can only omit itself, so after
 * a restart that child would be missing and system() would fail. BLCR's
 * cr_checkpoint solves this by forking: the parent is checkpointed with the
 * job and waits, the child makes the request and omits itself. cr does the
 * same: it replaces itself (same pid) with this helper, which forks and runs
 * PROGRAM (cr again) in the child, then waits for it:
 *
 *   - the child's exit status is the exit status;
 *   - the child killed by a signal: a message, exit 1;
 *   - no child to wait for (ECHILD): this is the restarted copy of the
 *     parent, whose child was never checkpointed: exit 0, as the
 *     checkpointed program expects of a checkpoint that succeeded.
 *
 * To be checkpointable it needs a CR_SIGNUM handler. One installed before
 * main (BLCR's libcr_run or libcr preloaded) is kept; otherwise it installs
 * its own, which answers the kernel's trigger (si_code SI_KERNEL, si_pid a
 * ctrl fd) the way a stub handler does: ioctl(fd, CR_OP_HAND_CHKPT,
 * _CR_CHECKPOINT_STUB), after which the kernel dumps the process by itself.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cr_blcr.h"

static void on_trigger(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)sig;
	(void)uc;
	if (si != NULL && si->si_code == SI_KERNEL)
		(void)ioctl(si->si_pid, CR_OP_HAND_CHKPT, (unsigned long)_CR_CHECKPOINT_STUB);
	errno = saved;
}

/* A checkpoint handler, unless the process already has one. */
static int ensure_handler(void)
{
	struct sigaction old, sa;

	if (sigaction(CR_SIGNUM, NULL, &old) != 0)
		return -1;
	if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trigger;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	return sigaction(CR_SIGNUM, &sa, NULL);
}

int main(int argc, char **argv)
{
	pid_t child, r;
	int status;

	if (argc < 2) {
		fprintf(stderr, "usage: cr-chkpt-parent PROGRAM [ARG...]\n");
		return 255;
	}
	if (ensure_handler() != 0) {
		fprintf(stderr, "cr-chkpt-parent: sigaction(%d): %s\n", CR_SIGNUM, strerror(errno));
		return 1;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "cr-chkpt-parent: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		execv(argv[1], argv + 1);
		fprintf(stderr, "cr-chkpt-parent: cannot run %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	do
		r = waitpid(child, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == ECHILD)
			return 0;  /* the restarted copy: the child was left out of the checkpoint */
		fprintf(stderr, "cr-chkpt-parent: waitpid: %s\n", strerror(errno));
		return 1;
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "child killed by signal %d (%s)\n", WTERMSIG(status), strsignal(WTERMSIG(status)));
		return 1;
	}
	return WEXITSTATUS(status);
}
