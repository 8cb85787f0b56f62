// struct dm_ioctl in a Buffer: the request a command sends and the header the kernel writes back.
import {DM_IOCTL_OFF as OFF, DM_IOCTL_SIZE, DM_NAME_LEN, DM_UUID_LEN, DM_FLAG, DM_DATA_OFFSET} from './constants.js';

/** What a caller sets in the header. Unset fields are 0 / empty. */
export interface DmRequest {
  version: [number, number, number];
  name?: string;
  uuid?: string;
  dev?: bigint;
  flags?: number;
  eventNr?: number;
  targetCount?: number;
}

/** The header as the kernel returned it. */
export interface DmHeader {
  version: [number, number, number];
  dataSize: number;
  dataStart: number;
  targetCount: number;
  openCount: number;
  flags: number;
  eventNr: number;
  dev: bigint;
  name: string;
  uuid: string;
}

/** A C string from a fixed-size field (up to the first NUL). */
export function cString(buf: Buffer, start: number, end: number): string {
  const nul = buf.indexOf(0, start);
  return buf.toString('utf8', start, nul < 0 || nul > end ? end : nul);
}

function putString(buf: Buffer, off: number, max: number, text: string | undefined, field: string): void {
  if (!text) return;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length >= max) throw new RangeError(`dm_ioctl.${field}: ${bytes.length} bytes, at most ${max - 1} fit`);
  bytes.copy(buf, off);
}

/** A zeroed buffer of `size` bytes: the header, then `payload` at data_start (312). */
export function encodeRequest(req: DmRequest, size: number, payload?: Buffer): Buffer {
  const need = DM_IOCTL_SIZE + (payload?.length ?? 0);
  if (size < Math.max(need, DM_DATA_OFFSET)) throw new RangeError(`dm_ioctl buffer of ${size} bytes cannot hold ${need}`);
  const buf = Buffer.alloc(size);
  buf.writeUInt32LE(req.version[0], OFF.version);
  buf.writeUInt32LE(req.version[1], OFF.version + 4);
  buf.writeUInt32LE(req.version[2], OFF.version + 8);
  buf.writeUInt32LE(size, OFF.data_size);
  buf.writeUInt32LE(DM_IOCTL_SIZE, OFF.data_start);
  buf.writeUInt32LE(req.targetCount ?? 0, OFF.target_count);
  buf.writeUInt32LE((req.flags ?? 0) & ~DM_FLAG.BUFFER_FULL, OFF.flags);
  buf.writeUInt32LE(req.eventNr ?? 0, OFF.event_nr);
  buf.writeBigUInt64LE(req.dev ?? 0n, OFF.dev);
  putString(buf, OFF.name, DM_NAME_LEN, req.name, 'name');
  putString(buf, OFF.uuid, DM_UUID_LEN, req.uuid, 'uuid');
  payload?.copy(buf, DM_IOCTL_SIZE);
  return buf;
}

/** Decode the header the kernel wrote back. */
export function decodeHeader(buf: Buffer): DmHeader {
  return {
    version: [buf.readUInt32LE(OFF.version), buf.readUInt32LE(OFF.version + 4), buf.readUInt32LE(OFF.version + 8)],
    dataSize: buf.readUInt32LE(OFF.data_size),
    dataStart: buf.readUInt32LE(OFF.data_start),
    targetCount: buf.readUInt32LE(OFF.target_count),
    openCount: buf.readInt32LE(OFF.open_count),
    flags: buf.readUInt32LE(OFF.flags),
    eventNr: buf.readUInt32LE(OFF.event_nr),
    dev: buf.readBigUInt64LE(OFF.dev),
    name: cString(buf, OFF.name, OFF.name + DM_NAME_LEN),
    uuid: cString(buf, OFF.uuid, OFF.uuid + DM_UUID_LEN),
  };
}

/** The output area: bytes data_start .. data_size (empty when the kernel returned none). */
export function outputArea(buf: Buffer, h: DmHeader): Buffer {
  if (h.dataStart < DM_DATA_OFFSET || h.dataSize <= h.dataStart) return buf.subarray(0, 0);
  return buf.subarray(h.dataStart, Math.min(h.dataSize, buf.length));
}
