// The one /proc scanner: a process's state and linkage from /proc/PID/stat, all processes, and the
// pids a checkpoint scope covers.
import fs from 'node:fs';
import type {Scope} from '../schema/index.js';

export interface ProcStat {
  pid: number;
  /** The state letter: R, S, D, T (stopped), t (traced), Z, X, ... */
  state: string;
  ppid: number;
  pgrp: number;
  sid: number;
}

/** The fields of /proc/PID/stat after the command name (field 3 on), or undefined when it is gone.
 *  The command name may hold spaces and parentheses: the fields start after the last ')'. */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** /proc/PID/stat of one process, or undefined when it is gone (zombies included). */
export function readStat(pid: number): ProcStat | undefined {
  const f = statFields(pid);
  if (f === undefined || f[0] === 'Z' || f[0] === 'X') return undefined;
  return {pid, state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), sid: Number(f[3])};
}

/** When `pid` started, in clock ticks since boot (field 22 of /proc/PID/stat), or undefined when it
 *  is gone: with the pid, it tells a process from a later one that reused its pid. */
export function startTimeOf(pid: number): number | undefined {
  const t = Number(statFields(pid)?.[19]);
  return Number.isSafeInteger(t) ? t : undefined;
}

/** Whether `pid` is a live (not zombie) process. */
export const isAlive = (pid: number) => readStat(pid) !== undefined;

/** Every live process. */
export function allProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const p = readStat(Number(d));
    if (p) out.push(p);
  }
  return out;
}

/** Pids a checkpoint of `target` in `scope` covers, as /proc shows them now. */
export function pidsInScope(target: number, scope: Scope, procs: ProcStat[] = allProcs()): number[] {
  if (scope === 'proc') return procs.some((p) => p.pid === target) ? [target] : [];
  if (scope === 'pgrp') return procs.filter((p) => p.pgrp === target).map((p) => p.pid);
  if (scope === 'sess') return procs.filter((p) => p.sid === target).map((p) => p.pid);
  const tree = new Set<number>(procs.some((p) => p.pid === target) ? [target] : []);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (tree.has(p.ppid) && !tree.has(p.pid)) (tree.add(p.pid), (grew = true));
  }
  return [...tree];
}
