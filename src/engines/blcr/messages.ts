// How BLCR's tools word a failed request (spec §4.1 "Completion"), and their exit codes.
import {CR_E, crStrerror, E, errnoName, KernelError} from '../../errors/index.js';

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

/** A short description for --json consumers. */
export function describeErrno(errno: number): {errno: number; name: string; message: string} {
  return {errno, name: errnoName(errno), message: crStrerror(errno)};
}
