// `cr checkpoint` as a listr2 task list: preflight -> request -> dump -> log -> reap -> [checksum]
// -> publish -> [manifest -> retention]. Every resource is released on failure: the request is
// cancelled and the unfinished file removed; earlier checkpoints are never touched.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Listr} from 'listr2';
import {BlcrCheckpoint, formatVersion} from '../engines/blcr/index.js';
import {chkptFlags} from '../engines/blcr/request.js';
import type {CheckpointOptions} from '../schema/index.js';
import {
  applyRetention,
  type JobLock,
  lockJob,
  type Destination,
  type FileDigest,
  type Manifest,
  nextCheckpoint,
  type OpenFile,
  openFilesOf,
  PendingFile,
  removeIncomplete,
  removeStaleJobTemps,
  GrowingFileSha256,
  writeManifest,
  manifestPathFor,
  checkFileDestination,
  checkWritableDirectory,
} from '../store/index.js';
import {CrError, crStrerror, errnoOfError, KernelError} from '../errors/index.js';
import {formatBytes, formatRate} from './format.js';
import {type OutputMode, rendererOptions} from './renderer.js';
import {crashPoint} from '../util/crash-point.js';
import {crVersion} from './version.js';
import {type QuiescedDevice, QuiesceError, type QuiesceReport, prepareQuiesce, quiesce} from '../storage/quiesce.js';
import {heldSignal, mustHold, releaseTargets, stoppedNow} from './held-targets.js';
import {pidsInScope} from '../procfs/stat.js';
import type {SuspendGuard} from '../exec/guard.js';

/** What a successful checkpoint reports (the --json document). */
export interface CheckpointResult {
  file: string | null;
  fd: number | null;
  backup: string | null;
  /** Directory mode: the manifest, sequence number and checkpoints removed by --keep. */
  manifest: string | null;
  sequence: number | null;
  removed: string[];
  /** Directory mode: checkpoints without a manifest (left by a crash) removed before this one. */
  cleaned: string[];
  sha256: string | null;
  target: number;
  scope: CheckpointOptions['scope'];
  signal: number;
  flags: string;
  bytes: number;
  durationMs: number;
  interface: string;
  log: string[];
  /** --quiesce: the devices suspended and resumed, the command's status, the suspended window. */
  quiesce: QuiesceReport | null;
  /** A harmful after-signal (or --quiesce): how long cr held the stopped targets between the end of
   *  the dump and their release (ms); null when the kernel was asked for the signal itself. */
  heldMs: number | null;
  /** Files the targets use whose stat(2) did not answer in time (preflight; a hung mount?). */
  warnings: string[];
}

/** How often a long dump reports progress as a line of its own. */
const PROGRESS_LINE_MS = 1000;

interface Ctx {
  engine: BlcrCheckpoint;
  pending?: PendingFile;
  started: number;
  startedAt: string;
  bytes: number;
  destination?: Destination;
  sequence?: number;
  openFiles: OpenFile[];
  digest?: FileDigest;
  /** Directory mode: the image is hashed while the kernel writes it. */
  hasher?: GrowingFileSha256;
  manifest?: string;
  removed: string[];
  lock?: JobLock;
  cleaned: string[];
  /** --quiesce: the devices (looked up in preflight), the targets (for the guard), the report. */
  quiesceDevices?: QuiescedDevice[];
  targets: number[];
  /** The targets cr holds stopped (known once the dump is over), those stopped before the request
   *  (never continued), whether the kernel has the request, and when the dump ended. */
  held: number[];
  stoppedBefore: number[];
  requested: boolean;
  dumpedAt?: number;
  heldMs?: number;
  guard?: SuspendGuard;
  quiesce?: QuiesceReport;
  warnings: string[];
}

/** Run one checkpoint. `signal` aborts it (the request is cancelled, nothing is published). */
export async function runCheckpoint(opts: CheckpointOptions, mode: OutputMode, signal?: AbortSignal): Promise<CheckpointResult> {
  const ctx: Ctx = {engine: new BlcrCheckpoint(), started: performance.now(), startedAt: new Date().toISOString(), bytes: 0, openFiles: [], removed: [], cleaned: [], targets: [], held: [], stoppedBefore: [], requested: false, warnings: []};
  const deadline = opts.timeSec > 0 ? ctx.started + opts.timeSec * 1000 : undefined;
  const d = opts.destination;
  const store = d.kind === 'store' ? d : undefined;
  const q = opts.quiesce;
  // The flag a file destination came from, for messages: the default is context.ID in the cwd.
  const destFlag = d.kind === 'file' && d.path === path.resolve(`context.${opts.target}`) ? '-c/--cwd' : '-f/--file';
  // Every after-signal but none and SIGCONT waits for a durable checkpoint: the kernel is asked for
  // SIGSTOP and cr sends the requested signal after the publish (held-targets.ts says why).
  const hold = q !== undefined || mustHold(opts.signal);
  const kernelOpts = hold ? {...opts, signal: heldSignal(opts.signal)} : opts;
  const qplan = q && {devices: q.devices, command: q.command, timeoutMs: q.timeoutSec * 1000, env: {CR_CHECKPOINT_TARGET: String(opts.target), CR_CHECKPOINT_SCOPE: opts.scope}};
  let qstep: ((t: string) => void) | undefined;
  // The device-mapper, control-socket and watchdog code loads only when a checkpoint quiesces.
  const qmod = q && (await import('./quiesce-ops.js'));
  const qops = qmod && qmod.quiesceOps(q!.socket, (t) => qstep?.(t));
  const tasks = new Listr<Ctx, any, any>(
    [
      {
        title: 'Preflight: open /proc/checkpoint/ctrl and check the interface version',
        task: async (c) => {
          // Every destination check comes first: a destination that cannot work is refused before
          // the control file is opened, the job looked at, or anything created.
          if (d.kind === 'file') checkFileDestination(d, destFlag);
          else if (store) checkWritableDirectory(store.dir, '--dir');
          c.engine.open();
          // One look at /proc for what the scope holds now: the manifest's files, the guard's
          // pids, and the processes already stopped (a hold never continues them).
          const scope = store || qplan || hold ? pidsInScope(opts.target, opts.scope) : [];
          // The files the targets use, for the manifest: read now, before any signal ends them.
          if (store) {
            const {files, unstatted} = await openFilesOf(scope);
            c.openFiles = files;
            c.warnings.push(...unstatted);
            if (!mode.json && !mode.quiet) for (const w of unstatted) process.stderr.write(`cr: warning: ${w}\n`);
          }
          if (hold) c.stoppedBefore = stoppedNow(scope);
          // --quiesce: every device and the log server are checked before the targets are touched.
          if (qplan) {
            c.quiesceDevices = await prepareQuiesce(qplan, qops!);
            c.targets = scope;
          }
        },
      },
      {
        title: `Request: checkpoint ${opts.scope} ${opts.target}`,
        task: async (c, task) => {
          if (store) {
            c.lock = lockJob(store.dir, store.job);
            c.cleaned = removeIncomplete(store.dir, store.job);
            removeStaleJobTemps(c.lock);
            const next = nextCheckpoint(store.dir, store.job);
            c.sequence = next.sequence;
            c.destination = {kind: 'file', path: next.file, policy: 'atomic', sync: store.sync};
            task.title = `Request: checkpoint ${opts.scope} ${opts.target} into ${next.file}`;
          } else c.destination = d as Destination;
          c.pending = PendingFile.open(c.destination, destFlag);
          if (store) c.hasher = new GrowingFileSha256(c.pending.fd);
          if (q) {
            // From here until the targets are released, a watchdog undoes what a dead cr would leave.
            c.guard = qops!.guard = qmod!.startGuard();
            c.guard.holding(c.targets);
          }
          await c.engine.request(kernelOpts, c.pending.fd);
          c.requested = true;
          if (q) c.held = c.targets;
        },
      },
      {
        title: 'Dump',
        task: async (c, task) => {
          const t0 = performance.now();
          let lastLine = t0;
          const tick = () => {
            // Hash behind the kernel's writes; errors surface again in the Checksum step.
            c.hasher?.catchUp().catch(() => {});
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
      {
        title: 'Reap',
        task: (c) => {
          c.engine.reap(opts.kmsg !== 'none');
          if (hold) holdTargets(c, opts);
        },
      },
      {
        title: 'Checksum',
        enabled: () => store !== undefined,
        task: async (c, task) => {
          crashPoint('checksum');
          c.digest = await c.hasher!.finish((n) => (task.title = `Checksum: ${formatBytes(n)}`));
          task.title = `Checksum: sha256 ${c.digest.sha256.slice(0, 16)}…`;
        },
      },
      {
        title: `Quiesce: ${q?.devices.join(', ')}`,
        enabled: () => qplan !== undefined,
        task: async (c, task) => {
          qstep = (t) => (task.title = `Quiesce: ${t}`);
          try {
            c.quiesce = await quiesce(qplan!, c.quiesceDevices!, qops!, signal);
          } catch (error) {
            task.title = `Quiesce: ${q!.devices.join(', ')}`;
            throw error;
          }
          task.title = `Quiesce: ${q!.devices.length} device(s) suspended for ${c.quiesce.windowMs} ms and resumed`;
        },
      },
      {
        title: d.kind === 'fd' ? 'Publish' : `Publish${d.kind === 'file' ? `: ${d.path}` : ''}`,
        task: (c) => {
          crashPoint('publish');
          c.bytes = c.pending!.bytesWritten();
          c.pending!.publish();
        },
      },
      {
        title: 'Manifest',
        enabled: () => store !== undefined,
        task: (c) => {
          crashPoint('manifest');
          const file = (c.destination as {path: string}).path;
          const manifest: Manifest = {
            format: 'cr-checkpoint-manifest',
            version: 1,
            cr: {version: crVersion()},
            engine: {name: 'blcr', interface: ifaceOf(c)},
            host: os.hostname(),
            kernel: os.release(),
            job: store!.job,
            sequence: c.sequence!,
            target: opts.target,
            scope: opts.scope,
            flags: `0x${(c.engine.flags ?? chkptFlags(opts)).toString(16)}`,
            signal: opts.signal,
            startedAt: c.startedAt,
            endedAt: new Date().toISOString(),
            context: {file: file.slice(file.lastIndexOf('/') + 1), size: c.digest!.size, sha256: c.digest!.sha256},
            openFiles: c.openFiles,
            ...(c.quiesce ? {quiesce: {devices: q!.devices, command: c.quiesce.command, commandStatus: c.quiesce.commandStatus, windowMs: c.quiesce.windowMs}} : {}),
          };
          try {
            c.manifest = writeManifest(file, manifest);
          } catch (error) {
            // The context file without its manifest is no checkpoint: the failure path removes it.
            throw new KernelError('manifest', errnoOfError(error), `Checkpoint failed: writing the manifest ${manifestPathFor(file)}: ${crStrerror(errnoOfError(error))}; the new checkpoint ${file} is removed, earlier checkpoints are unchanged`);
          }
        },
      },
      {
        title: `Retention: keep the newest ${store?.keep}`,
        enabled: () => store?.keep !== undefined,
        task: (c) => {
          crashPoint('retention');
          c.removed = applyRetention(store!.dir, store!.job, store!.keep!);
        },
      },
      {
        title: `Release the targets${opts.signal ? ` with signal ${opts.signal}` : ''}`,
        enabled: () => hold,
        task: (c) => {
          releaseTargets(c.held, opts.signal);
          c.heldMs = Math.round(performance.now() - c.dumpedAt!);
          c.guard?.finish(true);
        },
      },
    ],
    {...rendererOptions(mode), ctx},
  );
  try {
    await tasks.run();
  } catch (error) {
    // BLCR cannot cancel: a request still in the kernel is waited for, so that no target is left
    // mid-dump or stopped, and the job never gets the requested signal from a failed checkpoint.
    if (hold && ctx.requested) {
      await ctx.engine.settle();
      if (ctx.dumpedAt === undefined) holdTargets(ctx, opts);
    }
    ctx.engine.cancel();
    ctx.pending?.discard();
    // Directory mode: a context file published without its manifest does not count; remove it.
    if (store && ctx.pending?.published && ctx.manifest === undefined) removeUnfinished((ctx.destination as {path: string}).path);
    // Held by cr and the checkpoint failed: the job runs on, as before the request.
    if (hold && ctx.held.length > 0) {
      try {
        releaseTargets(ctx.held, 0);
      } catch {
        ctx.guard?.finish(false);
        throw error;
      }
    }
    // A device left suspended after a failed resume: the guard tries once more as cr exits.
    ctx.guard?.finish(!(error instanceof QuiesceError && error.code === 'ERESUME'));
    throw asCrError(error);
  } finally {
    ctx.lock?.release();
  }
  const dest = ctx.destination!;
  return {
    file: dest.kind === 'file' ? dest.path : null,
    fd: dest.kind === 'fd' ? dest.fd : null,
    backup: ctx.pending?.backupPath ?? null,
    manifest: ctx.manifest ?? null,
    sequence: ctx.sequence ?? null,
    removed: ctx.removed,
    cleaned: ctx.cleaned,
    sha256: ctx.digest?.sha256 ?? null,
    target: opts.target,
    scope: opts.scope,
    signal: opts.signal,
    flags: `0x${(ctx.engine.flags ?? chkptFlags(opts)).toString(16)}`,
    bytes: ctx.bytes,
    durationMs: Math.round(performance.now() - ctx.started),
    interface: ifaceOf(ctx),
    log: ctx.engine.log,
    quiesce: ctx.quiesce ?? null,
    heldMs: ctx.heldMs ?? null,
    warnings: ctx.warnings,
  };
}

/** The dump is over: the targets the kernel stopped are the ones in scope now (stopped processes
 *  cannot fork), less those that were stopped before the request. */
function holdTargets(c: Ctx, opts: CheckpointOptions): void {
  c.dumpedAt = performance.now();
  const before = new Set(c.stoppedBefore);
  c.held = [...new Set([...c.held, ...pidsInScope(opts.target, opts.scope)])].filter((p) => !before.has(p));
}

/** A system call's failure that reached here raw still exits with its errno (errno.ts's table). */
function asCrError(error: unknown): unknown {
  if (error instanceof CrError || !(error instanceof Error)) return error;
  const e = error as NodeJS.ErrnoException;
  // Only a system call's error (an errno, or an errno's name as its code), never another error.
  if (typeof e.errno !== 'number' && !(e.code && e.code in os.constants.errno)) return error;
  const errno = errnoOfError(error);
  return new KernelError('checkpoint', errno, `Checkpoint failed: ${error.message}`);
}

function removeUnfinished(file: string): void {
  try {
    fs.rmSync(file, {force: true});
  } catch {
    // the error that brought us here is the one to report
  }
}

const ifaceOf = (c: Ctx) => (c.engine.interfaceVersion ? formatVersion(c.engine.interfaceVersion) : '');
