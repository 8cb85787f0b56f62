// The cr_run entry point (bin/cr_run.js): BLCR's util/cr_run/cr_run.in. libcr_run.so.0
// (libcr_omit.so.0 with --omit) goes first in LD_PRELOAD and the program is exec'd, keeping the
// pid; everything after the program is its own argv. As the shell script's `exec`: a program that
// cannot be found exits 127, one that cannot be run 126; no program at all exits 0.
import {crVersion} from '../../pipeline/version.js';
import {crRunPreload, parseCrRun} from './cr-run-argv.js';

const HELP = `cr_run: program [args...]
Options:
 -?, --help         print this help message.
     --version      print version information.
     --             ends options procesing.
     --omit         exclude process(es) from checkpoints.
     --run          negates --omit (this is the default).
`;

/** Run cr_run with `argv`; returns the exit status only when nothing was exec'd. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const parsed = parseCrRun(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`cr_run: version ${crVersion()}\n`);
    return 0;
  }
  if (parsed.kind === 'nothing') return 0;
  const lib = parsed.omit ? 'libcr_omit.so.0' : 'libcr_run.so.0';
  const env = {...(process.env as Record<string, string>), LD_PRELOAD: crRunPreload(lib, process.env.LD_PRELOAD)};
  const [{execProgram}, {KernelError}] = await Promise.all([import('../../abi/process.js'), import('../../errors/index.js')]);
  try {
    execProgram(parsed.program, [parsed.program, ...parsed.args], env);
  } catch (error) {
    if (!(error instanceof KernelError)) throw error;
    const notFound = error.errno === 2;
    process.stderr.write(`cr_run: exec: ${parsed.program}: ${notFound ? 'not found' : error.message.replace(/^exec [^:]*: /, '')}\n`);
    return notFound ? 127 : 126;
  }
  return 126;
}
