// Grid Engine checkpointing environment (interface userdefined): ckpt_command, migr_command,
// restart_command and clean_command, each called as `cr sge VERB $job_id $job_pid $ckpt_dir`.
// Grid Engine evaluates their exit status: 0 = done. Every job (every task of an array job) keeps
// its checkpoints in its own directory, ckpt_dir/$job_id[.$SGE_TASK_ID]; with migration (when s or
// x) the job restarts on another host, so ckpt_dir must be a file system all execution hosts share.
import fs from 'node:fs';
import path from 'node:path';
import {type CheckpointResult, runCheckpoint} from '../pipeline/checkpoint.js';
import type {OutputMode} from '../pipeline/renderer.js';
import type {RestartOptions} from '../schema/index.js';
import {checkJobName, listCheckpoints} from '../store/naming.js';
import {jobTarget} from './job-processes.js';
import {UsageError} from '../errors/index.js';
import {absDirArg, checkpointOptions, intArg, jobIdArg, restartOptions} from './options.js';

export interface SgeJob {
  jobId: string;
  jobPid: string;
  ckptDir: string;
}

/** The task of an array job: $SGE_TASK_ID of the job's environment ("undefined" for other jobs). */
function taskId(env: NodeJS.ProcessEnv): string | undefined {
  const t = env.SGE_TASK_ID;
  if (t === undefined || t === '' || t === 'undefined') return undefined;
  if (!/^\d+$/.test(t)) throw new UsageError(`Expected SGE_TASK_ID to be a task number, got \`${t}\``);
  return t;
}

/** Each job (each task of an array job) has its own directory under ckpt_dir: $job_id[.$SGE_TASK_ID]. */
function parse(j: SgeJob, env: NodeJS.ProcessEnv = process.env) {
  const id = jobIdArg(j.jobId);
  const task = taskId(env);
  const each = task ? `${id}.${task}` : id;
  return {job: checkJobName(`sge.${each}`, 'job_id'), dir: path.join(absDirArg(j.ckptDir, 'ckpt_dir'), each)};
}

/** ckpt_command (the job runs on) and migr_command (`kill`: the job is killed after it). */
export async function sgeCheckpoint(j: SgeJob, opts: {kill: boolean; keep?: number}, mode: OutputMode): Promise<CheckpointResult> {
  const {job, dir} = parse(j);
  fs.mkdirSync(dir, {recursive: true});
  const {target, scope} = jobTarget(intArg(j.jobPid, 'job_pid', 1), 'tree');
  return runCheckpoint(checkpointOptions(target, scope, {kind: 'store', dir, job, keep: opts.keep, sync: true}, opts.kill ? 9 : 0), mode);
}

/** restart_command: the newest checkpoint of the job that verifies. */
export function sgeRestartOptions(j: SgeJob): RestartOptions {
  const {job, dir} = parse(j);
  return restartOptions({kind: 'latest', dir, job});
}

/** clean_command: remove the job's checkpoints, manifests and lock file. */
export function sgeClean(j: SgeJob): string[] {
  const {job, dir} = parse(j);
  if (!fs.existsSync(dir)) return [];
  const removed: string[] = [];
  for (const c of listCheckpoints(dir, job)) {
    for (const f of [c.file, `${c.file}.json`]) {
      if (fs.existsSync(f)) {
        fs.rmSync(f, {force: true});
        removed.push(f);
      }
    }
  }
  fs.rmSync(path.join(dir, `.cr-lock.${job}`), {force: true});
  // The job's own directory goes too, unless something else was put there.
  if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
  return removed;
}
