// cr_restart's command line, option by option as util/cr_restart/cr_restart.c reads it
// (getopt_long with "qvhS:F:d:f:" and its long table): -v is --version, the same defaults and
// last-one-wins groups, the same dies in the same order, each after its --run-on-fail-* hook.
// Pure: argv in, an outcome out.
import path from 'node:path';
import type {RestartOptions} from '../../schema/index.js';
import {Getopt, type LongOption, readInt} from '../getopt.js';
import {MAX_RELOCATIONS, splitRelocation} from '../relocate.js';
import {outcomeOf, type ParseOutcome, ParseStop} from './outcome.js';
import {AFTER_SIGNAL_FLAGS, MAX_SIGNAL} from '../../util/signals.js';

const SHORT = 'qvhS:F:d:f:';
const opt = (name: string, hasArg: 0 | 1, val = name): LongOption => ({name, hasArg, val});
const LONG: LongOption[] = [
  opt('help', 0, 'h'), opt('version', 0, 'v'), opt('quiet', 0, 'q'),
  opt('file', 1, 'f'), opt('dir', 1, 'd'), opt('fd', 1, 'F'),
  opt('signal', 1, 'S'), opt('run', 0), opt('stop', 0), opt('freeze', 0, 'stop'), opt('term', 0), opt('kill', 0), opt('abort', 0), opt('cont', 0),
  opt('early-stop', 0), opt('early-abrt', 0),
  opt('omit-maybe', 0), opt('omit-always', 0), opt('omit-never', 0),
  opt('run-on-success', 1), opt('run-on-fail-temp', 1), opt('run-on-fail-env', 1), opt('run-on-fail-args', 1), opt('run-on-fail-perm', 1), opt('run-on-failure', 1),
  opt('relocate', 1),
  opt('kmsg-none', 0), opt('kmsg-error', 0), opt('kmsg-warning', 0),
  opt('restore-pid', 0), opt('no-restore-pid', 0), opt('restore-pgid', 0), opt('no-restore-pgid', 0), opt('restore-sid', 0), opt('no-restore-sid', 0),
];

const EINVAL = 22;
const NSIG = MAX_SIGNAL + 1;
const FAIL_HOOKS = ['temp', 'env', 'args', 'perm'] as const;

/** What cr_restart would do. */
export interface CrRestartRun {
  opts: RestartOptions;
  /** The FILE as given ('' included), which cr_restart opens before its request; null with -F. */
  fileArg: string | null;
  quiet: boolean;
}

/** Parse cr_restart's argv (without argv[0]); a relative FILE is resolved against `cwd`. */
export function parseCrRestart(argv: readonly string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): ParseOutcome<CrRestartRun> {
  return outcomeOf(() => scan(argv, cwd, env));
}

function scan(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): CrRestartRun {
  let quiet = false;
  const hooks: RestartOptions['hooks'] = {};
  const usage = (): never => {
    throw new ParseStop({kind: 'usage', quiet, hook: hooks.args});
  };
  const die = (message: string): never => {
    throw new ParseStop({kind: 'die', code: EINVAL, message, quiet, hook: hooks.args});
  };
  const int = (s: string) => readInt(s) ?? usage();

  let src: 'default' | 'file' | 'fd' = 'default';
  let file = '';
  let fd = -1;
  let signal = 0;
  let omit: RestartOptions['omit'] = 'maybe';
  const relocate: Array<[string, string]> = [];
  let relocations = 0;
  let restorePid = true;
  let restorePgid = false;
  let restoreSid = false;
  let kmsg: RestartOptions['kmsg'] = 'error';

  const g = new Getopt(argv, SHORT, LONG, env);
  for (let e = g.next(); e; e = g.next()) {
    const arg = 'arg' in e ? e.arg! : '';
    switch (e.opt) {
      case 'f':
        if (src !== 'default') die('multiple source arguments specified\n');
        src = 'file';
        file = arg;
        break;
      case 'd':
        if (src !== 'default') die('multiple source arguments specified\n');
        die('-d flag not yet implemented\n');
        break;
      case 'F':
        if (src !== 'default') die('multiple source arguments specified\n');
        src = 'fd';
        fd = int(arg);
        if (fd < 0) die(`FD argument must be a non-negatvive integer (${fd} was given)\n`);
        break;
      case 'S':
        signal = int(arg);
        if (signal <= 0 || signal >= NSIG) die(`Valid signal numbers are from 1 to ${NSIG - 1}, inclusive.\n`);
        break;
      case 'run': case 'stop': case 'term': case 'kill': case 'abort': case 'cont': case 'early-stop': case 'early-abrt':
        signal = AFTER_SIGNAL_FLAGS[e.opt];
        break;
      case 'omit-maybe': omit = 'maybe'; break;
      case 'omit-always': omit = 'always'; break;
      case 'omit-never': omit = 'never'; break;
      case 'run-on-success': hooks.success = arg; break;
      case 'run-on-fail-temp': hooks.temp = arg; break;
      case 'run-on-fail-env': hooks.env = arg; break;
      case 'run-on-fail-args': hooks.args = arg; break;
      case 'run-on-fail-perm': hooks.perm = arg; break;
      case 'run-on-failure': for (const h of FAIL_HOOKS) hooks[h] = arg; break;
      case 'relocate': {
        // The limit counts the pairs kept so far and is checked before the value is read.
        if (relocations >= MAX_RELOCATIONS) die(`Too many relocations (max is ${MAX_RELOCATIONS}).\n`);
        const r = splitRelocation(arg);
        if ('problem' in r) {
          if (r.problem === 'no-equals') die(`Relocation argument '${arg}' contains no unescaped '=' characters.\n`);
          if (r.problem === 'multiple-equals') die(`Relocation argument '${arg}' contains multiple unescaped '=' characters.\n`);
          die(`Relocation paths must begin with '/', but have '${arg}'\n`);
        } else if (r.pair) {
          relocate.push(r.pair);
          relocations++;
        }
        break;
      }
      case 'kmsg-none': kmsg = 'none'; break;
      case 'kmsg-error': kmsg = 'error'; break;
      case 'kmsg-warning': kmsg = 'warning'; break;
      case 'restore-pid': restorePid = true; break;
      case 'no-restore-pid': restorePid = false; break;
      case 'restore-pgid': restorePgid = true; break;
      case 'no-restore-pgid': restorePgid = false; break;
      case 'restore-sid': restoreSid = true; break;
      case 'no-restore-sid': restoreSid = false; break;
      case 'q': quiet = true; break;
      case 'v': throw new ParseStop({kind: 'version'});
      case 'h': throw new ParseStop({kind: 'help'});
      case '?':
        if ('optopt' in e && e.optopt === '?') throw new ParseStop({kind: 'help'});
        usage();
        break;
      default:
        usage();
    }
  }
  // Exactly one FILE when no source option was given, and none otherwise.
  if (src === 'default') {
    if (g.operands.length !== 1) usage();
    src = 'file';
    file = g.operands[0];
  } else if (g.operands.length !== 0) {
    usage();
  }
  // An empty hook is no hook, as in cr_restart.
  for (const k of Object.keys(hooks) as Array<keyof typeof hooks>) if (!hooks[k]) delete hooks[k];
  const source: RestartOptions['source'] = src === 'fd' ? {kind: 'fd', fd} : {kind: 'file', path: path.resolve(cwd, file || '.')};
  return {opts: {source, signal, relocate, restorePid, restorePgid, restoreSid, omit, hooks, kmsg}, fileArg: src === 'fd' ? null : file, quiet};
}
