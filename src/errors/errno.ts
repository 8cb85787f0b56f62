// errno names and messages, Linux x86_64, plus BLCR's own CR_E* codes (spec §3).
import os from 'node:os';

/** BLCR's error codes (blcr_errcodes.h), continuing from CR_MIN_ERRCODE = 2353. */
export const CR_E = {
  CR_ETEMPFAIL: 2354,
  CR_EPERMFAIL: 2355,
  CR_ENOSUPPORT: 2356,
  CR_EVERSION: 2357,
  CR_EOMITTED: 2358,
  CR_EBADARCH: 2359,
  CR_EPTRACED: 2360,
  CR_EPTRACER: 2361,
  CR_ERSTRTABRT: 2362,
  CR_ERESTARTED: 2363,
  CR_ENOTCB: 2364,
  CR_ENOINIT: 2365,
} as const;

/** BLCR's cr_strerror() text for each CR_E* code. */
const CR_MESSAGES: Record<number, string> = {
  2354: 'Temporary error: checkpoint cancelled',
  2355: 'Permanent failure: checkpoint cancelled and job killed',
  2356: 'Checkpoint support not linked into one or more processes',
  2357: 'Requested kernel interface version is not supported',
  2358: "Process omitted from checkpoint at a callback's request",
  2359: 'Context file does not match the kernel architecture',
  2360: 'One or more target processes is being ptraced',
  2361: 'One or more target processes has ptrace children',
  2362: 'Restart aborted: restart cancelled and job killed',
  2363: 'Request is invalid across a restart',
  2364: 'Call is only valid from a checkpoint callback',
  2365: 'Calling thread has not called cr_init()',
};

/** Standard errno values used by cr (x86_64, spec §3 "Error codes"). */
export const E = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10,
  EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19,
  ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25, ETXTBSY: 26, EFBIG: 27,
  ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36,
  ENOSYS: 38, ELOOP: 40, ETIME: 62, ENOTSOCK: 88, EPROTONOSUPPORT: 93, EADDRINUSE: 98, ENOBUFS: 105, ECONNREFUSED: 111,
  EDQUOT: 122, ETIMEDOUT: 110, ECANCELED: 125,
} as const;

/** glibc's strerror() text for the codes above. */
const LIBC_MESSAGES: Record<number, string> = {
  1: 'Operation not permitted', 2: 'No such file or directory', 3: 'No such process',
  4: 'Interrupted system call', 5: 'Input/output error', 6: 'No such device or address',
  7: 'Argument list too long', 8: 'Exec format error', 9: 'Bad file descriptor', 10: 'No child processes',
  11: 'Resource temporarily unavailable', 12: 'Cannot allocate memory', 13: 'Permission denied',
  14: 'Bad address', 16: 'Device or resource busy', 17: 'File exists', 18: 'Invalid cross-device link',
  19: 'No such device', 20: 'Not a directory', 21: 'Is a directory', 22: 'Invalid argument',
  23: 'Too many open files in system', 24: 'Too many open files', 25: 'Inappropriate ioctl for device',
  26: 'Text file busy', 27: 'File too large', 28: 'No space left on device', 29: 'Illegal seek',
  30: 'Read-only file system', 31: 'Too many links', 32: 'Broken pipe', 34: 'Numerical result out of range',
  35: 'Resource deadlock avoided', 36: 'File name too long', 38: 'Function not implemented',
  40: 'Too many levels of symbolic links', 62: 'Timer expired', 88: 'Socket operation on non-socket',
  93: 'Protocol not supported', 98: 'Address already in use', 105: 'No buffer space available',
  111: 'Connection refused', 110: 'Connection timed out', 122: 'Disk quota exceeded',
  125: 'Operation canceled',
};

const NAMES: Record<number, string> = Object.fromEntries([
  ...Object.entries(E).map(([k, v]) => [v, k]),
  ...Object.entries(CR_E).map(([k, v]) => [v, k]),
]);

/** The symbolic name of an errno (`ESRCH`, `CR_ENOSUPPORT`), or `E<n>`. */
export function errnoName(errno: number): string {
  return NAMES[errno] ?? `E${errno}`;
}

/** The text cr_strerror() gives for an errno: BLCR's for CR_E*, libc's otherwise. */
export function crStrerror(errno: number): string {
  return CR_MESSAGES[errno] ?? LIBC_MESSAGES[errno] ?? `Unknown error ${errno}`;
}

/** The errno of a failed Node call (`error.errno` is negative, `error.code` its name), or
 *  `fallback` (EIO) for an error that carries none: so a system call's failure exits with its
 *  errno (exitCodeForErrno), never with a bare 1. */
export function errnoOfError(error: unknown, fallback: number = E.EIO): number {
  const e = error as NodeJS.ErrnoException | undefined;
  if (typeof e?.errno === 'number' && e.errno !== 0) return Math.abs(e.errno);
  const byCode = e?.code ? (os.constants.errno as Record<string, number>)[e.code] : undefined;
  return byCode ?? fallback;
}
