// Mocha root hooks: build the C fixtures (test kernel, stand-in libcr, test programs) once. With
// the BLCR kernel (a guest with the repository read-only) they must have been built beforehand.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {libcr, ON_BLCR} from './kernel.js';
import {ROOT, TK_BUILD} from './paths.js';

export function mochaGlobalSetup(): void {
  if (!ON_BLCR) {
    execFileSync('make', ['-s', '-C', path.join(ROOT, 'test', 'kernel')], {stdio: 'inherit'});
    return;
  }
  const needed = [path.join(TK_BUILD, 'counter'), path.join(TK_BUILD, 'tracer'), libcr('run'), libcr('omit')];
  const missing = needed.filter((f) => !fs.existsSync(f));
  if (missing.length > 0) throw new Error(`CR_TEST_KERNEL=blcr: missing ${missing.join(', ')} (run make -C test/kernel on the host; CR_BLCR_PREFIX names BLCR's install)`);
}
