// A checkpoint with --quiesce holds its targets stopped past the dump: the signal the kernel is
// asked for, and how the targets are let go afterwards.
import os from 'node:os';
import {KernelError} from '../errors/index.js';

const SIGSTOP = os.constants.signals.SIGSTOP;
const SIGCONT = os.constants.signals.SIGCONT;

/** The signal the kernel is asked for while cr holds the targets: SIGSTOP (early if asked early). */
export const heldSignal = (requested: number) => (requested === -SIGSTOP ? -SIGSTOP : SIGSTOP);

/** Let the held targets go with the requested signal: none or SIGCONT continues them, SIGSTOP
 *  leaves them stopped, any other is sent and then SIGCONT so that it is delivered. Targets that
 *  are gone are skipped. */
export function releaseTargets(pids: number[], requested: number): void {
  const signals = requested === SIGSTOP || requested === -SIGSTOP ? [] : requested > 0 && requested !== SIGCONT ? [requested, SIGCONT] : [SIGCONT];
  for (const sig of signals) {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ESRCH') continue;
        throw new KernelError(`kill ${pid} ${sig}`, os.constants.errno[code as keyof typeof os.constants.errno] ?? 1);
      }
    }
  }
}
