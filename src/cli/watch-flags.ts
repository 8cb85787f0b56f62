// `cr watch` flags -> WatchOptions.
import path from 'node:path';
import {UsageError} from '../errors/cr-error.js';
import type {WatchOptions} from '../pipeline/watch.js';
import {signalName} from '../util/signals.js';
import {durationFlag, signalFlag} from './common-flag-defs.js';
import {jobName} from '../store/naming.js';
import {parseId} from './checkpoint-flags.js';

export interface WatchFlags {
  every?: string;
  'on-signal'?: string[];
  dir: string;
  keep?: number;
  job?: string;
  pid?: boolean;
}

/** The signals a Node process can catch (SIGKILL/SIGSTOP cannot be; SIGSEGV, SIGBUS, SIGFPE, SIGILL
 *  and SIGPROF are Node's own; real-time signals have no name Node knows). */
const CATCHABLE = new Set<string>(['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTRAP', 'SIGABRT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGCHLD', 'SIGCONT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS']);

/** Resolve and check the flags of `cr watch`. */
export function watchOptionsFromFlags(flags: WatchFlags, pid: string, cwd = process.cwd()): WatchOptions {
  const target = parseId(pid);
  const everyMs = flags.every === undefined ? undefined : durationFlag('--every', flags.every);
  const onSignals = (flags['on-signal'] ?? []).map((s) => {
    const name = signalName(signalFlag('--on-signal', s));
    // cr watch can catch only the signals Node lets a process handle.
    if (!CATCHABLE.has(name)) throw new UsageError(`--on-signal: cr watch cannot catch ${name}; use a signal such as USR1, USR2, TERM, INT or HUP, got \`${s}\``);
    return name;
  });
  if (everyMs === undefined && onSignals.length === 0) throw new UsageError('Expected --every DURATION or --on-signal SIG (or both)');
  if (flags.dir === '') throw new UsageError('Expected --dir to be a directory, got an empty string');
  if (flags.keep !== undefined && (!Number.isSafeInteger(flags.keep) || flags.keep < 1)) throw new UsageError(`Expected --keep to be a whole number >= 1, got \`${flags.keep}\``);
  return {
    everyMs,
    onSignals,
    checkpoint: {
      target,
      scope: flags.pid ? 'proc' : 'tree',
      destination: {kind: 'store', dir: path.resolve(cwd, flags.dir), job: jobName(flags.job, target), keep: flags.keep, sync: true},
      signal: 0,
      save: {exe: false, private: false, shared: false},
      ptraced: 'error',
      ptracer: 'error',
      timeSec: 0,
      kmsg: 'error',
    },
  };
}
