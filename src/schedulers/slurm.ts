// Slurm: since 20.02 Slurm has no checkpoint plugin; jobs trap the --signal=B:USR1@T signal,
// checkpoint themselves, and requeue (`scontrol requeue`); the requeued run restarts.
import {CrError, UsageError} from '../errors/index.js';
import {runTool} from '../exec/scheduler-tool.js';
import {type CheckpointResult, runCheckpoint} from '../pipeline/checkpoint.js';
import type {OutputMode} from '../pipeline/renderer.js';
import {jobName} from '../store/naming.js';
import {pidsInScope} from '../procfs/stat.js';
import {jobTarget} from './job-processes.js';
import {checkpointOptions} from './options.js';

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

/** Checkpoint the job, leaving it stopped, then requeue it and kill it; if the requeue fails it runs on. */
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
  // Said now: the requeue makes Slurm kill the whole job, this process included.
  onCheckpointed(checkpoint.file!, req.requeue ? jobId! : null);
  if (!req.requeue) {
    signalAll(pids, 'SIGCONT');
    return {checkpoint, requeued: null};
  }
  const r = await runTool('scontrol', ['requeue', jobId!]).catch((error: unknown) => {
    signalAll(pids, 'SIGCONT');
    throw error;
  });
  if (r.code !== 0) {
    signalAll(pids, 'SIGCONT');
    throw new CrError(`scontrol requeue ${jobId} failed (status ${r.code})${r.output ? `: ${r.output}` : ''}; the job runs on`, {exitCode: r.code, code: 'EREQUEUE'});
  }
  signalAll(pids, 'SIGKILL');
  return {checkpoint, requeued: jobId!};
}
