// `cr checkpoint` as a listr2 task list: preflight -> request -> dump -> log -> reap -> publish.
// Every resource is released on failure: the request is cancelled and the unfinished file removed.
import {Listr} from 'listr2';
import {BlcrCheckpoint} from '../engines/blcr/index.js';
import {chkptFlags} from '../engines/blcr/request.js';
import type {CheckpointOptions} from '../schema/index.js';
import {PendingFile} from '../store/index.js';
import {formatBytes, formatRate} from './format.js';
import {type OutputMode, rendererOptions} from './renderer.js';

/** What a successful checkpoint reports (the --json document). */
export interface CheckpointResult {
  file: string | null;
  fd: number | null;
  backup: string | null;
  target: number;
  scope: CheckpointOptions['scope'];
  signal: number;
  flags: string;
  bytes: number;
  durationMs: number;
  interface: string;
  log: string[];
}

/** How often a long dump reports progress as a line of its own. */
const PROGRESS_LINE_MS = 1000;

interface Ctx {
  engine: BlcrCheckpoint;
  pending?: PendingFile;
  started: number;
  bytes: number;
}

/** Run one checkpoint. `signal` aborts it (the request is cancelled, nothing is published). */
export async function runCheckpoint(opts: CheckpointOptions, mode: OutputMode, signal?: AbortSignal): Promise<CheckpointResult> {
  const ctx: Ctx = {engine: new BlcrCheckpoint(), started: performance.now(), bytes: 0};
  const deadline = opts.timeSec > 0 ? ctx.started + opts.timeSec * 1000 : undefined;
  const tasks = new Listr<Ctx, any, any>(
    [
      {
        title: 'Preflight: open /proc/checkpoint/ctrl and check the interface version',
        task: (c) => c.engine.open(),
      },
      {
        title: `Request: checkpoint ${opts.scope} ${opts.target}`,
        task: (c) => {
          c.pending = PendingFile.open(opts.destination);
          c.engine.request(opts, c.pending.fd);
        },
      },
      {
        title: 'Dump',
        task: async (c, task) => {
          const t0 = performance.now();
          let lastLine = t0;
          const tick = () => {
            const bytes = c.pending!.bytesWritten();
            const now = performance.now();
            const text = `${formatBytes(bytes)} written (${formatRate(bytes, now - t0)})`;
            task.title = `Dump: ${text}`;
            // A line a second for logs off a terminal (the live display redraws the title anyway).
            if (now - lastLine >= PROGRESS_LINE_MS) {
              lastLine = now;
              task.output = text;
            }
          };
          await c.engine.wait({deadline, timeSec: opts.timeSec, signal, onTick: tick});
          tick();
        },
      },
      {title: 'Log: collect the kernel log', task: (c) => void c.engine.readLog()},
      {title: 'Reap', task: (c) => c.engine.reap(opts.kmsg !== 'none')},
      {
        title: opts.destination.kind === 'file' ? `Publish: ${opts.destination.path}` : 'Publish',
        task: (c) => {
          c.bytes = c.pending!.bytesWritten();
          c.pending!.publish();
        },
      },
    ],
    {...rendererOptions(mode), ctx},
  );
  try {
    await tasks.run();
  } catch (error) {
    ctx.engine.cancel();
    ctx.pending?.discard();
    throw error;
  }
  const d = opts.destination;
  return {
    file: d.kind === 'file' ? d.path : null,
    fd: d.kind === 'fd' ? d.fd : null,
    backup: ctx.pending?.backupPath ?? null,
    target: opts.target,
    scope: opts.scope,
    signal: opts.signal,
    flags: `0x${chkptFlags(opts).toString(16)}`,
    bytes: ctx.bytes,
    durationMs: Math.round(performance.now() - ctx.started),
    interface: ctx.engine.interfaceVersion ? `${ctx.engine.interfaceVersion.major}.${ctx.engine.interfaceVersion.minor}` : '',
    log: ctx.engine.log,
  };
}

