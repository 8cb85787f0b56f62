/*
 * tk_poll.c - poll/ppoll/select over sets that contain emulated ctrl fds.
 *
 * Like BLCR's ctrl_poll: no request attached -> POLLERR at once; request
 * done -> POLLIN|POLLRDNORM; in progress -> not ready. A pending fd is waited
 * for through its eventfd (readable on completion) in the real ppoll, so the
 * call blocks until completion, another fd in the set, a signal or the
 * timeout. tk_mu is never held across the real ppoll.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tk_internal.h"

#define TK_POLL_STACK 16

static int tk_fds_have_ctrl(const struct pollfd *fds, nfds_t n)
{
	nfds_t i;
	int found = 0;

	if (!tk_any_ctrl())
		return 0;
	pthread_mutex_lock(&tk_mu);
	for (i = 0; i < n && !found; i++)
		found = fds[i].fd >= 0 && tk_slot_pstate_locked(fds[i].fd) != TK_PS_NOT_CTRL;
	pthread_mutex_unlock(&tk_mu);
	return found;
}

static short tk_ctrl_revents(enum tk_pstate st, short events)
{
	switch (st) {
	case TK_PS_NOREQ:
		return POLLERR;
	case TK_PS_DONE:
		return (short)((POLLIN | POLLRDNORM) & events);
	case TK_PS_PENDING:
		return 0;
	default:
		return POLLNVAL;  /* closed while we waited */
	}
}

/* timeout_ns < 0 waits forever. Returns like poll(). */
static int tk_poll_impl(struct pollfd *fds, nfds_t n, int64_t timeout_ns, const sigset_t *mask)
{
	struct pollfd wstack[TK_POLL_STACK];
	unsigned char sstack[TK_POLL_STACK];
	struct pollfd *work = wstack;
	unsigned char *st = sstack;
	int64_t deadline = timeout_ns >= 0 ? tk_now_ns() + timeout_ns : -1;
	int result = -1, err = 0;

	if (n > TK_POLL_STACK) {
		work = malloc(n * sizeof(*work));
		st = malloc(n);
		if (work == NULL || st == NULL) {
			free(work);
			free(st);
			errno = ENOMEM;
			return -1;
		}
	}
	for (;;) {
		struct timespec ts, *tsp = NULL;
		int immediate = 0, count = 0, r;
		nfds_t i;

		pthread_mutex_lock(&tk_mu);
		for (i = 0; i < n; i++)
			st[i] = fds[i].fd >= 0 ? (unsigned char)tk_slot_pstate_locked(fds[i].fd)
					       : TK_PS_NOT_CTRL;
		pthread_mutex_unlock(&tk_mu);

		for (i = 0; i < n; i++) {
			work[i] = fds[i];
			work[i].revents = 0;
			switch (st[i]) {
			case TK_PS_NOREQ:
				immediate = 1;
				work[i].fd = -1;
				break;
			case TK_PS_DONE:
				if (fds[i].events & (POLLIN | POLLRDNORM))
					immediate = 1;
				work[i].fd = -1;
				break;
			case TK_PS_PENDING:
				work[i].events = (fds[i].events & (POLLIN | POLLRDNORM)) ? POLLIN : 0;
				break;
			default:
				break;
			}
		}
		if (immediate) {
			ts.tv_sec = 0;
			ts.tv_nsec = 0;
			tsp = &ts;
		} else if (deadline >= 0) {
			int64_t left = deadline - tk_now_ns();

			if (left < 0)
				left = 0;
			ts.tv_sec = (time_t)(left / 1000000000);
			ts.tv_nsec = (long)(left % 1000000000);
			tsp = &ts;
		}
		r = tk_real_ppoll(work, n, tsp, mask);
		if (r < 0) {
			err = errno;
			break;
		}

		pthread_mutex_lock(&tk_mu);
		for (i = 0; i < n; i++) {
			if (st[i] == TK_PS_NOT_CTRL)
				fds[i].revents = work[i].revents;
			else
				fds[i].revents = tk_ctrl_revents(tk_slot_pstate_locked(fds[i].fd),
								 fds[i].events);
			if (fds[i].revents != 0)
				count++;
		}
		pthread_mutex_unlock(&tk_mu);

		if (count > 0 || immediate || (deadline >= 0 && tk_now_ns() >= deadline)) {
			result = count;
			break;
		}
		if (r > 0)
			tk_sleep_ns(1000000);  /* a stale wake-up: do not spin */
	}
	if (work != wstack) {
		free(work);
		free(st);
	}
	if (result < 0)
		errno = err;
	return result;
}

/*
 * glibc declares poll/ppoll's fds as write-only (access attribute), but
 * they are read (fd, events): gcc then warns about reading them.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

TK_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (!tk_fds_have_ctrl(fds, n))
		return tk_real_poll(fds, n, timeout);
	return tk_poll_impl(fds, n, timeout < 0 ? -1 : (int64_t)timeout * 1000000, NULL);
}

TK_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	if (!tk_fds_have_ctrl(fds, n))
		return tk_real_ppoll(fds, n, ts, mask);
	if (ts != NULL && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)) {
		errno = EINVAL;
		return -1;
	}
	return tk_poll_impl(fds, n,
			    ts == NULL ? -1 : (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec, mask);
}

#pragma GCC diagnostic pop

/*
 * select() is mapped to poll the way the kernel maps poll masks to select
 * sets: readable = IN|RDNORM|RDBAND|HUP|ERR, writable = OUT|WRNORM|WRBAND|ERR,
 * exceptional = PRI. So "no request" (POLLERR) shows as readable and writable.
 */
#define TK_SEL_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define TK_SEL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define TK_SEL_EX (POLLPRI)

static int tk_sel_isset(int fd, fd_set *set)
{
	return set != NULL && FD_ISSET(fd, set);
}

static int tk_select_has_ctrl(int nfds, fd_set *r, fd_set *w, fd_set *e)
{
	int fd, found = 0;

	pthread_mutex_lock(&tk_mu);
	for (fd = 0; fd < nfds && !found; fd++) {
		if (tk_sel_isset(fd, r) || tk_sel_isset(fd, w) || tk_sel_isset(fd, e))
			found = tk_slot_pstate_locked(fd) != TK_PS_NOT_CTRL;
	}
	pthread_mutex_unlock(&tk_mu);
	return found;
}

TK_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	struct pollfd pfds[FD_SETSIZE];
	int64_t timeout_ns = -1, start;
	int fd, cnt = 0, res, ready = 0;
	nfds_t i;

	if (!tk_any_ctrl() || nfds <= 0 || nfds > FD_SETSIZE || !tk_select_has_ctrl(nfds, r, w, e))
		return tk_real_select(nfds, r, w, e, tv);
	if (tv != NULL) {
		if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000) {
			errno = EINVAL;
			return -1;
		}
		timeout_ns = (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000;
	}
	for (fd = 0; fd < nfds; fd++) {
		short ev = 0;

		if (tk_sel_isset(fd, r))
			ev |= POLLIN | POLLRDNORM | POLLRDBAND;
		if (tk_sel_isset(fd, w))
			ev |= POLLOUT | POLLWRNORM | POLLWRBAND;
		if (tk_sel_isset(fd, e))
			ev |= POLLPRI;
		if (ev != 0) {
			pfds[cnt].fd = fd;
			pfds[cnt].events = ev;
			pfds[cnt].revents = 0;
			cnt++;
		}
	}
	start = tk_now_ns();
	res = tk_poll_impl(pfds, (nfds_t)cnt, timeout_ns, NULL);
	if (res < 0)
		return -1;
	for (i = 0; i < (nfds_t)cnt; i++) {
		if (pfds[i].revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
	}
	for (i = 0; i < (nfds_t)cnt; i++) {
		int f = pfds[i].fd;
		short rv = pfds[i].revents;

		if (tk_sel_isset(f, r)) {
			if (rv & TK_SEL_IN)
				ready++;
			else
				FD_CLR(f, r);
		}
		if (tk_sel_isset(f, w)) {
			if (rv & TK_SEL_OUT)
				ready++;
			else
				FD_CLR(f, w);
		}
		if (tk_sel_isset(f, e)) {
			if (rv & TK_SEL_EX)
				ready++;
			else
				FD_CLR(f, e);
		}
	}
	if (tv != NULL) {
		/* Linux select() reports the time left. */
		int64_t left = timeout_ns - (tk_now_ns() - start);

		if (left < 0)
			left = 0;
		tv->tv_sec = (time_t)(left / 1000000000);
		tv->tv_usec = (suseconds_t)((left % 1000000000) / 1000);
	}
	return ready;
}
