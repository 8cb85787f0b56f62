// The files the targets have open or mapped, read from /proc before the checkpoint, for the manifest.
// Only /proc is read here (readlink of /proc/PID/fd/N and /proc/PID/maps never touch the file's own
// file system); the stat of the files themselves, which does and hangs on a hung mount, is bounded
// in time and made off the event loop (src/exec/stat-paths.ts).
import fs from 'node:fs';
import {STAT_DEADLINE_MS, statPaths} from '../exec/stat-paths.js';
import type {OpenFile} from './manifest.js';

interface Use {
  pid: number;
  use: string;
  path: string;
}

const worthStat = (p: string) => p.startsWith('/') && !p.startsWith('/proc/') && !p.startsWith('/dev/') && !p.endsWith(' (deleted)');

/** The open files and what could not be looked at in time (a line each, for warnings). */
export interface OpenFilesReport {
  files: OpenFile[];
  unstatted: string[];
}

/** Open fds, mapped files, exe and cwd of `pids` (files that vanish while reading are skipped):
 *  regular files and directories with size, mtime and inode. A file whose stat does not answer
 *  within `deadlineMs` (in all) is listed with nulls and named in `unstatted`. */
export async function openFilesOf(pids: number[], deadlineMs = STAT_DEADLINE_MS): Promise<OpenFilesReport> {
  const uses = usesOf(pids);
  const unique = [...new Set(uses.map((u) => u.path))];
  const answers = await statPaths(unique, deadlineMs);
  const byPath = new Map(unique.map((p, i) => [p, answers[i]]));
  const files: OpenFile[] = [];
  const unstatted = new Set<string>();
  for (const {pid, use, path} of uses) {
    const a = byPath.get(path);
    if (a === undefined) {
      unstatted.add(path);
      files.push({pid, use, path, size: null, mtimeMs: null, inode: null});
    } else if ('error' in a) files.push({pid, use, path, size: null, mtimeMs: null, inode: null});
    else if (a.kind !== 'other') files.push({pid, use, path, size: a.kind === 'file' ? a.size : null, mtimeMs: a.mtimeMs, inode: a.ino});
  }
  return {files, unstatted: [...unstatted].map((p) => `${p}: no answer to stat(2) within ${deadlineMs} ms (a hung mount?): recorded without size, mtime and inode`)};
}

/** What /proc says each pid uses: exe, cwd, fds, mappings (paths worth a stat only). */
function usesOf(pids: number[]): Use[] {
  const out: Use[] = [];
  for (const pid of pids) {
    const add = (use: string, p: string | undefined) => {
      if (p && worthStat(p)) out.push({pid, use, path: p});
    };
    const link = (l: string) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/${l}`);
      } catch {
        return undefined;
      }
    };
    add('exe', link('exe'));
    add('cwd', link('cwd'));
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds.sort((a, b) => Number(a) - Number(b))) add(`fd ${fd}`, link(`fd/${fd}`));
    let maps = '';
    try {
      maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      continue;
    }
    const seen = new Set<string>();
    for (const line of maps.split('\n')) {
      const p = line.split(/\s+/).slice(5).join(' ');
      if (!p || seen.has(p)) continue;
      seen.add(p);
      add('map', p);
    }
  }
  return out;
}
