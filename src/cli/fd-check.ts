// --fd FD: only a descriptor the caller handed to cr, open the right way, and not one cr itself
// writes to. cr's own descriptors (Node's event loop: epoll, eventfd, its internal pipes) are refused
// before anything is sent: a dump into one of them crashes cr or hangs it.
import fs from 'node:fs';
import {KernelError, UsageError} from '../errors/cr-error.js';
import {E} from '../errors/errno.js';

/** What a descriptor is, from /proc/self/fd and /proc/self/fdinfo; undefined when it is not open. */
export interface FdInfo {
  target: string;
  /** open(2) flags (octal in fdinfo). */
  flags: number;
}

/** Read fd's link and flags; undefined when it is not open in this process. */
export function fdInfo(fd: number): FdInfo | undefined {
  let target: string;
  let info: string;
  try {
    target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^flags:\s*([0-7]+)$/m.exec(info);
  return {target, flags: m ? Number.parseInt(m[1], 8) : 0};
}

/** The pipes this process holds both ends of: Node's own (a caller's pipe gives cr one end). */
function ownPipes(): Set<string> {
  const seen = new Map<string, number>();
  let names: string[] = [];
  try {
    names = fs.readdirSync('/proc/self/fd');
  } catch {
    return new Set();
  }
  for (const n of names) {
    let t: string;
    try {
      t = fs.readlinkSync(`/proc/self/fd/${n}`);
    } catch {
      continue;
    }
    if (!t.startsWith('pipe:')) continue;
    const info = fdInfo(Number(n));
    if (!info) continue;
    const end = info.flags & 3;
    seen.set(t, (seen.get(t) ?? 0) | (end === 0 ? 1 : 2));
  }
  return new Set([...seen].filter(([, ends]) => ends === 3).map(([t]) => t));
}

/** What fd is when it is one of cr's own (Node's epoll, eventfd, its pipes), else undefined. */
export function ownDescriptor(fd: number, info: FdInfo | undefined = fdInfo(fd)): string | undefined {
  if (!info) return undefined;
  return info.target.startsWith('anon_inode:') || (info.target.startsWith('pipe:') && ownPipes().has(info.target)) ? info.target : undefined;
}

/**
 * Check `fd` for `--fd`: open, opened for writing (`checkpoint`) or reading (`restart`), not one of
 * cr's internal descriptors, and not the stdout cr writes its --json document to (nor the stderr
 * it writes progress to, unless -q).
 */
export function checkFdFlag(fd: number, use: 'write' | 'read', output: {json: boolean; quiet: boolean}): void {
  if (!Number.isSafeInteger(fd) || fd < 0 || fd > 0x7fffffff) throw new UsageError(`Expected --fd to be an open file descriptor number >= 0, got \`${fd}\``);
  if (fd === 1 && output.json && use === 'write') throw new UsageError('--fd 1 with --json: the context file and the JSON document would both go to stdout; give the image another descriptor or drop --json');
  if (fd === 2 && use === 'write' && !output.quiet && !output.json) throw new UsageError('--fd 2 without -q: the context file and cr\'s messages would both go to stderr; add -q or give another descriptor');
  const info = fdInfo(fd);
  // Not open, or open the wrong way: EBADF (exit 9), as write(2) or read(2) on it would give.
  if (!info) throw new KernelError('fcntl', E.EBADF, `--fd ${fd}: Bad file descriptor (not open in cr: pass an open descriptor, e.g. \`${fd}>file\`)`);
  const own = ownDescriptor(fd, info);
  if (own) throw new UsageError(`--fd ${fd}: a descriptor of cr's own (${own}), not one the caller opened`);
  const mode = info.flags & 3;
  if (use === 'write' && mode === fs.constants.O_RDONLY) throw new KernelError('fcntl', E.EBADF, `--fd ${fd}: open for reading only; the checkpoint needs a descriptor open for writing`);
  if (use === 'read' && mode === fs.constants.O_WRONLY) throw new KernelError('fcntl', E.EBADF, `--fd ${fd}: open for writing only; the restart needs a descriptor open for reading`);
}
