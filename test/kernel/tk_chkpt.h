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
	int excluded;       /* not checkpointed (skipped, omitted, exited) */
	int skip_subtree;   /* PTRACED_SKIP on a TREE: its descendants go too */
	int locked;         /* we hold busy.<pid> */
	int continued;      /* was stopped, we sent SIGCONT: re-stop it */
	int answered;
	unsigned char *blob;
	size_t blob_len;
};

struct tk_chkpt {
	struct cr_chkpt_args args;
	pid_t requester, req_pgrp, req_sid;
	uid_t req_euid;
	int req_cap_kill;
	int dest_fd;        /* our own fd on the destination (file or directory) */
	int dest_is_dir;
	char dir[PATH_MAX]; /* CR_TESTKERNEL_DIR */
	uint64_t ack_ms, image_size, rate;
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
/* Resolve the scope and check every target: 0 or the error (logged). */
TK_HIDDEN int tk_build_targets(struct tk_req *req, struct tk_chkpt *ck);
/* CR_SIGNUM handlers, re-checked once after 0.5 s: 0, CR_ENOSUPPORT, ... */
TK_HIDDEN int tk_check_support(struct tk_req *req, struct tk_chkpt *ck);

/* ---- tk_handshake.c ---- */

/* Take $DIR/busy.<pid> for every target: 0, EBUSY (logged), ... */
TK_HIDDEN int tk_lock_targets(struct tk_req *req, struct tk_chkpt *ck);
TK_HIDDEN void tk_unlock_targets(struct tk_chkpt *ck);
/* SIGCONT stopped targets, then sigqueue(CR_SIGNUM, token) to each. */
TK_HIDDEN int tk_trigger(struct tk_req *req, struct tk_chkpt *ck);
/* Wait (CR_TESTKERNEL_ACK_MS) for every target's ack file. */
TK_HIDDEN int tk_collect(struct tk_req *req, struct tk_chkpt *ck);

#endif
