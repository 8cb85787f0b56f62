// The on-disk dirty-region log shared with the kernel's own `disk` log (spec B4):
// header {u32 magic, u32 version, u64 nr_regions} at 0, clean bitmap from byte 1024.
import {Bitset} from './bitset.js';

export const DISK_MAGIC = 0x4d695272;
export const DISK_VERSION = 2;
/** Byte offset of the clean bitmap (two sectors). */
export const BITMAP_OFFSET = 1024;
/** Buffers are whole pages: the unit of O_DIRECT I/O. */
export const DISK_ALIGN = 4096;

/** Bytes read and written for a log of `regionCount` regions. */
export function diskBufferSize(regionCount: number): number {
  const used = BITMAP_OFFSET + Math.ceil(regionCount / 8);
  return Math.ceil(used / DISK_ALIGN) * DISK_ALIGN;
}

/** Fill `buf` (diskBufferSize bytes) with the header and the clean bitmap; the rest is zero. */
export function encodeDiskLog(buf: Buffer, clean: Bitset): void {
  if (buf.length < diskBufferSize(clean.size)) throw new RangeError(`disk log buffer of ${buf.length} bytes is too small`);
  buf.fill(0);
  buf.writeUInt32LE(DISK_MAGIC, 0);
  buf.writeUInt32LE(DISK_VERSION, 4);
  buf.writeBigUInt64LE(BigInt(clean.size), 8);
  clean.bytes.copy(buf, BITMAP_OFFSET);
}

export interface DecodedDiskLog {
  /** Regions the header says the bitmap covers (0 if the magic is wrong: a new log). */
  nrRegions: bigint;
  /** The bitmap area of the buffer. */
  bitmap: Buffer;
}

/** Read the header and bitmap from `buf`; a wrong magic yields nrRegions 0. The version is not
 *  checked, as neither the kernel nor cmirrord checks it. */
export function decodeDiskLog(buf: Buffer): DecodedDiskLog {
  const magicOk = buf.length >= BITMAP_OFFSET && buf.readUInt32LE(0) === DISK_MAGIC;
  return {
    nrRegions: magicOk ? buf.readBigUInt64LE(8) : 0n,
    bitmap: buf.subarray(Math.min(BITMAP_OFFSET, buf.length)),
  };
}
