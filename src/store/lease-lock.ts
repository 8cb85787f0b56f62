// The job lock where flock(2) does not work (Lustre without -o flock, NFS without lockd: ENOSYS,
// ENOLCK, EOPNOTSUPP): DIR/.cr-lease.<job>, created with O_CREAT|O_EXCL|O_NOFOLLOW. It records the
// holder (host, pid, boot id, the pid's start time) and a lease expiry that the holder renews while
// it holds the lock. Another cr takes it over only when the holder is provably gone: on the same host
// and boot with its pid dead (or reused), or, from anywhere, once the lease has expired unrenewed.
// The takeover renames the stale file aside and checks it took the stale one (by its token), so two
// cr taking over at once never both end up holding it. Release removes the file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import {startTimeOf} from '../procfs/stat.js';
import {E, KernelError} from '../errors/index.js';
import {hostTag} from './temp-files.js';

/** The default lease; CR_LOCK_LEASE_SEC overrides it. Renewed every quarter of it. */
export const DEFAULT_LEASE_SEC = 120;

export interface LeaseRecord {
  host: string;
  pid: number;
  bootId: string;
  start: number;
  expires: string;
  token: string;
}

export function leaseSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.CR_LOCK_LEASE_SEC;
  if (v === undefined || v === '') return DEFAULT_LEASE_SEC;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new KernelError('lease', E.EINVAL, `Expected CR_LOCK_LEASE_SEC to be a whole number of seconds >= 1, got \`${v}\``);
  return n;
}

let bootIdCache: string | undefined;

/** This boot's id (/proc/sys/kernel/random/boot_id), or '' when it cannot be read. */
export function bootId(): string {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootIdCache = '';
    }
  }
  return bootIdCache;
}

function errnoOf(error: unknown): number {
  return Math.abs((error as NodeJS.ErrnoException).errno ?? E.EIO);
}

/** Parse a lease file's text, or undefined when it is not (yet) a complete record. */
export function parseLease(text: string): LeaseRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LeaseRecord>;
    if (typeof r.host !== 'string' || !Number.isInteger(r.pid) || typeof r.bootId !== 'string' || !Number.isInteger(r.start)) return undefined;
    if (typeof r.expires !== 'string' || Number.isNaN(Date.parse(r.expires)) || typeof r.token !== 'string') return undefined;
    return r as LeaseRecord;
  } catch {
    return undefined;
  }
}

export function describeLease(r: LeaseRecord): string {
  return `pid ${r.pid} on ${r.host}, lease until ${r.expires}`;
}

/** Why the lease `r` (file mtime `mtimeMs`) is provably stale, or undefined while it may be live. */
export function staleReason(r: LeaseRecord | undefined, mtimeMs: number, now = Date.now(), leaseMs = leaseSeconds() * 1000): string | undefined {
  if (!r) {
    // Created but never written: its writer died between the two, or is writing it now.
    return now - mtimeMs > leaseMs ? 'an unreadable lease older than the lease time' : undefined;
  }
  if (r.host === hostTag() && r.bootId !== '' && r.bootId === bootId() && r.pid !== process.pid) {
    const start = startTimeOf(r.pid);
    if (start === undefined) return `its holder, pid ${r.pid} on this host, is gone`;
    if (start !== r.start) return `its holder's pid ${r.pid} now belongs to another process`;
    // Alive here: live, however late its renewal.
    return undefined;
  }
  if (now > Date.parse(r.expires)) return `its lease expired at ${r.expires} (holder ${describeLease(r)})`;
  return undefined;
}

export interface LeaseLock {
  file: string;
  held(): boolean;
  release(): void;
}

/** Outcome of one look at a lease held by someone else. */
export type LeaseBusy = {busy: true; owner: string};

function readLease(file: string): {record: LeaseRecord | undefined; mtimeMs: number} | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw symlinkRefusal(file);
    throw new KernelError('open', errnoOf(error), `Checkpoint failed: cannot read the lock ${file}: ${(error as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new KernelError('open', E.EINVAL, `Checkpoint failed: the lock ${file} is not a regular file; remove it`);
    return {record: parseLease(fs.readFileSync(fd, 'utf8')), mtimeMs: st.mtimeMs};
  } finally {
    fs.closeSync(fd);
  }
}

export function symlinkRefusal(file: string): KernelError {
  return new KernelError('open', E.ELOOP, `Checkpoint failed: the lock ${file} is a symbolic link; cr does not follow it (remove it)`);
}

/** Move the stale lease `judged` out of the way. Returns when the name is free or someone else's. */
function takeOver(file: string, judged: LeaseRecord | undefined): void {
  const aside = `${file}.takeover@${hostTag()}.${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new KernelError('rename', errnoOf(error), `Checkpoint failed: cannot take over the stale lock ${file}: ${(error as Error).message}`);
  }
  const moved = readLease(aside);
  const same = judged === undefined ? moved?.record === undefined : moved?.record?.token === judged.token;
  if (!same) {
    // Another cr took it over and made a fresh one between our look and the rename: put it back.
    try {
      fs.linkSync(aside, file);
    } catch {
      // a third one holds the name now; the displaced holder sees the loss at its next renewal
    }
  }
  fs.rmSync(aside, {force: true});
}

/** Take the lease lock `file`, or return who holds it. */
export function acquireLease(file: string): LeaseLock | LeaseBusy {
  const leaseMs = leaseSeconds() * 1000;
  for (let attempt = 0; attempt < 8; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        if (code === 'ELOOP') throw symlinkRefusal(file);
        throw new KernelError('open', errnoOf(error), `Checkpoint failed: cannot create the lock ${file}: ${(error as Error).message}`);
      }
      const seen = readLease(file);
      if (!seen) continue;
      const why = staleReason(seen.record, seen.mtimeMs, Date.now(), leaseMs);
      if (!why) return {busy: true, owner: seen.record ? describeLease(seen.record) : 'holder writing its record'};
      takeOver(file, seen.record);
      continue;
    }
    return holdLease(file, fd, leaseMs);
  }
  return {busy: true, owner: 'the lock changed hands while cr looked at it'};
}

function holdLease(file: string, fd: number, leaseMs: number): LeaseLock {
  const ino = fs.fstatSync(fd).ino;
  const base = {host: hostTag(), pid: process.pid, bootId: bootId(), start: startTimeOf(process.pid) ?? 0, token: crypto.randomBytes(8).toString('hex')};
  // The record keeps its length across renewals (ISO times have a fixed length), so a reader never
  // meets a half-shortened file.
  const write = () => {
    const text = `${JSON.stringify({...base, expires: new Date(Date.now() + leaseMs).toISOString()})}\n`;
    fs.writeSync(fd, text, 0);
    fs.fsyncSync(fd);
  };
  try {
    write();
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(file, {force: true});
    throw new KernelError('write', errnoOf(error), `Checkpoint failed: cannot write the lock ${file}: ${(error as Error).message}`);
  }
  let released = false;
  let lost = false;
  const ours = () => {
    try {
      return fs.lstatSync(file).ino === ino;
    } catch {
      return false;
    }
  };
  const timer = setInterval(() => {
    if (!ours()) {
      lost = true;
      clearInterval(timer);
      return;
    }
    try {
      write();
    } catch {
      // the next renewal tries again; the lease covers a few misses
    }
  }, Math.max(250, Math.floor(leaseMs / 4)));
  timer.unref();
  return {
    file,
    held: () => !released && !lost,
    release: () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      if (ours()) fs.rmSync(file, {force: true});
      fs.closeSync(fd);
    },
  };
}
