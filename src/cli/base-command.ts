// The base of every cr command: one error path, BLCR exit codes, --json documents on stdout
// (one shape for every command: ./json-document.ts), arguments only from the command line.
import {Command, Errors, Interfaces} from '@oclif/core';
import {CrError, UsageError} from '../errors/cr-error.js';
import {errorDocument, successDocument} from './json-document.js';

export type {ErrorDocument} from './json-document.js';

/** oclif's parser errors (a bad flag, a missing or extra argument) as one usage error naming what
 *  was wrong, without oclif's internals. */
function usageErrorOf(error: Error & {oclif?: {exit?: number}; args?: Array<{name: string}>}): UsageError | undefined {
  if (error instanceof CrError || error instanceof Errors.ExitError || error.oclif?.exit === undefined) return undefined;
  if (error.name === 'RequiredArgsError' || /^Missing \d+ required arg/.test(error.message)) {
    const names = (error.args ?? []).map((a) => a.name.toUpperCase());
    return new UsageError(`Missing ${names.join(', ') || 'an'} argument${names.length > 1 ? 's' : ''} (cr never reads arguments from stdin); see --help`);
  }
  const lines = error.message.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^See more help/.test(l));
  return new UsageError(`${lines.join(': ') || error.message}; see --help`);
}

export abstract class CrCommand extends Command {
  static override enableJsonFlag = true;

  /** Set by commands that support -q: no stderr output at all. */
  protected quiet = false;

  /** Warnings so far: on stderr as they come, and in the --json document's `warnings`. */
  protected readonly warnings: string[] = [];

  /** Write a line to stderr unless -q or --json. */
  protected note(line: string): void {
    if (!this.quiet && !this.jsonEnabled()) process.stderr.write(`${line}\n`);
  }

  /** A warning: `warning: TEXT` on stderr, and an entry of the document's `warnings` with --json. */
  protected warning(text: string): void {
    this.warnings.push(text);
    this.note(`warning: ${text}`);
  }

  override warn(input: string | Error): string | Error {
    this.warning(typeof input === 'string' ? input : input.message);
    return input;
  }

  /** Parse, never reading a missing argument from stdin (oclif would: a pid piped to a job script
   *  would be taken for ID, and a `while read` loop would lose its input). */
  protected override async parse<F extends Interfaces.OutputFlags<any>, B extends Interfaces.OutputFlags<any>, A extends Interfaces.OutputArgs<any>>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    // A command class's inherited statics (baseFlags, enableJsonFlag, strict) are read, not spread.
    const input = (options ?? this.ctor) as Interfaces.Input<F, B, A> & {baseFlags?: unknown; enableJsonFlag?: boolean};
    const args = Object.fromEntries(Object.entries(input.args ?? {}).map(([k, a]) => [k, {...a, ignoreStdin: true}]));
    const merged = {...input, flags: input.flags, baseFlags: input.baseFlags, enableJsonFlag: input.enableJsonFlag, strict: input.strict, args};
    return super.parse(merged as Interfaces.Input<F, B, A>, argv);
  }

  override toSuccessJson(result: unknown): Record<string, unknown> {
    return successDocument(result as object | undefined, this.warnings);
  }

  /** Print the success document now (for commands that go on after it, as restart's end as a job). */
  protected printJson(result: object): void {
    if (this.jsonEnabled()) this.logJson(this.toSuccessJson(result));
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

  protected override async catch(caught: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<any> {
    // this.exit(n): not a failure, even with --json.
    if (caught instanceof Errors.ExitError) throw caught;
    const error = usageErrorOf(caught) ?? caught;
    if (this.jsonEnabled()) {
      const doc = errorDocument(error, this.warnings);
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      throw new Errors.ExitError(doc.error.exitCode);
    }
    if (error instanceof CrError) {
      if (!this.quiet) process.stderr.write(`${[error.message, ...error.details].join('\n')}\n`);
      throw new Errors.ExitError(error.exitCode);
    }
    return super.catch(error);
  }
}
