// Decoders for the records the kernel writes into the output area (spec C3): the dm_name_list
// chain of LIST_DEVICES and the dm_target_spec chain of TABLE_STATUS / DEV_WAIT. `data` is the
// output area, starting at data_start (which the kernel 8-aligns, so offsets in it align as the
// kernel's pointers do).
import {DM_NAME_LIST_FLAG, DM_NAME_LIST_OFF, DM_TARGET_SPEC_OFF as TS, DM_TARGET_SPEC_SIZE, DM_MAX_TYPE_NAME} from './constants.js';
import {cString} from './header.js';

const align8 = (n: number) => (n + 7) & ~7;

/** Thrown when the kernel's output does not decode: a bug here or an unknown kernel format. */
export class DmFormatError extends Error {}

export interface DmNameRecord {
  dev: bigint;
  name: string;
  /** undefined when the kernel did not report it (no room in the record: an old kernel). */
  eventNr: number | undefined;
  /** null: the device has no uuid, or the kernel did not say (request without DM_UUID_FLAG). */
  uuid: string | null;
}

/** The dm_name_list chain; a first record with dev 0 means no devices. */
export function decodeNameList(data: Buffer): DmNameRecord[] {
  const out: DmNameRecord[] = [];
  if (data.length < 8 || data.readBigUInt64LE(0) === 0n) return out;
  for (let off = 0; ; ) {
    if (off + DM_NAME_LIST_OFF.name > data.length) throw new DmFormatError(`dm_name_list record at ${off} runs past the ${data.length}-byte output`);
    const dev = data.readBigUInt64LE(off + DM_NAME_LIST_OFF.dev);
    const next = data.readUInt32LE(off + DM_NAME_LIST_OFF.next);
    const end = next === 0 ? data.length : off + next;
    if (next !== 0 && (next % 8 !== 0 || end > data.length)) throw new DmFormatError(`dm_name_list record at ${off}: bad next ${next}`);
    const nameAt = off + DM_NAME_LIST_OFF.name;
    const nul = data.indexOf(0, nameAt);
    if (nul < 0 || nul >= end) throw new DmFormatError(`dm_name_list record at ${off}: name not terminated`);
    const rec: DmNameRecord = {dev, name: data.toString('utf8', nameAt, nul), eventNr: undefined, uuid: null};
    const evAt = align8(nul + 1);
    if (evAt + 8 <= end) {
      rec.eventNr = data.readUInt32LE(evAt);
      const flags = data.readUInt32LE(evAt + 4);
      if (flags & DM_NAME_LIST_FLAG.HAS_UUID) {
        const uuidAt = align8(evAt + 8);
        const unul = data.indexOf(0, uuidAt);
        if (unul < 0 || unul >= end) throw new DmFormatError(`dm_name_list record at ${off}: uuid not terminated`);
        rec.uuid = data.toString('utf8', uuidAt, unul);
      }
    }
    out.push(rec);
    if (next === 0) return out;
    off = end;
  }
}

export interface DmTargetRecord {
  start: bigint;
  length: bigint;
  status: number;
  type: string;
  params: string;
}

/** `count` dm_target_spec records, each followed by its string; `next` is relative to the area's start. */
export function decodeTargetSpecs(data: Buffer, count: number): DmTargetRecord[] {
  const out: DmTargetRecord[] = [];
  let off = 0;
  for (let i = 0; i < count; i++) {
    if (off + DM_TARGET_SPEC_SIZE > data.length) throw new DmFormatError(`dm_target_spec ${i} at ${off} runs past the ${data.length}-byte output`);
    const strAt = off + DM_TARGET_SPEC_SIZE;
    const nul = data.indexOf(0, strAt);
    out.push({
      start: data.readBigUInt64LE(off + TS.sector_start),
      length: data.readBigUInt64LE(off + TS.length),
      status: data.readInt32LE(off + TS.status),
      type: cString(data, off + TS.target_type, off + TS.target_type + DM_MAX_TYPE_NAME),
      params: data.toString('utf8', strAt, nul < 0 ? data.length : nul),
    });
    const next = data.readUInt32LE(off + TS.next);
    if (i + 1 < count && (next <= off || next > data.length)) throw new DmFormatError(`dm_target_spec ${i}: bad next ${next}`);
    off = next;
  }
  return out;
}
