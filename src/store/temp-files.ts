// Names of in-progress files, and removal of the ones a killed cr left behind.
// A temporary is `.<final name>@<host>.<pid>.<start>.cr-tmp`: the writer's host, pid and start time
// (clock ticks since boot). On a shared file system another node's dump in progress looks like a
// file whose pid is not alive here, so a temporary is removed only when its writer is provably
// dead: written on this host, and its pid is gone or now belongs to a process started later.
// Temporaries without a host (older cr) are never removed: nothing proves their writer dead.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {startTimeOf} from '../procfs/stat.js';
import {CrError, E} from '../errors/index.js';
import type {JobLock} from './lock.js';
import {parseName} from './naming.js';

const TEMP_RE = /^\.(.+)@([A-Za-z0-9._%-]+)\.(\d+)\.(\d+)\.cr-tmp$/s;

/** The host as it appears in a temporary's name: no '@', '/' or control characters (%XX instead). */
export function hostTag(host = os.hostname()): string {
  return host.replace(/[^A-Za-z0-9._-]/g, (c) => [...Buffer.from(c)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''));
}

let ownStart: number | undefined;

/** The temporary name used while `finalPath` is being written by this process. */
export function tempPathFor(finalPath: string): string {
  ownStart ??= startTimeOf(process.pid) ?? 0;
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}@${hostTag()}.${process.pid}.${ownStart}.cr-tmp`);
}

export interface TempName {
  /** The final name being written. */
  base: string;
  host: string;
  pid: number;
  start: number;
}

/** Parse a temporary's name, or undefined (older names without a host are not parsed). */
export function parseTempName(name: string): TempName | undefined {
  const m = TEMP_RE.exec(name);
  return m ? {base: m[1], host: m[2], pid: Number(m[3]), start: Number(m[4])} : undefined;
}

/** Whether the writer of `t` is provably dead: same host, and its pid gone or reused since. */
export function writerDead(t: TempName): boolean {
  if (t.host !== hostTag()) return false;
  if (t.pid === process.pid) return false;
  const start = startTimeOf(t.pid);
  return start === undefined || start !== t.start;
}

function removeWhere(dir: string, keep: (t: TempName) => boolean): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const t = parseTempName(name);
    if (!t || keep(t) || !writerDead(t)) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return removed;
}

/** Remove the temporaries for `finalPath` whose writer is provably dead; returns the names removed. */
export function removeStaleTemps(finalPath: string): string[] {
  const base = path.basename(finalPath);
  return removeWhere(path.dirname(finalPath), (t) => t.base !== base);
}

/** Directory mode: remove the temporaries of the lock's job (its checkpoints' and manifests', and
 *  only its job's) whose writer is
 *  provably dead. Holding the job's lock is the proof that no other cr writes one of them. */
export function removeStaleJobTemps(lock: JobLock): string[] {
  if (!lock.held()) throw new CrError(`internal: the lock ${lock.file} is not held`, {exitCode: E.EINVAL, code: 'EINVAL'});
  return removeWhere(lock.dir, (t) => parseName(t.base.replace(/\.json$/, ''))?.job !== lock.job);
}
