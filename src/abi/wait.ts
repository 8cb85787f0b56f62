// waitpid(2) on a koffi worker thread, for a child that libuv does not know by its pid: BLCR
// gives a restarted process its old pid, so the helper cr spawned (and libuv watches) turns into
// a process with another pid. libuv only ever waits for the pids it spawned (never for -1), so
// this wait and libuv's SIGCHLD handling do not take each other's children.
import {KernelError} from '../errors/index.js';
import {koffi} from './koffi.js';
import {signalName} from '../util/signals.js';

/** Wait for clones and ordinary children alike, as cr_restart does. */
const WALL = 0x40000000;
const EINTR = 4;
const ECHILD = 10;

/** How a process ended: exactly one of code and signal is set. */
export interface WaitEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

let waitpidFn: any;

function fn() {
  waitpidFn ??= koffi().load(null).func('int waitpid(int pid, void *status, int options)');
  return waitpidFn;
}


/** Decode a wait status word (exited or killed; waitpid without WUNTRACED reports nothing else). */
export function decodeWaitStatus(status: number): WaitEnd {
  const sig = status & 0x7f;
  if (sig === 0) return {code: (status >> 8) & 0xff, signal: null};
  return {code: null, signal: signalName(sig)};
}

/**
 * Wait until child `pid` ends, off the event loop. Resolves to how it ended, or to undefined when
 * it is not (or no longer) a child of this process (ECHILD: someone else reaped it).
 */
export function waitChild(pid: number): Promise<WaitEnd | undefined> {
  return new Promise((resolve, reject) => {
    const status = Buffer.alloc(4);
    const once = () =>
      fn().async(pid, status, WALL, (err: unknown, r: number) => {
        if (err) return reject(err);
        if (r === pid) return resolve(decodeWaitStatus(status.readInt32LE(0)));
        const errno = koffi().errno();
        if (r < 0 && errno === EINTR) return once();
        if (r < 0 && errno === ECHILD) return resolve(undefined);
        reject(new KernelError(`waitpid ${pid}`, r < 0 ? errno : 0));
      });
    once();
  });
}
