// Device-mapper ioctl interface version 4 (spec: kernel-interfaces.md C1-C5). Numbers only; no koffi.
import {ioc, IOC_READ, IOC_WRITE} from '../blcr/ioc.js';

export const DM_CONTROL_PATH = '/dev/mapper/control';
/** The ioctl type byte of device-mapper. */
export const DM_IOCTL_TYPE = 0xfd;

/** sizeof(struct dm_ioctl); the kernel puts its output at this (8-aligned) offset. */
export const DM_IOCTL_SIZE = 312;
/** offsetof(struct dm_ioctl, data): the smallest data_size the kernel accepts. */
export const DM_DATA_OFFSET = 305;
export const DM_NAME_LEN = 128;
export const DM_UUID_LEN = 129;
export const DM_MAX_TYPE_NAME = 16;

/** Field offsets of struct dm_ioctl (C2). */
export const DM_IOCTL_OFF = {
  version: 0,
  data_size: 12,
  data_start: 16,
  target_count: 20,
  open_count: 24,
  flags: 28,
  event_nr: 32,
  padding: 36,
  dev: 40,
  name: 48,
  uuid: 176,
  data: 305,
} as const;

/** struct dm_target_spec (C3): 40 bytes; its parameter string follows. */
export const DM_TARGET_SPEC_SIZE = 40;
export const DM_TARGET_SPEC_OFF = {sector_start: 0, length: 8, status: 16, next: 20, target_type: 24} as const;
/** struct dm_name_list: dev u64, next u32, then the name. */
export const DM_NAME_LIST_OFF = {dev: 0, next: 8, name: 12} as const;
export const DM_NAME_LIST_FLAG = {HAS_UUID: 1, DOESNT_HAVE_UUID: 2} as const;
/** struct dm_target_deps: count u32, padding u32, dev u64[]. */
export const DM_TARGET_DEPS_OFF = {count: 0, padding: 4, dev: 8} as const;
/** struct dm_target_versions: next u32, version u32[3], then the name. */
export const DM_TARGET_VERSIONS_OFF = {next: 0, version: 4, name: 16} as const;

/** Command numbers (C4). */
export const DM_CMD = {
  VERSION: 0,
  REMOVE_ALL: 1,
  LIST_DEVICES: 2,
  DEV_CREATE: 3,
  DEV_REMOVE: 4,
  DEV_RENAME: 5,
  DEV_SUSPEND: 6,
  DEV_STATUS: 7,
  DEV_WAIT: 8,
  TABLE_LOAD: 9,
  TABLE_CLEAR: 10,
  TABLE_DEPS: 11,
  TABLE_STATUS: 12,
  LIST_VERSIONS: 13,
  TARGET_MSG: 14,
  DEV_SET_GEOMETRY: 15,
  DEV_ARM_POLL: 16,
  GET_TARGET_VERSION: 17,
} as const;
export type DmCmdName = keyof typeof DM_CMD;

/** _IOWR(0xfd, nr, struct dm_ioctl) = 0xC138FD00 + nr. */
export function dmIoctlNumber(nr: number): number {
  return ioc(IOC_READ | IOC_WRITE, DM_IOCTL_TYPE, nr, DM_IOCTL_SIZE);
}

/** The interface version cr speaks (major must equal the kernel's). */
export const DM_VERSION_MAJOR = 4;

/** The version each command is sent with: libdm's per-command minimum (C1). */
export function dmCommandVersion(cmd: DmCmdName): [number, number, number] {
  switch (cmd) {
    case 'LIST_VERSIONS':
      return [4, 1, 0];
    case 'TARGET_MSG':
      return [4, 2, 0];
    case 'DEV_SET_GEOMETRY':
      return [4, 6, 0];
    case 'DEV_ARM_POLL':
      return [4, 36, 0];
    case 'GET_TARGET_VERSION':
      return [4, 41, 0];
    default:
      return [4, 0, 0];
  }
}

/** Flags of dm_ioctl.flags (C5). */
export const DM_FLAG = {
  READONLY: 0x1,
  SUSPEND: 0x2,
  PERSISTENT_DEV: 0x8,
  STATUS_TABLE: 0x10,
  ACTIVE_PRESENT: 0x20,
  INACTIVE_PRESENT: 0x40,
  BUFFER_FULL: 0x100,
  SKIP_BDGET: 0x200,
  SKIP_LOCKFS: 0x400,
  NOFLUSH: 0x800,
  QUERY_INACTIVE_TABLE: 0x1000,
  UEVENT_GENERATED: 0x2000,
  UUID: 0x4000,
  SECURE_DATA: 0x8000,
  DATA_OUT: 0x10000,
  DEFERRED_REMOVE: 0x20000,
  INTERNAL_SUSPEND: 0x40000,
  IMA_MEASUREMENT: 0x80000,
} as const;

/** First buffer size: 16 KiB for commands returning lists or status strings, 2 KiB otherwise (libdm). */
export function dmInitialBufferSize(cmd: DmCmdName): number {
  return ['LIST_DEVICES', 'TABLE_STATUS', 'DEV_WAIT', 'TABLE_DEPS', 'LIST_VERSIONS', 'TARGET_MSG', 'DEV_CREATE'].includes(cmd) ? 16 * 1024 : 2 * 1024;
}
/** The largest buffer a retry may grow to. */
export const DM_BUFFER_MAX = 64 * 1024 * 1024;

/** The kernel's huge_encode_dev: (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12). */
export function encodeDev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return (mi & 0xffn) | (ma << 8n) | ((mi & ~0xffn) << 12n);
}

/** The kernel's huge_decode_dev. */
export function decodeDev(dev: bigint): {major: number; minor: number} {
  return {major: Number((dev & 0xfff00n) >> 8n), minor: Number((dev & 0xffn) | ((dev >> 12n) & 0xfff00n))};
}
