// One checkpoint of a job at a time, across processes: DIR/.cr-lock.<job>, held with flock(2).
// The file stays after a crash, but its lock does not: the kernel drops it with its holder, so a
// dead owner is never mistaken for a live one. The file records who holds it, for the message.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {tryLockExclusive} from '../abi/flock.js';
import {CrError, E, KernelError} from '../errors/index.js';

export class LockBusyError extends CrError {
  constructor(job: string, owner: string) {
    super(`Checkpoint failed: another checkpoint of job ${job} is in progress (${owner})`, {exitCode: E.EBUSY, code: 'EBUSY'});
  }
}

export interface JobLock {
  file: string;
  release(): void;
}

/** Take the job's lock in `dir`, or throw LockBusyError naming the holder. */
export function lockJob(dir: string, job: string): JobLock {
  const file = path.join(dir, `.cr-lock.${job}`);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  } catch (error) {
    const errno = Math.abs((error as NodeJS.ErrnoException).errno ?? E.EIO);
    throw new KernelError('open', errno, `Checkpoint failed: cannot open the lock ${file}: ${(error as Error).message}`);
  }
  const err = tryLockExclusive(fd);
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
  fs.ftruncateSync(fd, 0);
  fs.writeSync(fd, `pid ${process.pid} on ${os.hostname()} since ${new Date().toISOString()}\n`, 0);
  return {
    file,
    release: () => fs.closeSync(fd),
  };
}
