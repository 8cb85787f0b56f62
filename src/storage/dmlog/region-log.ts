// One dirty-region log: its clean and sync bitmaps, resync bookkeeping and the handlers for the
// per-log requests (spec A5, cmirrord's logic in B3 for a single node).
import {E} from '../../errors/index.js';
import {Bitset} from './bitset.js';
import type {CtrArgs} from './ctr-args.js';
import {decodeDiskLog, encodeDiskLog} from './disk-format.js';
import {DeviceError, type LogDevice} from './log-device.js';
import {cString, fail, ok, pair, readRegion, readRegions, u64} from './payload.js';
import type {LogSummary, UlogReply, UlogTypeName} from './protocol.js';

export type LogState = LogSummary['state'];

export class RegionLog {
  state: LogState = 'pending';
  /** Set at the first RESUME: the bits then hold real state, not the constructor's guess. */
  everResumed = false;
  /** Orders suspensions: the most recently suspended log is the one a table swap inherits from. */
  suspendSeq = 0;
  deviceFailed = false;
  readonly clean: Bitset;
  readonly sync: Bitset;
  syncCount = 0;
  readonly requests: Partial<Record<UlogTypeName, number>> = {};

  private syncSearch = 0;
  private recovering = -1;
  /** Regions writers touched while out of sync: resynced first. */
  private readonly priority = new Set<number>();
  /** No resync work is handed out before the first RESUME nor between PRESUSPEND and RESUME. */
  private recoveryHalted = true;
  /** Clean bits changed since the disk was last written. */
  private touched = false;
  /** Every sync bit below this index is set. */
  private syncedBelow = 0;

  constructor(
    readonly uuid: string,
    readonly luid: bigint,
    readonly args: CtrArgs,
    readonly device: LogDevice | null,
  ) {
    this.clean = new Bitset(args.regionCount);
    this.sync = new Bitset(args.regionCount);
    if (args.sync === 'nosync') {
      this.clean.setAll();
      this.sync.setAll();
      this.syncCount = args.regionCount;
    }
  }

  get regionCount(): number {
    return this.args.regionCount;
  }

  count(name: UlogTypeName): void {
    this.requests[name] = (this.requests[name] ?? 0) + 1;
  }

  /** Whether `other` has this log's geometry, so its bits mean the same regions. */
  sameGeometry(other: RegionLog): boolean {
    return other.args.type === this.args.type && other.args.regionSize === this.args.regionSize && other.regionCount === this.regionCount;
  }

  regionSize(): UlogReply {
    return ok(u64(this.args.regionSize));
  }

  isClean(data: Buffer): UlogReply {
    const r = readRegion(data, this.regionCount);
    return r === null ? fail(E.EINVAL) : ok(u64(this.clean.get(r) ? 1 : 0));
  }

  inSync(data: Buffer): UlogReply {
    const r = readRegion(data, this.regionCount);
    return r === null ? fail(E.EINVAL) : ok(u64(this.sync.get(r) ? 1 : 0));
  }

  /** MARK_REGION. A disk log writes the marks through at once rather than at the FLUSH that
   *  follows: a server killed between the two must not lose them, since the kernel retries only
   *  the FLUSH (without the marks) with the next server, then writes to those regions. */
  mark(data: Buffer): UlogReply {
    const regions = readRegions(data, this.regionCount);
    if (!regions) return fail(E.EINVAL);
    this.markAll(regions);
    if (this.device && this.touched && this.everResumed) return this.writeDisk();
    return ok();
  }

  /** Take `regions` out of sync (and so out of clean), writing a disk log through; the regions the
   *  kernel has decided are out of sync without hearing it from this log. */
  desync(regions: Iterable<number>): UlogReply {
    for (const r of regions) if (r >= 0 && r < this.regionCount) this.leaveSync(r);
    if (this.device && this.touched && this.everResumed) return this.writeDisk();
    return ok();
  }

  clear(data: Buffer): UlogReply {
    const regions = readRegions(data, this.regionCount);
    if (!regions) return fail(E.EINVAL);
    for (const r of regions) {
      if (this.sync.get(r) && !this.clean.get(r)) {
        this.clean.set(r);
        this.touched = true;
      }
    }
    return ok();
  }

  /** FLUSH: the integrated-flush payload marks first; then a disk log commits what changed. A log
   *  that was never resumed does not write: its RESUME has yet to load the disk. */
  flush(data: Buffer): UlogReply {
    const regions = readRegions(data, this.regionCount);
    if (!regions) return fail(E.EINVAL);
    this.markAll(regions);
    if (!this.device) {
      this.touched = false;
      return ok();
    }
    if (!this.touched || !this.everResumed) return ok();
    return this.writeDisk();
  }

  resyncWork(): UlogReply {
    if (this.recoveryHalted) return ok(pair(0, 0));
    if (this.recovering >= 0) return ok(pair(1, this.recovering));
    for (const r of this.priority) {
      this.priority.delete(r);
      if (!this.sync.get(r)) return ok(pair(1, (this.recovering = r)));
    }
    if (this.syncSearch >= this.regionCount) return ok(pair(0, 0));
    const r = this.sync.findNextClear(this.syncSearch);
    if (r >= this.regionCount) {
      this.syncSearch = this.regionCount;
      return ok(pair(0, 0));
    }
    this.syncSearch = r + 1;
    this.recovering = r;
    return ok(pair(1, r));
  }

  /** SET_REGION_SYNC {u64 region, int64 in_sync}. A region leaving sync also loses its clean bit,
   *  so that a clean region is always in sync. */
  setRegionSync(data: Buffer): UlogReply {
    if (data.length !== 16) return fail(E.EINVAL);
    const region = data.readBigUInt64LE(0);
    if (region >= BigInt(this.regionCount)) return fail(E.EINVAL);
    const r = Number(region);
    const inSync = data.readBigInt64LE(8) !== 0n;
    this.recovering = -1;
    if (inSync && !this.sync.get(r)) {
      this.sync.set(r);
      this.syncCount++;
    } else if (!inSync && this.sync.get(r)) {
      this.leaveSync(r);
    }
    return ok();
  }

  syncCountReply(): UlogReply {
    return ok(u64(this.syncCount));
  }

  /** Single node: nobody else recovers, so the answer is always "not recovering"; the hint is the
   *  first region not in sync. A write to an unsynced region moves it to the front of the resync. */
  remoteRecovering(data: Buffer): UlogReply {
    const r = readRegion(data, this.regionCount);
    if (r === null) return fail(E.EINVAL);
    if (!this.recoveryHalted && !this.sync.get(r) && r !== this.recovering) this.priority.add(r);
    return ok(pair(0, this.firstUnsynced()));
  }

  statusInfo(): UlogReply {
    const {type} = this.args;
    if (!this.device) return ok(cString(`1 ${type}`));
    const {major, minor} = this.device.rdev;
    return ok(cString(`3 ${type} ${major}:${minor} ${this.deviceFailed ? 'D' : 'A'}`));
  }

  statusTable(): UlogReply {
    const {type, regionSize, sync, blockOnError} = this.args;
    const dev = this.device ? `${this.device.rdev.major}:${this.device.rdev.minor} ` : '';
    const flags = (sync === 'default' ? '' : `${sync} `) + (blockOnError ? 'block_on_error ' : '');
    return ok(cString(`${type} ${dev}${regionSize} ${flags}`));
  }

  presuspend(): UlogReply {
    this.recoveryHalted = true;
    this.state = 'presuspended';
    return ok();
  }

  postsuspend(seq: number): UlogReply {
    this.recoveryHalted = true;
    this.recovering = -1;
    this.state = 'pending';
    this.suspendSeq = seq;
    return ok();
  }

  /** RESUME. A disk log reloads its clean bits from the device and rewrites it; a core log keeps
   *  its bits, and on its first RESUME may take them from `donor` (the log it replaces). */
  resume(donor: RegionLog | null): UlogReply {
    if (this.state === 'resumed') return ok();
    let reply = ok();
    if (this.device) reply = this.loadDisk();
    else if (!this.everResumed && donor && this.args.sync === 'default') {
      this.clean.copyFrom(donor.clean);
      this.sync.copyFrom(donor.sync);
    }
    this.syncCount = this.sync.popcount();
    this.syncedBelow = 0;
    this.syncSearch = 0;
    this.recovering = -1;
    this.priority.clear();
    this.recoveryHalted = false;
    this.everResumed = true;
    this.state = 'resumed';
    return reply;
  }

  summary(): LogSummary {
    return {
      uuid: this.uuid,
      luid: this.luid.toString(),
      type: this.args.type,
      state: this.state,
      regionSize: this.args.regionSize,
      regionCount: this.regionCount,
      syncCount: this.syncCount,
      dirtyCount: this.regionCount - this.clean.popcount(),
      device: this.device?.path ?? null,
      deviceFailed: this.deviceFailed,
      sync: this.args.sync,
      requests: {...this.requests},
    };
  }

  /** The first region not in sync (regionCount if all are). */
  firstUnsynced(): number {
    this.syncedBelow = this.sync.findNextClear(this.syncedBelow);
    return this.syncedBelow;
  }

  /** Region `r` is out of sync, and so not clean either (a clean region is always in sync). */
  private leaveSync(r: number): void {
    if (this.sync.get(r)) {
      this.sync.clear(r);
      this.syncCount--;
      this.syncedBelow = Math.min(this.syncedBelow, r);
    }
    if (this.clean.get(r)) {
      this.clean.clear(r);
      this.touched = true;
    }
  }

  private markAll(regions: number[]): void {
    for (const r of regions) {
      if (this.clean.get(r)) {
        this.clean.clear(r);
        this.touched = true;
      }
    }
  }

  /** Load clean bits as the kernel's disk log does: `sync`/`nosync` start a new log; a failed read
   *  or a wrong magic means nothing is known (all dirty); regions past the header's count are new
   *  (clean if nosync). Then sync bits follow clean bits and the result is written back. */
  private loadDisk(): UlogReply {
    const dev = this.device!;
    const n = this.regionCount;
    let known = 0;
    if (!this.deviceFailed && this.args.sync === 'default') {
      try {
        dev.read();
        const {nrRegions, bitmap} = decodeDiskLog(dev.buffer);
        known = Number(nrRegions < BigInt(n) ? nrRegions : BigInt(n));
        this.clean.loadPrefix(bitmap, known);
      } catch (err) {
        if (!(err instanceof DeviceError)) throw err;
        this.deviceFailed = true;
        known = 0;
      }
    }
    if (this.args.sync === 'nosync') this.clean.setRange(known, n);
    else this.clean.clearRange(known, n);
    this.sync.copyFrom(this.clean);
    return this.writeDisk();
  }

  private writeDisk(): UlogReply {
    const dev = this.device!;
    encodeDiskLog(dev.buffer, this.clean);
    try {
      dev.write();
    } catch (err) {
      if (!(err instanceof DeviceError)) throw err;
      this.deviceFailed = true;
      this.touched = true;
      return fail(E.EIO);
    }
    this.touched = false;
    return ok();
  }
}
