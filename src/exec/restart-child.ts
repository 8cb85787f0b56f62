// Starting the native restart helper (native/build/cr-rstrt-child) for one RSTRT_PROCS entry.
// It must be a child of cr (BLCR makes the restarted process a child of the restarter) and it
// inherits the control fd as fd 3 and the context file as fd 4: the kernel removes both from the
// child's fd table when the restore begins (cr_module's cr_hide_filp), and logs "File descriptor
// closed unexpectedly!" for one it cannot find there.
import {type ChildProcess, spawn} from 'node:child_process';
import {CrError} from '../errors/index.js';
import {nativeBuildPath} from '../util/native-path.js';

/** The fd number the helper receives the control file on (the context file follows it). */
export const HELPER_CTRL_FD = 3;

/** How a child ended. */
export type {WaitEnd as ChildEnd} from '../abi/wait.js';
import type {WaitEnd as ChildEnd} from '../abi/wait.js';

export interface RestartChild {
  child: ChildProcess;
  pid: number;
  /** Resolves when the process (helper, then restarted program) ends. */
  ended: Promise<ChildEnd>;
}

/** Where the helper is: $CR_RSTRT_CHILD, or native/build/ of this installation. */
export function restartHelperPath(): string {
  if (process.env.CR_RSTRT_CHILD) return process.env.CR_RSTRT_CHILD;
  const helper = nativeBuildPath('cr-rstrt-child');
  if (helper) return helper;
  throw new CrError('Restart failed: the restart helper native/build/cr-rstrt-child is missing (run `npm install`, which builds it)', {exitCode: 2, code: 'ENOENT'});
}

/** Start one helper: `cr-rstrt-child 3 THREADS CLONE_FLAGS`, stdio shared with cr, the ctrl fd as
 *  fd 3 and the context file as fd 4. */
export function spawnRestartChild(ctrlFd: number, srcFd: number, threads: number, cloneFlags: number): Promise<RestartChild> {
  const child = spawn(restartHelperPath(), [String(HELPER_CTRL_FD), String(threads), `0x${cloneFlags.toString(16)}`], {
    stdio: ['inherit', 'inherit', 'inherit', ctrlFd, srcFd],
  });
  const ended = new Promise<ChildEnd>((resolve) => child.once('exit', (code, signal) => resolve({code, signal})));
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve({child, pid: child.pid!, ended}));
    child.once('error', (error) => reject(new CrError(`Restart failed: cannot start ${restartHelperPath()}: ${error.message}`, {exitCode: 2, code: 'ENOENT'})));
  });
}
