// Torque pbs_mom's $checkpoint_script and $restart_script, with exactly the arguments the MOM passes:
//   checkpoint: session_id job_id user group checkpoint_dir checkpoint_name signal_num checkpoint_depth
//   restart:    session_id job_id user group checkpoint_dir checkpoint_name
// Exit 0 = success; anything else = failure (the MOM deletes the attempt and puts our output in the
// job comment). The restart script is the job: its exit status is the job's.
import fs from 'node:fs';
import path from 'node:path';
import {UsageError} from '../errors/index.js';
import {type CheckpointResult, runCheckpoint} from '../pipeline/checkpoint.js';
import type {OutputMode} from '../pipeline/renderer.js';
import type {RestartOptions} from '../schema/index.js';
import {becomeJobOwner} from './job-owner.js';
import {jobTarget} from './job-processes.js';
import {absDirArg, checkpointOptions, intArg, jobIdArg, positional, restartOptions} from './options.js';
import {shellWord} from './render.js';

const CHECKPOINT_ARGS = ['session_id', 'job_id', 'user', 'group', 'checkpoint_dir', 'checkpoint_name', 'signal_num', 'checkpoint_depth'];
const RESTART_ARGS = CHECKPOINT_ARGS.slice(0, 6);

export interface TorqueCheckpointResult {
  checkpoint: CheckpointResult;
  /** Older images of the job removed to honour checkpoint_depth. */
  removed: string[];
}

function fileArgs(a: Record<string, string>) {
  const dir = absDirArg(a.checkpoint_dir, 'checkpoint_dir');
  if (a.checkpoint_name === '' || a.checkpoint_name.includes('/')) throw new UsageError(`Expected checkpoint_name to be a file name, got \`${a.checkpoint_name}\``);
  return {sid: intArg(a.session_id, 'session_id', 1), jobId: jobIdArg(a.job_id), dir, file: path.join(dir, a.checkpoint_name)};
}

/** The job's images in `dir`, `ckpt.<jobid>.<epoch>`, oldest first. */
export function torqueImages(dir: string, jobId: string): string[] {
  const prefix = `ckpt.${jobId}.`;
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .map((n) => path.join(dir, n));
}

/** $checkpoint_script: checkpoint the job's tree into checkpoint_dir/checkpoint_name as the job owner. */
export async function torqueCheckpoint(argv: string[], mode: OutputMode): Promise<TorqueCheckpointResult> {
  const a = positional(argv, CHECKPOINT_ARGS, 'Torque checkpoint_script');
  const {sid, jobId, dir, file} = fileArgs(a);
  const signal = intArg(a.signal_num, 'signal_num', 0, 64);
  const depth = a.checkpoint_depth === '' ? 0 : intArg(a.checkpoint_depth, 'checkpoint_depth', 0);
  becomeJobOwner(a.user, a.group);
  fs.mkdirSync(dir, {recursive: true});
  const {target, scope} = jobTarget(sid, 'tree');
  const checkpoint = await runCheckpoint(checkpointOptions(target, scope, {kind: 'file', path: file, policy: 'atomic', sync: true}, signal), mode);
  const removed: string[] = [];
  if (depth > 0) {
    const older = torqueImages(dir, jobId).filter((f) => f !== file);
    for (const f of older.slice(0, Math.max(0, older.length - (depth - 1)))) {
      fs.rmSync(f, {force: true});
      removed.push(f);
    }
  }
  return {checkpoint, removed};
}

/** What `qalter -W checkpoint_restart_status=...` records for each outcome, as Torque's BLCR script does. */
function statusHooks(jobId: string, file: string): RestartOptions['hooks'] {
  const hook = (text: string) => `qalter -W checkpoint_restart_status=${shellWord(text)} ${shellWord(jobId)} 2>/dev/null || true`;
  return {
    success: hook(`restarted from ${file}`),
    args: hook('Restart failed: invalid arguments'),
    temp: hook('Restart failed: temporary failure, try again later'),
    env: hook('Restart failed: environment (missing files, permissions, pids in use)'),
    perm: hook('Restart failed: permanent failure'),
  };
}

/** $restart_script: the restart options for checkpoint_dir/checkpoint_name, as the job owner. */
export function torqueRestartOptions(argv: string[]): RestartOptions {
  const a = positional(argv, RESTART_ARGS, 'Torque restart_script');
  const {jobId, file} = fileArgs(a);
  becomeJobOwner(a.user, a.group);
  return restartOptions({kind: 'file', path: file}, statusHooks(jobId, file));
}
