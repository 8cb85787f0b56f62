// The command line of cr_run and `cr run`: options come first and stop at `--` or at the first
// word that is not one of them (the program); everything from the program on is its argv.

/** Split `argv` into the leading options (of `known`) and the program with its arguments. */
export function splitRunArgv(argv: readonly string[], known: ReadonlySet<string>): {options: string[]; program: string[]} {
  const options: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    if (argv[i] === '--') {
      i++;
      break;
    }
    if (!known.has(argv[i])) break;
    options.push(argv[i]);
  }
  return {options, program: argv.slice(i)};
}

/** `cr run`'s own options (before PROG). */
export const RUN_OWN_OPTIONS: ReadonlySet<string> = new Set(['--omit', '--run', '--help', '-h']);
