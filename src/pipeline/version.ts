// cr's own version, from package.json (read once, when a manifest needs it).
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

function find(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      if (pj.name === 'cr') return String(pj.version);
    } catch {
      // not here
    }
  }
  return 'unknown';
}

let cached: string | undefined;

/** cr's version (package.json), read on first use. */
export const crVersion = (): string => (cached ??= find());
