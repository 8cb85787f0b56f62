// The cr_checkpoint entry point (bin/cr_checkpoint.js): BLCR's argv, text and exit codes over
// cr's checkpoint pipeline. Nothing is printed on success (unless --kmsg-warning finds kernel
// warnings); -v shows cr's progress lines on stderr.
import {CrError} from '../../errors/index.js';
import {crVersion} from '../../pipeline/version.js';
import {parseCrCheckpoint} from './cr-checkpoint-argv.js';
import {CR_CHECKPOINT_USAGE} from './cr-checkpoint-usage.js';
import {failureText, endParse, exitStatus, note} from './report.js';

/** Run cr_checkpoint with `argv` (without the program name); resolves to the exit status. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const parsed = parseCrCheckpoint(argv);
  if (parsed.kind !== 'run') return endParse(parsed, {usage: CR_CHECKPOINT_USAGE, version: `cr_checkpoint version ${crVersion()}\n`});
  const {opts, quiet, verbose} = parsed;
  // In cr's place when cr is in the scope (same pid), before the pipeline is even loaded.
  (await import('../../pipeline/stand-aside.js')).standAsideIfInScope(opts);
  const {runCheckpoint} = await import('../../pipeline/checkpoint.js');
  const abort = new AbortController();
  const {abortOnCleanupSignals} = await import('../../pipeline/signal-relay.js');
  const undo = abortOnCleanupSignals(abort);
  try {
    const result = await runCheckpoint(opts, {json: false, quiet: quiet || verbose === 0, verbose}, abort.signal);
    if (opts.kmsg === 'warning') note(quiet, result.log.map((l) => `- ${l}\n`).join(''));
    return 0;
  } catch (error) {
    if (!(error instanceof CrError)) throw error;
    note(quiet, failureText(error));
    return exitStatus(error.exitCode);
  } finally {
    undo();
  }
}
