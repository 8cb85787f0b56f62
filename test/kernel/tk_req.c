/*
 * tk_req.c - the request object shared by the ctrl fd and its worker thread.
 *
 * A request has up to two references: the ctrl fd it is attached to (dropped
 * by REAP or close) and its worker thread (dropped by tk_req_finish). It is
 * freed when both are gone.
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
	req->fd = -1;
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

static void tk_req_free_locked(struct tk_req *req)
{
	if (req->live_prev != NULL)
		req->live_prev->live_next = req->live_next;
	else
		tk_live = req->live_next;
	if (req->live_next != NULL)
		req->live_next->live_prev = req->live_prev;
	if (req->destroy != NULL)
		req->destroy(req->priv);
	free(req->log);
	free(req);
}

void tk_req_put_locked(struct tk_req *req)
{
	if (--req->refs <= 0)
		tk_req_free_locked(req);
}

void tk_req_forget_all_locked(void)
{
	/* The workers stayed in the parent: nobody else refers to these. */
	while (tk_live != NULL)
		tk_req_free_locked(tk_live);
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
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = tk_vformat_line(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;

	pthread_mutex_lock(&tk_mu);
	if (req->log_len + (size_t)n + 1 > req->log_cap) {
		size_t cap = req->log_cap ? req->log_cap : 256;
		char *nl;

		while (cap < req->log_len + (size_t)n + 1)
			cap *= 2;
		nl = realloc(req->log, cap);
		if (nl == NULL) {
			pthread_mutex_unlock(&tk_mu);
			return;  /* the log is best effort, like the kernel's */
		}
		req->log = nl;
		req->log_cap = cap;
	}
	memcpy(req->log + req->log_len, line, (size_t)n + 1);
	req->log_len += (size_t)n;
	pthread_mutex_unlock(&tk_mu);
}

void tk_req_complete(struct tk_req *req, int err)
{
	pthread_mutex_lock(&tk_mu);
	if (!req->done) {
		req->result = err;
		req->done = 1;
		if (req->fd >= 0) {
			uint64_t one = 1;

			/* Cannot fail: the counter is reset by every REAP. */
			if (write(req->fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
				req->result = req->result ? req->result : EIO;
		}
	}
	pthread_mutex_unlock(&tk_mu);
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
		tk_req_log(req, "timeout detected");
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
