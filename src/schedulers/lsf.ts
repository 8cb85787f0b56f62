// LSF checkpoint method "cr": echkpnt.cr and erestart.cr, with LSF's calling convention
//   echkpnt [-c] [-f] [-k | -s] [-d checkpoint_dir] [-x] process_group_ID
//   erestart [-c] [-f] checkpoint_dir
// echkpnt exits 0 on success, non-zero on failure (the job runs on). erestart does not run the job:
// it writes the restart command to checkpoint_dir/.restart_cmd and exits 0 only when it did.
import fs from 'node:fs';
import path from 'node:path';
import {CrError, E, UsageError} from '../errors/index.js';
import {type CheckpointResult, runCheckpoint} from '../pipeline/checkpoint.js';
import type {OutputMode} from '../pipeline/renderer.js';
import {latestGood} from '../pipeline/store.js';
import {jobName} from '../store/naming.js';
import {jobTarget} from './job-processes.js';
import {checkpointOptions, intArg} from './options.js';
import {shellWord} from './render.js';

/** getopt(3)-style parsing: clustered letters, a value attached or in the next word, `--` ends. */
export function getopt(argv: string[], letters: string, withValue: string, who: string): {opts: Map<string, string>; operands: string[]} {
  const opts = new Map<string, string>();
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if (withValue.includes(c)) {
        const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`${who}: option -${c} needs a value`);
        opts.set(c, v);
        break;
      }
      if (!letters.includes(c)) throw new UsageError(`${who}: unknown option -${c} (expected ${[...letters].map((l) => `-${l}`).join(' ')}${[...withValue].map((l) => ` -${l} VALUE`).join('')})`);
      opts.set(c, '');
    }
  }
  return {opts, operands: argv.slice(i)};
}

export interface EchkpntRequest {
  argv: string[];
  keep?: number;
}

/** echkpnt.cr: checkpoint the job's process group (-x: its process tree) into its checkpoint directory. */
export async function echkpnt(req: EchkpntRequest, mode: OutputMode, env: NodeJS.ProcessEnv = process.env): Promise<CheckpointResult> {
  const who = 'echkpnt.cr';
  const {opts, operands} = getopt(req.argv, 'cfksx', 'd', who);
  if (opts.has('k') && opts.has('s')) throw new UsageError(`${who}: -k (kill) and -s (stop) exclude each other`);
  if (operands.length !== 1) throw new UsageError(`${who}: expected one process_group_ID, got ${operands.length}${operands.length ? `: ${operands.join(' ')}` : ''}`);
  const id = intArg(operands[0], 'process_group_ID', 1);
  const dir = opts.get('d') || env.LSB_CHKPNT_DIR;
  if (!dir) throw new UsageError(`${who}: no checkpoint directory: give -d DIR or set LSB_CHKPNT_DIR`);
  const {target, scope} = jobTarget(id, opts.has('x') ? 'tree' : 'pgrp');
  const signal = opts.has('k') ? 9 : opts.has('s') ? 19 : 0;
  const job = jobName(undefined, target, env);
  fs.mkdirSync(dir, {recursive: true});
  const destination = {kind: 'store' as const, dir: path.resolve(dir), job, keep: req.keep, sync: true};
  return runCheckpoint(checkpointOptions(target, scope, destination, signal, opts.has('c')), mode);
}

export interface ErestartResult {
  file: string;
  /** The job whose newest checkpoint was taken. */
  job: string;
  restartCmd: string;
  command: string;
}

/** erestart.cr: write `LSB_RESTART_CMD=<cr restart FILE>` for the job's newest checkpoint that verifies. */
/** The names the job restarted by erestart may have: brestart gives it a new job id (LSB_JOBID) and
 *  links the old checkpoint directory, named for the old id, to the new one. */
function lsfJobCandidates(dir: string, env: NodeJS.ProcessEnv): string[] {
  const index = env.LSB_JOBINDEX && env.LSB_JOBINDEX !== '0' ? `_${env.LSB_JOBINDEX}` : '';
  let real = dir;
  try {
    real = fs.realpathSync(dir);
  } catch {
    // latestGood names the missing directory
  }
  const ids = [env.LSB_JOBID, path.basename(dir), path.basename(real)].filter((id): id is string => !!id);
  return [...new Set(ids.flatMap((id) => [`lsf.${id}${index}`, `lsf.${id}`]))];
}

export async function erestart(argv: string[], cr: string, onSkip: (text: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<ErestartResult> {
  const who = 'erestart.cr';
  const {operands} = getopt(argv, 'cf', '', who);
  if (operands.length !== 1) throw new UsageError(`${who}: expected one checkpoint_dir, got ${operands.length}${operands.length ? `: ${operands.join(' ')}` : ''}`);
  const dir = path.resolve(operands[0]);
  const restartCmd = path.join(dir, '.restart_cmd');
  fs.rmSync(restartCmd, {force: true});
  const {file, job} = await latestGood(dir, (r) => onSkip(`skipping ${r.file}: ${r.problems.join('; ')}`), undefined, lsfJobCandidates(dir, env), 'set LSB_JOBID to its job id');
  const command = `${shellWord(cr)} restart ${shellWord(file)}`;
  const tmp = path.join(dir, `.restart_cmd.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, `LSB_RESTART_CMD=${command}\n`, {mode: 0o644});
    fs.renameSync(tmp, restartCmd);
  } catch (error) {
    fs.rmSync(tmp, {force: true});
    const errno = Math.abs((error as NodeJS.ErrnoException).errno ?? E.EIO);
    throw new CrError(`${who}: cannot write ${restartCmd}: ${(error as Error).message}`, {exitCode: errno & 0xff || 1, code: 'EWRITE'});
  }
  return {file, job, restartCmd, command};
}
