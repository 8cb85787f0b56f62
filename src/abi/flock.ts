// flock(2) through koffi: an exclusive lock the kernel drops when its holder dies, however it dies.
import {koffi} from './koffi.js';

const LOCK_EX = 2;
const LOCK_NB = 4;

let flockFn: ((fd: number, op: number) => number) | undefined;

function load() {
  flockFn ??= koffi().load(null).func('int flock(int fd, int operation)') as unknown as (fd: number, op: number) => number;
  return flockFn;
}

/** Try to take an exclusive lock on `fd` without waiting: 0, or the errno (EWOULDBLOCK: held).
 *  CR_TEST_FLOCK_ERRNO=N (tests only) makes every call fail with errno N, as flock(2) does on a
 *  file system without it (Lustre mounted without -o flock: ENOSYS). */
export function tryLockExclusive(fd: number): number {
  const forced = process.env.CR_TEST_FLOCK_ERRNO;
  if (forced && /^\d+$/.test(forced)) return Number(forced);
  return load()(fd, LOCK_EX | LOCK_NB) === 0 ? 0 : koffi().errno();
}
