// `cr restart` flags -> RestartOptions, following cr_restart: later options win within a group.
import path from 'node:path';
import {UsageError} from '../errors/cr-error.js';
import {describeIssue, type RestartOptions, RestartOptionsSchema} from '../schema/index.js';
import {flagOrder, lastOf, lastValue, resolveKmsg, resolveSignal} from './common-flag-defs.js';
import {parseRelocations} from './relocate.js';
import {checkFdFlag} from './fd-check.js';
import {checkJobName} from '../store/naming.js';

export interface RestartFlags {
  file?: string[];
  fd?: number[];
  latest?: string[];
  job?: string;
  relocate?: string[];
  signal?: string[];
  'restore-pid'?: boolean;
  'restore-pgid'?: boolean;
  'restore-sid'?: boolean;
  [k: string]: unknown;
}

const HOOKS = ['success', 'args', 'temp', 'env', 'perm'] as const;

/** The hooks given, with --run-on-failure filling every fail hook (the later flag wins). */
export function resolveHooks(order: Array<{flag: string; value?: string}>): RestartOptions['hooks'] {
  const hooks: RestartOptions['hooks'] = {};
  for (const {flag, value} of order) {
    if (flag === 'run-on-success') hooks.success = value;
    else if (flag === 'run-on-failure') Object.assign(hooks, {args: value, temp: value, env: value, perm: value});
    else if (flag.startsWith('run-on-fail-')) hooks[flag.slice('run-on-fail-'.length) as (typeof HOOKS)[number]] = value;
  }
  return hooks;
}

/** The hooks from a raw argv, for when oclif could not parse it (so --run-on-fail-args still runs). */
export function hooksFromArgv(argv: string[]): RestartOptions['hooks'] {
  const order: Array<{flag: string; value?: string}> = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(run-on-(?:success|failure|fail-(?:args|temp|env|perm)))(?:=(.*))?$/s.exec(argv[i]);
    if (m) order.push({flag: m[1], value: m[2] ?? argv[++i]});
  }
  return resolveHooks(order);
}

/** Resolve flags (with their order) and the positional FILE into validated options. */
export function restartOptionsFromFlags(
  flags: RestartFlags,
  raw: Array<{type: string; flag?: string; input?: string}>,
  file: string | undefined,
  cwd = process.cwd(),
): RestartOptions {
  const order = flagOrder(raw);
  const srcFlag = lastOf(order, ['file', 'fd', 'latest']);
  let source: RestartOptions['source'] | undefined;
  if (srcFlag && file !== undefined) throw new UsageError(`Expected no FILE argument with --${srcFlag}, got \`${file}\``);
  if (srcFlag === 'fd') {
    const fd = lastValue(flags.fd)!;
    checkFdFlag(fd, 'read', {json: flags.json === true, quiet: flags.quiet === true});
    source = {kind: 'fd', fd};
  } else if (srcFlag === 'latest') {
    const dir = lastValue(flags.latest)!;
    if (dir === '') throw new UsageError('Expected --latest to be a checkpoint directory, got an empty string');
    source = {kind: 'latest', dir: path.resolve(cwd, dir), ...(flags.job === undefined ? {} : {job: checkJobName(flags.job, '--job')})};
  }
  if (flags.job !== undefined && srcFlag !== 'latest') throw new UsageError('Expected --job to come with --latest DIR');
  if (source === undefined) {
    const f = srcFlag === 'file' ? lastValue(flags.file) : file;
    if (f === '') throw new UsageError(`Expected ${srcFlag === 'file' ? '--file' : 'FILE'} to be a context file, got an empty string`);
    if (!f) throw new UsageError('Missing FILE argument (the context file): give FILE, --file FILE, --fd FD or --latest DIR (cr never reads it from stdin)');
    source = {kind: 'file', path: path.resolve(cwd, f)};
  }
  const hookOrder = raw.filter((r) => r.type === 'flag' && r.flag?.startsWith('run-on-')).map((r) => ({flag: r.flag!, value: r.input}));
  const input = {
    source,
    signal: resolveSignal(order, flags.signal),
    relocate: parseRelocations(flags.relocate),
    restorePid: flags['restore-pid'] ?? true,
    restorePgid: flags['restore-pgid'] ?? false,
    restoreSid: flags['restore-sid'] ?? false,
    omit: (lastOf(order, ['omit-maybe', 'omit-always', 'omit-never']) ?? 'omit-maybe').slice(5) as RestartOptions['omit'],
    hooks: resolveHooks(hookOrder),
    kmsg: resolveKmsg(order),
  };
  const parsed = RestartOptionsSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(describeIssue(parsed.error, input, {signal: '--signal', 'source.fd': '--fd', relocate: '--relocate'}));
  return parsed.data;
}
