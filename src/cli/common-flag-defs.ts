// Flags shared by `cr checkpoint` and `cr restart` (the same names and letters as BLCR's tools).
import {Flags} from '@oclif/core';
import {UsageError} from '../errors/cr-error.js';
import {AFTER_SIGNAL_FLAGS, parseSignal} from '../util/signals.js';
import {parseDuration} from '../util/duration.js';

export const bool = (summary: string, extra: Record<string, unknown> = {}) => Flags.boolean({summary, allowNo: false, ...extra});

/** A value flag that may be repeated; the last one wins, as with BLCR's getopt loop. */
export const repeatable = {multiple: true, multipleNonGreedy: true} as const;

/** The after-checkpoint / after-restart signal group. */
export function signalFlags(when: 'checkpoint' | 'restart') {
  const g = `Signal after ${when}`;
  return {
    run: bool(`Let the processes run on after the ${when} (default).`, {helpGroup: g}),
    signal: Flags.string({char: 'S', summary: `Send signal SIG after the ${when}: a number (1-64) or a name (TERM, SIGUSR1; any case).`, ...repeatable, helpGroup: g, helpValue: 'SIG'}),
    stop: bool(`Stop the processes (SIGSTOP) after the ${when}.`, {helpGroup: g, ...(when === 'restart' ? {aliases: ['freeze']} : {})}),
    term: bool(`Terminate the processes (SIGTERM) after the ${when}.`, {helpGroup: g}),
    abort: bool(`Abort the processes (SIGABRT) after the ${when}.`, {helpGroup: g}),
    kill: bool(`Kill the processes (SIGKILL) after the ${when}.`, {helpGroup: g}),
    cont: bool(`Continue the processes (SIGCONT) after the ${when}.`, {helpGroup: g}),
    'early-stop': bool('Send SIGSTOP as early as possible.', {hidden: true, helpGroup: g}),
    'early-abrt': bool('Send SIGABRT as early as possible.', {hidden: true, helpGroup: g}),
  };
}

/** The kernel-log group and the output flags. */
export function logFlags() {
  const g = 'Kernel log';
  return {
    'kmsg-none': bool('Never print the kernel log.', {helpGroup: g}),
    'kmsg-error': bool('Print the kernel log on failure (default).', {helpGroup: g}),
    'kmsg-warning': bool('Always print the kernel log.', {helpGroup: g}),
    quiet: bool('No output on stderr.', {char: 'q'}),
    verbose: bool('Say what was done.', {char: 'v'}),
  };
}

const KMSG: Record<string, 'none' | 'error' | 'warning'> = {'kmsg-none': 'none', 'kmsg-error': 'error', 'kmsg-warning': 'warning'};

/** The flags in command-line order (from oclif's `raw`). */
export function flagOrder(raw: Array<{type: string; flag?: string}>): string[] {
  return raw.filter((r) => r.type === 'flag' && r.flag).map((r) => r.flag!);
}

/** The last of `names` given, or undefined. */
export function lastOf(order: string[], names: readonly string[]): string | undefined {
  return order.filter((f) => names.includes(f)).at(-1);
}

/** The last value of a repeatable flag. */
export const lastValue = <T>(v: T[] | undefined): T | undefined => (v && v.length > 0 ? v[v.length - 1] : undefined);

/** Resolve the signal group: the last of --run/--stop/.../--signal N wins. */
export function resolveSignal(order: string[], signalValues: string[] | undefined): number {
  const which = lastOf(order, [...Object.keys(AFTER_SIGNAL_FLAGS), 'signal']);
  if (which === 'signal') return signalFlag('--signal', lastValue(signalValues)!);
  return which ? AFTER_SIGNAL_FLAGS[which] : 0;
}

/** Resolve the kernel-log group (default: print on error). */
export function resolveKmsg(order: string[]): 'none' | 'error' | 'warning' {
  return KMSG[lastOf(order, Object.keys(KMSG)) ?? 'kmsg-error'];
}

/** A signal flag's value (number, NAME or SIGNAME, any case) as its number; a usage error naming `flag`. */
export function signalFlag(flag: string, value: string): number {
  try {
    return parseSignal(value);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

/** A duration flag's value (seconds, or 30s, 5m, 1h30m, ...) in ms; a usage error naming `flag`. */
export function durationFlag(flag: string, value: string, opts: {allowZero?: boolean} = {}): number {
  try {
    return parseDuration(value, opts);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

/** A duration flag that the options hold in whole seconds (--time, --quiesce-timeout). */
export function durationSecondsFlag(flag: string, value: string, opts: {allowZero?: boolean} = {}): number {
  const ms = durationFlag(flag, value, opts);
  if (ms % 1000 !== 0) throw new UsageError(`${flag}: Expected a whole number of seconds (90, 30s, 5m, 1h30m), got \`${value}\``);
  return ms / 1000;
}
