// The logs the server holds, keyed by (uuid, luid): decodes each request's type, routes it to its
// log, creates logs at CTR and forgets them at DTR, and reports lifecycle events.
import {E} from '../../errors/index.js';
import {CtrArgsError, parseCtrArgs, resolveLogDevice} from './ctr-args.js';
import {diskBufferSize} from './disk-format.js';
import {DeviceError, LogDevice} from './log-device.js';
import {cString, fail, ok} from './payload.js';
import {UlogType, type LogEventName, type LogSummary, type UlogReply, type UlogRequest, type UlogTypeName} from './protocol.js';
import {RegionLog} from './region-log.js';

export interface LogTableEvent {
  uuid: string;
  luid: bigint;
  event: LogEventName;
}

/** A region taken out of sync after a reconnect (see LogTable.unanswered). */
export interface LogTableDesync {
  uuid: string;
  luid: bigint;
  regions: number[];
}

/** Request versions with the same wire format: 2 (older kernels) and 3 (6.1). */
const VERSIONS = new Set([2, 3]);
/** The kernel's limit on the device string a CTR reply may name, NUL included (DM_NAME_LEN). */
const MAX_CTR_REPLY = 128;

const TYPE_NAMES = new Map<number, UlogTypeName>(Object.entries(UlogType).map(([name, v]) => [v, name as UlogTypeName]));

/** The kinds of request the kernel follows an -ESRCH with CTR + RESUME for (spec A4). */
const RECONNECTING = new Set<number>([
  UlogType.IS_CLEAN,
  UlogType.IN_SYNC,
  UlogType.FLUSH,
  UlogType.MARK_REGION,
  UlogType.CLEAR_REGION,
  UlogType.GET_RESYNC_WORK,
  UlogType.SET_REGION_SYNC,
  UlogType.GET_SYNC_COUNT,
  UlogType.STATUS_INFO,
  UlogType.IS_REMOTE_RECOVERING,
]);

const keyOf = (uuid: string, luid: bigint) => `${uuid}\0${luid}`;

export class LogTable {
  private readonly logs = new Map<string, RegionLog>();
  private readonly onEvent?: (e: LogTableEvent) => void;
  private readonly onDesync?: (d: LogTableDesync) => void;
  private suspensions = 0;
  /** IN_SYNC regions asked of a log this server does not know (answered -ESRCH), by log. The
   *  kernel's -ESRCH handling leaves that request's reply size at 0, so after the reconnect
   *  (CTR + RESUME) its retry cannot take our answer (-ENOSPC) and the kernel takes the region as
   *  out of sync, writing it to the default leg only. The log must agree, or the legs would
   *  differ in a region it calls in sync: at that RESUME these regions leave sync. */
  private readonly unanswered = new Map<string, Set<number>>();

  constructor(opts?: {onEvent?: (e: LogTableEvent) => void; onDesync?: (d: LogTableDesync) => void}) {
    this.onEvent = opts?.onEvent;
    this.onDesync = opts?.onDesync;
  }

  /** Handle one decoded request; always returns the reply to send (error 0 or negative errno,
   *  exact payload). An unexpected exception becomes -EIO. */
  handle(req: UlogRequest): UlogReply {
    try {
      return this.dispatch(req);
    } catch {
      return fail(E.EIO);
    }
  }

  summaries(): LogSummary[] {
    return [...this.logs.values()].map((log) => log.summary());
  }

  /** Close every disk-log fd (server shutdown) and forget the logs. */
  close(): void {
    for (const log of this.logs.values()) log.device?.close();
    this.logs.clear();
  }

  private dispatch(req: UlogRequest): UlogReply {
    const type = req.requestType & 0xff;
    const name = TYPE_NAMES.get(type);
    if (!name || !VERSIONS.has(req.version)) return fail(E.EINVAL);
    if (type === UlogType.CTR) return this.ctr(req);
    if (type === UlogType.DTR) return this.dtr(req);
    const log = this.logs.get(keyOf(req.uuid, req.luid));
    if (!log) {
      if (type === UlogType.IN_SYNC && req.data.length === 8) this.remember(keyOf(req.uuid, req.luid), Number(req.data.readBigUInt64LE(0)));
      return fail(RECONNECTING.has(type) ? E.ESRCH : E.EINVAL);
    }
    log.count(name);
    switch (type) {
      case UlogType.PRESUSPEND:
        return this.event(log, 'presuspend', log.presuspend());
      case UlogType.POSTSUSPEND:
        return this.event(log, 'postsuspend', log.postsuspend(++this.suspensions));
      case UlogType.RESUME: {
        if (log.state === 'resumed') return ok();
        const reply = this.event(log, 'resume', log.resume(this.donorFor(log)));
        return this.applyUnanswered(log) ?? reply;
      }
      case UlogType.GET_REGION_SIZE:
        return log.regionSize();
      case UlogType.IS_CLEAN:
        return log.isClean(req.data);
      case UlogType.IN_SYNC:
        return log.inSync(req.data);
      case UlogType.FLUSH:
        return log.flush(req.data);
      case UlogType.MARK_REGION:
        return log.mark(req.data);
      case UlogType.CLEAR_REGION:
        return log.clear(req.data);
      case UlogType.GET_RESYNC_WORK:
        return log.resyncWork();
      case UlogType.SET_REGION_SYNC:
        return log.setRegionSync(req.data);
      case UlogType.GET_SYNC_COUNT:
        return log.syncCountReply();
      case UlogType.STATUS_INFO:
        return log.statusInfo();
      case UlogType.STATUS_TABLE:
        return log.statusTable();
      case UlogType.IS_REMOTE_RECOVERING:
        return log.remoteRecovering(req.data);
      default:
        return fail(E.EINVAL);
    }
  }

  /** CTR: a known (uuid, luid) succeeds with no data and no change (the kernel's reconnect). A new
   *  disk log opens its device and, on the initial CTR, names it back for the kernel to hold. */
  private ctr(req: UlogRequest): UlogReply {
    const key = keyOf(req.uuid, req.luid);
    const known = this.logs.get(key);
    if (known) {
      known.count('CTR');
      return ok();
    }
    let device: LogDevice | null = null;
    let reply: Buffer = Buffer.alloc(0);
    try {
      const args = parseCtrArgs(req.data);
      if (args.deviceArg !== null) {
        if (!args.reconnect) reply = cString(args.deviceArg);
        if (reply.length > MAX_CTR_REPLY) return fail(E.EINVAL);
        device = LogDevice.open(resolveLogDevice(args.deviceArg), diskBufferSize(args.regionCount));
      }
      const log = new RegionLog(req.uuid, req.luid, args, device);
      log.count('CTR');
      this.logs.set(key, log);
    } catch (err) {
      device?.close();
      if (err instanceof CtrArgsError) return fail(E.EINVAL);
      if (err instanceof DeviceError) return fail(err.errno);
      throw err;
    }
    this.emit(req.uuid, req.luid, 'ctr');
    return ok(reply);
  }

  private remember(key: string, region: number): void {
    if (!this.unanswered.has(key) && this.unanswered.size >= 1024) return; // bounded: garbage uuids
    const set = this.unanswered.get(key) ?? new Set<number>();
    if (set.size < 65536) set.add(region);
    this.unanswered.set(key, set);
  }

  /** After a RESUME: the regions the kernel took as out of sync across a reconnect leave sync. */
  private applyUnanswered(log: RegionLog): UlogReply | undefined {
    const key = keyOf(log.uuid, log.luid);
    const regions = this.unanswered.get(key);
    if (!regions) return undefined;
    this.unanswered.delete(key);
    const reply = log.desync(regions);
    try {
      this.onDesync?.({uuid: log.uuid, luid: log.luid, regions: [...regions].filter((r) => r < log.regionCount).sort((a, b) => a - b)});
    } catch {
      // As for events: the log's state has already changed.
    }
    return reply.error === 0 ? undefined : reply;
  }

  /** DTR: close and forget; an unknown log is already gone. */
  private dtr(req: UlogRequest): UlogReply {
    const key = keyOf(req.uuid, req.luid);
    const log = this.logs.get(key);
    if (log) {
      this.logs.delete(key);
      log.device?.close();
    }
    this.unanswered.delete(key);
    this.emit(req.uuid, req.luid, 'dtr');
    return ok();
  }

  /** The log a core log's first RESUME inherits from: the most recently suspended log with the
   *  same uuid and geometry that was resumed before (the table a reload replaces). */
  private donorFor(log: RegionLog): RegionLog | null {
    if (log.device || log.everResumed) return null;
    let best: RegionLog | null = null;
    for (const other of this.logs.values()) {
      if (other === log || other.uuid !== log.uuid || other.state !== 'pending' || !other.everResumed) continue;
      if (!log.sameGeometry(other)) continue;
      if (!best || other.suspendSeq > best.suspendSeq) best = other;
    }
    return best;
  }

  private event(log: RegionLog, event: LogEventName, reply: UlogReply): UlogReply {
    this.emit(log.uuid, log.luid, event);
    return reply;
  }

  /** Report an event; a failing listener does not change the reply the kernel gets. */
  private emit(uuid: string, luid: bigint, event: LogEventName): void {
    try {
      this.onEvent?.({uuid, luid, event});
    } catch {
      // The listener belongs to the server; the log's state has already changed.
    }
  }
}
