// `cr restart` as a listr2 task list: check the file -> preflight -> request -> processes -> wait
// -> log -> reap; then the --run-on-* hooks, and the restarted job is waited for and mirrored.
import {Listr} from 'listr2';
import {BlcrRestart, failureClass, type RestartedJob, rstrtFlags} from '../engines/blcr/index.js';
import {CrError, KernelError, UsageError} from '../errors/index.js';
import type {ChildEnd} from '../exec/restart-child.js';
import {runShellHook} from '../exec/shell.js';
import type {FailureClass, RestartOptions} from '../schema/index.js';
import {checkRecordedFiles, checkRestartable, ContextFileError, readManifest} from '../store/index.js';
import {type OutputMode, rendererOptions} from './renderer.js';
import {SignalRelay} from './signal-relay.js';
import {latestGood} from './store.js';
import {signalNumber as tableNumber} from '../util/signals.js';

/** What a successful restart reports (the --json document), once the job has ended. */
export interface RestartResult {
  file: string | null;
  pid: number;
  processes: number;
  flags: string;
  signal: number;
  relocate: Array<[string, string]>;
  log: string[];
  /** How the restarted job ended (null when it was not cr's child: pid 0). */
  exit: ChildEnd | null;
}

/** A restart that succeeded: the job runs; `ended` resolves when it ends. */
export interface RunningRestart {
  result: Omit<RestartResult, 'exit'>;
  /** Undefined when REAP gave 0 (the restarted root is not cr's child). */
  job?: RestartedJob;
}

interface Ctx {
  engine: BlcrRestart;
  pid: number;
}

/** Restart from a context file; throws CrError on failure (before any fail hook runs). With
 *  `detach` the restarted processes are let go (cr does not wait for them). */
export async function startRestart(opts: RestartOptions, mode: OutputMode, signal?: AbortSignal, detach = false): Promise<RunningRestart> {
  const ctx: Ctx = {engine: new BlcrRestart(), pid: 0};
  const file = opts.source.kind === 'file' ? opts.source.path : null;
  if (opts.source.kind === 'latest') throw new Error('internal: --latest is resolved by runRestart');
  const tasks = new Listr<Ctx, any, any>(
    [
      {
        title: file ? `Check: ${file}` : 'Check',
        skip: () => !file,
        task: () => {
          try {
            checkRestartable(file!);
          } catch (error) {
            if (error instanceof ContextFileError) throw new KernelError('check', error.errno, `Restart failed: ${error.message}`);
            throw error;
          }
        },
      },
      {title: 'Preflight: open /proc/checkpoint/ctrl and check the interface version', task: (c) => c.engine.open()},
      {title: 'Request', task: (c) => c.engine.request(opts)},
      {
        title: 'Processes',
        task: async (c, task) => {
          const n = await c.engine.createProcesses((child) => (task.title = `Processes: pid ${child.pid}`));
          task.title = `Processes: ${n} created`;
        },
      },
      {title: 'Wait', task: (c) => c.engine.wait({timeSec: 0, signal})},
      {title: 'Log: collect the kernel log', task: (c) => void c.engine.readLog()},
      {title: 'Reap', task: (c) => void (c.pid = c.engine.reap(opts.kmsg !== 'none'))},
    ],
    {...rendererOptions(mode), ctx},
  );
  try {
    await tasks.run();
    if (detach) for (const c of ctx.engine.children.values()) c.child.unref();
  } catch (error) {
    ctx.engine.cancel();
    // Nothing half-restarted is left behind: processes already created are killed, as BLCR
    // does when a restart is aborted.
    for (const c of ctx.engine.children.values()) c.child.kill('SIGKILL');
    throw error;
  }
  return {
    result: {
      file,
      pid: ctx.pid,
      processes: ctx.engine.children.size,
      flags: `0x${rstrtFlags(opts).toString(16)}`,
      signal: opts.signal,
      relocate: opts.relocate,
      log: ctx.engine.log,
    },
    job: ctx.pid > 0 && !detach ? ctx.engine.job(ctx.pid) : undefined,
  };
}

/** The class of a failure, for the --run-on-fail-* hooks. */
export function classOf(error: unknown): FailureClass {
  if (error instanceof UsageError) return 'args';
  if (error instanceof KernelError) return failureClass(error.errno);
  return 'perm';
}

/** Run the hook for `which`, if given. Returns its status (0 when there is no hook). */
export async function runHook(hooks: RestartOptions['hooks'], which: FailureClass | 'success'): Promise<number> {
  const command = hooks[which];
  return command ? runShellHook(command) : 0;
}

/** --run-on-success exited non-zero: cr_restart then exits with that status. */
export class SuccessHookError extends CrError {
  constructor(status: number) {
    super(`--run-on-success hook exited with status ${status}`, {exitCode: status, code: 'EHOOK'});
  }
}

/** An error whose exit status is a hook's (cr_restart exits with a failing hook's status). */
export class HookStatusError extends CrError {
  constructor(original: CrError, status: number) {
    super(original.message, {exitCode: status, code: original.code, details: original.details, cause: original});
  }
}

/** The whole of `cr restart`: restart, hooks, then wait for the job and report how it ended.
 *  SIGINT/SIGTERM cancel the request while it is being made; afterwards they go to the job.
 *  With `detach`, it returns once the job is restored (exit: null): the job runs on without cr. */
export async function runRestart(
  opts: RestartOptions,
  mode: OutputMode,
  onWarning: (text: string) => void = () => {},
  detach = false,
  onNote: (text: string) => void = () => {},
): Promise<RestartResult> {
  const relay = new SignalRelay().start();
  try {
    let running: RunningRestart;
    try {
      if (opts.source.kind === 'latest') {
        const pick = await latestGood(opts.source.dir, (r) => onWarning(`skipping ${r.file}: ${r.problems.join('; ')}`), opts.source.job);
        onNote(`--latest: restarting job ${pick.job} from ${pick.file} (sequence ${pick.sequence})`);
        opts = {...opts, source: {kind: 'file', path: pick.file}};
      }
      if (opts.source.kind === 'file') reportRecordedFiles(opts.source.path, opts.relocate, onWarning);
      running = await startRestart(opts, mode, relay.abort.signal, detach);
    } catch (error) {
      if (error instanceof CrError) {
        const status = await runHook(opts.hooks, classOf(error));
        if (status !== 0) throw new HookStatusError(error, status);
      }
      throw error;
    }
    // By pid: with --restore-pid the job is no longer the helper libuv started.
    const jobPid = running.job?.pid;
    if (jobPid) relay.forwardTo((sig) => process.kill(jobPid, sig));
    const status = await runHook(opts.hooks, 'success');
    if (status !== 0) throw new SuccessHookError(status);
    if (!running.job) return {...running.result, exit: null};
    return {...running.result, exit: await running.job.ended};
  } finally {
    relay.stop();
  }
}

/** Compare the files the checkpoint's manifest recorded with the file system, and warn. Files the
 *  --relocate pairs already map are judged at their new place. No manifest: nothing to compare. */
function reportRecordedFiles(file: string, relocate: Array<[string, string]>, warn: (text: string) => void): void {
  let manifest;
  try {
    manifest = readManifest(file);
  } catch {
    return;
  }
  const mapPath = (p: string) => {
    for (const [o, n] of relocate) if (p === o || p.startsWith(`${o}/`)) return n + p.slice(o.length);
    return p;
  };
  const check = checkRecordedFiles(manifest.openFiles.map((f) => ({...f, path: mapPath(f.path)})));
  for (const p of check.missing) warn(`recorded file ${p} is missing`);
  for (const c of check.changed) warn(`recorded file ${c.path} changed: ${c.why}`);
  for (const [o, n] of check.relocate) warn(`the tree ${o} seems to have moved to ${n}: try --relocate ${o}=${n}`);
}

/** Signal number of a signal name. */
export const signalNumber = (sig: NodeJS.Signals): number => tableNumber(sig) ?? 0;
