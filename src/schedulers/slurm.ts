// Slurm: since 20.02 Slurm has no checkpoint plugin; jobs trap the --signal=B:USR1@T signal,
// checkpoint themselves, and requeue (`scontrol requeue`); the requeued run restarts.
//
// The order: the checkpoint leaves the job stopped and is durable (synced) when it returns; the
// stopped job is then killed, so nothing of it runs after the checkpoint; only then is the batch
// job requeued. Slurm's own SIGCONT/SIGTERM/SIGKILL of the requeue then find nothing of the job to
// wake. If the requeue fails, the job has already ended: the batch script goes on from the
// checkpoint in place (exit status REQUEUE_FAILED).
import {CrError, E, KernelError, UsageError} from '../errors/index.js';
import {runTool} from '../exec/scheduler-tool.js';
import {type CheckpointResult, runCheckpoint} from '../pipeline/checkpoint.js';
import type {OutputMode} from '../pipeline/renderer.js';
import {type RestartResult, runRestart} from '../pipeline/restart.js';
import {latestGood} from '../pipeline/store.js';
import {jobName} from '../store/naming.js';
import {pidsInScope} from '../procfs/stat.js';
import {jobTarget} from './job-processes.js';
import {checkpointOptions, restartOptions} from './options.js';

/** `cr slurm checkpoint`'s status when the job was checkpointed and ended but the requeue failed
 *  (EX_TEMPFAIL of sysexits.h): the batch script restarts the job from the checkpoint itself. */
export const REQUEUE_FAILED = 75;

export interface SlurmCheckpointRequest {
  pid: number;
  dir: string;
  keep?: number;
  job?: string;
  requeue: boolean;
}

export interface SlurmCheckpointResult {
  checkpoint: CheckpointResult;
  /** The job id requeued, or null with --no-requeue. */
  requeued: string | null;
}

const signalAll = (pids: number[], sig: NodeJS.Signals) => {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // already gone
    }
  }
};

/** Checkpoint the job (stopped, durable), end it, then requeue the batch job. With --no-requeue the
 *  job is continued instead. */
export async function slurmCheckpoint(
  req: SlurmCheckpointRequest,
  mode: OutputMode,
  onCheckpointed: (file: string, requeueing: string | null) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SlurmCheckpointResult> {
  const jobId = env.SLURM_JOB_ID;
  if (req.requeue && !jobId) throw new UsageError('cr slurm checkpoint: SLURM_JOB_ID is not set: run it inside a Slurm job, or give --no-requeue');
  const {target, scope} = jobTarget(req.pid, 'tree');
  const job = jobName(req.job, target, env);
  const opts = checkpointOptions(target, scope, {kind: 'store', dir: req.dir, job, keep: req.keep, sync: true}, 19);
  const checkpoint = await runCheckpoint(opts, mode);
  const pids = pidsInScope(target, 'tree');
  if (!req.requeue) {
    onCheckpointed(checkpoint.file!, null);
    signalAll(pids, 'SIGCONT');
    return {checkpoint, requeued: null};
  }
  // The image is durable and the job stopped: a stopped process dies of SIGKILL without running.
  signalAll(pids, 'SIGKILL');
  // Said now: the requeue makes Slurm end the whole batch job, this process included.
  onCheckpointed(checkpoint.file!, jobId!);
  const failed = (why: string) =>
    new CrError(`scontrol requeue ${jobId} failed: ${why}; the job was checkpointed to ${checkpoint.file} and ended: restart it from there`, {
      exitCode: REQUEUE_FAILED,
      code: 'EREQUEUE',
    });
  const r = await runTool('scontrol', ['requeue', jobId!]).catch((error: unknown) => {
    throw failed((error as Error).message);
  });
  if (r.code !== 0) throw failed(`status ${r.code}${r.output ? `: ${r.output}` : ''}`);
  return {checkpoint, requeued: jobId!};
}

export interface SlurmRestartRequest {
  dir: string;
  job?: string;
}

export type SlurmRestartPlan = {kind: 'restart'; file: string} | {kind: 'fresh'};

/** Which checkpoint the requeued run restarts from: the job's newest that verifies, else none (a
 *  missing directory counts as none); `warn` hears each skipped one and the fresh start. */
export async function slurmRestartPlan(req: SlurmRestartRequest, warn: (text: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<SlurmRestartPlan> {
  const job = jobName(req.job, 0, env);
  try {
    return {kind: 'restart', file: (await latestGood(req.dir, (r) => warn(`skipping ${r.file}: ${r.problems.join('; ')}`), job)).file};
  } catch (error) {
    if (!(error instanceof CrError) || (error.exitCode !== E.ENOENT && error.exitCode !== E.ENOTDIR)) throw error;
    warn(`${error.message.replace(/^Restart failed: /, '')}: starting the job from the beginning`);
    return {kind: 'fresh'};
  }
}

/** Restart `file` with its pid; when the pid is taken on this node (EBUSY: the job moved to
 *  another node, or the pid was reused), again without it, with a warning. */
export async function slurmRestart(file: string, mode: OutputMode, warn: (text: string) => void): Promise<RestartResult> {
  try {
    return await runRestart(restartOptions({kind: 'file', path: file}), mode, warn);
  } catch (error) {
    if (!(error instanceof KernelError) || error.errno !== E.EBUSY) throw error;
    warn(`${error.message.replace(/^Restart failed: /, '')}: the job's pid is in use on this node; restarting with --no-restore-pid`);
    return runRestart({...restartOptions({kind: 'file', path: file}), restorePid: false}, mode, warn);
  }
}
