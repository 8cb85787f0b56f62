/*
 * libcr-self-omit.so - lets the cr process leave itself out of a checkpoint it
 * requests (spec §4.3). Loaded into cr by src/abi/blcr/self-omit.ts before a
 * CR_OP_CHKPT_REQ.
 *
 * The kernel refuses a target whose CR_SIGNUM disposition is SIG_DFL or
 * SIG_IGN (CR_ENOSUPPORT), and cr, a Node process, can never be dumped
 * (BLCR cannot save epoll or eventfd). So when cr is inside the scope of its
 * own request, it must answer the trigger the way BLCR's libcr_omit does: the
 * kernel sends CR_SIGNUM to every thread with si_code SI_KERNEL and si_pid
 * the number of a ctrl fd it put in the process; the answer is
 * ioctl(fd, CR_OP_HAND_ABORT, CR_CHECKPOINT_OMIT), which marks the process
 * omitted and returns once all its threads have answered. The rest of the
 * scope is checkpointed without it; nothing else in cr is touched.
 *
 *   int cr_self_omit_install(void)   0, or -errno from sigaction(2)
 *
 * The kernel closes the fd it put into cr for the trigger (on the real module it is gone once
 * the checkpoint is over).
 *
 * The handler uses async-signal-safe calls only (ioctl), and keeps errno.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cr_blcr.h"

#define EXPORT __attribute__((visibility("default")))

static void on_trigger(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)sig;
	(void)uc;
	/* Only the kernel's trigger: a CR_SIGNUM someone sent with kill or sigqueue is ignored.
	 * -1/CR_EOMITTED is the kernel's normal answer; ESRCH: no checkpoint (any more). */
	if (si != NULL && si->si_code == SI_KERNEL)
		(void)ioctl(si->si_pid, CR_OP_HAND_ABORT, (unsigned long)CR_CHECKPOINT_OMIT);
	errno = saved;
}

EXPORT int cr_self_omit_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trigger;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(CR_SIGNUM, &sa, NULL) != 0)
		return -errno;
	return 0;
}
