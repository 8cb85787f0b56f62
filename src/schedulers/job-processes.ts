// Which processes a scheduler's job id stands for. A job restarted by `cr restart` runs as the
// child of that cr process, which never loads libcr and cannot be checkpointed itself: the job is
// then cr's child.
import fs from 'node:fs';
import {CrError, E} from '../errors/index.js';
import {allProcs} from '../procfs/stat.js';
import type {Scope} from '../schema/index.js';

/** Whether `pid` runs this same cr (same interpreter and the same cr script). */
export function isCrProcess(pid: number, self = {exe: fs.realpathSync(process.execPath), script: fs.realpathSync(process.argv[1])}): boolean {
  try {
    if (fs.realpathSync(`/proc/${pid}/exe`) !== self.exe) return false;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.length > 1 && argv[1] !== '' && fs.realpathSync(argv[1]) === self.script;
  } catch {
    return false;
  }
}

/** The root of the job `id` names under `scope`: cr processes are replaced by the job they run. */
export function jobTarget(id: number, scope: Scope, isCr: (pid: number) => boolean = isCrProcess): {target: number; scope: Scope} {
  const procs = allProcs();
  const members =
    scope === 'pgrp' ? procs.filter((p) => p.pgrp === id) : scope === 'sess' ? procs.filter((p) => p.sid === id) : procs.filter((p) => p.pid === id);
  const cr = members.find((p) => isCr(p.pid));
  if (!cr) return {target: id, scope};
  const kids = procs.filter((p) => p.ppid === cr.pid);
  if (kids.length !== 1) {
    throw new CrError(`the job of ${id} runs under cr (pid ${cr.pid}), which has ${kids.length} child processes: expected exactly one`, {exitCode: E.ESRCH, code: 'ESRCH'});
  }
  return {target: kids[0].pid, scope: 'tree'};
}
