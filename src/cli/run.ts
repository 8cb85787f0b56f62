// Entry used by bin/cr.js: run oclif, then flush and exit with the command's status.
import {execute} from '@oclif/core';
import {RUN_OWN_OPTIONS, splitRunArgv} from './run-argv.js';

/** cr's argv for oclif. `cr run`'s options stop at PROG: a `--` is put before PROG so that oclif
 *  never takes PROG's own words (`--help`, `--version`, ...) for cr's. */
export function argvForOclif(argv: string[]): string[] {
  if (argv[0] !== 'run') return argv;
  const {options, program} = splitRunArgv(argv.slice(1), RUN_OWN_OPTIONS);
  return ['run', ...options, ...(program.length > 0 ? ['--', ...program] : [])];
}

/** Run the CLI with `argv`; `binUrl` is bin/cr.js's import.meta.url (oclif finds package.json from it). */
export async function main(binUrl: string, argv: string[] = process.argv.slice(2)): Promise<void> {
  await execute({dir: binUrl, args: argvForOclif(argv)});
}
