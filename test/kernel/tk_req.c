/*
 * tk_req.c - the request object: what the process that made a request keeps
 * (its worker, its private data), and the part every holder of the open file
 * sees, kept in the ofile's shared slot (state, result, log).
 *
 * A request has up to three references: the ioctl's while it is set up, its
 * worker thread's (dropped by tk_req_finish), and for a restart request its
 * ofile's (PROCS needs it; dropped by REAP or the last close). It holds a
 * reference on its ofile. A checkpoint request outlives the fds: closing them
 * does not stop it (BLCR's release only drops the requester's reference).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tk_internal.h"

pthread_mutex_t tk_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t tk_cv = PTHREAD_COND_INITIALIZER;

static struct tk_req *tk_live;  /* every request of this process (tk_mu) */

struct tk_req *tk_req_new(enum tk_req_kind kind, void *priv, void (*destroy)(void *))
{
	struct tk_req *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->kind = kind;
	req->refs = 1;
	req->owner = getpid();
	req->priv = priv;
	req->destroy = destroy;
	pthread_mutex_lock(&tk_mu);
	req->live_next = tk_live;
	if (tk_live != NULL)
		tk_live->live_prev = req;
	tk_live = req;
	pthread_mutex_unlock(&tk_mu);
	return req;
}

static void tk_req_free_locked(struct tk_req *req, int put_ofile)
{
	if (req->live_prev != NULL)
		req->live_prev->live_next = req->live_next;
	else
		tk_live = req->live_next;
	if (req->live_next != NULL)
		req->live_next->live_prev = req->live_prev;
	if (req->destroy != NULL)
		req->destroy(req->priv);
	if (put_ofile && req->of != NULL)
		tk_ofile_put_locked(req->of);
	free(req);
}

void tk_req_put_locked(struct tk_req *req)
{
	if (--req->refs <= 0)
		tk_req_free_locked(req, 1);
}

void tk_req_forget_all_locked(void)
{
	/* The workers stayed in the parent; the ofiles are recounted by the caller. */
	while (tk_live != NULL)
		tk_req_free_locked(tk_live, 0);
}

/* Its slot, if it is still the request there (call with the shared lock held). */
static struct tk_rslot *tk_req_slot(struct tk_req *req)
{
	struct tk_rslot *sl;

	if (req->of == NULL)
		return NULL;
	sl = &req->of->sh->slot[req->kind - 1];
	return sl->gen == req->gen && sl->state != TK_SLOT_NONE ? sl : NULL;
}

int tk_req_attach(int fd, struct tk_req *req)
{
	struct tk_ofile *of;
	struct tk_rslot *sl;
	int err = tk_ofile_get(fd, &of);

	if (err != 0)
		return err;
	tk_sh_lock(of->sh);
	sl = &of->sh->slot[req->kind - 1];
	/* BLCR: CHKPT_REQ looks at the checkpoint request only, RSTRT_REQ at both. */
	if (sl->state != TK_SLOT_NONE ||
	    (req->kind == TK_REQ_RSTRT && of->sh->slot[TK_REQ_CHKPT - 1].state != TK_SLOT_NONE)) {
		tk_sh_unlock(of->sh);
		pthread_mutex_lock(&tk_mu);
		tk_ofile_put_locked(of);
		pthread_mutex_unlock(&tk_mu);
		return EAGAIN;
	}
	sl->gen++;
	sl->state = TK_SLOT_PENDING;
	sl->result = 0;
	sl->reap_value = 0;
	sl->owner = (int32_t)getpid();
	sl->log_len = 0;
	sl->log[0] = '\0';
	req->of = of;  /* our reference */
	req->gen = sl->gen;
	tk_sh_unlock(of->sh);
	return 0;
}

void tk_req_detach(struct tk_req *req)
{
	struct tk_rslot *sl;

	if (req->of == NULL)
		return;
	tk_sh_lock(req->of->sh);
	sl = tk_req_slot(req);
	if (sl != NULL)
		sl->state = TK_SLOT_NONE;
	tk_sh_unlock(req->of->sh);
}

int tk_vformat_line(char *line, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(line, size - 1, fmt, ap);

	if (n < 0)
		return -1;
	if ((size_t)n > size - 2)
		n = (int)size - 2;  /* truncated: keep room for the newline and the NUL */
	line[n++] = '\n';
	line[n] = '\0';
	return n;
}

void tk_req_log(struct tk_req *req, const char *fmt, ...)
{
	char line[1024];
	struct tk_rslot *sl;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = tk_vformat_line(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	tk_kmsg_line(line);
	if (req->of == NULL)
		return;
	tk_sh_lock(req->of->sh);
	sl = tk_req_slot(req);
	if (sl != NULL) {
		/* Like BLCR's errbuf: what does not fit in the page is cut off. */
		size_t room = TK_LOG_CAP - sl->log_len, take = (size_t)n < room ? (size_t)n : room;

		memcpy(sl->log + sl->log_len, line, take);
		sl->log_len += (uint32_t)take;
		sl->log[sl->log_len] = '\0';
	}
	tk_sh_unlock(req->of->sh);
}

void tk_req_log_reset(struct tk_req *req)
{
	struct tk_rslot *sl;

	if (req->of == NULL)
		return;
	tk_sh_lock(req->of->sh);
	sl = tk_req_slot(req);
	if (sl != NULL) {
		sl->log_len = 0;
		sl->log[0] = '\0';
	}
	tk_sh_unlock(req->of->sh);
}

void tk_req_complete(struct tk_req *req, int err)
{
	struct tk_rslot *sl;

	if (req->of == NULL)
		return;
	tk_sh_lock(req->of->sh);
	sl = tk_req_slot(req);
	if (sl != NULL && sl->state == TK_SLOT_PENDING) {
		uint64_t one = 1;

		sl->result = err;
		sl->state = TK_SLOT_DONE;
		/* Wakes every poller of the open file, in any process. */
		if (write(req->of->wfd, &one, sizeof(one)) != (ssize_t)sizeof(one))
			errno = 0;  /* a wake-up is already pending */
	}
	tk_sh_unlock(req->of->sh);
}

void tk_req_set_value(struct tk_req *req, int value)
{
	struct tk_rslot *sl;

	if (req->of == NULL)
		return;
	tk_sh_lock(req->of->sh);
	sl = tk_req_slot(req);
	if (sl != NULL)
		sl->reap_value = value;
	tk_sh_unlock(req->of->sh);
}

int tk_req_is_done(struct tk_req *req)
{
	struct tk_rslot *sl;
	int done;

	if (req->of == NULL)
		return 1;
	tk_sh_lock(req->of->sh);
	sl = tk_req_slot(req);
	done = sl == NULL || sl->state != TK_SLOT_PENDING;
	tk_sh_unlock(req->of->sh);
	return done;
}

void tk_req_finish(struct tk_req *req)
{
	pthread_mutex_lock(&tk_mu);
	req->finished = 1;
	pthread_cond_broadcast(&tk_cv);
	tk_req_put_locked(req);
	pthread_mutex_unlock(&tk_mu);
}

int tk_req_cancelled(struct tk_req *req)
{
	return __atomic_load_n(&req->cancel, __ATOMIC_ACQUIRE);
}

void tk_req_tick(struct tk_req *req)
{
	if (req->deadline_ns != 0 && !req->timeout_logged && tk_now_ns() >= req->deadline_ns) {
		req->timeout_logged = 1;
		/* BLCR's watchdog notices, tells the kernel log, and does nothing else. */
		tk_kmsg("chkpt_watchdog: timeout detected");
	}
}

int tk_req_sleep(struct tk_req *req, int64_t ns)
{
	int64_t end = tk_now_ns() + ns;

	for (;;) {
		int64_t left;

		if (tk_req_cancelled(req))
			return ECANCELED;
		tk_req_tick(req);
		left = end - tk_now_ns();
		if (left <= 0)
			return 0;
		tk_sleep_ns(left < 20000000 ? left : 20000000);
	}
}

/* Start a detached worker thread running fn(req); it holds a reference on req. */
int tk_req_start_worker(struct tk_req *req, void *(*fn)(void *))
{
	pthread_attr_t attr;
	pthread_t th;
	sigset_t all, old;
	int err;

	if ((err = pthread_attr_init(&attr)) != 0)
		return err;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* The worker blocks every signal: the process's handlers stay its own. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&tk_mu);
	req->refs++;
	req->has_worker = 1;
	pthread_mutex_unlock(&tk_mu);
	err = pthread_create(&th, &attr, fn, req);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err != 0) {
		pthread_mutex_lock(&tk_mu);
		req->has_worker = 0;
		tk_req_put_locked(req);
		pthread_mutex_unlock(&tk_mu);
	}
	return err;
}
