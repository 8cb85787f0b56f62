// `cr watch`: checkpoint a target periodically and/or when cr receives a signal, until it ends.
// Checkpoints never overlap: one at a time here, and the job lock in DIR keeps other cr processes out.
import {isAlive} from '../procfs/stat.js';
import {CrError, type ErrorBody, errorBody} from '../errors/index.js';
import type {CheckpointOptions} from '../schema/index.js';
import {type CheckpointResult, runCheckpoint} from './checkpoint.js';
import type {OutputMode} from './renderer.js';
import {CLEANUP_SIGNALS} from './signal-relay.js';

/** Watch gives up after this many failed checkpoints in a row (the job may run on unprotected, so
 *  the batch script is told, by watch's exit status, rather than waiting for the job to end). */
export const MAX_FAILURES_IN_A_ROW = 3;

export interface WatchOptions {
  checkpoint: CheckpointOptions;
  /** Period in ms, or undefined for signal-driven only. */
  everyMs?: number;
  onSignals: NodeJS.Signals[];
}

export interface WatchEvent {
  trigger: string;
  at: string;
  ok: boolean;
  file?: string;
  /** Why the checkpoint failed, as every --json error is given. */
  error?: ErrorBody;
  /** A failed checkpoint's exit status (none when it failed because the job had just ended). */
  exitCode?: number;
}

/** Why watch ended and the status it exits with: the last checkpoint's failure status when the
 *  last checkpoint failed, otherwise 0 (a checkpoint that found the job just ended, ESRCH, does
 *  not count). */
export interface WatchEnd {
  events: WatchEvent[];
  reason: string;
  exitCode: number;
}

const alive = isAlive;

/** Watch until the target ends, a stop signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT that is not a
 *  trigger; it also abandons a checkpoint in progress, cleaned up as `cr checkpoint` does), or
 *  MAX_FAILURES_IN_A_ROW failed checkpoints. Returns what happened and why it ended. */
export async function runWatch(opts: WatchOptions, mode: OutputMode, report: (e: WatchEvent) => void, onStart: () => void = () => {}): Promise<WatchEnd> {
  const target = opts.checkpoint.target;
  if (!alive(target)) throw new CrError(`cr watch: no process ${target}`, {exitCode: 3, code: 'ESRCH'});
  const events: WatchEvent[] = [];
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  const kick = (why: string) => {
    queue.push(why);
    wake?.();
  };
  let stopped: string | undefined;
  let current: AbortController | undefined;
  const stop = (sig: NodeJS.Signals) => {
    stopped ??= sig;
    current?.abort(sig);
    wake?.();
  };
  const handlers = opts.onSignals.map((sig) => [sig, () => kick(sig)] as const);
  const stops = CLEANUP_SIGNALS.filter((s) => !opts.onSignals.includes(s)).map((sig) => [sig, () => stop(sig)] as const);
  for (const [sig, fn] of [...handlers, ...stops]) process.on(sig, fn);
  const timer = opts.everyMs ? setInterval(() => kick('every'), opts.everyMs) : undefined;
  const poll = setInterval(() => wake?.(), 250);
  onStart();
  let failures = 0;
  try {
    while (!stopped && alive(target) && failures < MAX_FAILURES_IN_A_ROW) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const trigger = queue.shift()!;
      queue.length = 0; // triggers that arrived meanwhile are served by this checkpoint
      const at = new Date().toISOString();
      let result: CheckpointResult | undefined;
      current = new AbortController();
      try {
        result = await runCheckpoint(opts.checkpoint, {...mode, quiet: true}, current.signal);
        events.push({trigger, at, ok: true, file: result.file ?? undefined});
        failures = 0;
      } catch (error) {
        const exitCode = error instanceof CrError ? error.exitCode : 1;
        // The job ended during this checkpoint (no process left to checkpoint): the job's end, not
        // a failure to protect it.
        const jobEnded = error instanceof CrError && error.code === 'ESRCH' && !alive(target);
        events.push({trigger, at, ok: false, error: errorBody(error as Error), ...(jobEnded ? {} : {exitCode})});
        if (!jobEnded) failures++;
      } finally {
        current = undefined;
      }
      report(events.at(-1)!);
    }
  } finally {
    if (timer) clearInterval(timer);
    clearInterval(poll);
    for (const [sig, fn] of [...handlers, ...stops]) process.off(sig, fn);
  }
  const reason = stopped ? `stopped by ${stopped}` : failures >= MAX_FAILURES_IN_A_ROW ? `${failures} checkpoints in a row failed` : `process ${target} ended`;
  const last = events.findLast((e) => e.ok || e.exitCode !== undefined);
  return {events, reason, exitCode: last && !last.ok ? last.exitCode! : 0};
}
