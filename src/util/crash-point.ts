// Fault injection for crash tests: CR_CRASH_POINT=<phase> makes cr SIGKILL itself when that phase
// starts, as a power cut or `kill -9` would. Unset (always, outside tests) it does nothing.

/** Die here, uncleanly, if the crash point names this phase. */
export function crashPoint(phase: string): void {
  if (process.env.CR_CRASH_POINT === phase) process.kill(process.pid, 'SIGKILL');
}
