// One BLCR restart request: open+VERSION, RSTRT_REQ, the RSTRT_PROCS loop (a helper child per
// process), wait, LOG, REAP. The pipeline calls the steps; this file knows the kernel and the helper.
import fs from 'node:fs';
import {CR_OP, CR_RSTRT} from '../../abi/blcr/constants.js';
import {E, KernelError} from '../../errors/index.js';
import {waitChild} from '../../abi/wait.js';
import {type ChildEnd, type RestartChild, spawnRestartChild} from '../../exec/restart-child.js';
import type {RestartOptions} from '../../schema/index.js';
import {restartFailed} from './messages.js';
import {CtrlRequest} from './ctrl-request.js';

/** cr_rstrt_args.flags for the options: ASYNC_ERR always, so the log survives a failure. */
export function rstrtFlags(opts: Pick<RestartOptions, 'restorePid' | 'restorePgid' | 'restoreSid'>): number {
  let flags = CR_RSTRT.ASYNC_ERR;
  if (opts.restorePid) flags |= CR_RSTRT.RESTORE_PID;
  if (opts.restorePgid) flags |= CR_RSTRT.RESTORE_PGID;
  if (opts.restoreSid) flags |= CR_RSTRT.RESTORE_SID;
  return flags;
}

/** The restarted job: its pid, and how it ends. */
export interface RestartedJob {
  pid: number;
  ended: Promise<ChildEnd>;
}

export class BlcrRestart extends CtrlRequest {
  private srcFd?: number;
  private ownSrc = false;
  /** Helpers started, by pid; the one REAP names is the restarted job cr waits for. */
  readonly children = new Map<number, RestartChild>();

  constructor() {
    super('Restart', CR_OP.RSTRT_LOG);
  }

  /** CR_OP_RSTRT_REQ from the context file (read from offset 0) or the given fd (its current offset). */
  async request(opts: RestartOptions): Promise<void> {
    if (opts.source.kind === 'file') {
      try {
        this.srcFd = fs.openSync(opts.source.path, fs.constants.O_RDONLY);
        this.ownSrc = true;
      } catch (error) {
        throw restartFailed('open', Math.abs((error as NodeJS.ErrnoException).errno ?? E.EIO));
      }
    } else if (opts.source.kind === 'fd') this.srcFd = opts.source.fd;
    else throw new KernelError('CR_OP_RSTRT_REQ', E.EINVAL, 'internal error: --latest must be resolved to a file first');
    try {
      await this.ctrlFile().restartRequest({srcFd: this.srcFd!, signal: opts.signal, flags: rstrtFlags(opts), relocate: opts.relocate});
    } catch (error) {
      if (error instanceof KernelError) throw restartFailed('CR_OP_RSTRT_REQ', error.errno);
      throw error;
    }
  }

  /** The RSTRT_PROCS loop: one helper per process the kernel asks for. Returns how many were started. */
  async createProcesses(onChild?: (c: RestartChild) => void): Promise<number> {
    const ctrl = this.ctrlFile();
    for (;;) {
      let tbl;
      try {
        tbl = await ctrl.restartProcs();
      } catch (error) {
        if (error instanceof KernelError) throw restartFailed('CR_OP_RSTRT_PROCS', error.errno);
        throw error;
      }
      if (!tbl) return this.children.size;
      const child = await spawnRestartChild(ctrl.fd, this.srcFd!, tbl.threads, tbl.cloneFlags);
      this.children.set(child.pid, child);
      onChild?.(child);
    }
  }

  /** CR_OP_RSTRT_REAP: the restarted job's pid (0: its root is not cr's child). Closes the fds. */
  reap(withLog = true): number {
    return this.reapWith((ctrl) => ctrl.reapRestart(), (errno, log) => restartFailed('CR_OP_RSTRT_REAP', errno, log), withLog);
  }

  /**
   * The restarted job, pid `pid` as REAP gave it. With --restore-pid the kernel gives the helper
   * its old pid, so libuv (which waits for the helper's pid only) never sees it end: cr waits for
   * it with waitpid(2) on a worker thread. Without, the pid is the helper's own and libuv may reap
   * it first (waitpid then says ECHILD): its exit event says how it ended.
   */
  job(pid: number): RestartedJob {
    for (const c of this.children.values()) c.child.unref();
    const helper = this.children.get(pid);
    const ended = waitChild(pid).then(async (end) => {
      if (end) return end;
      if (helper) return helper.ended;
      throw new KernelError(`waitpid ${pid}`, E.ECHILD, `Restart failed: the restarted process ${pid} is not a child of cr`);
    });
    return {pid, ended};
  }

  /** Close the control fd (the kernel releases an unreaped request) and the context file. Idempotent. */
  override cancel(): void {
    super.cancel();
    if (this.ownSrc && this.srcFd !== undefined) fs.closeSync(this.srcFd);
    this.srcFd = undefined;
    this.ownSrc = false;
  }
}
