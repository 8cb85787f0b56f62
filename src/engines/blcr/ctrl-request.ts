// What a checkpoint and a restart request share: the control fd, the VERSION handshake, the wait
// off the event loop (deadline and abort included), the kernel log, and the end of a request.
// BLCR cannot cancel a request: closing the fd only drops cr's reference, and the kernel finishes
// the dump (and signals the targets) all the same. A checkpoint's `settle` waits for that end.
import {CtrlFile, CtrlMissingError} from '../../abi/blcr/ctrl.js';
import {CrError, E, KernelError} from '../../errors/index.js';
import {checkVersion, type InterfaceVersion} from './version.js';
import {signalNumber} from '../../util/signals.js';

/** How often a wait wakes up to report progress and check the deadline. */
export const WAIT_SLICE_MS = 100;

/** Raised when cr's own time limit (--time) expires; the request is abandoned. */
export class RequestTimeoutError extends KernelError {
  constructor(seconds: number, what: string) {
    super('wait', E.ETIMEDOUT, `${what} failed: no completion within ${seconds} s (--time); nothing was published`);
  }
}

/** Raised when the wait is aborted by a signal; the request is abandoned. Exit 128 + signo. */
export class RequestAbortedError extends CrError {
  constructor(reason: string, what: string) {
    const signo = signalNumber(reason);
    super(`${what} failed: interrupted by ${reason}; nothing was published`, {exitCode: signo ? 128 + signo : 1, code: 'EINTR'});
  }
}

export interface WaitOptions {
  /** Absolute deadline (performance.now() ms), or undefined for none. */
  deadline?: number;
  timeSec: number;
  signal?: AbortSignal;
  onTick?: () => void;
}

/** One request on its own control fd. `what` words the errors ("Checkpoint", "Restart"). */
export abstract class CtrlRequest {
  private ctrl?: CtrlFile;
  /** The kernel's log of the request, once read. */
  log: string[] = [];
  interfaceVersion?: InterfaceVersion;

  constructor(
    private readonly what: 'Checkpoint' | 'Restart',
    private readonly logOp: number,
  ) {}

  /** Open the control file and agree on the interface version. */
  open(): void {
    try {
      this.ctrl = CtrlFile.open();
    } catch (error) {
      if (error instanceof CtrlMissingError) throw new CtrlMissingError(error.openErrno, `${this.what} failed: `);
      throw error;
    }
    try {
      this.interfaceVersion = checkVersion(this.ctrl);
    } catch (error) {
      this.cancel();
      throw error;
    }
  }

  /** Wait for completion (POLLIN) without blocking the event loop. */
  async wait(opts: WaitOptions): Promise<void> {
    const ctrl = this.ctrlFile();
    for (;;) {
      if (opts.signal?.aborted) throw new RequestAbortedError(String(opts.signal.reason ?? 'a signal'), this.what);
      let slice = WAIT_SLICE_MS;
      if (opts.deadline !== undefined) {
        const left = opts.deadline - performance.now();
        if (left <= 0) throw new RequestTimeoutError(opts.timeSec, this.what);
        slice = Math.max(1, Math.min(slice, Math.ceil(left)));
      }
      const state = await ctrl.wait(slice);
      opts.onTick?.();
      if (state === 'done') return;
      if (state === 'no-request') throw new KernelError('poll', E.EINVAL, `${this.what} failed: the kernel reports no request on the control file`);
    }
  }

  /** The request's kernel log; failures to read it are ignored, as BLCR's tools do. */
  readLog(): string[] {
    try {
      this.log = this.ctrlFile().readLog(this.logOp).split('\n').filter((l) => l.length > 0);
    } catch {
      this.log = [];
    }
    return this.log;
  }

  /** Reap (retrying on EINTR), then close the fd. Returns the kernel's value, or throws `fail(errno, log)`. */
  protected reapWith(reap: (ctrl: CtrlFile) => number, fail: (errno: number, log: string[]) => Error, withLog: boolean): number {
    const ctrl = this.ctrlFile();
    let r: number;
    do r = reap(ctrl); while (r === -E.EINTR);
    this.cancel();
    if (r < 0) throw fail(-r, withLog ? this.log : []);
    return r;
  }

  /** Whether a request's fd is still open (not reaped or closed). */
  get isOpen(): boolean {
    return this.ctrl !== undefined;
  }

  /** Wait with no deadline and no abort until the kernel reports the request done (or gone). */
  protected async waitDone(onTick?: () => void): Promise<void> {
    const ctrl = this.ctrlFile();
    while ((await ctrl.wait(WAIT_SLICE_MS)) === 'timeout') onTick?.();
  }

  /** Close the control fd (drops cr's reference; the kernel does not cancel on close). Idempotent. */
  cancel(): void {
    const ctrl = this.ctrl;
    this.ctrl = undefined;
    ctrl?.close();
  }

  protected ctrlFile(): CtrlFile {
    if (!this.ctrl) throw new KernelError('ctrl', E.EBADF, 'internal error: the control file is not open');
    return this.ctrl;
  }
}
