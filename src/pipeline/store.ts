// `cr ls`, `cr verify` and `cr restart --latest`: reading a checkpoint directory.
import fs from 'node:fs';
import path from 'node:path';
import {CrError, E, UsageError} from '../errors/index.js';
import {batchJobName, listCheckpoints, type VerifyReport, verifyCheckpoint, verifyPath} from '../store/index.js';

export interface ListEntry {
  file: string;
  job: string;
  sequence: number;
  time: string;
  size: number | null;
  /** 'complete' (manifest valid, size matches), or the first problem found (no checksum here). */
  status: string;
}

/** A file name's basic-format stamp (20261121T073300.123Z) in ISO 8601's extended form, as every
 *  time in cr's --json documents (2026-11-21T07:33:00.123Z). */
export function isoTime(stamp: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(stamp);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}Z` : stamp;
}

function needDir(dir: string, flag: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new CrError(`${flag} ${dir}: no such directory`, {exitCode: E.ENOENT, code: 'ENOENT'});
  }
  if (!st.isDirectory()) throw new CrError(`${flag} ${dir}: not a directory`, {exitCode: E.ENOTDIR, code: 'ENOTDIR'});
}

/** The checkpoints of a directory, oldest first, with a quick status (no checksum). */
export async function listStore(dir: string): Promise<ListEntry[]> {
  needDir(dir, 'DIR');
  const out: ListEntry[] = [];
  for (const c of listCheckpoints(dir)) {
    const r = await verifyCheckpoint(c.file, {checksum: false});
    out.push({file: path.resolve(c.file), job: c.job, sequence: c.sequence, time: isoTime(c.time), size: r.size, status: r.ok ? 'complete' : r.problems[0]});
  }
  return out;
}

/** Verify a checkpoint file or every checkpoint of a directory (header, size, checksum, manifest). */
export async function verifyStore(target: string): Promise<VerifyReport[]> {
  if (!fs.existsSync(target)) throw new CrError(`${target}: no such file or directory`, {exitCode: E.ENOENT, code: 'ENOENT'});
  return (await verifyPath(target)).map((r) => ({...r, file: path.resolve(r.file)}));
}

/** The batch job cr runs in, as a job name, when there is one (a malformed id names no job). */
export function batchJobCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  try {
    const j = batchJobName(env);
    return j ? [j] : [];
  } catch {
    return [];
  }
}

/** Which job's checkpoints `--latest DIR` takes: `job` when given; else, inside a batch job, the
 *  first of `candidates` (the scheduler's names for it) that has checkpoints in `dir`, and none
 *  other; else (outside one) the only job in `dir`. Never another job's image: a directory of
 *  several jobs and no name for one of them is refused. */
export function pickJob(dir: string, job: string | undefined, candidates: string[], how = 'name one with --job NAME'): string {
  if (job !== undefined) return job;
  const jobs = [...new Set(listCheckpoints(dir).map((c) => c.job))];
  const held = jobs.length > 0 ? ` (it holds ${jobs.join(', ')}: ${how})` : '';
  if (candidates.length > 0) {
    const match = candidates.find((c) => jobs.includes(c));
    if (match) return match;
    throw new CrError(`Restart failed: no checkpoint of job ${candidates.join(' or ')} in ${dir}${held}`, {exitCode: E.ENOENT, code: 'ENOENT'});
  }
  if (jobs.length === 1) return jobs[0];
  if (jobs.length === 0) throw new CrError(`Restart failed: no checkpoint in ${dir}`, {exitCode: E.ENOENT, code: 'ENOENT'});
  throw new UsageError(`Expected ${dir} to hold one job's checkpoints, it holds ${jobs.length} jobs' (${jobs.join(', ')}): ${how}`);
}

export interface LatestPick {
  file: string;
  job: string;
  sequence: number;
}

/** The newest checkpoint of one job in `dir` (pickJob says which) that verifies; `onSkip` hears
 *  about each newer one of that job that does not. */
export async function latestGood(
  dir: string,
  onSkip: (r: VerifyReport) => void,
  job?: string,
  candidates: string[] = batchJobCandidates(),
  how?: string,
): Promise<LatestPick> {
  needDir(dir, '--latest');
  const picked = pickJob(dir, job, candidates, how);
  const all = listCheckpoints(dir, picked).reverse();
  for (const c of all) {
    const r = await verifyCheckpoint(c.file);
    if (r.ok) return {file: c.file, job: picked, sequence: c.sequence};
    onSkip(r);
  }
  throw new CrError(`Restart failed: no checkpoint of job ${picked} in ${dir} verifies (${all.length} found)`, {exitCode: E.ENOENT, code: 'ENOENT'});
}
