// `cr watch`: checkpoint a target periodically and/or when cr receives a signal, until it ends.
// Checkpoints never overlap: one at a time here, and the job lock in DIR keeps other cr processes out.
import {isAlive} from '../procfs/stat.js';
import {CrError, type ErrorBody, errorBody} from '../errors/index.js';
import type {CheckpointOptions} from '../schema/index.js';
import {type CheckpointResult, runCheckpoint} from './checkpoint.js';
import type {OutputMode} from './renderer.js';

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
}

/** The duration parser, from its one home (kept here for the modules that import it from watch). */
export {parseDuration} from '../util/duration.js';

const alive = isAlive;

/** Watch until the target ends (or SIGINT/SIGTERM that is not a trigger). Returns what happened. */
export async function runWatch(opts: WatchOptions, mode: OutputMode, report: (e: WatchEvent) => void, onStart: () => void = () => {}): Promise<WatchEvent[]> {
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
  const stop = (sig: NodeJS.Signals) => {
    stopped = sig;
    wake?.();
  };
  const handlers = opts.onSignals.map((sig) => [sig, () => kick(sig)] as const);
  const stops = (['SIGINT', 'SIGTERM'] as NodeJS.Signals[]).filter((s) => !opts.onSignals.includes(s)).map((sig) => [sig, () => stop(sig)] as const);
  for (const [sig, fn] of [...handlers, ...stops]) process.on(sig, fn);
  const timer = opts.everyMs ? setInterval(() => kick('every'), opts.everyMs) : undefined;
  const poll = setInterval(() => wake?.(), 250);
  onStart();
  try {
    while (!stopped && alive(target)) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const trigger = queue.shift()!;
      queue.length = 0; // triggers that arrived meanwhile are served by this checkpoint
      const at = new Date().toISOString();
      let result: CheckpointResult | undefined;
      try {
        result = await runCheckpoint(opts.checkpoint, {...mode, quiet: true});
        events.push({trigger, at, ok: true, file: result.file ?? undefined});
      } catch (error) {
        events.push({trigger, at, ok: false, error: errorBody(error as Error)});
      }
      report(events.at(-1)!);
    }
  } finally {
    if (timer) clearInterval(timer);
    clearInterval(poll);
    for (const [sig, fn] of [...handlers, ...stops]) process.off(sig, fn);
  }
  return events;
}
