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
			n = snprintf(line, sizeof(line), "%d\n", (int)ck->requester);
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

int tk_lock_targets(struct tk_req *req, struct tk_chkpt *ck)
{
	size_t i;
	int err = tk_ensure_dir(ck->dir);

	if (err != 0) {
		tk_req_log(req, "cannot use the test kernel directory %s: %s", ck->dir, strerror(err));
		return err;
	}
	for (i = 0; i < ck->nt; i++) {
		struct tk_target *t = &ck->t[i];
		pid_t owner = 0;

		if (t->excluded)
			continue;
		err = tk_lock_one(ck, t->pid, &owner);
		if (err == EBUSY)
			tk_req_log(req, "pid %d is already in another checkpoint or restart (requester %d)",
				   (int)t->pid, (int)owner);
		else if (err != 0)
			tk_req_log(req, "cannot lock pid %d: %s", (int)t->pid, strerror(err));
		if (err != 0)
			return err;
		t->locked = 1;
	}
	return 0;
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

int tk_trigger(struct tk_req *req, struct tk_chkpt *ck)
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
		if (tk_proc_status(t->pid, &st) == 0 && st.state == 'T') {
			if (kill(t->pid, SIGCONT) == 0)
				t->continued = 1;
		}
		while (sigqueue(t->pid, CR_SIGNUM, val) != 0) {
			int err = errno;

			if (err == EAGAIN && ++tries < 100) {
				if (tk_req_sleep(req, 1000000) != 0)
					return ECANCELED;
				continue;
			}
			if (err == ESRCH) {
				t->excluded = 1;
				tk_req_log(req, "pid %d exited before the checkpoint", (int)t->pid);
				break;
			}
			tk_req_log(req, "cannot signal pid %d: %s", (int)t->pid, strerror(err));
			return err;
		}
	}
	return 0;
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
		t->excluded = 1;
		tk_req_log(req, "pid %d omitted itself", (int)t->pid);
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

static int tk_gone_or_zombie(pid_t pid)
{
	struct tk_pstat ps;

	return tk_proc_stat(pid, &ps) != 0 || ps.state == 'Z' || ps.state == 'X';
}

int tk_collect(struct tk_req *req, struct tk_chkpt *ck)
{
	int64_t deadline = tk_now_ns() + (int64_t)ck->ack_ms * 1000000;

	for (;;) {
		size_t i, pending = 0;

		for (i = 0; i < ck->nt; i++) {
			struct tk_target *t = &ck->t[i];
			int r;

			if (t->excluded || t->answered)
				continue;
			r = tk_take_ack(req, ck, t);
			if (r < 0)
				return -r;
			if (r > 0)
				continue;
			if (tk_gone_or_zombie(t->pid)) {
				t->excluded = 1;
				tk_req_log(req, "pid %d exited before the checkpoint", (int)t->pid);
				continue;
			}
			pending++;
		}
		if (pending == 0)
			return 0;
		if (tk_now_ns() >= deadline) {
			for (i = 0; i < ck->nt; i++) {
				if (!ck->t[i].excluded && !ck->t[i].answered)
					tk_req_log(req, "pid %d did not answer the checkpoint signal within %llu ms",
						   (int)ck->t[i].pid, (unsigned long long)ck->ack_ms);
			}
			return CR_ENOSUPPORT;
		}
		if (tk_req_sleep(req, TK_ACK_POLL_NS) != 0)
			return ECANCELED;
	}
}
