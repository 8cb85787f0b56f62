// The device-mapper client the quiesce code and `cr dm` use: devices by name, over
// /dev/mapper/control (src/abi/dm). Every ioctl runs off the event loop.
import {DmControlDevice, DM_FLAG, decodeDev, decodeNameList, decodeTargetSpecs, type DmCallHeader, type DmCmdName, type DmHeader, type DmIoctlFn, type DmReply} from '../../abi/dm/index.js';
import {E, KernelError} from '../../errors/index.js';
import {checkDmName} from './names.js';

export {parseMirrorStatus, userspaceLogUuid, type MirrorStatus} from './mirror.js';
export {checkDmName} from './names.js';

export interface DmInfo {
  name: string;
  uuid: string;
  major: number;
  minor: number;
  suspended: boolean;
  readOnly: boolean;
  activePresent: boolean;
  inactivePresent: boolean;
  openCount: number;
  eventNr: number;
  targetCount: number;
}

export interface DmTarget {
  start: bigint;
  length: bigint;
  type: string;
  params: string;
}

export interface DmListEntry {
  name: string;
  major: number;
  minor: number;
  uuid: string | null;
  eventNr: number;
}

/** DmInfo from the header DEV_STATUS (and SUSPEND, WAIT) returned. */
export function infoFromHeader(h: DmHeader): DmInfo {
  const {major, minor} = decodeDev(h.dev);
  return {
    name: h.name,
    uuid: h.uuid,
    major,
    minor,
    suspended: Boolean(h.flags & DM_FLAG.SUSPEND),
    readOnly: Boolean(h.flags & DM_FLAG.READONLY),
    activePresent: Boolean(h.flags & DM_FLAG.ACTIVE_PRESENT),
    inactivePresent: Boolean(h.flags & DM_FLAG.INACTIVE_PRESENT),
    openCount: h.openCount,
    eventNr: h.eventNr,
    targetCount: h.targetCount,
  };
}

const targetsOf = (r: DmReply): DmTarget[] => decodeTargetSpecs(r.data, r.header.targetCount).map(({start, length, type, params}) => ({start, length, type, params}));

export class DmControl {
  private constructor(private readonly dev: DmControlDevice) {}

  /** Open /dev/mapper/control; a missing device-mapper or a non-root caller is a clear KernelError. */
  static open(): DmControl {
    return new DmControl(DmControlDevice.open());
  }

  /** A client whose ioctls go to `ioctl` (tests). */
  static withIoctl(ioctl: DmIoctlFn): DmControl {
    return new DmControl(DmControlDevice.withIoctl(ioctl));
  }

  /** The kernel's device-mapper interface version. */
  async version(): Promise<[number, number, number]> {
    return (await this.dev.call('VERSION')).header.version;
  }

  /** Every device (LIST_DEVICES with DM_UUID_FLAG). */
  async list(): Promise<DmListEntry[]> {
    const r = await this.dev.call('LIST_DEVICES', {flags: DM_FLAG.UUID});
    return decodeNameList(r.data).map((d) => ({name: d.name, ...decodeDev(d.dev), uuid: d.uuid, eventNr: d.eventNr ?? 0}));
  }

  /** DEV_STATUS of the device `name`. */
  async info(name: string): Promise<DmInfo> {
    return infoFromHeader((await this.byName('DEV_STATUS', name)).header);
  }

  /** TABLE_STATUS: each target's status (info) line, or its table line. */
  async table(name: string, kind: 'status' | 'table'): Promise<DmTarget[]> {
    return targetsOf(await this.byName('TABLE_STATUS', name, {flags: kind === 'table' ? DM_FLAG.STATUS_TABLE : 0}));
  }

  /** DEV_SUSPEND with DM_SUSPEND_FLAG; the status afterwards. */
  async suspend(name: string, opts: {noflush?: boolean; skipLockfs?: boolean} = {}): Promise<DmInfo> {
    const flags = DM_FLAG.SUSPEND | (opts.noflush ? DM_FLAG.NOFLUSH : 0) | (opts.skipLockfs ? DM_FLAG.SKIP_LOCKFS : 0);
    return infoFromHeader((await this.byName('DEV_SUSPEND', name, {flags})).header);
  }

  /** DEV_SUSPEND without DM_SUSPEND_FLAG (swaps in an inactive table if one is loaded). */
  async resume(name: string): Promise<DmInfo> {
    return infoFromHeader((await this.byName('DEV_SUSPEND', name)).header);
  }

  /** DEV_WAIT: until the device's event counter differs from `eventNr`; status and target status lines. */
  async wait(name: string, eventNr: number): Promise<{info: DmInfo; targets: DmTarget[]}> {
    const r = await this.byName('DEV_WAIT', name, {eventNr});
    return {info: infoFromHeader(r.header), targets: targetsOf(r)};
  }

  close(): void {
    this.dev.close();
  }

  /** One call on the device `name`; ENXIO (no such device) says so. */
  private async byName(cmd: DmCmdName, name: string, header: DmCallHeader = {}): Promise<DmReply> {
    checkDmName(name);
    try {
      return await this.dev.call(cmd, {...header, name});
    } catch (error) {
      if (error instanceof KernelError && error.errno === E.ENXIO) {
        throw new KernelError(error.op, E.ENXIO, `${error.op}: no device-mapper device named \`${name}\``);
      }
      throw error;
    }
  }
}
