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

/** Run `command` with /bin/sh while cr holds a job; its output goes to cr's stderr so that a --json
 *  document on stdout stays clean. Resolves to its exit status (128 + n when killed by signal n). */
export async function runShellCommand(command: string, env: Record<string, string> = {}): Promise<number> {
  const {execa} = await import('execa');
  const r = await execa('/bin/sh', ['-c', command], {stdin: 'ignore', stdout: 2, stderr: 'inherit', reject: false, env: {...process.env, ...env}});
  if (r.failed && r.exitCode === undefined && !r.signal) {
    throw new CrError(`cannot run \`${command}\`: ${r.shortMessage}`, {exitCode: 1, code: 'EEXEC'});
  }
  if (r.signal) return statusForSignal(r.signal);
  return r.exitCode ?? 1;
}
