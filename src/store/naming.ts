// Directory mode: checkpoint names that sort by time and carry the job and a sequence number,
// `<UTC time>-<job>-<seq>.ctx`, e.g. 20261121T073300.123Z-slurm.4242-0003.ctx.
import fs from 'node:fs';
import path from 'node:path';

const NAME_RE = /^(\d{8}T\d{6}\.\d{3}Z)-(.+)-(\d{4,})\.ctx$/;

export interface StoredCheckpoint {
  file: string;
  name: string;
  time: string;
  job: string;
  sequence: number;
}

/** A job name safe in a file name: letters, digits, '.', '_' and '-'. */
export function sanitizeJob(job: string): string {
  const s = job.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.-]+/, '');
  return s.length > 0 ? s.slice(0, 100) : 'job';
}

/** The job a checkpoint belongs to: --job, else the batch system's job id, else `pid<target>`. */
export function jobName(explicit: string | undefined, target: number, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return sanitizeJob(explicit);
  if (env.SLURM_JOB_ID) return sanitizeJob(`slurm.${env.SLURM_JOB_ID}${env.SLURM_ARRAY_TASK_ID ? `_${env.SLURM_ARRAY_TASK_ID}` : ''}`);
  if (env.PBS_JOBID) return sanitizeJob(`pbs.${env.PBS_JOBID}`);
  if (env.LSB_JOBID) return sanitizeJob(`lsf.${env.LSB_JOBID}${env.LSB_JOBINDEX && env.LSB_JOBINDEX !== '0' ? `_${env.LSB_JOBINDEX}` : ''}`);
  if (env.JOB_ID) return sanitizeJob(`sge.${env.JOB_ID}${env.SGE_TASK_ID && env.SGE_TASK_ID !== 'undefined' ? `_${env.SGE_TASK_ID}` : ''}`);
  return `pid${target}`;
}

/** Parse a checkpoint file name of directory mode, or undefined. */
export function parseName(name: string): Omit<StoredCheckpoint, 'file'> | undefined {
  const m = NAME_RE.exec(name);
  return m ? {name, time: m[1], job: m[2], sequence: Number(m[3])} : undefined;
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
  const stamp = now.toISOString().replace(/[-:]/g, '');
  return {file: path.join(dir, `${stamp}-${job}-${String(seq).padStart(4, '0')}.ctx`), sequence: seq};
}
