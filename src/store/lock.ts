// One checkpoint of a job at a time, across processes: DIR/.cr-lock.<job>, held with flock(2).
// The file stays after a crash, but its lock does not: the kernel drops it with its holder, so a
// dead owner is never mistaken for a live one. The file records who holds it, for the message.
// It is opened with O_NOFOLLOW and only ever created with O_EXCL: a symbolic link at its name is
// refused, and a file that is not cr's own (another name's hard link, another user's) is never
// written, so a root cr in a shared directory cannot be made to overwrite anything.
// Where flock(2) does not work (ENOSYS, ENOLCK, EOPNOTSUPP) the lease lock of lease-lock.ts is
// taken instead; a flock holder also respects a live lease (a node that fell back to it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {tryLockExclusive} from '../abi/flock.js';
import {CrError, E, KernelError} from '../errors/index.js';
import {acquireLease, symlinkRefusal} from './lease-lock.js';

/** flock(2)'s errnos for "this file system has no flock": ENOLCK, ENOSYS, EOPNOTSUPP. */
const NO_FLOCK = new Set([37, E.ENOSYS, 95]);

export class LockBusyError extends CrError {
  constructor(job: string, owner: string) {
    super(`Checkpoint failed: another checkpoint of job ${job} is in progress (${owner})`, {exitCode: E.EBUSY, code: 'EBUSY'});
  }
}

export interface JobLock {
  /** The lock's file: .cr-lock.<job>, or .cr-lease.<job> for the fallback. */
  file: string;
  dir: string;
  job: string;
  kind: 'flock' | 'lease';
  /** Whether this process still holds it. */
  held(): boolean;
  release(): void;
}

export const lockPathFor = (dir: string, job: string) => path.join(dir, `.cr-lock.${job}`);
export const leasePathFor = (dir: string, job: string) => path.join(dir, `.cr-lease.${job}`);

function errnoOf(error: unknown): number {
  return Math.abs((error as NodeJS.ErrnoException).errno ?? E.EIO);
}

function openError(file: string, error: unknown): KernelError {
  if ((error as NodeJS.ErrnoException).code === 'ELOOP') return symlinkRefusal(file);
  return new KernelError('open', errnoOf(error), `Checkpoint failed: cannot open the lock ${file}: ${(error as Error).message}`);
}

/** Open the flock file: created with O_EXCL, or an existing one without following a symlink.
 *  `writable`: whether the holder may record itself in it (cr's own file, one name only). */
function openLockFile(file: string): {fd: number; writable: boolean} {
  const {O_RDWR, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK} = fs.constants;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return {fd: fs.openSync(file, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644), writable: true};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw openError(file, error);
    }
    let fd: number;
    try {
      // Read-only is enough for flock(2); nothing is written before the checks below.
      fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw openError(file, error);
    }
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      fs.closeSync(fd);
      throw new KernelError('open', E.EINVAL, `Checkpoint failed: the lock ${file} is not a regular file; remove it`);
    }
    const own = st.nlink === 1 && st.uid === process.geteuid?.();
    if (!own) return {fd, writable: false};
    fs.closeSync(fd);
    try {
      const rw = fs.openSync(file, O_RDWR | O_NOFOLLOW | O_NONBLOCK);
      const again = fs.fstatSync(rw);
      if (again.ino === st.ino && again.dev === st.dev && again.nlink === 1 && again.isFile()) return {fd: rw, writable: true};
      return {fd: rw, writable: false};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw openError(file, error);
    }
  }
  throw new KernelError('open', E.EAGAIN, `Checkpoint failed: the lock ${file} keeps disappearing`);
}

/** Take the job's lock in `dir`, or throw LockBusyError naming the holder. */
export function lockJob(dir: string, job: string): JobLock {
  const file = lockPathFor(dir, job);
  const {fd, writable} = openLockFile(file);
  const err = tryLockExclusive(fd);
  if (NO_FLOCK.has(err)) {
    fs.closeSync(fd);
    return leaseLock(dir, job);
  }
  if (err !== 0) {
    let owner = 'holder unknown';
    try {
      owner = fs.readFileSync(fd, 'utf8').trim() || owner;
    } catch {
      // keep the generic text
    }
    fs.closeSync(fd);
    if (err === E.EAGAIN) throw new LockBusyError(job, owner);
    throw new KernelError('flock', err, `Checkpoint failed: cannot lock ${file} (flock errno ${err})`);
  }
  // A node of the same shared directory without flock holds the lease: it is the holder.
  const lease = leasePathFor(dir, job);
  if (fs.existsSync(lease)) {
    const taken = acquireLease(lease);
    if ('busy' in taken) {
      fs.closeSync(fd);
      throw new LockBusyError(job, taken.owner);
    }
    taken.release();
  }
  if (writable) {
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, `pid ${process.pid} on ${os.hostname()} since ${new Date().toISOString()}\n`, 0);
  }
  let released = false;
  return {
    file,
    dir,
    job,
    kind: 'flock',
    held: () => !released,
    release: () => {
      if (released) return;
      released = true;
      fs.closeSync(fd);
    },
  };
}

function leaseLock(dir: string, job: string): JobLock {
  const taken = acquireLease(leasePathFor(dir, job));
  if ('busy' in taken) throw new LockBusyError(job, taken.owner);
  return {...taken, dir, job, kind: 'lease', held: () => taken.held(), release: () => taken.release()};
}
