/*
 * tk_targets.c - which processes a checkpoint request covers, and whether
 * they may be checkpointed: resolution by scope, kernel threads, permission,
 * dumpability, ptrace, the requester's own omission, PROHIBIT_SELF, and the
 * CR_SIGNUM handler check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tk_chkpt.h"

#define TK_SUPPORT_RECHECK_NS 500000000  /* like the kernel's retry for new forks */

static const char *const tk_scope_names[] = { "process", "process group", "session", "tree" };

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

/* Kernel threads, permission, ptrace: 0 or the error (logged). */
static int tk_check_target(struct tk_req *req, struct tk_chkpt *ck, struct tk_target *t,
			   const struct tk_pstat *ps, const pid_t *tracers, size_t ntracers)
{
	unsigned int fl = ck->args.flags;
	struct tk_pstatus st;
	struct stat sb;
	char path[64];
	int err, undumpable;

	if ((ps->flags & TK_PF_KTHREAD) || ps->pid == 2 || ps->ppid == 2) {
		tk_req_log(req, "pid %d is a kernel thread", (int)t->pid);
		return EPERM;
	}
	err = tk_proc_status(t->pid, &st);
	if (err == ESRCH) {
		t->excluded = 1;  /* exited meanwhile */
		return 0;
	}
	if (err != 0)
		return err;
	if ((ck->req_euid != st.ruid || ck->req_euid != st.euid) && !ck->req_cap_kill) {
		tk_req_log(req, "pid %d: permission denied (target uid %u/%u, requester euid %u)",
			   (int)t->pid, (unsigned)st.ruid, (unsigned)st.euid, (unsigned)ck->req_euid);
		return EPERM;
	}
	/*
	 * Not dumpable: /proc shows its files as root's. The /proc/PID directory
	 * itself can keep its old owner on recent kernels: look at status too.
	 */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)t->pid);
	undumpable = stat(path, &sb) == 0 && sb.st_uid == 0;
	snprintf(path, sizeof(path), "/proc/%d", (int)t->pid);
	undumpable |= stat(path, &sb) == 0 && sb.st_uid == 0;
	if (undumpable && st.euid != 0) {
		tk_req_log(req, "pid %d is not dumpable", (int)t->pid);
		return EPERM;
	}
	if (st.tracer != 0 && !(fl & CR_CHKPT_PTRACED_ALLOW)) {
		if (fl & CR_CHKPT_PTRACED_SKIP) {
			t->excluded = 1;
			t->skip_subtree = ck->args.cr_scope == CR_SCOPE_TREE;
			tk_req_log(req, "pid %d is ptraced by pid %d: skipped", (int)t->pid, (int)st.tracer);
			return 0;
		}
		tk_req_log(req, "pid %d is ptraced by pid %d", (int)t->pid, (int)st.tracer);
		return CR_EPTRACED;
	}
	if (tk_pid_in(tracers, ntracers, t->pid)) {
		if (fl & CR_CHKPT_PTRACER_SKIP) {
			t->excluded = 1;
			tk_req_log(req, "pid %d is ptracing another process: skipped", (int)t->pid);
			return 0;
		}
		tk_req_log(req, "pid %d is ptracing another process", (int)t->pid);
		return CR_EPTRACER;
	}
	return 0;
}

int tk_build_targets(struct tk_req *req, struct tk_chkpt *ck)
{
	int scope = ck->args.cr_scope;
	pid_t id = tk_scope_id(ck), *tracers = NULL;
	struct tk_pstat *ps = NULL;
	size_t n = 0, ntracers = 0, i;
	int err = id > 0 ? tk_proc_resolve(scope, id, &ps, &n) : ESRCH;

	if (err == ESRCH)
		tk_req_log(req, "no such %s: %d", tk_scope_names[scope], (int)id);
	if (err != 0)
		return err;
	ck->t = calloc(n, sizeof(*ck->t));
	err = ck->t == NULL ? ENOMEM : tk_proc_tracers(&tracers, &ntracers);
	if (err != 0) {
		free(ps);
		return err;
	}
	ck->nt = n;
	for (i = 0; i < n; i++) {
		struct tk_target *t = &ck->t[i], *parent;

		t->pid = ps[i].pid;
		t->ppid = ps[i].ppid;
		if (ps[i].state == 'Z' || ps[i].state == 'X') {
			t->excluded = 1;  /* a zombie has nothing left to save */
			continue;
		}
		parent = scope == CR_SCOPE_TREE && i > 0 ? tk_find(ck, t->ppid) : NULL;
		if (parent != NULL && parent->skip_subtree) {
			t->excluded = t->skip_subtree = 1;
			continue;
		}
		err = tk_check_target(req, ck, t, &ps[i], tracers, ntracers);
		if (err != 0)
			break;
	}
	free(ps);
	free(tracers);
	if (err != 0)
		return err;
	if (ck->self_omitted) {
		struct tk_target *self = tk_find(ck, ck->requester);

		if (self != NULL && !self->excluded) {
			self->excluded = 1;
			tk_req_log(req, "pid %d omitted itself", (int)ck->requester);
		}
	}
	if (tk_count_left(ck) == 0) {
		tk_req_log(req, "no processes left to checkpoint");
		return ESRCH;
	}
	if (ck->args.flags & CR_CHKPT_PROHIBIT_SELF) {
		struct tk_target *self = tk_find(ck, ck->requester);

		if (self != NULL && !self->excluded) {
			tk_req_log(req, "the requester (pid %d) is among the targets", (int)ck->requester);
			return EDEADLK;
		}
	}
	return 0;
}

int tk_check_support(struct tk_req *req, struct tk_chkpt *ck)
{
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		size_t i, missing = 0;

		for (i = 0; i < ck->nt; i++) {
			struct tk_target *t = &ck->t[i];
			struct tk_pstatus st;
			int err;

			if (t->excluded)
				continue;
			err = tk_proc_status(t->pid, &st);
			if (err == ESRCH) {
				t->excluded = 1;
				tk_req_log(req, "pid %d exited before the checkpoint", (int)t->pid);
				continue;
			}
			if (err != 0)
				return err;
			/* CR_SIGNUM 64 is bit 63; SIG_IGN shows in SigIgn, not SigCgt. */
			if (!((st.sigcgt >> (CR_SIGNUM - 1)) & 1)) {
				missing++;
				if (attempt == 1)
					tk_req_log(req, "pid %d has no handler for signal %d (checkpoint support missing)",
						   (int)t->pid, CR_SIGNUM);
			}
		}
		if (missing == 0)
			return 0;
		if (attempt == 0 && tk_req_sleep(req, TK_SUPPORT_RECHECK_NS) != 0)
			return ECANCELED;
	}
	return CR_ENOSUPPORT;
}
