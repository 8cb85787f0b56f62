// Where the native helpers built by `npm install` (native/build/) are, seen from this installation.
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const found = new Map<string, string | null>();

/** The path of native/build/`name` of this installation, or undefined when it was not built. */
export function nativeBuildPath(name: string): string | undefined {
  if (!found.has(name)) {
    let hit: string | null = null;
    for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'native', 'build', name);
      if (fs.existsSync(candidate)) {
        hit = candidate;
        break;
      }
    }
    found.set(name, hit);
  }
  return found.get(name) ?? undefined;
}
