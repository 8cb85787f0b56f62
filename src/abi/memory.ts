// Memory with a given alignment, for I/O that needs it (O_DIRECT reads and writes).
import {koffi} from './koffi.js';

/** A zeroed Buffer of `size` bytes whose first byte sits at an address that is a multiple of
 *  `align` (a power of two). It is a view into a larger, unpooled allocation. */
export function alignedBuffer(size: number, align: number): Buffer {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`alignedBuffer: bad size ${size}`);
  if (!Number.isSafeInteger(align) || align <= 0 || (align & (align - 1)) !== 0) {
    throw new RangeError(`alignedBuffer: alignment ${align} is not a power of two`);
  }
  const raw = Buffer.allocUnsafeSlow(size + align);
  const address = koffi().address(raw) as bigint;
  const skip = Number((BigInt(align) - (address % BigInt(align))) % BigInt(align));
  return raw.subarray(skip, skip + size).fill(0);
}

/** The address of a Buffer's first byte. */
export function bufferAddress(buf: Buffer): bigint {
  return koffi().address(buf) as bigint;
}
