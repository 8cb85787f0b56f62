// cr inside the scope of its own checkpoint, as when a program checkpoints itself through
// system("cr_checkpoint ... $PID"). cr omits itself from the request (its CR_SIGNUM handler,
// src/abi/blcr/self-omit.ts), but the program waits for its child, cr: restarted without it, the
// program would find no child. BLCR's cr_checkpoint forks, so that a checkpointable parent is
// what the program waits for; cr does the same by replacing itself (same pid) with the native
// cr-chkpt-parent, which runs this same command line again in a child and exits as it does, or 0
// in the restarted copy (spec §4.1 "Process structure").
import {execProgram} from '../abi/process.js';
import type {CheckpointOptions} from '../schema/index.js';
import {nativeBuildPath} from '../util/native-path.js';
import {readStat} from '../procfs/stat.js';

/** Set in the child's environment: the pid of the parent left in cr's place. */
export const STOOD_ASIDE_ENV = 'CR_CHECKPOINT_PARENT';
export const PARENT_HELPER = 'cr-chkpt-parent';

/** Whether process `self` (cr) falls in the scope of a request for `target`: its own pid
 *  (PROC), group, session, or a tree rooted at itself or an ancestor. Target 0 names cr. */
export function scopeIncludes(target: number, scope: CheckpointOptions['scope'], self: number = process.pid): boolean {
  if (target === 0 || ((scope === 'proc' || scope === 'tree') && target === self)) return true;
  const st = readStat(self);
  if (!st) return false;
  if (scope === 'pgrp') return target === st.pgrp;
  if (scope === 'sess') return target === st.sid;
  if (scope === 'tree') {
    for (let p: number | undefined = st.ppid, hops = 0; p !== undefined && p > 0 && hops < 65536; hops++) {
      if (p === target) return true;
      if (p === 1) break;
      p = readStat(p)?.ppid;
    }
  }
  return false;
}

/** Whether the scope takes in the process that would stand in cr's place (cr's pid, its group,
 *  its session, its ancestors): not for target 0 with PROC or TREE, which the kernel resolves to
 *  the requester, the child. */
function parentInScope(target: number, scope: CheckpointOptions['scope']): boolean {
  if (target === 0) return scope === 'pgrp' || scope === 'sess';
  return scopeIncludes(target, scope);
}

/** When cr's own process is in the scope, exec the parent helper (never returns); otherwise, or
 *  when this is already the child (or the helper was not built), return and checkpoint here. */
export function standAsideIfInScope(opts: Pick<CheckpointOptions, 'target' | 'scope'>): void {
  const parent = process.env[STOOD_ASIDE_ENV];
  if (parent !== undefined) {
    delete process.env[STOOD_ASIDE_ENV];
    if (parent === String(process.ppid)) return;
  }
  if (!parentInScope(opts.target, opts.scope)) return;
  const helper = nativeBuildPath(PARENT_HELPER);
  if (!helper) return;
  const env = {...(process.env as Record<string, string>), [STOOD_ASIDE_ENV]: String(process.pid)};
  try {
    execProgram(helper, [helper, process.execPath, ...process.execArgv, ...process.argv.slice(1)], env);
  } catch {
    // The helper would not run: checkpoint from here; cr still leaves itself out.
  }
}
