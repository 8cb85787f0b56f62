// cr_checkpoint's command line, option by option as util/cr_checkpoint/cr_checkpoint.c reads it
// (getopt_long with "f:d:F:S:pgsTct:qvh" and its long table): the same defaults, the same
// last-one-wins groups, the same dies (code and message) in the same order. Pure: argv in,
// an outcome out.
import path from 'node:path';
import type {CheckpointOptions} from '../../schema/index.js';
import {Getopt, type LongOption, readInt} from '../getopt.js';
import {outcomeOf, type ParseOutcome, ParseStop} from './outcome.js';
import {AFTER_SIGNAL_FLAGS, MAX_SIGNAL} from '../../util/signals.js';
import {ownDescriptor} from '../fd-check.js';

const SHORT = 'f:d:F:S:pgsTct:qvh';
const opt = (name: string, hasArg: 0 | 1 | 2, val = name): LongOption => ({name, hasArg, val});
const LONG: LongOption[] = [
  opt('pid', 0, 'p'), opt('process', 0, 'p'), opt('pgid', 0, 'g'), opt('group', 0, 'g'),
  opt('sid', 0, 's'), opt('session', 0, 's'), opt('tree', 0, 'T'),
  opt('file', 1, 'f'), opt('dir', 1, 'd'), opt('fd', 1, 'F'), opt('cwd', 0, 'c'),
  opt('atomic', 0), opt('backup', 2), opt('clobber', 0), opt('noclobber', 0),
  opt('signal', 1, 'S'), opt('run', 0), opt('stop', 0), opt('term', 0), opt('kill', 0), opt('abort', 0), opt('cont', 0),
  opt('early-stop', 0), opt('early-abrt', 0),
  opt('sync', 0), opt('nosync', 0),
  opt('save-exe', 0), opt('save-private', 0), opt('save-shared', 0), opt('save-all', 0), opt('save-none', 0),
  opt('ptraced-error', 0), opt('ptraced-allow', 0), opt('ptraced-skip', 0),
  opt('ptracer-error', 0), opt('ptracer-skip', 0),
  opt('kmsg-none', 0), opt('kmsg-error', 0), opt('kmsg-warning', 0),
  opt('time', 1, 't'), opt('quiet', 0, 'q'), opt('verbose', 0, 'v'), opt('help', 0, 'h'), opt('version', 0),
];

const EINVAL = 22;
const NSIG = MAX_SIGNAL + 1;

/** What cr_checkpoint would do: the request's options, and -v's count. */
export interface CrCheckpointRun {
  opts: CheckpointOptions;
  /** -v count (0 without); -q makes the tool silent on stderr. */
  verbose: number;
  quiet: boolean;
}

/** Parse cr_checkpoint's argv (without argv[0]); relative names are resolved against `cwd`. */
export function parseCrCheckpoint(argv: readonly string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): ParseOutcome<CrCheckpointRun> {
  return outcomeOf(() => scan(argv, cwd, env));
}

function scan(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): CrCheckpointRun {
  let verbose = 0;
  const usage = (): never => {
    throw new ParseStop({kind: 'usage', quiet: verbose < 0});
  };
  const die = (message: string, code = EINVAL): never => {
    throw new ParseStop({kind: 'die', code, message, quiet: verbose < 0});
  };
  const int = (s: string) => readInt(s) ?? usage();

  let scope: CheckpointOptions['scope'] = 'tree';
  let dest: 'default' | 'file' | 'fd' | 'cwd' = 'default';
  let file = '';
  let fd = -1;
  let policy: 'atomic' | 'backup' | 'clobber' | 'noclobber' = 'atomic';
  let backupTo: string | undefined;
  let signal = 0;
  let sync = true;
  const save = {exe: false, private: false, shared: false};
  let ptraced: CheckpointOptions['ptraced'] = 'error';
  let ptracer: CheckpointOptions['ptracer'] = 'error';
  let kmsg: CheckpointOptions['kmsg'] = 'error';
  let secs = 0;

  const g = new Getopt(argv, SHORT, LONG, env);
  for (let e = g.next(); e; e = g.next()) {
    const arg = 'arg' in e ? e.arg : undefined;
    switch (e.opt) {
      case 'p': scope = 'proc'; break;
      case 'g': scope = 'pgrp'; break;
      case 's': scope = 'sess'; break;
      case 'T': scope = 'tree'; break;
      case 'f':
        if (dest !== 'default') die('conflicting destinations provided\n');
        dest = 'file';
        file = arg!;
        break;
      case 'd': die('-d flag not yet implemented\n'); break;
      case 'F':
        if (dest !== 'default') die('conflicting destinations specified\n');
        dest = 'fd';
        fd = int(arg!);
        break;
      case 'c':
        if (dest !== 'default') die('conflicting destinations specified\n');
        dest = 'cwd';
        break;
      case 'atomic': case 'clobber': case 'noclobber': policy = e.opt; break;
      case 'backup':
        policy = 'backup';
        if (arg !== undefined) backupTo = arg;
        break;
      case 'S':
        signal = int(arg!);
        if (signal <= 0 || signal >= NSIG) die(`Valid signal numbers are from 1 to ${NSIG - 1}, inclusive.\n`);
        break;
      case 'run': case 'stop': case 'term': case 'kill': case 'abort': case 'cont': case 'early-stop': case 'early-abrt':
        signal = AFTER_SIGNAL_FLAGS[e.opt];
        break;
      case 'sync': sync = true; break;
      case 'nosync': sync = false; break;
      case 'save-exe': save.exe = true; break;
      case 'save-private': save.private = true; break;
      case 'save-shared': save.shared = true; break;
      case 'save-all': Object.assign(save, {exe: true, private: true, shared: true}); break;
      case 'save-none': Object.assign(save, {exe: false, private: false, shared: false}); break;
      case 'ptraced-error': ptraced = 'error'; break;
      case 'ptraced-allow': ptraced = 'allow'; break;
      case 'ptraced-skip': ptraced = 'skip'; break;
      case 'ptracer-error': ptracer = 'error'; break;
      case 'ptracer-skip': ptracer = 'skip'; break;
      case 'kmsg-none': kmsg = 'none'; break;
      case 'kmsg-error': kmsg = 'error'; break;
      case 'kmsg-warning': kmsg = 'warning'; break;
      case 't':
        secs = int(arg!);
        if (secs < 0) die('Time limit must be non-negative.\n');
        break;
      case 'q': verbose = -1; break;
      case 'v': verbose++; break;
      case 'version': throw new ParseStop({kind: 'version'});
      case 'h': throw new ParseStop({kind: 'help'});
      case '?':
        // getopt's '?' for -? itself means help; any other '?' is an unknown or malformed option.
        if ('optopt' in e && e.optopt === '?') throw new ParseStop({kind: 'help'});
        usage();
        break;
      default:
        usage();
    }
  }
  if (g.operands.length !== 1) usage();
  const target = int(g.operands[0]);

  let destination: CheckpointOptions['destination'];
  if (dest === 'fd') {
    // cr_checkpoint has no name for a negative fd and takes it for a directory.
    if (fd < 0) die('directories not yet supported\n');
    // The kernel judges the fd (EINVAL when it is not open), as it does for cr_checkpoint; one of
    // Node's own would never be open in BLCR's C tool, and a dump into it crashes or hangs cr.
    const own = ownDescriptor(fd);
    if (own) die(`cr_checkpoint: -F ${fd} is a descriptor of cr's own (${own}), not one the caller opened\n`);
    destination = {kind: 'fd', fd, sync, precheck: false};
  } else {
    const name = dest === 'file' ? file : `context.${target}`;
    destination = {
      kind: 'file',
      path: path.resolve(cwd, name),
      policy,
      // rename(2) takes NAME as given: relative to the working directory.
      backupName: policy === 'backup' && backupTo ? path.resolve(cwd, backupTo) : undefined,
      sync,
    };
  }
  const opts: CheckpointOptions = {target, scope, destination, signal, save, ptraced, ptracer, timeSec: secs, kmsg};
  return {opts, verbose: Math.max(verbose, 0), quiet: verbose < 0};
}
