// One BLCR checkpoint request, step by step: open+VERSION, CHKPT_REQ, wait, LOG, REAP.
// The pipeline calls the steps; this file knows the kernel, not the files or the terminal.
import os from 'node:os';
import {CrError, E, KernelError} from '../../errors/index.js';
import {CR_OP} from '../../abi/blcr/constants.js';
import {CtrlFile, CtrlMissingError} from '../../abi/blcr/ctrl.js';
import type {CheckpointOptions} from '../../schema/index.js';
import {checkpointFailed} from './messages.js';
import {toChkptArgs} from './request.js';
import {checkVersion, type InterfaceVersion} from './version.js';

/** How often the wait wakes up to report progress and check the deadline. */
export const WAIT_SLICE_MS = 100;

/** Raised when cr's own time limit (--time) expires; the request has been cancelled. */
export class CheckpointTimeoutError extends KernelError {
  constructor(seconds: number) {
    super('wait', E.ETIMEDOUT, `Checkpoint failed: no completion within ${seconds} s (--time); the request was cancelled`);
  }
}

/** Raised when the wait is aborted by a signal; the request has been cancelled. Exit 128 + signo. */
export class CheckpointAbortedError extends CrError {
  constructor(reason: string, what = 'Checkpoint') {
    const signo = os.constants.signals[reason as NodeJS.Signals];
    super(`${what} failed: interrupted by ${reason}; the request was cancelled`, {exitCode: signo ? 128 + signo : 1, code: 'EINTR'});
  }
}

export interface WaitOptions {
  /** Absolute deadline (performance.now() ms), or undefined for none. */
  deadline?: number;
  timeSec: number;
  signal?: AbortSignal;
  onTick?: () => void;
}

/** A checkpoint request in progress on its own ctrl fd. */
export class BlcrCheckpoint {
  private ctrl?: CtrlFile;
  /** The kernel's log of the request, once read. */
  log: string[] = [];
  interfaceVersion?: InterfaceVersion;

  /** Open the control file and agree on the interface version. */
  open(): void {
    try {
      this.ctrl = CtrlFile.open();
    } catch (error) {
      if (error instanceof CtrlMissingError) throw new CtrlMissingError(error.openErrno, 'Checkpoint failed: ');
      throw error;
    }
    try {
      this.interfaceVersion = checkVersion(this.ctrl);
    } catch (error) {
      this.cancel();
      throw error;
    }
  }

  /** CR_OP_CHKPT_REQ writing to `destFd`. */
  request(opts: CheckpointOptions, destFd: number): void {
    try {
      this.ctrlFile().checkpointRequest(toChkptArgs(opts, destFd));
    } catch (error) {
      if (error instanceof KernelError) throw checkpointFailed('CR_OP_CHKPT_REQ', error.errno);
      throw error;
    }
  }

  /** Wait for completion without blocking the event loop; enforces the deadline and abort signal. */
  async wait(opts: WaitOptions): Promise<void> {
    const ctrl = this.ctrlFile();
    for (;;) {
      if (opts.signal?.aborted) throw new CheckpointAbortedError(String(opts.signal.reason ?? 'a signal'));
      let slice = WAIT_SLICE_MS;
      if (opts.deadline !== undefined) {
        const left = opts.deadline - performance.now();
        if (left <= 0) throw new CheckpointTimeoutError(opts.timeSec);
        slice = Math.max(1, Math.min(slice, Math.ceil(left)));
      }
      const state = await ctrl.wait(slice);
      opts.onTick?.();
      if (state === 'done') return;
      if (state === 'no-request') throw new KernelError('poll', E.EINVAL, 'Checkpoint failed: the kernel reports no request on the control file');
    }
  }

  /** CR_OP_CHKPT_LOG; failures to read the log are ignored, as cr_checkpoint does. */
  readLog(): string[] {
    try {
      this.log = this.ctrlFile().readLog(CR_OP.CHKPT_LOG).split('\n').filter((l) => l.length > 0);
    } catch {
      this.log = [];
    }
    return this.log;
  }

  /** CR_OP_CHKPT_REAP; throws "Checkpoint failed: ..." with the log attached. Closes the fd. */
  reap(withLog = true): void {
    const ctrl = this.ctrlFile();
    let r: number;
    do r = ctrl.reapCheckpoint(); while (r === -E.EINTR);
    this.cancel();
    if (r < 0) throw checkpointFailed('CR_OP_CHKPT_REAP', -r, withLog ? this.log : []);
  }

  /** Close the control fd; the kernel releases (cancels) an unreaped request. Idempotent. */
  cancel(): void {
    const ctrl = this.ctrl;
    this.ctrl = undefined;
    ctrl?.close();
  }

  private ctrlFile(): CtrlFile {
    if (!this.ctrl) throw new KernelError('ctrl', E.EBADF, 'internal error: the control file is not open');
    return this.ctrl;
  }
}
