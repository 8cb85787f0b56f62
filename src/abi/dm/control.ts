// /dev/mapper/control: open, and one ioctl call with the buffer-full retry (spec C1). Every ioctl
// runs on a koffi worker thread: a suspend or table load waits on the dm-log server this same
// process may be running, and DEV_WAIT blocks until an event.
import {crStrerror, E, KernelError} from '../../errors/index.js';
import {ioctlPointerAsync, O, sysClose, sysOpen} from '../libc.js';
import {DM_BUFFER_MAX, DM_CMD, DM_CONTROL_PATH, DM_FLAG, DM_VERSION_MAJOR, dmCommandVersion, dmInitialBufferSize, dmIoctlNumber, type DmCmdName} from './constants.js';
import {decodeHeader, encodeRequest, outputArea, type DmHeader, type DmRequest} from './header.js';

/** ioctl(fd, request, buf) resolving to the result or -errno; replaceable in tests. */
export type DmIoctlFn = (fd: number, request: number, buf: Buffer) => Promise<number>;

/** Header fields a caller may set; the version defaults to the command's minimum. */
export type DmCallHeader = Omit<DmRequest, 'version'> & {version?: [number, number, number]};

/** What one successful call returned. */
export interface DmReply {
  header: DmHeader;
  /** The output area (data_start .. data_size). */
  data: Buffer;
  /** The buffer sizes tried, in order (more than one after DM_BUFFER_FULL_FLAG). */
  sizes: number[];
}

/** device-mapper is not available: no control node, or no driver behind it. */
export class DmMissingError extends KernelError {
  constructor(errno: number, path: string) {
    const why =
      errno === E.EACCES || errno === E.EPERM
        ? `${path} needs root (CAP_SYS_ADMIN)`
        : `device-mapper is missing: ${path} ${errno === E.ENOENT ? 'does not exist' : 'has no driver'} (kernel module dm_mod not loaded, or no device node; try \`modprobe dm_mod\`)`;
    super(`open ${path}`, errno, why, [`open ${path}: ${crStrerror(errno)}`]);
  }
}

const version = (v: [number, number, number]) => v.join('.');

/** An open control device. */
export class DmControlDevice {
  private constructor(
    readonly fd: number,
    private readonly ioctl: DmIoctlFn,
    private readonly ownsFd: boolean,
  ) {}

  /** Open the control device O_RDWR|O_CLOEXEC (as libdm). */
  static open(path = DM_CONTROL_PATH): DmControlDevice {
    let fd: number;
    try {
      fd = sysOpen(path, O.RDWR | O.CLOEXEC);
    } catch (error) {
      if (error instanceof KernelError) throw new DmMissingError(error.errno, path);
      throw error;
    }
    return new DmControlDevice(fd, ioctlPointerAsync, true);
  }

  /** A device whose ioctls go to `ioctl` (tests), on a pretend fd. */
  static withIoctl(ioctl: DmIoctlFn, fd = -1): DmControlDevice {
    return new DmControlDevice(fd, ioctl, false);
  }

  /**
   * Run one command: a zeroed buffer of `initialSize` bytes (default per command) with the header
   * and `payload` at data_start; doubled and retried while the kernel sets DM_BUFFER_FULL_FLAG.
   * `what` names the call in errors (`DM_DEV_SUSPEND vg-lv`). EINTR is retried.
   */
  async call(cmd: DmCmdName, header: DmCallHeader = {}, opts: {payload?: Buffer; initialSize?: number; what?: string} = {}): Promise<DmReply> {
    const what = opts.what ?? `DM_${cmd}${header.name ? ` ${header.name}` : ''}`;
    const req: DmRequest = {...header, version: header.version ?? dmCommandVersion(cmd)};
    const request = dmIoctlNumber(DM_CMD[cmd]);
    const sizes: number[] = [];
    let size = Math.max(opts.initialSize ?? dmInitialBufferSize(cmd), 312 + (opts.payload?.length ?? 0));
    for (;;) {
      const buf = encodeRequest(req, size, opts.payload);
      sizes.push(size);
      const r = await this.ioctl(this.fd, request, buf);
      if (r === -E.EINTR) {
        sizes.pop();
        continue;
      }
      const h = decodeHeader(buf);
      if (r < 0) throw dmCallError(what, -r, req.version, h.version);
      if (h.version[0] !== DM_VERSION_MAJOR) {
        throw new KernelError(what, E.EINVAL, `${what}: the kernel speaks device-mapper interface ${version(h.version)}, cr speaks ${DM_VERSION_MAJOR}.x`);
      }
      if (!(h.flags & DM_FLAG.BUFFER_FULL)) return {header: h, data: outputArea(buf, h), sizes};
      if (size * 2 > DM_BUFFER_MAX) throw new KernelError(what, E.ENOMEM, `${what}: the kernel's output does not fit in ${DM_BUFFER_MAX} bytes`);
      size *= 2;
    }
  }

  /** close(2) the control device. */
  close(): void {
    if (this.ownsFd) sysClose(this.fd);
  }
}

/** The error for a failed call; a version the kernel refused names both versions. */
function dmCallError(what: string, errno: number, sent: [number, number, number], kernel: [number, number, number]): KernelError {
  if (errno === E.EINVAL && kernel[0] !== 0 && (kernel[0] !== sent[0] || kernel[1] < sent[1])) {
    return new KernelError(what, errno, `${what}: the kernel speaks device-mapper interface ${version(kernel)}, cr asked for ${version(sent)}`);
  }
  if (errno === E.EACCES || errno === E.EPERM) return new KernelError(what, errno, `${what}: ${crStrerror(errno)} (device-mapper needs root: CAP_SYS_ADMIN)`);
  return new KernelError(what, errno);
}
