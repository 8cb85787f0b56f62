/*
 * tk_rstrt.c - the RSTRT_* ops. Restart is not emulated yet: every op gives
 * ENOSYS.
 *
 * Where a restart emulation slots in:
 *   RSTRT_REQ    validate struct cr_rstrt_args and the 20-byte file header,
 *                then tk_req_new(TK_REQ_RSTRT, ...) + tk_slot_attach(fd, ...)
 *                (EAGAIN when the fd already holds a checkpoint or restart);
 *   RSTRT_PROCS  hand out one struct cr_procs_tbl per section of the file;
 *   RSTRT_CHILD  in the forked child: apply that section (the stub's
 *                CR_TESTKERNEL_RESTORE hook receives the STATE record);
 *   RSTRT_REAP / RSTRT_LOG  like tk_ctrl.c's tk_op_reap / tk_op_log with
 *                kind TK_REQ_RSTRT.
 */
#include <errno.h>

#include "tk_internal.h"

int tk_rstrt_ioctl(int fd, unsigned int cmd, unsigned long arg)
{
	(void)fd;
	(void)arg;
	switch (cmd) {
	case CR_OP_RSTRT_REQ:
	case CR_OP_RSTRT_PROCS:
	case CR_OP_RSTRT_CHILD:
	case CR_OP_RSTRT_REAP:
	case CR_OP_RSTRT_LOG:
	default:
		errno = ENOSYS;
		return -1;
	}
}
