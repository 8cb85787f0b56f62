// Mocha root hooks: build the C fixtures (test kernel, stand-in libcr, test programs) once.
import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {ROOT} from './paths.js';

export function mochaGlobalSetup(): void {
  execFileSync('make', ['-s', '-C', path.join(ROOT, 'test', 'kernel')], {stdio: 'inherit'});
}
