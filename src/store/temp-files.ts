// Names of in-progress files, and removal of the ones a killed cr left behind.
import fs from 'node:fs';
import path from 'node:path';

const TEMP_RE = /^\.(.+)\.(\d+)\.cr-tmp$/;

/** The temporary name used while `finalPath` is being written by process `pid`. */
export function tempPathFor(finalPath: string, pid = process.pid): string {
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${pid}.cr-tmp`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove temporaries for `finalPath` (or, with `anyName`, for any file of its directory) whose
 *  writer is gone; returns the names removed. */
export function removeStaleTemps(finalPath: string, anyName = false): string[] {
  const dir = path.dirname(finalPath);
  const base = path.basename(finalPath);
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP_RE.exec(name);
    if (!m || (!anyName && m[1] !== base) || Number(m[2]) === process.pid || alive(Number(m[2]))) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return removed;
}
