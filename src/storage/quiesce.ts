// Quiesce storage for a consistent snapshot while a job is held at its checkpoint: suspend the
// device-mapper devices in order, wait until the dm-log server has seen every mirror log go through
// PRESUSPEND and POSTSUSPEND, run the snapshot command, resume in reverse order and wait for the
// logs' RESUME. Whatever fails, every device this run suspended is resumed before it returns.
import {CrError, E, EXIT_USAGE} from '../errors/index.js';
import type {LogEventName, WaitResponse} from './dmlog/protocol.js';
import {signalNumber} from '../util/signals.js';

/** The device-mapper side, as quiesce needs it (src/storage/quiesce-ops.ts binds the real one). */
export interface QuiesceDevices {
  /** Whether the device is suspended now, and its userspace dirty-log uuid (null without one);
   *  throws if the device does not exist. */
  describe(name: string): Promise<{suspended: boolean; logUuid: string | null}>;
  suspend(name: string): Promise<void>;
  resume(name: string): Promise<void>;
}

/** The dm-log server's control socket, as quiesce needs it. */
export interface QuiesceLogServer {
  /** The server's event counter now; throws a CrError if no server answers. */
  cursor(): Promise<number>;
  waitFor(uuids: string[], events: LogEventName[], after: number, timeoutMs: number): Promise<WaitResponse>;
}

export interface QuiescePlan {
  devices: string[];
  /** The command run while the devices are suspended (a storage snapshot), or null. */
  command: string | null;
  /** Bound on each wait for the log server's confirmation. */
  timeoutMs: number;
  /** Extra environment for the command. */
  env: Record<string, string>;
}

export interface QuiescedDevice {
  name: string;
  logUuid: string | null;
  suspended: boolean;
  resumed: boolean;
}

/** What happened, for --json and the manifest. */
export interface QuiesceReport {
  devices: QuiescedDevice[];
  command: string | null;
  commandStatus: number | null;
  /** Time from the first suspend to the last resume. */
  windowMs: number;
}

export interface QuiesceOps {
  devices: QuiesceDevices;
  /** Needed only when a device has a userspace log. */
  server: () => QuiesceLogServer;
  /** Runs the command; when `signal` aborts, ends it (and all it started) and resolves only once
   *  it is gone, so that the devices are never resumed under a command still running. */
  runCommand: (command: string, env: Record<string, string>, signal?: AbortSignal) => Promise<number>;
  onStep?: (text: string) => void;
  /** A watchdog that resumes the devices if cr dies while they are suspended (src/exec/guard.ts). */
  guard?: {suspending(name: string): void; resumed(name: string): void};
}

/** A quiesce that failed; `details` says what was done and undone. */
export class QuiesceError extends CrError {
  readonly report: QuiesceReport;
  constructor(message: string, exitCode: number, code: string, report: QuiesceReport, details: string[], cause?: unknown) {
    super(message, {exitCode, code, details, cause});
    this.report = report;
  }
}

/** Look the devices up before anything is stopped: a missing device or server fails here, harmlessly. */
export async function prepareQuiesce(plan: QuiescePlan, ops: QuiesceOps): Promise<QuiescedDevice[]> {
  const seen = new Set<string>();
  const out: QuiescedDevice[] = [];
  for (const name of plan.devices) {
    if (seen.has(name)) throw new CrError(`--quiesce ${name} is given twice`, {exitCode: EXIT_USAGE, code: 'USAGE'});
    seen.add(name);
    const {suspended, logUuid} = await ops.devices.describe(name);
    // Someone else's suspend: cr would resume it at the end, which is not its call to make.
    if (suspended) throw new CrError(`--quiesce ${name}: the device is already suspended; cr leaves it alone`, {exitCode: E.EBUSY, code: 'EBUSY'});
    out.push({name, logUuid, suspended: false, resumed: false});
  }
  if (out.some((d) => d.logUuid)) await ops.server().cursor();
  return out;
}

/** Suspend, confirm, run the command, resume. Resolves with the report; rejects with a QuiesceError
 *  after resuming everything it suspended. `signal` aborts between steps (and still resumes). */
export async function quiesce(plan: QuiescePlan, devices: QuiescedDevice[], ops: QuiesceOps, signal?: AbortSignal): Promise<QuiesceReport> {
  const report: QuiesceReport = {devices, command: plan.command, commandStatus: null, windowMs: 0};
  const logged = devices.filter((d) => d.logUuid).map((d) => d.logUuid!);
  const server = logged.length > 0 ? ops.server() : undefined;
  const step = (t: string) => ops.onStep?.(t);
  const done: string[] = [];
  let failure: {message: string; exitCode: number; code: string; cause?: unknown} | undefined;
  const t0 = performance.now();
  const guard = ops.guard;
  try {
    const cursor = server ? await server.cursor() : 0;
    for (const d of devices) {
      checkAbort(signal);
      step(`suspend ${d.name}`);
      guard?.suspending(d.name);
      await ops.devices.suspend(d.name);
      d.suspended = true;
      done.push(`suspended ${d.name}`);
    }
    if (server) {
      step(`wait for the dm-log server: presuspend and postsuspend of ${logged.length} log(s)`);
      const r = await server.waitFor(logged, ['presuspend', 'postsuspend'], cursor, plan.timeoutMs);
      if (!r.ok) {
        const missing = r.missing.map((m) => `${m.event} of log ${m.uuid}`).join(', ');
        throw new CrError(`the dm-log server did not confirm the suspend within ${plan.timeoutMs} ms (missing: ${missing})`, {exitCode: E.ETIMEDOUT, code: 'ETIMEDOUT'});
      }
      done.push(`dm-log server confirmed ${r.events.length} suspend event(s)`);
    }
    if (plan.command) {
      checkAbort(signal);
      step(`run ${plan.command}`);
      const env = {...plan.env, CR_QUIESCED_DEVICES: devices.map((d) => d.name).join(' ')};
      report.commandStatus = await ops.runCommand(plan.command, env, signal);
      checkAbort(signal);
      if (report.commandStatus !== 0) {
        throw new CrError(`--while-quiesced command \`${plan.command}\` exited with status ${report.commandStatus}`, {exitCode: report.commandStatus, code: 'EQUIESCECMD'});
      }
      done.push(`command exited 0`);
    }
  } catch (error) {
    failure = error instanceof CrError ? {message: error.message, exitCode: error.exitCode, code: error.code, cause: error} : {message: String((error as Error)?.message ?? error), exitCode: 1, code: 'EQUIESCE', cause: error};
  }
  // Resume in reverse order, every device, whatever happened above.
  const resumeErrors: string[] = [];
  const resumeCursor = server ? await server.cursor().catch(() => undefined) : undefined;
  for (const d of [...devices].reverse()) {
    if (!d.suspended) continue;
    step(`resume ${d.name}`);
    try {
      await ops.devices.resume(d.name);
      d.resumed = true;
      guard?.resumed(d.name);
      done.push(`resumed ${d.name}`);
    } catch (error) {
      resumeErrors.push(`resume ${d.name}: ${(error as Error).message}`);
    }
  }
  report.windowMs = Math.round(performance.now() - t0);
  if (server && resumeCursor !== undefined && resumeErrors.length === 0 && devices.some((d) => d.suspended)) {
    const uuids = devices.filter((d) => d.suspended && d.logUuid).map((d) => d.logUuid!);
    const r = await server.waitFor(uuids, ['resume'], resumeCursor, plan.timeoutMs).catch((e: Error) => ({ok: false as const, error: 'timeout' as const, events: [], missing: [], why: e.message}));
    if (r.ok) done.push(`dm-log server confirmed ${r.events.length} resume event(s)`);
    else done.push(`warning: the dm-log server did not confirm the resume within ${plan.timeoutMs} ms`);
  }
  if (resumeErrors.length > 0) {
    const first = failure ? [`quiesce failed: ${failure.message}`] : [];
    throw new QuiesceError(`could not resume ${resumeErrors.length} device(s): ${resumeErrors.join('; ')}`, E.EIO, 'ERESUME', report, [...first, ...done.map((l) => `- ${l}`)], failure?.cause);
  }
  if (failure) throw new QuiesceError(`Quiesce failed: ${failure.message}`, failure.exitCode, failure.code, report, done.map((l) => `- ${l}`), failure.cause);
  return report;
}

function checkAbort(signal?: AbortSignal): void {
  if (!signal?.aborted) return;
  const reason = String(signal.reason ?? 'a signal');
  const signo = signalNumber(reason);
  throw new CrError(`interrupted by ${reason}`, {exitCode: signo ? 128 + signo : E.EINTR, code: 'EINTR'});
}
