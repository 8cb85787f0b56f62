// Directory mode: checkpoint names that sort by time and carry the job and a sequence number,
// `<UTC time>-<job>-<seq>.ctx`, e.g. 20261121T073300.123Z-slurm.4242-0003.ctx.
// A job name is used literally or refused, never rewritten: two jobs never share a name, so one
// job's --keep never removes another's checkpoints. The name parses back without ambiguity: the
// time has a fixed form and no '-', and the sequence is the digits after the last '-'.
import fs from 'node:fs';
import path from 'node:path';
import {UsageError} from '../errors/index.js';

const NAME_RE = /^(\d{8}T\d{6}\.\d{3}Z)-(.+)-(\d{4,})\.ctx$/s;

/** The longest job name, in bytes: the checkpoint, manifest and temporary names stay well within
 *  NAME_MAX (255). */
export const MAX_JOB_BYTES = 100;

export interface StoredCheckpoint {
  file: string;
  name: string;
  time: string;
  job: string;
  sequence: number;
}

/** Why `job` cannot be a job name (part of a file name), or undefined when it can. */
export function jobNameProblem(job: string): string | undefined {
  if (job.length === 0) return 'it is empty';
  if (job.includes('/')) return "it holds '/' (a job name is part of a file name)";
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(job)) return 'it holds a control character';
  const bytes = Buffer.byteLength(job);
  if (bytes > MAX_JOB_BYTES) return `it is ${bytes} bytes long (at most ${MAX_JOB_BYTES})`;
  return undefined;
}

/** `job`, unchanged, or a UsageError naming `source` (the flag or variable it came from). */
export function checkJobName(job: string, source: string): string {
  const problem = jobNameProblem(job);
  if (problem) throw new UsageError(`Expected ${source} to be a job name usable in a file name, got ${JSON.stringify(job)}: ${problem}`);
  return job;
}

/** The job a checkpoint belongs to: --job, else the batch system's job id, else `pid<target>`.
 *  Every name is taken literally or refused with the flag or variable it came from. */
export function jobName(explicit: string | undefined, target: number, env: NodeJS.ProcessEnv = process.env, flag = '--job'): string {
  if (explicit !== undefined) return checkJobName(explicit, flag);
  const batch = batchJobName(env);
  if (batch) return batch;
  return `pid${target}`;
}

/** The batch system's name for the job in `env` (slurm.ID, pbs.ID, lsf.ID, sge.ID, with an array
 *  index when there is one), or undefined outside a batch job. */
export function batchJobName(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const s = (name: string, value: string) => checkJobName(value, name);
  if (env.SLURM_JOB_ID) return s('SLURM_JOB_ID', `slurm.${env.SLURM_JOB_ID}${env.SLURM_ARRAY_TASK_ID ? `_${env.SLURM_ARRAY_TASK_ID}` : ''}`);
  if (env.PBS_JOBID) return s('PBS_JOBID', `pbs.${env.PBS_JOBID}`);
  if (env.LSB_JOBID) return s('LSB_JOBID', `lsf.${env.LSB_JOBID}${env.LSB_JOBINDEX && env.LSB_JOBINDEX !== '0' ? `_${env.LSB_JOBINDEX}` : ''}`);
  if (env.JOB_ID) return s('JOB_ID', `sge.${env.JOB_ID}${env.SGE_TASK_ID && env.SGE_TASK_ID !== 'undefined' ? `_${env.SGE_TASK_ID}` : ''}`);
  return undefined;
}

/** Parse a checkpoint file name of directory mode, or undefined. */
export function parseName(name: string): Omit<StoredCheckpoint, 'file'> | undefined {
  const m = NAME_RE.exec(name);
  if (!m || jobNameProblem(m[2])) return undefined;
  return {name, time: m[1], job: m[2], sequence: Number(m[3])};
}

/** The file name of checkpoint `sequence` of `job` taken at `now`. */
export function checkpointName(job: string, sequence: number, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '');
  return `${stamp}-${job}-${String(sequence).padStart(4, '0')}.ctx`;
}

/** Checkpoints in `dir` (optionally of one job), oldest first. */
export function listCheckpoints(dir: string, job?: string): StoredCheckpoint[] {
  return fs
    .readdirSync(dir)
    .map((n) => parseName(n))
    .filter((c): c is Omit<StoredCheckpoint, 'file'> => c !== undefined && (job === undefined || c.job === job))
    .map((c) => ({...c, file: path.join(dir, c.name)}))
    .sort((a, b) => (a.time === b.time ? a.sequence - b.sequence : a.time < b.time ? -1 : 1));
}

/** The name of the next checkpoint of `job` in `dir`: the job's highest sequence + 1. */
export function nextCheckpoint(dir: string, job: string, now = new Date()): {file: string; sequence: number} {
  const seq = Math.max(0, ...listCheckpoints(dir, job).map((c) => c.sequence)) + 1;
  return {file: path.join(dir, checkpointName(job, seq, now)), sequence: seq};
}
