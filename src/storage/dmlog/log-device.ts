// The device (or file) holding a disk log: opened O_DIRECT where the filesystem allows it, read
// and written whole through one page-aligned buffer, every write made durable before returning.
import fs from 'node:fs';
import os from 'node:os';
import {alignedBuffer} from '../../abi/memory.js';
import {blockDeviceSize} from '../../abi/blockdev.js';
import {O} from '../../abi/libc.js';
import {KernelError} from '../../errors/index.js';
import {DISK_ALIGN} from './disk-format.js';

const EIO = os.constants.errno.EIO;
const EINVAL = os.constants.errno.EINVAL;

/** A failed log-device operation and its (positive) errno. */
export class DeviceError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

/** The positive errno behind a thrown fs or KernelError exception (EIO if it names none). */
export function errnoOf(err: unknown): number {
  if (err instanceof KernelError) return err.errno;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.errno === 'number' && e.errno !== 0) return Math.abs(e.errno);
  const byCode = e?.code ? (os.constants.errno as Record<string, number>)[e.code] : undefined;
  return byCode ?? EIO;
}

/** Linux's dev_t split into major and minor. */
export function splitDev(dev: bigint): {major: number; minor: number} {
  return {
    major: Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n)),
    minor: Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n)),
  };
}

export class LogDevice {
  /** The aligned I/O buffer, `size` bytes: callers encode into it before write() and decode after read(). */
  readonly buffer: Buffer;

  private constructor(
    readonly path: string,
    private fd: number,
    /** False when the filesystem refused O_DIRECT (tmpfs on older kernels). */
    readonly direct: boolean,
    readonly rdev: {major: number; minor: number},
    size: number,
  ) {
    this.buffer = alignedBuffer(size, DISK_ALIGN);
  }

  /** Open `path` read-write and check it holds at least `size` bytes; throws DeviceError. */
  static open(path: string, size: number): LogDevice {
    const {O_RDWR, O_DIRECT} = fs.constants;
    const O_CLOEXEC = O.CLOEXEC;
    let fd: number;
    let direct = true;
    try {
      fd = fs.openSync(path, O_RDWR | O_CLOEXEC | O_DIRECT);
    } catch (err) {
      if (errnoOf(err) !== EINVAL) throw new DeviceError(errnoOf(err), `open ${path}: ${(err as Error).message}`);
      direct = false;
      try {
        fd = fs.openSync(path, O_RDWR | O_CLOEXEC);
      } catch (err2) {
        throw new DeviceError(errnoOf(err2), `open ${path}: ${(err2 as Error).message}`);
      }
    }
    try {
      const st = fs.fstatSync(fd, {bigint: true});
      let bytes: bigint;
      if (st.isBlockDevice()) bytes = blockDeviceSize(fd);
      else if (st.isFile()) bytes = st.size;
      else throw new DeviceError(EINVAL, `${path} is neither a block device nor a file`);
      if (bytes < BigInt(size)) throw new DeviceError(EINVAL, `${path} holds ${bytes} bytes; the log needs ${size}`);
      return new LogDevice(path, fd, direct, splitDev(st.rdev), size);
    } catch (err) {
      try {
        fs.closeSync(fd);
      } catch {
        // The open failed the checks; the fd is released by close(2) even when it reports an error.
      }
      if (err instanceof DeviceError) throw err;
      throw new DeviceError(errnoOf(err), `${path}: ${(err as Error).message}`);
    }
  }

  /** Read the whole buffer from offset 0; a short read is an error. Throws DeviceError. */
  read(): void {
    this.io('read', () => fs.readSync(this.fd, this.buffer, 0, this.buffer.length, 0));
  }

  /** Write the whole buffer at offset 0 and fdatasync; a short write is an error. Throws DeviceError. */
  write(): void {
    this.io('write', () => fs.writeSync(this.fd, this.buffer, 0, this.buffer.length, 0));
    try {
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      throw new DeviceError(errnoOf(err), `fdatasync ${this.path}: ${(err as Error).message}`);
    }
  }

  /** Close the fd; returns 0 or the errno close(2) reported (the fd is released either way). */
  close(): number {
    if (this.fd < 0) return 0;
    const fd = this.fd;
    this.fd = -1;
    try {
      fs.closeSync(fd);
      return 0;
    } catch (err) {
      return errnoOf(err);
    }
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  private io(what: string, op: () => number): void {
    if (this.fd < 0) throw new DeviceError(os.constants.errno.EBADF, `${what} ${this.path}: log device closed`);
    let n: number;
    try {
      n = op();
    } catch (err) {
      throw new DeviceError(errnoOf(err), `${what} ${this.path}: ${(err as Error).message}`);
    }
    if (n !== this.buffer.length) throw new DeviceError(EIO, `${what} ${this.path}: ${n} of ${this.buffer.length} bytes`);
  }
}
