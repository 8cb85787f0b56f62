// flock(2) through koffi: an exclusive lock the kernel drops when its holder dies, however it dies.
import {koffi} from './koffi.js';
import {faultErrno} from '../util/crash-point.js';

const LOCK_EX = 2;
const LOCK_NB = 4;

let flockFn: ((fd: number, op: number) => number) | undefined;

function load() {
  flockFn ??= koffi().load(null).func('int flock(int fd, int operation)') as unknown as (fd: number, op: number) => number;
  return flockFn;
}

/** Try to take an exclusive lock on `fd` without waiting: 0, or the errno (EWOULDBLOCK: held).
 *  CR_FAULT_POINT=flock:ERRNO (tests only) makes every call fail with that errno, as flock(2) does
 *  on a file system without it (Lustre mounted without -o flock: ENOSYS). */
export function tryLockExclusive(fd: number): number {
  const forced = faultErrno('flock');
  if (forced !== undefined) return forced;
  return load()(fd, LOCK_EX | LOCK_NB) === 0 ? 0 : koffi().errno();
}
