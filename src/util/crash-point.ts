// Fault injection for crash tests: CR_CRASH_POINT=<phase> makes cr SIGKILL itself when that phase
// starts, as a power cut or `kill -9` would. Unset (always, outside tests) it does nothing.
import os from 'node:os';

/** Die here, uncleanly, if the crash point names this phase. */
export function crashPoint(phase: string): void {
  if (process.env.CR_CRASH_POINT === phase) process.kill(process.pid, 'SIGKILL');
}

/** The errno a test asks `step` to fail with: CR_FAULT_POINT=<step>:<ERRNO name> (test-only, like
 *  CR_CRASH_POINT), e.g. `publish-rename:ENOSPC` or `flock:ENOSYS`. Steps: fsync, backup-rename,
 *  publish-rename, fsync-dir, manifest-write, manifest-rename (faultPoint), and flock (the job
 *  lock's flock(2), as on Lustre without -o flock). Unset (always, outside tests): undefined. */
export function faultErrno(step: string): number | undefined {
  const spec = process.env.CR_FAULT_POINT;
  if (!spec) return undefined;
  const at = spec.lastIndexOf(':');
  if (spec.slice(0, at) !== step) return undefined;
  return (os.constants.errno as Record<string, number>)[spec.slice(at + 1)];
}

/** Make `step`'s system call fail here, as if the kernel had returned the errno CR_FAULT_POINT names. */
export function faultPoint(step: string): void {
  const errno = faultErrno(step);
  if (errno === undefined) return;
  const code = process.env.CR_FAULT_POINT!.slice(process.env.CR_FAULT_POINT!.lastIndexOf(':') + 1);
  throw Object.assign(new Error(`${code}: injected fault (CR_FAULT_POINT), ${step}`), {code, errno: -errno, syscall: step});
}
