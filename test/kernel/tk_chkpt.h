/*
 * tk_chkpt.h - the checkpoint request shared by tk_chkpt.c (request, worker,
 * signals), tk_targets.c (targets and their checks) and tk_handshake.c (busy
 * locks, trigger, acks). Everything here is owned by the worker once the
 * request is started.
 */
#ifndef TK_CHKPT_H
#define TK_CHKPT_H

#include <limits.h>

#include "tk_internal.h"

enum tk_fail_kind { TK_FAIL_NONE = 0, TK_FAIL_TEMP, TK_FAIL_PERM, TK_FAIL_WRITE };

struct tk_target {
	pid_t pid, ppid;
	char comm[16];
	int excluded;       /* not checkpointed (skipped, omitted, exited) */
	int skip_subtree;   /* left out of a TREE: its descendants go too */
	int locked;         /* we hold busy.<pid> */
	int continued;      /* was stopped, we sent SIGCONT: re-stop it */
	int triggered;      /* the trigger was sent */
	int answered;       /* its handler answered (STUB or OMIT) */
	int omitted;        /* it answered OMIT */
	unsigned char *blob;
	size_t blob_len;
};

struct tk_chkpt {
	struct cr_chkpt_args args;
	pid_t requester, req_pgrp, req_sid;
	uid_t req_uid, req_euid;
	int req_cap_kill;
	int dest_fd;        /* our own fd on the destination (file or directory) */
	int dest_is_dir;
	int dest_is_ctrl;   /* another ctrl fd: accepted, but writes fail (EIO) */
	char dir[PATH_MAX]; /* CR_TESTKERNEL_DIR */
	uint64_t image_size, rate;
	enum tk_fail_kind fail_kind;
	int fail_code;
	unsigned int token;
	int self_omitted;   /* the requester answered its own trigger with HAND_ABORT(OMIT) */
	struct tk_target *t;
	size_t nt;
};

/* ---- tk_targets.c ---- */

TK_HIDDEN struct tk_target *tk_find(struct tk_chkpt *ck, pid_t pid);
TK_HIDDEN size_t tk_count_left(const struct tk_chkpt *ck);
/*
 * Resolve the scope and check every target as BLCR's build_req does, in its
 * order (zombie, kernel thread, permission, ptraced, ptracer, busy, handler),
 * taking the busy locks on the way; then PROHIBIT_SELF. 0 or the error.
 */
TK_HIDDEN int tk_build_targets(struct tk_req *req, struct tk_chkpt *ck);
/* Forget the targets (a retry builds them again). */
TK_HIDDEN void tk_drop_targets(struct tk_chkpt *ck);

/* ---- tk_handshake.c ---- */

/* Take $DIR/busy.<pid> for one target: 0, EBUSY, ... */
TK_HIDDEN int tk_lock_target(struct tk_chkpt *ck, struct tk_target *t);
TK_HIDDEN void tk_unlock_targets(struct tk_chkpt *ck);
/* SIGCONT stopped targets, then sigqueue(CR_SIGNUM, token) to each (in the ioctl). */
TK_HIDDEN void tk_trigger(struct tk_chkpt *ck);
/*
 * Wait for every triggered target's answer, for as long as it takes (BLCR
 * has no limit); a target that exits meanwhile is left out with BLCR's
 * watchdog line. 0 or an errno.
 */
TK_HIDDEN int tk_collect(struct tk_req *req, struct tk_chkpt *ck);

#endif
