// Running a user's hook command as system(3) would: sh -c CMD, stdio shared, its exit status back.
import {CrError} from '../errors/index.js';
import {statusForSignal} from '../util/signals.js';

/** Run `command` with /bin/sh; resolves to its exit status (128 + n when killed by signal n). */
export async function runShellHook(command: string, env: Record<string, string> = {}): Promise<number> {
  const {execa} = await import('execa');
  const r = await execa('/bin/sh', ['-c', command], {stdio: 'inherit', reject: false, env: {...process.env, ...env}});
  if (r.failed && r.exitCode === undefined && !r.signal) {
    throw new CrError(`cannot run hook \`${command}\`: ${r.shortMessage}`, {exitCode: 1, code: 'EHOOK'});
  }
  if (r.signal) return statusForSignal(r.signal);
  return r.exitCode ?? 1;
}

/** How long a --while-quiesced command has after SIGTERM before its process group gets SIGKILL;
 *  as long again is allowed for the group to be gone after SIGKILL. */
export const COMMAND_KILL_AFTER_MS = 5000;

/** Run `command` with /bin/sh while cr holds a job; its output goes to cr's stderr so that a --json
 *  document on stdout stays clean. Resolves to its exit status (128 + n when killed by signal n).
 *  The command runs in a process group of its own: when `signal` aborts, the whole group gets
 *  SIGTERM, then SIGKILL after `killAfterMs`, and this resolves only once the shell has exited and
 *  no process of the group is left (or the bound after SIGKILL passed), so that nothing the
 *  command started still runs when the caller goes on (resumes the devices). */
export async function runShellCommand(command: string, env: Record<string, string> = {}, signal?: AbortSignal, killAfterMs = COMMAND_KILL_AFTER_MS): Promise<number> {
  const {execa} = await import('execa');
  const child = execa('/bin/sh', ['-c', command], {stdin: 'ignore', stdout: 2, stderr: 'inherit', reject: false, detached: true, env: {...process.env, ...env}});
  const pgid = child.pid;
  let ending: Promise<void> | undefined;
  const end = () => (ending ??= endGroup(pgid!, child, killAfterMs));
  if (signal?.aborted) void end();
  signal?.addEventListener('abort', () => void end(), {once: true});
  const r = await child;
  if (ending) await ending;
  else if (pgid !== undefined && groupAlive(pgid) && signal?.aborted) await end();
  if (r.failed && r.exitCode === undefined && !r.signal) {
    throw new CrError(`cannot run \`${command}\`: ${r.shortMessage}`, {exitCode: 1, code: 'EEXEC'});
  }
  if (r.signal) return statusForSignal(r.signal);
  return r.exitCode ?? 1;
}

/** Whether process group `pgid` still has a member. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** SIGTERM to the group; SIGKILL once `killAfterMs` has passed with a member left; returns once
 *  the shell has exited and the group is empty, or `killAfterMs` after the SIGKILL. */
async function endGroup(pgid: number, shell: Promise<unknown>, killAfterMs: number): Promise<void> {
  let shellDone = false;
  void shell.finally(() => (shellDone = true));
  const gone = () => shellDone && !groupAlive(pgid);
  const until = async (ms: number) => {
    const deadline = performance.now() + ms;
    while (!gone() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };
  killGroup(pgid, 'SIGTERM');
  await until(killAfterMs);
  if (gone()) return;
  killGroup(pgid, 'SIGKILL');
  await until(killAfterMs);
}
