// /proc/checkpoint/ctrl: open, version handshake, requests, log, reap, wait. Thin errno-checked wrappers.
import {crStrerror, E, KernelError} from '../../errors/index.js';
import {koffi} from '../koffi.js';
import {ioctlPointer, ioctlPointerAsync, ioctlValue, O, POLL, pollOne, sysClose, sysOpen} from '../libc.js';
import {CR_CTRL_FILE, CR_MAX_RSTRT_RELOC, CR_MODULE_VERSION, CR_NOARG, CR_OP} from './constants.js';
import {blcrStructs, type ChkptArgs, encodeStruct} from './structs.js';

/** Why the control file could not be opened. */
export class CtrlMissingError extends KernelError {
  /** The errno open(2) gave; the error itself carries ENOSYS, as libcr reports it. */
  readonly openErrno: number;
  constructor(openErrno: number, prefix = '') {
    const why = openErrno === E.ENOENT ? ' (the BLCR kernel modules blcr_imports and blcr are not loaded)' : '';
    super(`open ${CR_CTRL_FILE}`, E.ENOSYS, `${prefix}support missing from kernel`, [`open ${CR_CTRL_FILE}: ${crStrerror(openErrno)}${why}`]);
    this.openErrno = openErrno;
  }
}

/** Outcome of waiting on a request. */
export type WaitResult = 'done' | 'timeout' | 'no-request';

/** One open handle on the control file; holds at most one request, as the kernel does. */
export class CtrlFile {
  private constructor(readonly fd: number) {}

  /** Open the control file O_WRONLY|O_CLOEXEC, as libcr does. A missing module is ENOSYS. */
  static open(path = CR_CTRL_FILE): CtrlFile {
    try {
      return new CtrlFile(sysOpen(path, O.WRONLY | O.CLOEXEC));
    } catch (error) {
      if (error instanceof KernelError) throw new CtrlMissingError(error.errno);
      throw error;
    }
  }

  /** CR_OP_VERSION with `version` by value; returns 0 or -errno (CR_EVERSION on mismatch). */
  version(version = CR_MODULE_VERSION): number {
    return ioctlValue(this.fd, CR_OP.VERSION, version);
  }

  /** CR_OP_CHKPT_REQ on a worker thread: the real module finds the targets' errors inside the
   *  call and retries a target without a CR_SIGNUM handler for up to 0.5 s, so it can block.
   *  Throws KernelError on an immediate failure. */
  async checkpointRequest(args: ChkptArgs): Promise<void> {
    const buf = encodeStruct(blcrStructs().chkptArgs, args);
    let r: number;
    do r = await ioctlPointerAsync(this.fd, CR_OP.CHKPT_REQ, buf);
    while (r === -E.EINTR);
    if (r < 0) throw new KernelError('CR_OP_CHKPT_REQ', -r);
  }

  /** CR_OP_RSTRT_REQ reading from `srcFd`; the relocation table and its strings are marshalled into
   *  buffers that stay referenced for the whole call. Throws KernelError on an immediate failure. */
  async restartRequest(args: {srcFd: number; signal: number; flags: number; relocate: Array<[string, string]>}): Promise<void> {
    const k = koffi();
    const {rstrtArgs, rstrtRelocate} = blcrStructs();
    if (args.relocate.length > CR_MAX_RSTRT_RELOC) throw new KernelError('CR_OP_RSTRT_REQ', E.EINVAL, `at most ${CR_MAX_RSTRT_RELOC} relocations`);
    const strings = args.relocate.map(([o, n]) => [Buffer.from(`${o}\0`), Buffer.from(`${n}\0`)] as const);
    let table: Buffer | null = null;
    if (strings.length > 0) {
      const path = Array.from({length: CR_MAX_RSTRT_RELOC}, (_, i) =>
        i < strings.length ? {oldpath: k.address(strings[i][0]), newpath: k.address(strings[i][1])} : {oldpath: null, newpath: null},
      );
      table = encodeStruct(rstrtRelocate, {count: strings.length, path});
    }
    const buf = encodeStruct(rstrtArgs, {cr_fd: args.srcFd, signal: args.signal, relocate: table ? k.address(table) : null, flags: args.flags});
    // On a worker thread: the kernel may read the context file's header here (a slow file system).
    const r = await ioctlPointerAsync(this.fd, CR_OP.RSTRT_REQ, buf);
    // `strings` and `table` are referenced up to here, so they outlive the call.
    void strings.length;
    void table?.length;
    if (r < 0) throw new KernelError('CR_OP_RSTRT_REQ', -r);
  }

  /** CR_OP_RSTRT_PROCS on a worker thread (it blocks in the kernel). Resolves to the next process's
   *  {threads, cloneFlags}, or undefined when no more processes are needed; -errno values are thrown. */
  async restartProcs(): Promise<{threads: number; cloneFlags: number} | undefined> {
    const tbl = Buffer.alloc(8);
    for (;;) {
      const r = await ioctlPointerAsync(this.fd, CR_OP.RSTRT_PROCS, tbl);
      if (r === -E.EINTR) continue;
      if (r < 0) throw new KernelError('CR_OP_RSTRT_PROCS', -r);
      if (r === 0) return undefined;
      return {threads: tbl.readInt32LE(0), cloneFlags: tbl.readInt32LE(4)};
    }
  }

  /** CR_OP_RSTRT_REAP: the restarted pid (>= 0), or -errno (EAGAIN: not finished). */
  reapRestart(): number {
    return ioctlValue(this.fd, CR_OP.RSTRT_REAP, CR_NOARG);
  }

  /** CR_OP_CHKPT_LOG or CR_OP_RSTRT_LOG: size query, then fill. Returns the text ('' when empty). */
  readLog(op: number = CR_OP.CHKPT_LOG): string {
    const {logArgs} = blcrStructs();
    const size = ioctlPointer(this.fd, op, encodeStruct(logArgs, {len: 0, buf: null}));
    if (size < 0) throw new KernelError(op === CR_OP.CHKPT_LOG ? 'CR_OP_CHKPT_LOG' : 'CR_OP_RSTRT_LOG', -size);
    if (size === 0) return '';
    const text = Buffer.alloc(size);
    const args = encodeStruct(logArgs, {len: size, buf: koffi().address(text)});
    const r = ioctlPointer(this.fd, op, args);
    if (r < 0) throw new KernelError('CR_OP_CHKPT_LOG', -r);
    const end = text.indexOf(0);
    return text.subarray(0, end < 0 ? text.length : end).toString('utf8');
  }

  /** CR_OP_CHKPT_REAP: 0 on success, -errno otherwise (EAGAIN: not finished; EINVAL: no request). */
  reapCheckpoint(): number {
    return ioctlValue(this.fd, CR_OP.CHKPT_REAP, CR_NOARG);
  }

  /** Wait up to `timeoutMs` for the request on this fd, off the event loop. */
  async wait(timeoutMs: number): Promise<WaitResult> {
    const revents = await pollOne(this.fd, POLL.IN, timeoutMs);
    if (revents & (POLL.ERR | POLL.NVAL)) return 'no-request';
    return revents & POLL.IN ? 'done' : 'timeout';
  }

  /** close(2): drops this reference to the open file. The real module does not cancel a request
   *  on close: the targets finish dumping and get the after-checkpoint signal all the same. */
  close(): void {
    sysClose(this.fd);
  }
}
