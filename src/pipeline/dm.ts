// `cr dm`: list, status, suspend (with rollback), resume and wait, over one DmControl each.
import {CrError, E, KernelError, UsageError} from '../errors/index.js';
import {parseDuration} from '../util/duration.js';
import {checkDmName, DmControl, parseMirrorStatus, userspaceLogUuid, type DmInfo, type DmTarget, type MirrorStatus} from '../storage/dm/client.js';

/** Where the operations get their control device; tests pass a DmControl over a fake ioctl. */
export interface DmOpts {
  control?: DmControl;
}

async function withControl<T>(opts: DmOpts, fn: (c: DmControl) => Promise<T>): Promise<T> {
  const c = opts.control ?? DmControl.open();
  try {
    return await fn(c);
  } finally {
    if (!opts.control) c.close();
  }
}

export type DmLsEntry = Pick<DmInfo, 'name' | 'uuid' | 'major' | 'minor' | 'suspended' | 'openCount' | 'eventNr'>;

/** Every device with its status (devices removed between the list and the status are left out). */
export function dmList(opts: DmOpts = {}): Promise<DmLsEntry[]> {
  return withControl(opts, async (c) => {
    const out: DmLsEntry[] = [];
    for (const d of await c.list()) {
      try {
        const {name, uuid, major, minor, suspended, openCount, eventNr} = await c.info(d.name);
        out.push({name, uuid, major, minor, suspended, openCount, eventNr});
      } catch (error) {
        if (!(error instanceof KernelError && error.errno === E.ENXIO)) throw error;
      }
    }
    return out;
  });
}

export interface DmStatusTarget {
  start: string;
  length: string;
  type: string;
  params: string;
  /** Parsed sync state, for mirror status lines. */
  mirror?: MirrorStatus;
}

export interface DmStatusResult {
  info: DmInfo;
  kind: 'status' | 'table';
  targets: DmStatusTarget[];
  /** With --table: the uuid of the mirror's userspace dirty log, if any. */
  userspaceLogUuid?: string | null;
}

const jsonTarget = (t: DmTarget): DmStatusTarget => ({start: t.start.toString(), length: t.length.toString(), type: t.type, params: t.params});

/** The device's status and its targets' status lines (or table lines with `table`). */
export function dmStatus(name: string, flags: {table?: boolean}, opts: DmOpts = {}): Promise<DmStatusResult> {
  checkDmName(name);
  return withControl(opts, async (c) => {
    const info = await c.info(name);
    const kind = flags.table ? 'table' : 'status';
    const raw = info.activePresent ? await c.table(name, kind) : [];
    const targets = raw.map((t) => {
      const out = jsonTarget(t);
      if (kind === 'status' && t.type === 'mirror') {
        try {
          out.mirror = parseMirrorStatus(t.params);
        } catch {
          // Not the mirror status format this parser knows: shown raw only.
        }
      }
      return out;
    });
    return {info, kind, targets, ...(kind === 'table' ? {userspaceLogUuid: userspaceLogUuid(raw)} : {})};
  });
}

/** Suspend `names` in order; if one fails, resume the ones suspended here, newest first, and report both. */
export function dmSuspend(names: string[], flags: {noflush?: boolean; skipLockfs?: boolean}, opts: DmOpts = {}): Promise<{suspended: DmInfo[]}> {
  if (names.length === 0) throw new UsageError('Expected at least one NAME');
  names.forEach((n) => checkDmName(n));
  return withControl(opts, async (c) => {
    const done: DmInfo[] = [];
    for (const name of names) {
      try {
        done.push(await c.suspend(name, flags));
      } catch (error) {
        const details: string[] = [];
        for (const d of [...done].reverse()) {
          try {
            await c.resume(d.name);
            details.push(`resumed ${d.name} again`);
          } catch (resumeError) {
            details.push(`could not resume ${d.name}: ${(resumeError as Error).message}`);
          }
        }
        const e = error as Error & {exitCode?: number; code?: string};
        throw new CrError(`cr dm suspend: ${e.message}`, {exitCode: e.exitCode ?? 1, code: e.code ?? 'ERROR', details, cause: error});
      }
    }
    return {suspended: done};
  });
}

/** Resume `names` in order; all are tried, failures are reported together afterwards. */
export function dmResume(names: string[], opts: DmOpts = {}): Promise<{resumed: DmInfo[]}> {
  if (names.length === 0) throw new UsageError('Expected at least one NAME');
  names.forEach((n) => checkDmName(n));
  return withControl(opts, async (c) => {
    const resumed: DmInfo[] = [];
    const failed: CrError[] = [];
    for (const name of names) {
      try {
        resumed.push(await c.resume(name));
      } catch (error) {
        if (!(error instanceof CrError)) throw error;
        failed.push(error);
      }
    }
    if (failed.length > 0) {
      const ok = resumed.map((i) => `resumed ${i.name}`);
      throw new CrError(`cr dm resume: ${failed[0].message}`, {exitCode: failed[0].exitCode, code: failed[0].code, details: [...failed.slice(1).map((f) => f.message), ...ok]});
    }
    return {resumed};
  });
}

export interface DmWaitResult {
  name: string;
  /** The event number waited past. */
  after: number;
  eventNr: number;
  info: DmInfo;
  targets: DmStatusTarget[];
}

/** DEV_WAIT until the event counter passes `event` (default: the current one); ETIME after `timeout` (30s, 5m). */
export async function dmWait(name: string, flags: {event?: number; timeout?: string}, opts: DmOpts = {}): Promise<DmWaitResult> {
  checkDmName(name);
  let timeoutMs: number | undefined;
  if (flags.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(flags.timeout);
    } catch (error) {
      throw new UsageError(`--timeout: ${(error as Error).message}`);
    }
  }
  if (flags.event !== undefined && (!Number.isInteger(flags.event) || flags.event < 0 || flags.event > 0xffffffff)) {
    throw new UsageError(`Expected --event to be an event number (0 to 4294967295), got \`${flags.event}\``);
  }
  const c = opts.control ?? DmControl.open();
  try {
    const after = flags.event ?? (await c.info(name)).eventNr;
    // Without a bound, DEV_WAIT (it blocks a worker thread until the event; SIGINT ends cr). With
    // --timeout, DEV_STATUS every WAIT_POLL_MS instead: a DEV_WAIT still blocked in the kernel at
    // expiry would keep cr from exiting (Node joins its worker threads at exit), so the bounded
    // wait leaves nothing blocked behind. The event counter only grows, so no event is missed.
    const r = timeoutMs === undefined ? await c.wait(name, after) : await pollEvent(c, name, after, timeoutMs, flags.timeout!);
    return {name, after, eventNr: r.info.eventNr, info: r.info, targets: r.targets.map(jsonTarget)};
  } finally {
    if (!opts.control) c.close();
  }
}

/** How often a bounded `dm wait` looks at the event counter. */
export const WAIT_POLL_MS = 100;

async function pollEvent(c: DmControl, name: string, after: number, timeoutMs: number, text: string): Promise<{info: DmInfo; targets: DmTarget[]}> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const info = await c.info(name);
    if (info.eventNr !== after) return {info, targets: info.activePresent ? await c.table(name, 'status') : []};
    const left = deadline - performance.now();
    if (left <= 0) throw new CrError(`cr dm wait: no event on ${name} within ${text} (event number still ${after})`, {exitCode: E.ETIME, code: 'ETIME'});
    await new Promise((r) => setTimeout(r, Math.min(WAIT_POLL_MS, left)));
  }
}
