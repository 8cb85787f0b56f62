// Block-device queries that need ioctl(2).
import {KernelError} from '../errors/index.js';
import {ioctlPointer} from './libc.js';

/** BLKGETSIZE64 = _IOR(0x12, 114, size_t). */
const BLKGETSIZE64 = 0x80081272;

/** The size in bytes of the block device open on `fd`; throws KernelError on failure. */
export function blockDeviceSize(fd: number): bigint {
  const out = Buffer.alloc(8);
  const r = ioctlPointer(fd, BLKGETSIZE64, out);
  if (r < 0) throw new KernelError('ioctl BLKGETSIZE64', -r);
  return out.readBigUInt64LE(0);
}
