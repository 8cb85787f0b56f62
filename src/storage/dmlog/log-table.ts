// TEST DOUBLE, to be replaced by the real LogTable from branch dmlog-log when it is merged.
// Same interface; a minimal core-log model so the server and its transport can be tested.
import {E} from '../../errors/index.js';
import {UlogType, type LogEventName, type LogSummary, type UlogReply, type UlogRequest, type UlogTypeName} from './protocol.js';

interface Log {
  uuid: string;
  luid: bigint;
  type: string;
  state: LogSummary['state'];
  regionSize: number;
  regionCount: number;
  sync: Set<number>;
  dirty: Set<number>;
  device: string | null;
  search: number;
  requests: Partial<Record<UlogTypeName, number>>;
}

const NAMES = Object.fromEntries(Object.entries(UlogType).map(([k, v]) => [v, k])) as Record<number, UlogTypeName>;
const EMPTY = Buffer.alloc(0);
const u64 = (v: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
const pair = (a: number | bigint, b: number | bigint) => Buffer.concat([u64(a), u64(b)]);

export class LogTable {
  private readonly logs = new Map<string, Log>();
  private readonly onEvent?: (e: {uuid: string; luid: bigint; event: LogEventName}) => void;

  constructor(opts: {onEvent?: (e: {uuid: string; luid: bigint; event: LogEventName}) => void} = {}) {
    this.onEvent = opts.onEvent;
  }

  handle(req: UlogRequest): UlogReply {
    const type = req.requestType & 0xff;
    const name = NAMES[type];
    if (!name) return {error: -E.EINVAL, data: EMPTY};
    const key = `${req.uuid}/${req.luid}`;
    if (type === UlogType.CTR) {
      if (this.logs.has(key)) return {error: -E.EINVAL, data: EMPTY};
      const args = req.data.toString('latin1').replace(/\0.*$/s, '').split(' ');
      const disk = args[1] === 'clustered-disk' || args[1] === 'disk';
      const size = Number(args[0]);
      const region = Number(args[disk ? 3 : 2]);
      if (!(size > 0) || !(region > 0)) return {error: -E.EINVAL, data: EMPTY};
      const log: Log = {uuid: req.uuid, luid: req.luid, type: args[1], state: 'pending', regionSize: region, regionCount: Math.ceil(size / region), sync: new Set(), dirty: new Set(), device: disk ? args[2] : null, search: 0, requests: {}};
      this.logs.set(key, log);
      log.requests.CTR = 1;
      this.onEvent?.({uuid: req.uuid, luid: req.luid, event: 'ctr'});
      return {error: 0, data: disk ? Buffer.from(`${args[2]}\0`) : EMPTY};
    }
    const log = this.logs.get(key);
    if (!log) return {error: -E.ESRCH, data: EMPTY};
    log.requests[name] = (log.requests[name] ?? 0) + 1;
    const region = req.data.length >= 8 ? Number(req.data.readBigUInt64LE(0)) : -1;
    switch (type) {
      case UlogType.DTR:
        this.logs.delete(key);
        this.onEvent?.({uuid: req.uuid, luid: req.luid, event: 'dtr'});
        return {error: 0, data: EMPTY};
      case UlogType.PRESUSPEND:
        log.state = 'presuspended';
        this.onEvent?.({uuid: req.uuid, luid: req.luid, event: 'presuspend'});
        return {error: 0, data: EMPTY};
      case UlogType.POSTSUSPEND:
        log.state = 'pending';
        this.onEvent?.({uuid: req.uuid, luid: req.luid, event: 'postsuspend'});
        return {error: 0, data: EMPTY};
      case UlogType.RESUME:
        log.state = 'resumed';
        log.search = 0;
        this.onEvent?.({uuid: req.uuid, luid: req.luid, event: 'resume'});
        return {error: 0, data: EMPTY};
      case UlogType.GET_REGION_SIZE:
        return {error: 0, data: u64(log.regionSize)};
      case UlogType.IS_CLEAN:
        return {error: 0, data: u64(log.dirty.has(region) ? 0 : 1)};
      case UlogType.IN_SYNC:
        if (region < 0 || region >= log.regionCount) return {error: -E.EINVAL, data: EMPTY};
        return {error: 0, data: u64(log.sync.has(region) ? 1 : 0)};
      case UlogType.MARK_REGION:
      case UlogType.CLEAR_REGION:
        if (req.data.length % 8) return {error: -E.EINVAL, data: EMPTY};
        for (let i = 0; i < req.data.length; i += 8) {
          const r = Number(req.data.readBigUInt64LE(i));
          if (type === UlogType.MARK_REGION) log.dirty.add(r);
          else if (log.sync.has(r)) log.dirty.delete(r);
        }
        return {error: 0, data: EMPTY};
      case UlogType.FLUSH:
        return {error: 0, data: EMPTY};
      case UlogType.GET_RESYNC_WORK: {
        while (log.search < log.regionCount && log.sync.has(log.search)) log.search++;
        if (log.search >= log.regionCount) return {error: 0, data: pair(0, 0)};
        return {error: 0, data: pair(1, log.search)};
      }
      case UlogType.SET_REGION_SYNC:
        if (req.data.length < 16) return {error: -E.EINVAL, data: EMPTY};
        if (req.data.readBigInt64LE(8)) log.sync.add(region);
        else log.sync.delete(region);
        return {error: 0, data: EMPTY};
      case UlogType.GET_SYNC_COUNT:
        return {error: 0, data: u64(log.sync.size)};
      case UlogType.STATUS_INFO:
        return {error: 0, data: Buffer.from(log.device ? `3 ${log.type} ${log.device} A\0` : `1 ${log.type}\0`)};
      case UlogType.STATUS_TABLE:
        return {error: 0, data: Buffer.from(`${log.type} ${log.regionSize} \0`)};
      case UlogType.IS_REMOTE_RECOVERING:
        return {error: 0, data: pair(log.sync.has(region) ? 0 : 1, log.search)};
    }
    return {error: -E.EINVAL, data: EMPTY};
  }

  summaries(): LogSummary[] {
    return [...this.logs.values()].map((l) => ({
      uuid: l.uuid, luid: String(l.luid), type: l.type, state: l.state, regionSize: l.regionSize, regionCount: l.regionCount,
      syncCount: l.sync.size, dirtyCount: l.dirty.size, device: l.device, deviceFailed: false, sync: 'default', requests: l.requests,
    }));
  }

  close(): void {
    this.logs.clear();
  }
}
