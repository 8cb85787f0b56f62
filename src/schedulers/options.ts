// Checkpoint and restart options built by the scheduler adapters (the shapes `cr checkpoint` and
// `cr restart` produce from their flags), and checks of the arguments schedulers pass.
import {UsageError} from '../errors/index.js';
import type {CheckpointOptions, RestartOptions, Scope} from '../schema/index.js';

/** A checkpoint with cr's defaults: atomic, synced, nothing embedded, errors for ptrace. */
export function checkpointOptions(target: number, scope: Scope, destination: CheckpointOptions['destination'], signal = 0, saveAll = false): CheckpointOptions {
  return {
    target,
    scope,
    destination,
    signal,
    save: {exe: saveAll, private: saveAll, shared: saveAll},
    ptraced: 'error',
    ptracer: 'error',
    timeSec: 0,
    kmsg: 'error',
  };
}

/** A restart with cr's defaults (restore-pid on, no hooks unless given). */
export function restartOptions(source: RestartOptions['source'], hooks: RestartOptions['hooks'] = {}): RestartOptions {
  return {source, signal: 0, relocate: [], restorePid: true, restorePgid: false, restoreSid: false, omit: 'maybe', hooks, kmsg: 'error'};
}

/** Exactly `names.length` positional arguments, as the scheduler passes them. */
export function positional(argv: string[], names: string[], who: string): Record<string, string> {
  if (argv.length !== names.length) {
    throw new UsageError(`${who}: expected ${names.length} arguments (${names.join(' ')}), got ${argv.length}${argv.length > 0 ? `: ${argv.join(' ')}` : ''}`);
  }
  return Object.fromEntries(names.map((n, i) => [n, argv[i]]));
}

/** A decimal integer argument within [min, max]. */
export function intArg(value: string, name: string, min: number, max = 0x7fffffff): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`Expected ${name} to be a whole number from ${min} to ${max}, got \`${value}\``);
  }
  return Number(value);
}

/** A scheduler job id: printable, no '/', no quotes (it names files and goes into commands). */
export function jobIdArg(value: string, name = 'job_id'): string {
  if (!/^[\w.@[\]-]+$/.test(value)) throw new UsageError(`Expected ${name} to be a job id (letters, digits, . _ - @ [ ]), got \`${value}\``);
  return value;
}

/** An absolute directory argument. */
export function absDirArg(value: string, name: string): string {
  if (!value.startsWith('/')) throw new UsageError(`Expected ${name} to be an absolute directory, got \`${value}\``);
  return value;
}
