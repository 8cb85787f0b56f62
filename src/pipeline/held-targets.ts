// BLCR cannot cancel a checkpoint once requested, and it sends the after-checkpoint signal even
// when the dump failed. So cr never asks the kernel for a signal that harms the job: for anything
// but "run on" it asks for SIGSTOP, holds the stopped targets until the checkpoint is durable (or
// has failed), and then lets them go with the requested signal (or, on failure, continues them).
import os from 'node:os';
import {KernelError} from '../errors/index.js';
import {readStat} from '../procfs/stat.js';
import {signalNumber} from '../util/signals.js';

const SIGSTOP = signalNumber('SIGSTOP')!;
const SIGCONT = signalNumber('SIGCONT')!;

/** Whether the requested after-checkpoint signal has to wait for a durable checkpoint: every
 *  signal but none and SIGCONT (a negative number is BLCR's "early" variant of the same signal). */
export const mustHold = (requested: number) => requested !== 0 && Math.abs(requested) !== SIGCONT;

/** The signal the kernel is asked for while cr holds the targets: SIGSTOP (early if asked early). */
export const heldSignal = (requested: number) => (requested < 0 ? -SIGSTOP : SIGSTOP);

/** Of `pids`, those stopped (job control) right now: a release never continues them. */
export function stoppedNow(pids: number[]): number[] {
  return pids.filter((pid) => readStat(pid)?.state === 'T');
}

/** Let the held targets go with the requested signal: none or SIGCONT continues them, SIGSTOP
 *  leaves them stopped, any other is sent and then SIGCONT so that it is delivered. Targets that
 *  are gone are skipped. */
export function releaseTargets(pids: number[], requested: number): void {
  const sig = Math.abs(requested);
  const signals = sig === SIGSTOP ? [] : sig > 0 && sig !== SIGCONT ? [sig, SIGCONT] : [SIGCONT];
  for (const s of signals) {
    for (const pid of pids) {
      try {
        process.kill(pid, s);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ESRCH') continue;
        throw new KernelError(`kill ${pid} ${s}`, os.constants.errno[code as keyof typeof os.constants.errno] ?? 1);
      }
    }
  }
}
