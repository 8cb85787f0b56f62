// Request payloads and reply payloads of dm-log-userspace, sized exactly as the kernel reads them
// (spec A5): u64 region lists in, u64 / int64 pairs / NUL-terminated strings out.
import type {UlogReply} from './protocol.js';

/** A success reply, with no data unless given. */
export function ok(data: Buffer = Buffer.alloc(0)): UlogReply {
  return {error: 0, data};
}

/** An error reply for a positive errno: error is negative and the reply carries no data. */
export function fail(errno: number): UlogReply {
  return {error: -errno, data: Buffer.alloc(0)};
}

/** 8 bytes: a u64 (or an int64 0/1). */
export function u64(v: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}

/** 16 bytes: two u64/int64 fields. */
export function pair(a: number | bigint, b: number | bigint): Buffer {
  const out = Buffer.alloc(16);
  out.writeBigUInt64LE(BigInt(a), 0);
  out.writeBigUInt64LE(BigInt(b), 8);
  return out;
}

/** A string with its terminating NUL. */
export function cString(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'latin1'), Buffer.alloc(1)]);
}

/** The u64 regions of a payload, or null if its size is not a multiple of 8 or a region is not
 *  below `count`. */
export function readRegions(data: Buffer, count: number): number[] | null {
  if (data.length % 8 !== 0) return null;
  const out: number[] = [];
  for (let off = 0; off < data.length; off += 8) {
    const r = data.readBigUInt64LE(off);
    if (r >= BigInt(count)) return null;
    out.push(Number(r));
  }
  return out;
}

/** The single u64 region of an 8-byte payload, or null if the size is wrong or it is not below `count`. */
export function readRegion(data: Buffer, count: number): number | null {
  if (data.length !== 8) return null;
  return readRegions(data, count)?.[0] ?? null;
}
