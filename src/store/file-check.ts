// Before a restart: the files a checkpoint recorded (manifest) against the file system now.
// Missing, moved and changed files are listed; a moved tree gets the --relocate that fixes it.
import fs from 'node:fs';
import path from 'node:path';
import type {OpenFile} from './manifest.js';

export interface FileCheck {
  missing: string[];
  changed: Array<{path: string; why: string}>;
  /** OLD=NEW pairs that would map the missing files onto where they are now. */
  relocate: Array<[string, string]>;
}

function statOf(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

/** Where a missing file went, if a directory on its path was renamed within its parent: the
 *  same relative path under a sibling directory, with the recorded inode. */
function findMovedTree(file: OpenFile): [string, string] | undefined {
  if (file.inode === null) return undefined;
  let dir = path.dirname(file.path);
  let rest = path.basename(file.path);
  while (dir !== path.dirname(dir)) {
    const parent = path.dirname(dir);
    if (statOf(parent)?.isDirectory()) {
      let siblings: string[] = [];
      try {
        siblings = fs.readdirSync(parent);
      } catch {
        return undefined;
      }
      for (const s of siblings) {
        const candidate = path.join(parent, s, rest);
        if (statOf(candidate)?.ino === file.inode) return [dir, path.join(parent, s)];
      }
      return undefined;
    }
    rest = path.join(path.basename(dir), rest);
    dir = parent;
  }
  return undefined;
}

/** Compare recorded files with the file system. Mapped system libraries count like any file. */
export function checkRecordedFiles(files: OpenFile[]): FileCheck {
  const missing = new Set<string>();
  const changed = new Map<string, string>();
  const relocate = new Map<string, string>();
  for (const f of files) {
    const st = statOf(f.path);
    if (!st) {
      if (f.inode === null) continue; // it was already gone at checkpoint time
      missing.add(f.path);
      const moved = findMovedTree(f);
      if (moved) relocate.set(moved[0], moved[1]);
      continue;
    }
    if (f.inode !== null && st.ino !== f.inode) changed.set(f.path, 'replaced (another inode)');
    else if (f.size !== null && st.isFile() && st.size !== f.size) changed.set(f.path, `size ${f.size} -> ${st.size}`);
    else if (f.mtimeMs !== null && st.isFile() && st.mtimeMs !== f.mtimeMs) changed.set(f.path, 'modified since the checkpoint');
  }
  return {missing: [...missing], changed: [...changed].map(([p, why]) => ({path: p, why})), relocate: [...relocate]};
}
