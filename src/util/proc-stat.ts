// /proc/PID/stat: the ids cr needs (parent, process group, session) and the state letter.
import fs from 'node:fs';

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  sid: number;
}

/** The stat of `pid` (`self` for the calling process), or undefined when it is gone. */
export function procStat(pid: number | 'self'): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The comm field is in parentheses and may itself contain ')' or spaces.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {pid: Number(text.slice(0, text.indexOf(' '))), state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), sid: Number(f[3])};
}
