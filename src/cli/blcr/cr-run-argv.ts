// cr_run's command line as util/cr_run/cr_run.in reads it: --help/-?, --version, --omit, --run
// (the last of --omit/--run wins), `--`, then the program and its arguments, untouched.
import {splitRunArgv} from '../run-argv.js';

const KNOWN = new Set(['--help', '-?', '--version', '--omit', '--run']);

export type CrRunOutcome =
  | {kind: 'help'}
  | {kind: 'version'}
  /** No program: cr_run's `exec` with no arguments, which exits 0. */
  | {kind: 'nothing'}
  | {kind: 'run'; omit: boolean; program: string; args: string[]};

/** Parse cr_run's argv (without argv[0]). */
export function parseCrRun(argv: readonly string[]): CrRunOutcome {
  const {options, program} = splitRunArgv(argv, KNOWN);
  let omit = false;
  for (const o of options) {
    // The shell script acts on each option as it comes: help and version end it there.
    if (o === '--help' || o === '-?') return {kind: 'help'};
    if (o === '--version') return {kind: 'version'};
    omit = o === '--omit';
  }
  if (program.length === 0) return {kind: 'nothing'};
  return {kind: 'run', omit, program: program[0], args: program.slice(1)};
}

/** cr_run's LD_PRELOAD: the library first, then the old entries (split at ':') without empty
 *  ones and without any whose base name starts libcr_run.so or libcr_omit.so, joined by ':'. */
export function crRunPreload(lib: string, current: string | undefined): string {
  const kept = (current ?? '').split(':').filter((e) => {
    if (e === '') return false;
    const base = e.replace(/\/+$/, '').split('/').pop() ?? e;
    return !base.startsWith('libcr_run.so') && !base.startsWith('libcr_omit.so');
  });
  return [lib, ...kept].join(':');
}
