// The cr_restart entry point (bin/cr_restart.js): BLCR's argv, text, hooks and exit codes over
// cr's restart pipeline. As cr_restart: connect to the kernel first (failure: "Failed cr_init(): -1",
// exit 255, after --run-on-fail-perm), then open FILE (failure: exit 255 after --run-on-fail-args),
// then restart; a failing hook's status is the exit status and nothing is printed; after a restart,
// exit as the restarted job does.
import fs from 'node:fs';
import {CrError, crStrerror, E} from '../../errors/index.js';
import {crVersion} from '../../pipeline/version.js';
import type {FailureClass, RestartOptions} from '../../schema/index.js';
import {parseCrRestart} from './cr-restart-argv.js';
import {CR_RESTART_USAGE} from './cr-restart-usage.js';
import {failureText, endParse, exitStatus, note} from './report.js';

const shellHook = async (command: string) => (await import('../../exec/shell.js')).runShellHook(command);

/** Run cr_restart with `argv` (without the program name); resolves to the exit status (or the
 *  process dies by the restarted job's signal). */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const parsed = parseCrRestart(argv);
  if (parsed.kind !== 'run') return endParse(parsed, {usage: CR_RESTART_USAGE, version: `cr_restart version ${crVersion()}\n`}, shellHook);
  const {opts, fileArg, quiet} = parsed;
  const die = async (code: number, hook: FailureClass, message: string): Promise<number> => {
    const command = opts.hooks[hook];
    const status = command ? await shellHook(command) : 0;
    if (status !== 0) return status;
    note(quiet, message);
    return exitStatus(code);
  };
  const [{blcrInfo}, restart, abi] = await Promise.all([
    import('../../engines/blcr/info.js'),
    import('../../pipeline/restart.js'),
    import('../../abi/process.js'),
  ]);
  try {
    blcrInfo();
  } catch (error) {
    if (error instanceof CrError) return die(-1, 'perm', 'Failed cr_init(): -1\n');
    throw error;
  }
  if (fileArg !== null) {
    try {
      fs.closeSync(fs.openSync(fileArg, fs.constants.O_RDONLY));
    } catch (error) {
      const errno = Math.abs((error as NodeJS.ErrnoException).errno ?? E.EIO);
      return die(-1, 'args', `Failed to open(${fileArg}, O_RDONLY): ${crStrerror(errno)}\n`);
    }
  }
  let result;
  try {
    result = await restart.runRestart(opts as RestartOptions, {json: false, quiet: true, verbose: 0}, (w) => note(quiet, `warning: ${w}\n`));
  } catch (error) {
    // A hook that failed decides the exit status, silently, as in cr_restart's die().
    if (error instanceof restart.HookStatusError || error instanceof restart.SuccessHookError) return error.exitCode;
    if (!(error instanceof CrError)) throw error;
    note(quiet, failureText(error));
    return exitStatus(error.exitCode);
  }
  if (opts.kmsg === 'warning') note(quiet, result.log.map((l) => `- ${l}\n`).join(''));
  if (result.exit?.signal) {
    abi.dieBySignal(restart.signalNumber(result.exit.signal));
    await new Promise(() => {});
  }
  return result.exit?.code ?? 0;
}
