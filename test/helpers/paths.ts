// Paths of the project seen from the compiled tests (dist/test/helpers/*.js).
import {fileURLToPath} from 'node:url';
import path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The `cr` executable (bin/cr.js). */
export const CR_BIN = path.join(ROOT, 'bin', 'cr.js');
/** Where the test kernel and its fixtures are built. */
export const TK_BUILD = path.join(ROOT, 'test', 'kernel', 'build');
/** The LD_PRELOAD library emulating /proc/checkpoint/ctrl. */
export const TESTKERNEL_SO = path.join(TK_BUILD, 'libcr_testkernel.so');
/** BLCR's tools as cr ships them (bin/cr_checkpoint.js, bin/cr_restart.js, bin/cr_run.js). */
export const toolBin = (tool: 'cr_checkpoint' | 'cr_restart' | 'cr_run') => path.join(ROOT, 'bin', `${tool}.js`);
