// The error hierarchy of cr. Every failure a user can meet is a CrError with an exit code.
import {crStrerror, errnoName} from './errno.js';

/** Exit code for a usage error, as BLCR's tools. */
export const EXIT_USAGE = 255;

/** Exit status BLCR's tools give for an errno: the low 8 bits. */
export function exitCodeForErrno(errno: number): number {
  return errno & 0xff || 1;
}

/** Base of every error cr reports; `exitCode` follows BLCR's tools. */
export class CrError extends Error {
  /** The process exit status for this error. */
  readonly exitCode: number;
  /** A stable machine-readable code (`ESRCH`, `USAGE`, ...), for --json. */
  readonly code: string;
  /** Extra lines shown after the message (kernel log excerpts, hints). */
  readonly details: string[];
  /** What the command found before it failed, for the --json document (`cr verify`: every report). */
  readonly result?: Record<string, unknown>;

  constructor(message: string, opts: {exitCode: number; code: string; details?: string[]; cause?: unknown; result?: Record<string, unknown>}) {
    super(message, {cause: opts.cause});
    this.name = new.target.name;
    this.exitCode = opts.exitCode;
    this.code = opts.code;
    this.details = opts.details ?? [];
    if (opts.result) this.result = opts.result;
  }
}

/** Bad flags or arguments: exit 255, as BLCR's tools. */
export class UsageError extends CrError {
  constructor(message: string) {
    super(message, {exitCode: EXIT_USAGE, code: 'USAGE'});
  }
}

/** A failed system call or kernel request, carrying its errno. */
export class KernelError extends CrError {
  /** The operation that failed (`open /proc/checkpoint/ctrl`, `CR_OP_CHKPT_REQ`). */
  readonly op: string;
  readonly errno: number;

  constructor(op: string, errno: number, message?: string, details?: string[]) {
    super(message ?? `${op}: ${crStrerror(errno)}`, {exitCode: exitCodeForErrno(errno), code: errnoName(errno), details});
    this.op = op;
    this.errno = errno;
  }
}
