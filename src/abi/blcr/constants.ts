// BLCR's ioctl numbers, scopes, flags and signals (spec/blcr-abi.md §1, §3). No koffi here.
import {io, ior, iow, iowr} from './ioc.js';

export const CR_CTRL_FILE = '/proc/checkpoint/ctrl';
export const CR_IOCTL_BASE = 0xa1;

/** Every CR_OP_*; sized ops encode 8 (a pointer or a long), never the struct size. */
export const CR_OP = {
  HAND_CHKPT: iow(CR_IOCTL_BASE, 0x01),
  HAND_ABORT: iow(CR_IOCTL_BASE, 0x02),
  HAND_PHASE1: iow(CR_IOCTL_BASE, 0x05),
  HAND_SUSP: iowr(CR_IOCTL_BASE, 0x06),
  HAND_PHASE2: iow(CR_IOCTL_BASE, 0x07),
  HAND_DONE: iow(CR_IOCTL_BASE, 0x08),
  HAND_SRC: ior(CR_IOCTL_BASE, 0x09),
  HAND_CHKPT_INFO: ior(CR_IOCTL_BASE, 0x0a),
  CHKPT_REQ: iow(CR_IOCTL_BASE, 0x10),
  CHKPT_REAP: io(CR_IOCTL_BASE, 0x12),
  CHKPT_FWD: iow(CR_IOCTL_BASE, 0x13),
  CHKPT_LOG: ior(CR_IOCTL_BASE, 0x14),
  RSTRT_REQ: iow(CR_IOCTL_BASE, 0x20),
  RSTRT_REAP: io(CR_IOCTL_BASE, 0x22),
  RSTRT_CHILD: io(CR_IOCTL_BASE, 0x23),
  RSTRT_PROCS: ior(CR_IOCTL_BASE, 0x26),
  RSTRT_LOG: ior(CR_IOCTL_BASE, 0x27),
  VERSION: iow(CR_IOCTL_BASE, 0x30),
} as const;

/** The interface cr speaks: BLCR 0.8.x, kernel module 0.10 ((major << 16) | minor). */
export const CR_MODULE_MAJOR = 0;
export const CR_MODULE_MINOR = 10;
export const CR_MODULE_VERSION = (CR_MODULE_MAJOR << 16) | CR_MODULE_MINOR;

/** Dummy argument of the argument-less ops, as libcr passes it. */
export const CR_NOARG = 0xffffffffffffffffn;

/** cr_scope_t. */
export const CR_SCOPE = {PROC: 0, PGRP: 1, SESS: 2, TREE: 3} as const;
export type ScopeName = 'proc' | 'pgrp' | 'sess' | 'tree';
export const SCOPE_BY_NAME: Record<ScopeName, number> = {proc: 0, pgrp: 1, sess: 2, tree: 3};

/** cr_chkpt_args.flags. */
export const CR_CHKPT = {
  PROHIBIT_SELF: 0x1,
  PTRACED_ALLOW: 0x2,
  PTRACED_SKIP: 0x4,
  PTRACER_SKIP: 0x8,
  ASYNC_ERR: 0x10,
  DUMP_EXEC: 0x200,
  DUMP_PRIVATE: 0x400,
  DUMP_SHARED: 0x800,
  DUMP_ALL: 0xe00,
} as const;

/** cr_rstrt_args.flags. */
export const CR_RSTRT = {ASYNC_ERR: 0x1, RESTORE_PID: 0x2, RESTORE_PGID: 0x4, RESTORE_SID: 0x8} as const;

/** Callback results and abort flags (libcr, HAND_ABORT). */
export const CR_CHECKPOINT = {READY: 0, TEMP_FAILURE: 1, PERM_FAILURE: 2, OMIT: 4, ABORT_MASK: 7, STUB: 0x4000} as const;
/** HAND_DONE hold flags. */
export const CR_HOLD = {READ: -1, NONE: 0, CONT: 1, RSTRT: 2, BOTH: 3, DFLT: 4} as const;

export const CR_DEST_CWD = -4096;
export const CR_MAX_RSTRT_RELOC = 16;
export const CR_SIGNUM = 64;
export const CR_PATH_MAX = 4096;
export const CR_RSTRT_CLONE_FLAGS = 0x410f00;
export const CR_FORMAT_VMADUMP = 0;

// Signal names and numbers: src/util/signals.ts, the one table.
/** Highest valid signal number (_NSIG - 1). */
export const SIG_MAX = 64;

/** Context file constants (spec §6). */
export const CONTEXT = {
  HEADER_SIZE: 20,
  MAGIC: Buffer.from([0x43, 0, 0, 0, 0x52, 0, 0, 0]),
  VERSION: 9,
  VERSION_MIN: 8,
  ARCH_X86_64: 5,
  TRAILER: Buffer.from([0, 0, 0, 0, 0x00, 0x0f, 0x41, 0x00, 0xff, 0xff, 0xff, 0xff]),
  VMAD_FMT: 6,
} as const;
