/*
 * tk_handshake.c - the shared directory ($CR_TESTKERNEL_DIR): busy locks
 * (busy.<pid>), and the trigger/ack handshake with the stub (spec §4.3):
 * sigqueue(pid, CR_SIGNUM, token), then ack.<token>.<pid> holding "STUB\n"
 * or "OMIT\n" and the state blob.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tk_chkpt.h"

#define TK_ACK_POLL_NS 1000000

/* ---- busy locks: $DIR/busy.<pid> holding the owner requester's pid ---- */

static pid_t tk_lock_owner(const char *path, int *fresh)
{
	struct stat sb;
	char *buf;
	size_t len;
	pid_t owner = 0;

	*fresh = 0;
	if (tk_read_file(path, &buf, &len) == 0) {
		owner = (pid_t)atoi(buf);
		free(buf);
	}
	/* No pid yet: its creator may be between open and write. */
	if (owner <= 0 && stat(path, &sb) == 0 && time(NULL) - sb.st_mtime < 2)
		*fresh = 1;
	return owner;
}

static int tk_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

static int tk_lock_one(struct tk_chkpt *ck, pid_t pid, pid_t *owner_out)
{
	char path[PATH_MAX + 32], stale[PATH_MAX + 96], line[32];
	int attempt;

	snprintf(path, sizeof(path), "%s/busy.%d", ck->dir, (int)pid);
	snprintf(stale, sizeof(stale), "%s/busy.%d.stale.%u", ck->dir, (int)pid, ck->token);
	for (attempt = 0; attempt < 5; attempt++) {
		int fd = tk_real_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		pid_t owner;
		int fresh, n, err;

		if (fd >= 0) {
			/* The token tells this request's lock from the next one of the same requester. */
			n = snprintf(line, sizeof(line), "%d %u\n", (int)ck->requester, ck->token);
			err = tk_write_all(fd, line, (size_t)n);
			tk_real_close(fd);
			if (err != 0)
				unlink(path);
			return err;
		}
		if (errno != EEXIST)
			return errno;
		owner = tk_lock_owner(path, &fresh);
		if (tk_alive(owner) || fresh) {
			*owner_out = owner;
			return EBUSY;
		}
		/* Stale: move it aside, make sure it was the stale one, drop it. */
		if (rename(path, stale) != 0) {
			if (errno == ENOENT)
				continue;
			return errno;
		}
		owner = tk_lock_owner(stale, &fresh);
		if (tk_alive(owner) || fresh) {
			if (link(stale, path) != 0)
				errno = 0;  /* someone locked it again meanwhile */
			unlink(stale);
			*owner_out = owner;
			return EBUSY;
		}
		unlink(stale);
	}
	*owner_out = 0;
	return EBUSY;
}

int tk_lock_target(struct tk_chkpt *ck, struct tk_target *t)
{
	pid_t owner = 0;
	int err = tk_ensure_dir(ck->dir);

	if (err != 0)
		return err;
	err = tk_lock_one(ck, t->pid, &owner);
	if (err == 0)
		t->locked = 1;
	return err;
}

void tk_unlock_targets(struct tk_chkpt *ck)
{
	char path[PATH_MAX + 32];
	size_t i;

	for (i = 0; i < ck->nt; i++) {
		if (!ck->t[i].locked)
			continue;
		snprintf(path, sizeof(path), "%s/busy.%d", ck->dir, (int)ck->t[i].pid);
		unlink(path);
		ck->t[i].locked = 0;
	}
}

/* ---- trigger and acks ---- */

static void tk_ack_path(const struct tk_chkpt *ck, pid_t pid, char *buf, size_t size)
{
	snprintf(buf, size, "%s/ack.%u.%d", ck->dir, ck->token, (int)pid);
}

void tk_trigger(struct tk_chkpt *ck)
{
	union sigval val = { .sival_int = (int)ck->token };
	size_t i;

	for (i = 0; i < ck->nt; i++) {
		struct tk_target *t = &ck->t[i];
		char path[PATH_MAX + 48];
		struct tk_pstatus st;
		int tries = 0;

		if (t->excluded)
			continue;
		tk_ack_path(ck, t->pid, path, sizeof(path));
		unlink(path);  /* a leftover of a dead requester */
		/* BLCR wakes a stopped target without a signal: we can only SIGCONT it. */
		if (tk_proc_status(t->pid, &st) == 0 && st.state == 'T') {
			if (kill(t->pid, SIGCONT) == 0)
				t->continued = 1;
		}
		while (sigqueue(t->pid, CR_SIGNUM, val) != 0 && errno == EAGAIN && ++tries < 100)
			tk_sleep_ns(1000000);
		/* Like BLCR's do_trigger, errors are not checked: one that exited is seen later. */
		t->triggered = 1;
	}
}

/* Read and delete the ack file: 1 when it was there. */
static int tk_take_ack(struct tk_req *req, struct tk_chkpt *ck, struct tk_target *t)
{
	char path[PATH_MAX + 48], *buf, *nl;
	size_t len;
	int err;

	tk_ack_path(ck, t->pid, path, sizeof(path));
	err = tk_read_file(path, &buf, &len);
	if (err != 0)
		return 0;
	unlink(path);
	t->answered = 1;
	nl = memchr(buf, '\n', len);
	if (nl != NULL && nl - buf == 4 && memcmp(buf, "OMIT", 4) == 0) {
		t->excluded = 1;  /* BLCR says nothing */
		t->omitted = 1;
	} else if (nl != NULL && nl - buf == 4 && memcmp(buf, "STUB", 4) == 0) {
		t->blob_len = len - 5;
		t->blob = malloc(t->blob_len ? t->blob_len : 1);
		if (t->blob == NULL) {
			free(buf);
			return -ENOMEM;
		}
		memcpy(t->blob, nl + 1, t->blob_len);
	} else {
		tk_req_log(req, "pid %d gave an unrecognized answer", (int)t->pid);
		free(buf);
		return -CR_ENOSUPPORT;
	}
	free(buf);
	return 1;
}

/*
 * A target that exited before answering: BLCR's watchdog (once a second)
 * drops it with this line. Its wait status is /proc's while it is a zombie;
 * once reaped, it is unknown (code 0).
 */
static int tk_exited(struct tk_req *req, struct tk_target *t)
{
	struct tk_pstat ps;
	char comm[64];
	int code = 0, sig;

	if (tk_proc_stat(t->pid, &ps) == 0 && ps.state != 'Z' && ps.state != 'X')
		return 0;
	if (tk_proc_exit(t->pid, comm, sizeof(comm), &code) != 0)
		snprintf(comm, sizeof(comm), "%s", t->comm);
	sig = code & 0x7f;
	tk_req_log(req, "chkpt_watchdog: '%s' (tgid/pid %d/%d) exited with %s %d during checkpoint", comm,
		   (int)t->pid, (int)t->pid, sig ? "signal" : "code", sig ? sig : (code & 0xff00) >> 8);
	return 1;
}

int tk_collect(struct tk_req *req, struct tk_chkpt *ck)
{
	int64_t t0 = tk_now_ns();

	for (;;) {
		size_t i, pending = 0;
		int64_t pause;

		for (i = 0; i < ck->nt; i++) {
			struct tk_target *t = &ck->t[i];
			int r;

			if (t->excluded || t->answered || !t->triggered)
				continue;
			r = tk_take_ack(req, ck, t);
			if (r < 0)
				return -r;
			if (r > 0)
				continue;
			if (tk_exited(req, t)) {
				t->excluded = 1;
				continue;
			}
			pending++;
		}
		if (pending == 0)
			return 0;
		/* The handlers have not all answered: cr_secs may run out meanwhile. */
		tk_req_tick(req);
		pause = tk_now_ns() - t0 < 1000000000 ? TK_ACK_POLL_NS : 20 * TK_ACK_POLL_NS;
		if (tk_req_sleep(req, pause) != 0)
			return ECANCELED;
	}
}
