// `cr watch` flags -> WatchOptions.
import os from 'node:os';
import path from 'node:path';
import {UsageError} from '../errors/cr-error.js';
import {parseDuration, type WatchOptions} from '../pipeline/watch.js';
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

/** Resolve and check the flags of `cr watch`. */
export function watchOptionsFromFlags(flags: WatchFlags, pid: string, cwd = process.cwd()): WatchOptions {
  const target = parseId(pid);
  let everyMs: number | undefined;
  if (flags.every !== undefined) {
    try {
      everyMs = parseDuration(flags.every);
    } catch (error) {
      throw new UsageError(`--every: ${(error as Error).message}`);
    }
  }
  const onSignals = (flags['on-signal'] ?? []).map((s) => {
    const name = (s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`) as NodeJS.Signals;
    if (!(name in os.constants.signals) || ['SIGKILL', 'SIGSTOP'].includes(name)) throw new UsageError(`Expected --on-signal to be a signal name such as USR1 or TERM, got \`${s}\``);
    return name;
  });
  if (everyMs === undefined && onSignals.length === 0) throw new UsageError('Expected --every DURATION or --on-signal SIG (or both)');
  if (flags.keep !== undefined && flags.keep < 1) throw new UsageError(`Expected --keep to be a whole number >= 1, got \`${flags.keep}\``);
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
