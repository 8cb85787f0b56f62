// PBS Professional / OpenPBS: pbs_mom `$action checkpoint|checkpoint_abort|restart` scripts,
// configured with the arguments `%sid %jobid DIR`. Checkpoints go to DIR/<jobid>/ in directory mode.
// The restart action is an external command: with $restart_transmogrify False (the default) MoM
// waits for it and then tracks the job by its original session id (pbs_mom(8B)), so the script
// must restore the job's pid, process group and session and return once it is restored.
import fs from 'node:fs';
import path from 'node:path';
import {type CheckpointResult, runCheckpoint} from '../pipeline/checkpoint.js';
import type {OutputMode} from '../pipeline/renderer.js';
import {type RestartResult, runRestart} from '../pipeline/restart.js';
import {readStat} from '../procfs/stat.js';
import type {RestartOptions} from '../schema/index.js';
import {checkJobName} from '../store/naming.js';
import {jobTarget} from './job-processes.js';
import {absDirArg, checkpointOptions, intArg, jobIdArg, positional, restartOptions} from './options.js';

const ARGS = ['sid', 'jobid', 'dir'];

function parse(argv: string[], who: string) {
  const a = positional(argv, ARGS, who);
  const jobId = jobIdArg(a.jobid, 'jobid');
  return {sid: intArg(a.sid, 'sid', 1), job: checkJobName(`pbs.${jobId}`, 'jobid'), dir: path.join(absDirArg(a.dir, 'DIR'), jobId)};
}

/** Checkpoint the job's session leader tree; `abort` kills the job afterwards (checkpoint_abort). */
export async function pbsCheckpoint(argv: string[], opts: {abort: boolean; keep?: number}, mode: OutputMode): Promise<CheckpointResult> {
  const {sid, job, dir} = parse(argv, `PBS $action checkpoint${opts.abort ? '_abort' : ''}`);
  fs.mkdirSync(dir, {recursive: true});
  const {target, scope} = jobTarget(sid, 'tree');
  return runCheckpoint(checkpointOptions(target, scope, {kind: 'store', dir, job, keep: opts.keep, sync: true}, opts.abort ? 9 : 0), mode);
}

/** Restart from the newest checkpoint of the job that verifies, with its pid, process group and
 *  session (MoM tracks the job by the session id it passes as %sid). */
export function pbsRestartOptions(argv: string[]): RestartOptions & {sid: number} {
  const {sid, job, dir} = parse(argv, 'PBS $action restart');
  return {...restartOptions({kind: 'latest', dir, job}), restorePid: true, restorePgid: true, restoreSid: true, sid};
}

/** $action restart: restore the job and return (exit 0) while it runs on in its own session. */
export async function pbsRestart(argv: string[], mode: OutputMode, onWarning: (text: string) => void): Promise<RestartResult & {session: number | null}> {
  const {sid, ...opts} = pbsRestartOptions(argv);
  const r = await runRestart(opts, mode, onWarning, true);
  const session = r.pid > 0 ? (readStat(r.pid)?.sid ?? null) : null;
  if (session !== sid) onWarning(`the restored job (pid ${r.pid}) is in session ${session ?? 'none'}, not ${sid}: pbs_mom tracks the job by session ${sid}`);
  return {...r, session};
}
