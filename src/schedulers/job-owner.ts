// Running as the job's owner, as the scheduler's sample scripts do (su to the user) when root runs them.
import os from 'node:os';
import {CrError, E} from '../errors/index.js';

/** When root, switch this process to `user` and `group` (names or ids); otherwise nothing to do. */
export function becomeJobOwner(user: string, group: string): void {
  if (process.geteuid?.() !== 0) return;
  if (user === 'root' || user === '0') return;
  try {
    // Node has these on POSIX when running as root (initgroups is missing from @types/node 20).
    const p = process as NodeJS.Process & {initgroups(user: string, group: string): void};
    p.initgroups(user, group);
    p.setgid!(group);
    p.setuid!(user);
  } catch (error) {
    throw new CrError(`cannot become the job owner ${user}:${group}: ${(error as Error).message}`, {exitCode: E.EPERM, code: 'EPERM'});
  }
  process.env.HOME = os.userInfo().homedir;
}
