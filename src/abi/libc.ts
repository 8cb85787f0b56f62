// libc entry points, resolved from the process's global symbol scope (the null library)
// so that LD_PRELOAD interposition applies, as it does for any C program.
import {KernelError} from '../errors/index.js';
import {koffi} from './koffi.js';

type Fn = ((...args: any[]) => any) & {async: (...args: any[]) => void};

interface Libc {
  open: Fn;
  close: Fn;
  ioctl: Fn;
  ioctlAsync: Fn;
  poll: Fn;
}

let libc: Libc | undefined;

function load(): Libc {
  if (!libc) {
    const k = koffi();
    const self = k.load(null);
    libc = {
      open: self.func('int open(const char *path, int flags, ...)') as Fn,
      close: self.func('int close(int fd)') as Fn,
      ioctl: self.func('int ioctl(int fd, unsigned long request, ...)') as Fn,
      // The same ioctl declared with a fixed pointer argument, for the requests that block in
      // the kernel (koffi cannot run variadic calls on its worker threads). On x86_64 a call
      // with integer and pointer arguments only is the same for a variadic callee.
      ioctlAsync: self.func('int ioctl(int fd, unsigned long request, void *arg)') as Fn,
      // Declared non-variadic so it can run on koffi's worker threads (.async).
      poll: self.func('int poll(void *fds, unsigned long nfds, int timeout)') as Fn,
    };
  }
  return libc;
}

/** Linux open(2) flags used by cr. */
export const O = {RDONLY: 0, WRONLY: 1, RDWR: 2, CLOEXEC: 0o2000000} as const;
/** poll(2) event bits. */
export const POLL = {IN: 0x1, PRI: 0x2, OUT: 0x4, ERR: 0x8, HUP: 0x10, NVAL: 0x20} as const;

/** The errno of the last koffi call on this thread. */
export function lastErrno(): number {
  return koffi().errno();
}

/** open(2); throws KernelError naming `what` on failure. */
export function sysOpen(path: string, flags: number, what = `open ${path}`): number {
  const fd = load().open(path, flags, 'int', 0) as number;
  if (fd < 0) throw new KernelError(what, lastErrno());
  return fd;
}

/** close(2); throws on failure (EBADF means a bug: the fd was closed twice). */
export function sysClose(fd: number): void {
  if (load().close(fd) < 0) throw new KernelError('close', lastErrno());
}

/** ioctl with an integer argument passed by value; returns the result, or -errno. */
export function ioctlValue(fd: number, request: number, arg: number | bigint): number {
  const r = load().ioctl(fd, request, 'unsigned long', arg) as number;
  return r < 0 ? -lastErrno() : r;
}

/** ioctl with a pointer argument (a Buffer, or null); returns the result, or -errno. */
export function ioctlPointer(fd: number, request: number, arg: Buffer | null): number {
  const r = load().ioctl(fd, request, 'void *', arg) as number;
  return r < 0 ? -lastErrno() : r;
}

/** ioctl with a pointer argument on a koffi worker thread: for requests that block in the
 *  kernel (CR_OP_RSTRT_PROCS). Resolves to the result, or -errno. */
export function ioctlPointerAsync(fd: number, request: number, arg: Buffer | null): Promise<number> {
  return new Promise((resolve, reject) => {
    load().ioctlAsync.async(fd, request, arg, (err: unknown, r: number) => {
      if (err) return reject(err);
      resolve(r < 0 ? -lastErrno() : r);
    });
  });
}

/** poll(2) on one fd, run on a koffi worker thread so the event loop keeps turning.
 *  Resolves to revents (0 on timeout); EINTR resolves to 0; other errors reject. */
export function pollOne(fd: number, events: number, timeoutMs: number): Promise<number> {
  const pfd = Buffer.alloc(8);
  pfd.writeInt32LE(fd, 0);
  pfd.writeInt16LE(events, 4);
  return new Promise((resolve, reject) => {
    load().poll.async(pfd, 1, timeoutMs, (err: unknown, r: number) => {
      if (err) return reject(err);
      if (r < 0) {
        const errno = lastErrno();
        return errno === 4 ? resolve(0) : reject(new KernelError('poll', errno));
      }
      resolve(r === 0 ? 0 : pfd.readInt16LE(6));
    });
  });
}
