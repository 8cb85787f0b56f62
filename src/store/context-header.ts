// Reading a BLCR context file's framing (spec §6): header, first section, trailer, vmadump kernel version.
import fs from 'node:fs';
import {CONTEXT} from '../abi/blcr/constants.js';

export interface ContextHeader {
  size: number;
  version: number;
  scope: number;
  arch: number;
  /** num_threads of the first process section. */
  firstThreads: number;
  /** Kernel that wrote the file, from the first vmadump header, if found. */
  kernel?: {major: number; minor: number; patch: number};
}

/** Why a context file cannot be restarted; `reason` names the check that failed. */
export class ContextFileError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
  }
}

const SCAN = 64 * 1024;

/** Check a context file's framing with pread (the fd offset is left alone). Throws ContextFileError. */
export function readContextHeader(file: string): ContextHeader {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    throw new ContextFileError(file, `cannot open: ${(error as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 32) throw new ContextFileError(file, `truncated: ${size} bytes, a context file has at least 32`);
    const head = Buffer.alloc(Math.min(size, SCAN));
    fs.readSync(fd, head, 0, head.length, 0);
    if (!head.subarray(0, 8).equals(CONTEXT.MAGIC)) throw new ContextFileError(file, 'not a BLCR context file (bad magic)');
    const version = head.readInt32LE(8);
    const scope = head.readInt32LE(12);
    const arch = head.readInt32LE(16);
    if (version < CONTEXT.VERSION_MIN || version > CONTEXT.VERSION) {
      throw new ContextFileError(file, `unsupported context file version ${version} (supported ${CONTEXT.VERSION_MIN}..${CONTEXT.VERSION})`);
    }
    if (arch !== CONTEXT.ARCH_X86_64) throw new ContextFileError(file, `written for architecture ${arch}, this is x86_64 (5)`);
    const firstThreads = head.readInt32LE(20);
    if (firstThreads < 1) throw new ContextFileError(file, 'corrupt: the first process section has no threads');
    const tail = Buffer.alloc(12);
    fs.readSync(fd, tail, 0, 12, size - 12);
    if (!tail.equals(CONTEXT.TRAILER)) throw new ContextFileError(file, 'truncated or corrupt: the trailer is missing');
    const at = head.indexOf(Buffer.from([0x56, 0x4d, 0x41, CONTEXT.VMAD_FMT, CONTEXT.ARCH_X86_64]));
    const kernel = at >= 0 && at + 8 <= head.length ? {major: head[at + 5], minor: head[at + 6], patch: head[at + 7]} : undefined;
    return {size, version, scope, arch, firstThreads, kernel};
  } finally {
    fs.closeSync(fd);
  }
}
