// Scheduler tests: a directory holding `cr` (this checkout's bin/cr.js), to put first on PATH as a site would.
import fs from 'node:fs';
import path from 'node:path';
import {CR_BIN} from './paths.js';
import {TK_DIR} from './procs.js';

let dir: string | undefined;

/** A directory with `cr` -> bin/cr.js (made once per test run). */
export function crOnPath(): string {
  if (!dir) {
    dir = fs.mkdtempSync(path.join(TK_DIR, 'bin-'));
    fs.symlinkSync(CR_BIN, path.join(dir, 'cr'));
    fs.chmodSync(dir, 0o755);
  }
  return dir;
}
