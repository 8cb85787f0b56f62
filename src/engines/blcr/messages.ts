// How BLCR's tools word a failed request (spec §4.1 "Completion"), and their exit codes.
import {CR_E, crStrerror, E, KernelError} from '../../errors/index.js';

/** cr_checkpoint's message for a REAP (or request) failure, word for word. */
export function checkpointMessage(errno: number): string {
  switch (errno) {
    case CR_E.CR_ETEMPFAIL: return 'Checkpoint cancelled by application: try again later';
    case CR_E.CR_EPERMFAIL: return 'Checkpoint cancelled by application: unable to checkpoint';
    case E.ESRCH: return 'Checkpoint failed: no processes checkpointed';
    case CR_E.CR_ENOSUPPORT: return 'Checkpoint failed: support missing from application';
    case E.ENOSYS: return 'Checkpoint failed: support missing from kernel';
    case E.EDEADLK: return `Checkpoint failed: ${crStrerror(errno)} (the target includes cr itself)`;
    default: return `Checkpoint failed: ${crStrerror(errno)}`;
  }
}

/** The error for a failed checkpoint, with cr_checkpoint's message; exit errno & 0xff. */
export function checkpointFailed(op: string, errno: number, log: string[] = []): KernelError {
  return new KernelError(op, errno, checkpointMessage(errno), log.map((line) => `- ${line}`));
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
