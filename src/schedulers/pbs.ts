// PBS Professional / OpenPBS: pbs_mom `$action checkpoint|checkpoint_abort|restart` scripts,
// configured with the arguments `%sid %jobid DIR`. Checkpoints go to DIR/<jobid>/ in directory mode.
import fs from 'node:fs';
import path from 'node:path';
import {type CheckpointResult, runCheckpoint} from '../pipeline/checkpoint.js';
import type {OutputMode} from '../pipeline/renderer.js';
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

/** Restart from the newest checkpoint of the job that verifies. */
export function pbsRestartOptions(argv: string[]): RestartOptions {
  const {job, dir} = parse(argv, 'PBS $action restart');
  return restartOptions({kind: 'latest', dir, job});
}
