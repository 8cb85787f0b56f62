// Signals received while `cr restart` runs: before the job exists they are held (SIGINT/SIGTERM also
// cancel the request); once the job is known they all go to it (job-control stops to cr too).

/** Signals passed on to the restarted job, as cr_restart does. */
export const FORWARDED: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGTERM', 'SIGCONT', 'SIGWINCH', 'SIGURG', 'SIGVTALRM', 'SIGPROF', 'SIGPWR'];
/** Job-control stops go to the job and to cr itself. */
const STOPS: NodeJS.Signals[] = ['SIGTSTP', 'SIGTTIN', 'SIGTTOU'];
const CANCELS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export class SignalRelay {
  /** Aborted by SIGINT/SIGTERM before the job is known. */
  readonly abort = new AbortController();
  private job?: (sig: NodeJS.Signals) => void;
  private held: NodeJS.Signals[] = [];
  private readonly listeners = [...FORWARDED, ...STOPS].map((sig) => [sig, () => this.on(sig)] as const);

  /** Start listening (this also keeps Node's own SIGUSR1 debugger hook out of the way). */
  start(): this {
    for (const [sig, fn] of this.listeners) process.on(sig, fn);
    return this;
  }

  /** The job is known (`send` signals it): pass on what was held, and everything from now on. */
  forwardTo(send: (sig: NodeJS.Signals) => void): void {
    this.job = send;
    for (const sig of this.held.splice(0)) this.deliver(sig);
  }

  stop(): void {
    for (const [sig, fn] of this.listeners) process.off(sig, fn);
  }

  private on(sig: NodeJS.Signals): void {
    if (this.job) return this.deliver(sig);
    // Held in any case: if the restart completes before the cancel is seen, the job gets it.
    this.held.push(sig);
    if (CANCELS.includes(sig)) this.abort.abort(sig);
  }

  private deliver(sig: NodeJS.Signals): void {
    try {
      this.job!(sig);
    } catch {
      // the job is gone; its end is on the way
    }
    if (STOPS.includes(sig)) process.kill(process.pid, 'SIGSTOP');
  }
}

/** The signals that end a checkpoint cleanly, on and off a terminal: the request is abandoned,
 *  the kernel is waited for, held targets are continued, the temporary removed; exit 128 + signo. */
export const CLEANUP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** Abort `abort` on the first of CLEANUP_SIGNALS; a later one calls `again` (cr is already
 *  cleaning up: BLCR cannot cancel a dump, so it is not cut short). Returns the undo. */
export function abortOnCleanupSignals(abort: AbortController, again: (sig: NodeJS.Signals) => void = () => {}): () => void {
  const on = (sig: NodeJS.Signals) => (abort.signal.aborted ? again(sig) : abort.abort(sig));
  for (const sig of CLEANUP_SIGNALS) process.on(sig, on);
  return () => {
    for (const sig of CLEANUP_SIGNALS) process.off(sig, on);
  };
}
