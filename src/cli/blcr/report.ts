// How the BLCR-named entry points end: BLCR's stdout/stderr text and exit codes.
import {CtrlMissingError} from '../../abi/blcr/ctrl.js';
import {VersionMismatchError} from '../../engines/blcr/version.js';
import {CR_E, CrError, crStrerror} from '../../errors/index.js';
import {DestinationOpenError} from '../../store/publish.js';
import type {ParseOutcome} from './outcome.js';

/** Write to stderr unless `quiet` (-q). */
export const note = (quiet: boolean, text: string) => {
  if (!quiet && text !== '') process.stderr.write(text);
};

/** The exit status of exit(code) in C. */
export const exitStatus = (code: number) => code & 0xff;

/** Print what a non-run parse outcome prints; returns the exit status. `runHook` runs
 *  cr_restart's --run-on-fail-args hook first (a non-zero status becomes the exit status). */
export async function endParse(
  outcome: Exclude<ParseOutcome<unknown>, {kind: 'run'}>,
  text: {usage: string; version: string},
  runHook: (command: string) => Promise<number> = async () => 0,
): Promise<number> {
  switch (outcome.kind) {
    case 'help':
      process.stdout.write(text.usage);
      return 0;
    case 'version':
      process.stdout.write(text.version);
      return 0;
    default: {
      if (outcome.hook) {
        const status = await runHook(outcome.hook);
        if (status !== 0) return status;
      }
      note(outcome.quiet, outcome.kind === 'usage' ? text.usage : outcome.message);
      return outcome.kind === 'usage' ? 255 : exitStatus(outcome.code);
    }
  }
}

/** The text of BLCR's tools for a failure: the kernel log ("- line") first, then the message, as
 *  their die() prints them (cr's extra detail lines after it). */
export function failureText(error: CrError): string {
  const log = error.details.filter((d) => d.startsWith('- '));
  let message: string;
  if (error instanceof CtrlMissingError) message = error.message;
  else if (error instanceof VersionMismatchError) message = `Failed cr_init(): ${crStrerror(CR_E.CR_EVERSION)}`;
  else if (error instanceof DestinationOpenError) message = `Unable to open file '${error.opened}': ${crStrerror(error.errno)}\nFailed to open checkpoint file '${error.file}'`;
  else message = [error.message, ...error.details.filter((d) => !d.startsWith('- '))].join('\n');
  return [...log, message].join('\n') + '\n';
}
