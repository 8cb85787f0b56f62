// Fault injection for crash tests: CR_CRASH_POINT=<phase> makes cr SIGKILL itself when that phase
// starts, as a power cut or `kill -9` would. Unset (always, outside tests) it does nothing.
import os from 'node:os';

/** Die here, uncleanly, if the crash point names this phase. */
export function crashPoint(phase: string): void {
  if (process.env.CR_CRASH_POINT === phase) process.kill(process.pid, 'SIGKILL');
}

/** Fault injection for the steps after the dump (test-only, like CR_CRASH_POINT): with
 *  CR_FAULT_POINT=<step>:<ERRNO name> (e.g. `publish-rename:ENOSPC`) the system call of that step
 *  fails as if the kernel had returned that errno. Steps: fsync, backup-rename, publish-rename,
 *  fsync-dir, manifest-write, manifest-rename. Unset (always, outside tests) it does nothing. */
export function faultPoint(step: string): void {
  const spec = process.env.CR_FAULT_POINT;
  if (!spec) return;
  const at = spec.lastIndexOf(':');
  if (spec.slice(0, at) !== step) return;
  const code = spec.slice(at + 1);
  const errno = (os.constants.errno as Record<string, number>)[code];
  if (errno === undefined) return;
  throw Object.assign(new Error(`${code}: injected fault (CR_FAULT_POINT), ${step}`), {code, errno: -errno, syscall: step});
}
