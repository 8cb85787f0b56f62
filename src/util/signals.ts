// The one signal table of cr (Linux x86_64 numbering, signal(7)): names <-> numbers, and the parser
// every flag that takes a signal uses (-S/--signal, --on-signal): a number, NAME or SIGNAME, any case.

/** Linux x86_64 signal numbers 1..31 (32..64 are the real-time signals, taken by number). */
const TABLE: ReadonlyArray<readonly [string, number]> = [
  ['SIGHUP', 1], ['SIGINT', 2], ['SIGQUIT', 3], ['SIGILL', 4], ['SIGTRAP', 5], ['SIGABRT', 6], ['SIGIOT', 6],
  ['SIGBUS', 7], ['SIGFPE', 8], ['SIGKILL', 9], ['SIGUSR1', 10], ['SIGSEGV', 11], ['SIGUSR2', 12], ['SIGPIPE', 13],
  ['SIGALRM', 14], ['SIGTERM', 15], ['SIGSTKFLT', 16], ['SIGCHLD', 17], ['SIGCONT', 18], ['SIGSTOP', 19],
  ['SIGTSTP', 20], ['SIGTTIN', 21], ['SIGTTOU', 22], ['SIGURG', 23], ['SIGXCPU', 24], ['SIGXFSZ', 25],
  ['SIGVTALRM', 26], ['SIGPROF', 27], ['SIGWINCH', 28], ['SIGIO', 29], ['SIGPOLL', 29], ['SIGPWR', 30], ['SIGSYS', 31],
];

/** The highest signal number (NSIG - 1). */
export const MAX_SIGNAL = 64;

const BY_NAME = new Map<string, number>(TABLE);
const BY_NUMBER = new Map<number, string>();
for (const [name, n] of TABLE) if (!BY_NUMBER.has(n)) BY_NUMBER.set(n, name);

/** The number of a signal name (`SIGTERM` 15); undefined for a name not in the table. */
export function signalNumber(name: string): number | undefined {
  return BY_NAME.get(name);
}

/** The name of a signal number (15 `SIGTERM`), `SIG<n>` for a real-time one. */
export function signalName(n: number): NodeJS.Signals {
  return (BY_NUMBER.get(n) ?? `SIG${n}`) as NodeJS.Signals;
}

/** 128 + the signal's number, as a shell reports a death by that signal (1 when unknown). */
export function statusForSignal(name: string): number {
  const n = signalNumber(name);
  return n === undefined ? 1 : 128 + n;
}

/**
 * Parse a signal as a user may write it: `15`, `TERM`, `SIGTERM`, `term`, `SigTerm`.
 * Returns its number (1..64) or throws an Error whose message names what was expected.
 */
export function parseSignal(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 1 && n <= MAX_SIGNAL) return n;
    throw new Error(`Expected a signal number from 1 to ${MAX_SIGNAL} or a name such as TERM or SIGUSR1, got \`${text}\``);
  }
  const upper = t.toUpperCase();
  const n = signalNumber(upper.startsWith('SIG') ? upper : `SIG${upper}`);
  if (n === undefined) throw new Error(`Expected a signal number from 1 to ${MAX_SIGNAL} or a name such as TERM or SIGUSR1, got \`${text}\``);
  return n;
}

/** The after-checkpoint/after-restart flags of cr and BLCR's tools: the signal each sends
 *  (0 none; -N the early form, sent as early as possible). */
export const AFTER_SIGNAL_FLAGS: Readonly<Record<string, number>> = {
  run: 0,
  stop: BY_NAME.get('SIGSTOP')!,
  term: BY_NAME.get('SIGTERM')!,
  abort: BY_NAME.get('SIGABRT')!,
  kill: BY_NAME.get('SIGKILL')!,
  cont: BY_NAME.get('SIGCONT')!,
  'early-stop': -BY_NAME.get('SIGSTOP')!,
  'early-abrt': -BY_NAME.get('SIGABRT')!,
};
