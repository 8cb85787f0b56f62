/* Prints the BLCR ABI as the project's own header defines it, as JSON, for test/abi/layout.test.ts. */
#include "print-json.h"
#include "cr_blcr.h"

int main(void)
{
	ABI_BEGIN();
	SZ(struct cr_chkpt_args); AL(struct cr_chkpt_args);
	OFF(struct cr_chkpt_args, cr_target); OFF(struct cr_chkpt_args, cr_scope); OFF(struct cr_chkpt_args, cr_fd);
	OFF(struct cr_chkpt_args, cr_secs); OFF(struct cr_chkpt_args, dump_format); OFF(struct cr_chkpt_args, signal);
	OFF(struct cr_chkpt_args, flags);
	SZ(struct cr_rstrt_args); AL(struct cr_rstrt_args);
	OFF(struct cr_rstrt_args, cr_fd); OFF(struct cr_rstrt_args, signal); OFF(struct cr_rstrt_args, relocate);
	OFF(struct cr_rstrt_args, flags);
	SZ(struct cr_rstrt_relocate); AL(struct cr_rstrt_relocate);
	OFF(struct cr_rstrt_relocate, count); OFF(struct cr_rstrt_relocate, path);
	SZ(struct cr_rstrt_relocate_pair); AL(struct cr_rstrt_relocate_pair);
	OFF(struct cr_rstrt_relocate_pair, oldpath); OFF(struct cr_rstrt_relocate_pair, newpath);
	SZ(struct cr_log_args); AL(struct cr_log_args); OFF(struct cr_log_args, len); OFF(struct cr_log_args, buf);
	SZ(struct cr_procs_tbl); AL(struct cr_procs_tbl);
	OFF(struct cr_procs_tbl, threads); OFF(struct cr_procs_tbl, clone_flags);
	SZ(struct cr_fwd_args); AL(struct cr_fwd_args);
	OFF(struct cr_fwd_args, cr_target); OFF(struct cr_fwd_args, cr_scope);
	SZ(struct cr_chkpt_info); AL(struct cr_chkpt_info);
	OFF(struct cr_chkpt_info, requester); OFF(struct cr_chkpt_info, target); OFF(struct cr_chkpt_info, scope);
	OFF(struct cr_chkpt_info, signal); OFF(struct cr_chkpt_info, dest);
	SZ(struct cr_context_file_header); SZ(struct cr_section_header);
	printf("\"CR_RSTRT_RELOCATE_SIZE(16)\": %zu,\n", CR_RSTRT_RELOCATE_SIZE(16));
	NUM(CR_OP_HAND_CHKPT); NUM(CR_OP_HAND_ABORT); NUM(CR_OP_HAND_PHASE1); NUM(CR_OP_HAND_SUSP);
	NUM(CR_OP_HAND_PHASE2); NUM(CR_OP_HAND_DONE); NUM(CR_OP_HAND_SRC); NUM(CR_OP_HAND_CHKPT_INFO);
	NUM(CR_OP_CHKPT_REQ); NUM(CR_OP_CHKPT_REAP); NUM(CR_OP_CHKPT_FWD); NUM(CR_OP_CHKPT_LOG);
	NUM(CR_OP_RSTRT_REQ); NUM(CR_OP_RSTRT_REAP); NUM(CR_OP_RSTRT_CHILD); NUM(CR_OP_RSTRT_PROCS);
	NUM(CR_OP_RSTRT_LOG); NUM(CR_OP_VERSION); NUM(CR_MODULE_VERSION);
	NUM(CR_SCOPE_PROC); NUM(CR_SCOPE_PGRP); NUM(CR_SCOPE_SESS); NUM(CR_SCOPE_TREE);
	NUM(CR_CHKPT_PROHIBIT_SELF); NUM(CR_CHKPT_PTRACED_ALLOW); NUM(CR_CHKPT_PTRACED_SKIP); NUM(CR_CHKPT_PTRACER_SKIP);
	NUM(CR_CHKPT_ASYNC_ERR); NUM(CR_CHKPT_DUMP_EXEC); NUM(CR_CHKPT_DUMP_PRIVATE); NUM(CR_CHKPT_DUMP_SHARED);
	NUM(CR_CHKPT_DUMP_ALL);
	NUM(CR_RSTRT_ASYNC_ERR); NUM(CR_RSTRT_RESTORE_PID); NUM(CR_RSTRT_RESTORE_PGID); NUM(CR_RSTRT_RESTORE_SID);
	NUM(CR_DEST_CWD); NUM(CR_MAX_RSTRT_RELOC); NUM(CR_SIGNUM); NUM(CR_RSTRT_CLONE_FLAGS);
	NUM(CR_ETEMPFAIL); NUM(CR_EPERMFAIL); NUM(CR_ENOSUPPORT); NUM(CR_EVERSION); NUM(CR_EOMITTED);
	NUM(CR_EBADARCH); NUM(CR_EPTRACED); NUM(CR_EPTRACER); NUM(CR_ERSTRTABRT); NUM(CR_ERESTARTED);
	NUM(CR_ENOTCB); NUM(CR_ENOINIT);
	ABI_END();
	return 0;
}
