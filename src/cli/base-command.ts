// The base of every cr command: one error path, BLCR exit codes, --json documents on stdout.
import {Command, Errors} from '@oclif/core';
import {CrError} from '../errors/cr-error.js';

/** Shape of the --json document when a command fails. */
export interface ErrorDocument {
  error: {code: string; message: string; exitCode: number; details: string[]};
}

export abstract class CrCommand extends Command {
  static override enableJsonFlag = true;

  /** Set by commands that support -q: no stderr output at all. */
  protected quiet = false;

  /** Write a line to stderr unless -q or --json. */
  protected note(line: string): void {
    if (!this.quiet && !this.jsonEnabled()) process.stderr.write(`${line}\n`);
  }

  /** End as a restarted job ended: its exit status, or death by the same signal (core dumps off). */
  protected async endAsJob(exit: {code: number | null; signal: NodeJS.Signals | null} | null): Promise<never> {
    if (exit?.signal) {
      const cr = await import('../index.js');
      cr.dieBySignal(cr.signalNumber(exit.signal));
      await new Promise(() => {});
    }
    return this.exit(exit?.code ?? 0);
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<any> {
    // this.exit(n): not a failure, even with --json.
    if (error instanceof Errors.ExitError) throw error;
    if (error instanceof CrError) {
      if (this.jsonEnabled()) {
        const doc: ErrorDocument = {error: {code: error.code, message: error.message, exitCode: error.exitCode, details: error.details}};
        process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      } else if (!this.quiet) {
        process.stderr.write(`${[error.message, ...error.details].join('\n')}\n`);
      }
      throw new Errors.ExitError(error.exitCode);
    }
    return super.catch(error);
  }
}
