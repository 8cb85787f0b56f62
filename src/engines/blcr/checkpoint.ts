// One BLCR checkpoint request, step by step: open+VERSION, CHKPT_REQ, wait, LOG, REAP.
// The pipeline calls the steps; this file knows the kernel, not the files or the terminal.
import {CR_OP} from '../../abi/blcr/constants.js';
import {installSelfOmit} from '../../abi/blcr/self-omit.js';
import {KernelError} from '../../errors/index.js';
import type {CheckpointOptions} from '../../schema/index.js';
import {CtrlRequest} from './ctrl-request.js';
import {checkpointFailed} from './messages.js';
import {toChkptArgs} from './request.js';

/** A checkpoint request in progress on its own ctrl fd. */
export class BlcrCheckpoint extends CtrlRequest {
  /** cr_chkpt_args.flags of the request sent. */
  flags?: number;

  constructor() {
    super('Checkpoint', CR_OP.CHKPT_LOG);
  }

  /** CR_OP_CHKPT_REQ writing to `destFd`. cr's own CR_SIGNUM handler goes in first, so a scope
   *  that includes cr leaves cr out, as BLCR's tool leaves itself out (PROHIBIT_SELF otherwise). */
  async request(opts: CheckpointOptions, destFd: number): Promise<void> {
    const args = toChkptArgs(opts, destFd, installSelfOmit());
    this.flags = args.flags;
    try {
      await this.ctrlFile().checkpointRequest(args);
    } catch (error) {
      if (error instanceof KernelError) throw checkpointFailed('CR_OP_CHKPT_REQ', error.errno);
      throw error;
    }
  }

  /**
   * After a failure or an abandoned wait: wait until the kernel is done with the request (BLCR
   * cannot cancel it), then reap it, ignoring its result. Afterwards no target is being dumped and
   * the kernel has sent every after-checkpoint signal. No-op when no request is open.
   */
  async settle(onTick?: () => void): Promise<void> {
    if (!this.isOpen) return;
    await this.waitDone(onTick);
    try {
      this.reap(false);
    } catch {
      // the failure that brought cr here is the one reported
    }
  }

  /** CR_OP_CHKPT_REAP; throws "Checkpoint failed: ..." with the log attached. Closes the fd. */
  reap(withLog = true): void {
    this.reapWith((ctrl) => ctrl.reapCheckpoint(), (errno, log) => checkpointFailed('CR_OP_CHKPT_REAP', errno, log), withLog);
  }
}
