// A stand-in for the kernel side of /dev/mapper/control, written from kernel-interfaces.md C1-C6
// (and dm-ioctl.c's list_devices / retrieve_status): it reads the request from the buffer and writes
// its answer in the kernel's format, so the client's encoding and decoding are tested together.
import {DM_IOCTL_OFF as OFF, encodeDev, DM_FLAG} from '../../src/abi/dm/index.js';

export interface FakeTarget {
  start: bigint;
  length: bigint;
  type: string;
  status: string;
  table: string;
}

export interface FakeDev {
  name: string;
  uuid?: string;
  major: number;
  minor: number;
  suspended?: boolean;
  readOnly?: boolean;
  inactive?: boolean;
  openCount?: number;
  eventNr?: number;
  targets?: FakeTarget[];
}

export interface FakeCall {
  cmd: number;
  name: string;
  flags: number;
  size: number;
  eventNr: number;
  version: [number, number, number];
}

const align8 = (n: number) => (n + 7) & ~7;
const NO_PARAMS = new Set([1, 3, 4, 6, 7, 10, 16]);
const ERR = {ENXIO: 6, EINVAL: 22, ENOTTY: 25};

export class FakeDm {
  readonly calls: FakeCall[] = [];
  version: [number, number, number] = [4, 47, 0];
  /** errno to fail DEV_SUSPEND with, per device name and direction. */
  failSuspend = new Map<string, number>();
  failResume = new Map<string, number>();
  private waiters: Array<() => void> = [];

  constructor(public devices: FakeDev[]) {}

  /** Raise an event on `name` (as a mirror finishing its resync does). */
  bump(name: string): void {
    this.dev(name)!.eventNr = (this.dev(name)!.eventNr ?? 0) + 1;
    for (const w of this.waiters.splice(0)) w();
  }

  private dev(name: string): FakeDev | undefined {
    return this.devices.find((d) => d.name === name);
  }

  readonly ioctl = async (_fd: number, request: number, buf: Buffer): Promise<number> => {
    if (((request >>> 8) & 0xff) !== 0xfd || request >>> 16 !== 0xc138) return -ERR.ENOTTY;
    const cmd = request & 0xff;
    const version: [number, number, number] = [buf.readUInt32LE(0), buf.readUInt32LE(4), buf.readUInt32LE(8)];
    const size = buf.readUInt32LE(OFF.data_size);
    const nul = buf.indexOf(0, OFF.name);
    const name = buf.toString('utf8', OFF.name, nul);
    const flagsIn = buf.readUInt32LE(OFF.flags);
    const eventNr = buf.readUInt32LE(OFF.event_nr);
    this.calls.push({cmd, name, flags: flagsIn, size, eventNr, version});
    const [kmaj, kmin] = this.version;
    for (let i = 0; i < 3; i++) buf.writeUInt32LE(this.version[i], i * 4);
    if (version[0] !== kmaj || version[1] > kmin) return -ERR.EINVAL;
    if (size < OFF.data || size > buf.length) return -ERR.EINVAL;
    const paramSize = NO_PARAMS.has(cmd) ? OFF.data : size;
    buf.writeUInt32LE(OFF.data, OFF.data_size);
    buf.writeUInt32LE(312, OFF.data_start);
    buf.writeUInt32LE(flagsIn & ~DM_FLAG.BUFFER_FULL, OFF.flags);
    if (cmd === 0) return 0;
    if (cmd === 2) return this.list(buf, paramSize, flagsIn);
    const d = this.dev(name);
    if (!d) return -ERR.ENXIO;
    if (cmd === 6) {
      const suspend = Boolean(flagsIn & DM_FLAG.SUSPEND);
      const fail = (suspend ? this.failSuspend : this.failResume).get(name);
      if (fail) return -fail;
      d.suspended = suspend;
    } else if (cmd === 8) {
      while ((d.eventNr ?? 0) === eventNr) await new Promise<void>((r) => this.waiters.push(r));
    } else if (cmd !== 7 && cmd !== 12) {
      return -ERR.EINVAL;
    }
    this.status(buf, d);
    if (cmd === 12 || cmd === 8) this.retrieveStatus(buf, d, paramSize, flagsIn & DM_FLAG.STATUS_TABLE ? 'table' : 'status');
    return 0;
  };

  private status(buf: Buffer, d: FakeDev): void {
    let flags = buf.readUInt32LE(OFF.flags) & ~(DM_FLAG.SUSPEND | DM_FLAG.READONLY | DM_FLAG.ACTIVE_PRESENT | DM_FLAG.INACTIVE_PRESENT);
    if (d.suspended) flags |= DM_FLAG.SUSPEND;
    if (d.readOnly) flags |= DM_FLAG.READONLY;
    if (d.targets) flags |= DM_FLAG.ACTIVE_PRESENT;
    if (d.inactive) flags |= DM_FLAG.INACTIVE_PRESENT;
    buf.writeUInt32LE(flags, OFF.flags);
    buf.writeInt32LE(d.openCount ?? 0, OFF.open_count);
    buf.writeUInt32LE(d.eventNr ?? 0, OFF.event_nr);
    buf.writeUInt32LE(d.targets?.length ?? 0, OFF.target_count);
    buf.writeBigUInt64LE(encodeDev(d.major, d.minor), OFF.dev);
    buf.fill(0, OFF.name, OFF.data);
    buf.write(d.name, OFF.name);
    if (d.uuid) buf.write(d.uuid, OFF.uuid);
  }

  /** dm-ioctl.c list_devices. */
  private list(buf: Buffer, paramSize: number, flags: number): number {
    const devs = [...this.devices].sort((a, b) => (a.name < b.name ? -1 : 1));
    const withUuid = Boolean(flags & DM_FLAG.UUID);
    let needed = 0;
    for (const d of devs) needed += align8(12 + Buffer.byteLength(d.name) + 1) + 8 + (withUuid && d.uuid ? align8(Buffer.byteLength(d.uuid) + 1) : 0);
    const base = 312;
    const len = Math.max(0, paramSize - base);
    if (len < needed || len < 8) {
      buf.writeUInt32LE(buf.readUInt32LE(OFF.flags) | DM_FLAG.BUFFER_FULL, OFF.flags);
      return 0;
    }
    buf.writeUInt32LE(base + needed, OFF.data_size);
    buf.writeBigUInt64LE(0n, base);
    let nl = base;
    let old = -1;
    for (const d of devs) {
      if (old >= 0) buf.writeUInt32LE(nl - old, old + 8);
      buf.writeBigUInt64LE(encodeDev(d.major, d.minor), nl);
      buf.writeUInt32LE(0, nl + 8);
      const nameEnd = nl + 12 + buf.write(`${d.name}\0`, nl + 12);
      old = nl;
      const ev = align8(nameEnd);
      buf.writeUInt32LE(d.eventNr ?? 0, ev);
      let f = 0;
      let uuidEnd = align8(ev + 8);
      if (withUuid) {
        if (d.uuid) {
          f |= 1;
          uuidEnd += buf.write(`${d.uuid}\0`, uuidEnd);
        } else f |= 2;
      }
      buf.writeUInt32LE(f, ev + 4);
      nl = align8(uuidEnd);
    }
    return 0;
  }

  /** dm-ioctl.c retrieve_status. */
  private retrieveStatus(buf: Buffer, d: FakeDev, paramSize: number, kind: 'status' | 'table'): void {
    const base = 312;
    const len = paramSize - base;
    let out = 0;
    let used = 0;
    const full = () => buf.writeUInt32LE(buf.readUInt32LE(OFF.flags) | DM_FLAG.BUFFER_FULL, OFF.flags);
    for (const t of d.targets ?? []) {
      if (len - out <= 40) {
        full();
        break;
      }
      const spec = base + out;
      buf.writeBigUInt64LE(t.start, spec);
      buf.writeBigUInt64LE(t.length, spec + 8);
      buf.writeInt32LE(0, spec + 16);
      buf.write(t.type.slice(0, 15), spec + 24);
      out += 40;
      const remaining = len - out;
      const text = Buffer.from(kind === 'table' ? t.table : t.status);
      // The target writes at most remaining - 1 bytes plus the NUL (snprintf-like DMEMIT).
      const l = Math.min(text.length, remaining - 1) + 1;
      text.copy(buf, base + out, 0, l - 1);
      buf[base + out + l - 1] = 0;
      if (l === remaining) {
        full();
        break;
      }
      out += l;
      used = base + out;
      out = align8(out);
      buf.writeUInt32LE(out, spec + 20);
    }
    if (used) buf.writeUInt32LE(used, OFF.data_size);
  }
}
