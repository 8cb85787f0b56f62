// Reading a BLCR context file's framing (spec §6): header, first section, trailer, vmadump kernel version.
import fs from 'node:fs';
import os from 'node:os';
import {CONTEXT} from '../abi/blcr/constants.js';

export interface ContextHeader {
  size: number;
  version: number;
  scope: number;
  arch: number;
  /** num_threads of the first process section. */
  firstThreads: number;
  /** Kernel that wrote the file, from the first vmadump header, if found. */
  kernel: {major: number; minor: number; patch: number};
}

/** Why a context file cannot be restarted; `reason` names the check that failed. */
export class ContextFileError extends Error {
  constructor(readonly file: string, readonly reason: string, readonly errno: number) {
    super(`${file}: ${reason}`);
  }
}

const EIO = 5;
const EINVAL = 22;
const CR_EBADARCH = 2359;

/** File header (20) + first section header (12) + the linkage table's byte count (4). */
const FIXED = 36;
/** How far past the linkage table the first vmadump header is looked for. */
const SCAN = 64 * 1024;

/** Check a context file's framing with pread (the fd offset is left alone). Throws ContextFileError. */
export function readContextHeader(file: string): ContextHeader {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    throw new ContextFileError(file, `cannot open: ${(error as Error).message.replace(/^\w+: /, '').replace(/, open .*$/, '')}`, Math.abs((error as NodeJS.ErrnoException).errno ?? EIO));
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 32) throw new ContextFileError(file, `truncated: ${size} bytes, a context file has at least 32`, EIO);
    const head = Buffer.alloc(Math.min(size, FIXED));
    fs.readSync(fd, head, 0, head.length, 0);
    if (!head.subarray(0, 8).equals(CONTEXT.MAGIC)) throw new ContextFileError(file, 'not a BLCR context file (bad magic)', EINVAL);
    const version = head.readInt32LE(8);
    const scope = head.readInt32LE(12);
    const arch = head.readInt32LE(16);
    if (version < CONTEXT.VERSION_MIN || version > CONTEXT.VERSION) {
      throw new ContextFileError(file, `unsupported context file version ${version} (supported ${CONTEXT.VERSION_MIN}..${CONTEXT.VERSION})`, EINVAL);
    }
    if (arch !== CONTEXT.ARCH_X86_64) throw new ContextFileError(file, `written for architecture ${arch}, this is x86_64 (5)`, CR_EBADARCH);
    const firstThreads = head.readInt32LE(20);
    if (firstThreads < 1) throw new ContextFileError(file, 'corrupt: the first process section has no threads', EINVAL);
    const tail = Buffer.alloc(12);
    fs.readSync(fd, tail, 0, 12, size - 12);
    if (!tail.equals(CONTEXT.TRAILER)) throw new ContextFileError(file, 'truncated or corrupt: the trailer is missing', EIO);
    // The linkage table holds one 112-byte entry per task of the whole checkpoint (a process with
    // 600 threads has 67 KB of it), and the first process's vmadump header follows it.
    const linkBytes = size >= FIXED ? head.readInt32LE(32) : -1;
    if (linkBytes < 0 || FIXED + linkBytes > size - 12) throw new ContextFileError(file, `corrupt: the linkage table's size (${linkBytes} bytes) does not fit in the file`, EINVAL);
    const from = FIXED + linkBytes;
    const area = Buffer.alloc(Math.min(SCAN, size - from));
    fs.readSync(fd, area, 0, area.length, from);
    const at = area.indexOf(Buffer.from([0x56, 0x4d, 0x41, CONTEXT.VMAD_FMT, CONTEXT.ARCH_X86_64]));
    const kernel = at >= 0 && at + 8 <= area.length ? {major: area[at + 5], minor: area[at + 6], patch: area[at + 7]} : undefined;
    if (!kernel) throw new ContextFileError(file, 'corrupt: no vmadump header in the first process section', EINVAL);
    return {size, version, scope, arch, firstThreads, kernel};
  } finally {
    fs.closeSync(fd);
  }
}

/** Check a context file before a restart: framing (above), and the kernel major.minor that wrote it
 *  against the running one (vmadump refuses any other). Throws ContextFileError. */
export function checkRestartable(file: string, release = os.release()): ContextHeader {
  const h = readContextHeader(file);
  const [major, minor] = release.split('.').map(Number);
  if (h.kernel.major !== major || h.kernel.minor !== minor) {
    throw new ContextFileError(file, `written by kernel ${h.kernel.major}.${h.kernel.minor}, this is ${major}.${minor} (a context file restarts only on the same kernel major.minor)`, EINVAL);
  }
  return h;
}
