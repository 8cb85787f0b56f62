/*
 * cr_blcr.h - the BLCR kernel ABI (x86_64) as cr speaks it.
 *
 * One header for every C part of cr: the restart helper in native/, the
 * test kernel in test/kernel/, and the layout check compiled by the tests.
 * The TypeScript mirror of these definitions is src/abi/blcr/; the tests
 * compare both against the numbers of spec/blcr-abi.md.
 */
#ifndef CR_BLCR_H
#define CR_BLCR_H

#include <linux/ioctl.h>
#include <sys/types.h>

#define CR_CTRL_FILE "/proc/checkpoint/ctrl"
#define CR_IOCTL_BASE 0xA1

/* Every sized op names a pointer or a long: the encoded size is 8. */
#define CR_OP_HAND_CHKPT       _IOW(CR_IOCTL_BASE, 0x01, unsigned long)
#define CR_OP_HAND_ABORT       _IOW(CR_IOCTL_BASE, 0x02, unsigned long)
#define CR_OP_HAND_PHASE1      _IOW(CR_IOCTL_BASE, 0x05, long)
#define CR_OP_HAND_SUSP        _IOWR(CR_IOCTL_BASE, 0x06, struct timeval *)
#define CR_OP_HAND_PHASE2      _IOW(CR_IOCTL_BASE, 0x07, long)
#define CR_OP_HAND_DONE        _IOW(CR_IOCTL_BASE, 0x08, unsigned long)
#define CR_OP_HAND_SRC         _IOR(CR_IOCTL_BASE, 0x09, char *)
#define CR_OP_HAND_CHKPT_INFO  _IOR(CR_IOCTL_BASE, 0x0a, struct cr_chkpt_info *)
#define CR_OP_CHKPT_REQ        _IOW(CR_IOCTL_BASE, 0x10, struct cr_chkpt_args *)
#define CR_OP_CHKPT_REAP       _IO(CR_IOCTL_BASE, 0x12)
#define CR_OP_CHKPT_FWD        _IOW(CR_IOCTL_BASE, 0x13, struct cr_fwd_args *)
#define CR_OP_CHKPT_LOG        _IOR(CR_IOCTL_BASE, 0x14, struct cr_log_args *)
#define CR_OP_RSTRT_REQ        _IOW(CR_IOCTL_BASE, 0x20, struct cr_rstrt_args *)
#define CR_OP_RSTRT_REAP       _IO(CR_IOCTL_BASE, 0x22)
#define CR_OP_RSTRT_CHILD      _IO(CR_IOCTL_BASE, 0x23)
#define CR_OP_RSTRT_PROCS      _IOR(CR_IOCTL_BASE, 0x26, struct cr_procs_tbl *)
#define CR_OP_RSTRT_LOG        _IOR(CR_IOCTL_BASE, 0x27, struct cr_log_args *)
#define CR_OP_VERSION          _IOW(CR_IOCTL_BASE, 0x30, unsigned long)

/* CR_OP_VERSION's argument, by value: (CR_MODULE_MAJOR << 16) | CR_MODULE_MINOR. */
#define CR_MODULE_MAJOR 0
#define CR_MODULE_MINOR 10
#define CR_MODULE_VERSION ((CR_MODULE_MAJOR << 16) | CR_MODULE_MINOR)

/* Dummy argument of the argument-less ops, as libcr passes it. */
#define CR_NOARG ((unsigned long)-1)

typedef enum {
	CR_SCOPE_PROC = 0,
	CR_SCOPE_PGRP = 1,
	CR_SCOPE_SESS = 2,
	CR_SCOPE_TREE = 3,
} cr_scope_t;

typedef enum {
	cr_format_vmadump = 0,
} cr_format_t;

#define CR_CHKPT_PROHIBIT_SELF  0x00000001u
#define CR_CHKPT_PTRACED_ALLOW  0x00000002u
#define CR_CHKPT_PTRACED_SKIP   0x00000004u
#define CR_CHKPT_PTRACER_SKIP   0x00000008u
#define CR_CHKPT_ASYNC_ERR      0x00000010u
#define CR_CHKPT_DUMP_EXEC      0x00000200u
#define CR_CHKPT_DUMP_PRIVATE   0x00000400u
#define CR_CHKPT_DUMP_SHARED    0x00000800u
#define CR_CHKPT_DUMP_ALL       0x00000E00u

#define CR_RSTRT_ASYNC_ERR      0x00000001u
#define CR_RSTRT_RESTORE_PID    0x00000002u
#define CR_RSTRT_RESTORE_PGID   0x00000004u
#define CR_RSTRT_RESTORE_SID    0x00000008u

#define CR_CHECKPOINT_READY         0
#define CR_CHECKPOINT_TEMP_FAILURE  1
#define CR_CHECKPOINT_PERM_FAILURE  2
#define CR_CHECKPOINT_OMIT          4
#define CR_CHECKPOINT_ABORT_MASK    7
#define _CR_CHECKPOINT_STUB         0x4000

#define CR_HOLD_READ  (-1)
#define CR_HOLD_NONE  0
#define CR_HOLD_CONT  1
#define CR_HOLD_RSTRT 2
#define CR_HOLD_BOTH  3
#define CR_HOLD_DFLT  4

#define CR_DEST_CWD       (-4096)
#define CR_MAX_RSTRT_RELOC 16
#define CR_SIGNUM         64
#define CR_PATH_MAX       4096

/* The clone flags BLCR records for threads 2..n: VM|FS|FILES|SIGHAND|THREAD|DETACHED. */
#define CR_RSTRT_CLONE_FLAGS 0x410F00

/* BLCR's own errno values (blcr_errcodes.h), after CR_MIN_ERRCODE = 2353. */
#define CR_MIN_ERRCODE 2353
#define CR_ETEMPFAIL   2354
#define CR_EPERMFAIL   2355
#define CR_ENOSUPPORT  2356
#define CR_EVERSION    2357
#define CR_EOMITTED    2358
#define CR_EBADARCH    2359
#define CR_EPTRACED    2360
#define CR_EPTRACER    2361
#define CR_ERSTRTABRT  2362
#define CR_ERESTARTED  2363
#define CR_ENOTCB      2364
#define CR_ENOINIT     2365
#define CR_MAX_ERRCODE 2366

/* struct cr_chkpt_args: 28 bytes, align 4. */
struct cr_chkpt_args {
	pid_t cr_target;
	cr_scope_t cr_scope;
	int cr_fd;
	unsigned int cr_secs;
	cr_format_t dump_format;
	int signal;
	unsigned int flags;
};

/* struct cr_rstrt_relocate_pair: 16 bytes, align 8. */
struct cr_rstrt_relocate_pair {
	const char *oldpath;
	const char *newpath;
};

/* struct cr_rstrt_relocate: 8-byte header, then count pairs at offset 8. */
struct cr_rstrt_relocate {
	unsigned int count;
	struct cr_rstrt_relocate_pair path[];
};
#define CR_RSTRT_RELOCATE_SIZE(n) \
	(sizeof(struct cr_rstrt_relocate) + (n) * sizeof(struct cr_rstrt_relocate_pair))

/* struct cr_rstrt_args: 24 bytes, align 8 (4 bytes of tail padding). */
struct cr_rstrt_args {
	int cr_fd;
	int signal;
	struct cr_rstrt_relocate *relocate;
	unsigned int flags;
};

/* struct cr_log_args: 16 bytes, align 8 (padding at 4..7). */
struct cr_log_args {
	unsigned int len;
	char *buf;
};

/* struct cr_procs_tbl: 8 bytes, align 4. */
struct cr_procs_tbl {
	int threads;
	int clone_flags;
};

/* struct cr_fwd_args: 8 bytes, align 4. */
struct cr_fwd_args {
	pid_t cr_target;
	cr_scope_t cr_scope;
};

/* struct cr_chkpt_info: 24 bytes, align 8. */
struct cr_chkpt_info {
	pid_t requester;
	pid_t target;
	int scope;
	int signal;
	char *dest;
};

/* Context file (spec §6). */
#define CR_CONTEXT_MAGIC0     'C'
#define CR_CONTEXT_MAGIC1     'R'
#define CR_CONTEXT_VERSION     9
#define CR_CONTEXT_VERSION_MIN 8
#define CR_ARCH_X86_64         5
#define VMAD_FMT_VERSION       6

/* File header: five ints, 20 bytes. */
struct cr_context_file_header {
	int magic[2];
	int version;
	int scope;
	int arch_id;
};

/* Per-process section header, 12 bytes; num_threads == 0 is the trailer. */
struct cr_section_header {
	int num_threads;
	int clone_flags;
	int tmp_fd;
};

#endif
