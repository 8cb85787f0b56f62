// How BLCR's tools word a failed request (spec §4.1 "Completion"), and their exit codes.
import {CR_E, crStrerror, E, KernelError} from '../../errors/index.js';

/** cr_checkpoint's reason for a REAP (or request) failure. */
export function checkpointReason(errno: number): string {
  switch (errno) {
    case CR_E.CR_ETEMPFAIL: return 'Checkpoint cancelled by application: try again later';
    case E.ESRCH: return 'no processes checkpointed';
    case CR_E.CR_EPERMFAIL: return 'unable to checkpoint';
    case CR_E.CR_ENOSUPPORT: return 'support missing from application';
    case E.ENOSYS: return 'support missing from kernel';
    case E.EDEADLK: return `${crStrerror(errno)} (the target includes cr itself)`;
    default: return crStrerror(errno);
  }
}

/** The error for a failed checkpoint: "Checkpoint failed: <reason>", exit errno & 0xff. */
export function checkpointFailed(op: string, errno: number, log: string[] = []): KernelError {
  const reason = checkpointReason(errno);
  const message = errno === CR_E.CR_ETEMPFAIL ? reason : `Checkpoint failed: ${reason}`;
  return new KernelError(op, errno, message, log.map((line) => `- ${line}`));
}

/** cr_restart's failure: "Restart failed: <strerror>", exit errno & 0xff, the kernel log attached. */
export function restartFailed(op: string, errno: number, log: string[] = []): KernelError {
  const reason = errno === E.ENOSYS ? 'support missing from kernel' : crStrerror(errno);
  return new KernelError(op, errno, `Restart failed: ${reason}`, log.map((line) => `- ${line}`));
}

/** cr_restart's failure classes, which pick the --run-on-fail-* hook. */
export function failureClass(errno: number): 'temp' | 'env' | 'perm' {
  if (errno === E.ENOMEM || errno === E.EBUSY) return 'temp';
  if ([E.EACCES, E.EPERM, E.ENOENT, E.EEXIST, E.EISDIR, E.ENOTDIR].includes(errno as never)) return 'env';
  return 'perm';
}
