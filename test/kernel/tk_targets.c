/*
 * tk_targets.c - which processes a checkpoint request covers, and whether
 * they may be checkpointed, as BLCR's build_req/add_proc/add_task decide it
 * inside the CHKPT_REQ ioctl: per process, in order, zombie (skipped, with a
 * log line), kernel thread (EPERM), permission (EPERM), ptraced
 * (CR_EPTRACED), ptracer (CR_EPTRACER), already in another request (EBUSY),
 * no CR_SIGNUM handler (CR_ENOSUPPORT); then PROHIBIT_SELF (EDEADLK). Only
 * the zombie and permission cases write to the log, with BLCR's words.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tk_chkpt.h"

struct tk_target *tk_find(struct tk_chkpt *ck, pid_t pid)
{
	size_t i;

	for (i = 0; i < ck->nt; i++)
		if (ck->t[i].pid == pid)
			return &ck->t[i];
	return NULL;
}

size_t tk_count_left(const struct tk_chkpt *ck)
{
	size_t i, n = 0;

	for (i = 0; i < ck->nt; i++)
		n += !ck->t[i].excluded;
	return n;
}

void tk_drop_targets(struct tk_chkpt *ck)
{
	size_t i;

	tk_unlock_targets(ck);
	for (i = 0; i < ck->nt; i++)
		free(ck->t[i].blob);
	free(ck->t);
	ck->t = NULL;
	ck->nt = 0;
}

static int tk_pid_in(const pid_t *v, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == pid)
			return 1;
	return 0;
}

static pid_t tk_scope_id(const struct tk_chkpt *ck)
{
	if (ck->args.cr_target != 0)
		return ck->args.cr_target;
	switch (ck->args.cr_scope) {
	case CR_SCOPE_PGRP: return ck->req_pgrp;
	case CR_SCOPE_SESS: return ck->req_sid;
	default: return ck->requester;
	}
}

/*
 * Not dumpable: /proc shows its files as root's. The /proc/PID directory
 * itself can keep its old owner on recent kernels: look at status too. (A
 * target running as root cannot be told apart: it counts as dumpable.)
 */
static int tk_dumpable(pid_t pid, const struct tk_pstatus *st)
{
	struct stat sb;
	char path[64];
	int root_owned;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	root_owned = stat(path, &sb) == 0 && sb.st_uid == 0;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	root_owned |= stat(path, &sb) == 0 && sb.st_uid == 0;
	return !(root_owned && st->euid != 0);
}

/* BLCR's bad_perms: the requester's uid or euid is the target's uid or suid, or CAP_KILL. */
static int tk_allowed(const struct tk_chkpt *ck, pid_t pid, const struct tk_pstatus *st)
{
	int owner = ck->req_euid == st->suid || ck->req_euid == st->ruid || ck->req_uid == st->suid ||
		    ck->req_uid == st->ruid;

	return ck->req_cap_kill || (owner && tk_dumpable(pid, st));
}

/* A target left out without an error: its TREE descendants are not visited either. */
static void tk_skip(struct tk_chkpt *ck, struct tk_target *t)
{
	t->excluded = 1;
	t->skip_subtree = ck->args.cr_scope == CR_SCOPE_TREE;
}

/* One process: 0 (taken, or left out) or the error. */
static int tk_add_proc(struct tk_req *req, struct tk_chkpt *ck, struct tk_target *t,
		       const struct tk_pstat *ps, int is_root, const pid_t *tracers, size_t ntracers)
{
	unsigned int fl = ck->args.flags;
	struct tk_pstatus st;
	int err;

	if (ps->state == 'Z' || ps->state == 'X') {
		/* add_proc words it for a process, add_task (TREE descendants) for a task. */
		if (ck->args.cr_scope == CR_SCOPE_TREE && !is_root)
			tk_req_log(req, "Skipped zombie task %d - a post-restart wait() will not find this task",
				   (int)t->pid);
		else
			tk_req_log(req, "Skipped zombie process %d - a post-restart wait() will not find this process",
				   (int)t->pid);
		tk_skip(ck, t);
		return 0;
	}
	if ((ps->flags & TK_PF_KTHREAD) || ps->pid == 2 || ps->ppid == 2)
		return EPERM;  /* no mm: BLCR says nothing */
	err = tk_proc_status(t->pid, &st);
	if (err == ESRCH) {
		tk_skip(ck, t);  /* exited meanwhile */
		return 0;
	}
	if (err != 0)
		return err;
	snprintf(t->comm, sizeof(t->comm), "%s", st.name);
	if (!tk_allowed(ck, t->pid, &st)) {
		tk_req_log(req, "Bad permissions to checkpoint task %d", (int)t->pid);
		return EPERM;
	}
	if (st.tracer != 0) {
		unsigned int m = fl & (CR_CHKPT_PTRACED_ALLOW | CR_CHKPT_PTRACED_SKIP);

		if (m == 0)
			return CR_EPTRACED;
		if (m == CR_CHKPT_PTRACED_SKIP) {
			tk_skip(ck, t);
			return 0;
		}
	}
	if (tk_pid_in(tracers, ntracers, t->pid)) {
		if (!(fl & CR_CHKPT_PTRACER_SKIP))
			return CR_EPTRACER;
		tk_skip(ck, t);
		return 0;
	}
	err = tk_lock_target(ck, t);
	if (err != 0)
		return err;
	/* CR_SIGNUM 64 is bit 63; SIG_IGN shows in SigIgn, not SigCgt. */
	if (!((st.sigcgt >> (CR_SIGNUM - 1)) & 1))
		return CR_ENOSUPPORT;
	return 0;
}

int tk_build_targets(struct tk_req *req, struct tk_chkpt *ck)
{
	int scope = ck->args.cr_scope;
	pid_t id = tk_scope_id(ck), *tracers = NULL;
	struct tk_pstat *ps = NULL;
	size_t n = 0, ntracers = 0, i;
	int err = id > 0 ? tk_proc_resolve(scope, id, &ps, &n) : ESRCH;

	if (err != 0)
		return err;  /* ESRCH: BLCR says nothing either */
	ck->t = calloc(n, sizeof(*ck->t));
	err = ck->t == NULL ? ENOMEM : tk_proc_tracers(&tracers, &ntracers);
	if (err != 0) {
		free(ps);
		return err;
	}
	ck->nt = n;
	for (i = 0; i < n && err == 0; i++) {
		struct tk_target *t = &ck->t[i], *parent;

		t->pid = ps[i].pid;
		t->ppid = ps[i].ppid;
		parent = scope == CR_SCOPE_TREE && i > 0 ? tk_find(ck, t->ppid) : NULL;
		if (parent != NULL && parent->skip_subtree) {
			t->excluded = t->skip_subtree = 1;
			continue;
		}
		err = tk_add_proc(req, ck, t, &ps[i], i == 0, tracers, ntracers);
	}
	free(ps);
	free(tracers);
	if (err == 0 && (ck->args.flags & CR_CHKPT_PROHIBIT_SELF)) {
		struct tk_target *self = tk_find(ck, ck->requester);

		if (self != NULL && !self->excluded)
			err = EDEADLK;
	}
	return err;
}
