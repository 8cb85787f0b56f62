// The files the targets have open or mapped, read from /proc before the checkpoint, for the manifest.
import fs from 'node:fs';
import type {OpenFile} from './manifest.js';

function describe(pid: number, use: string, p: string): OpenFile | undefined {
  if (!p.startsWith('/') || p.startsWith('/proc/') || p.startsWith('/dev/') || p.endsWith(' (deleted)')) return undefined;
  try {
    const st = fs.statSync(p);
    if (!st.isFile() && !st.isDirectory()) return undefined;
    return {pid, use, path: p, size: st.isFile() ? st.size : null, mtimeMs: st.mtimeMs, inode: st.ino};
  } catch {
    return {pid, use, path: p, size: null, mtimeMs: null, inode: null};
  }
}

/** Open fds, mapped files, exe and cwd of `pids` (files that vanish while reading are skipped). */
export function openFilesOf(pids: number[]): OpenFile[] {
  const out: OpenFile[] = [];
  for (const pid of pids) {
    const link = (l: string) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/${l}`);
      } catch {
        return undefined;
      }
    };
    for (const [use, l] of [['exe', 'exe'], ['cwd', 'cwd']] as const) {
      const p = link(l);
      const f = p && describe(pid, use, p);
      if (f) out.push(f);
    }
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds.sort((a, b) => Number(a) - Number(b))) {
      const p = link(`fd/${fd}`);
      const f = p && describe(pid, `fd ${fd}`, p);
      if (f) out.push(f);
    }
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
      const f = describe(pid, 'map', p);
      if (f) out.push(f);
    }
  }
  return out;
}
