// `cr checkpoint` flags -> CheckpointOptions, following cr_checkpoint: later options win within a group.
import path from 'node:path';
import {UsageError} from '../errors/cr-error.js';
import {durationSecondsFlag, flagOrder, lastOf as lastIn, lastValue as last, resolveKmsg, resolveSignal} from './common-flag-defs.js';
import {CheckpointOptionsSchema, type CheckpointOptions, describeIssue, type QuiesceOptions} from '../schema/index.js';
import {DEFAULT_CONTROL_SOCKET} from '../storage/dmlog/protocol.js';
import {jobName} from '../store/naming.js';
import {checkFdFlag} from './fd-check.js';

/** The parsed flags of `cr checkpoint` (oclif's output). */
export interface CheckpointFlags {
  file?: string[];
  dir?: string[];
  fd?: number[];
  job?: string;
  keep?: number;
  backup?: string[];
  signal?: string[];
  time?: string[];
  quiesce?: string[];
  'while-quiesced'?: string;
  'quiesce-timeout'?: string;
  'dmlog-socket'?: string;
  [k: string]: unknown;
}

/** One flag occurrence in command-line order (oclif's `raw`). */
export interface RawFlag {
  type: string;
  flag?: string;
}

const SCOPES: Record<string, CheckpointOptions['scope']> = {tree: 'tree', pid: 'proc', pgid: 'pgrp', sid: 'sess'};
const POLICIES = ['atomic', 'backup', 'clobber', 'noclobber'] as const;
const PTRACED: Record<string, CheckpointOptions['ptraced']> = {'ptraced-error': 'error', 'ptraced-skip': 'skip', 'ptraced-allow': 'allow'};
const PTRACER: Record<string, CheckpointOptions['ptracer']> = {'ptracer-error': 'error', 'ptracer-skip': 'skip'};
const DESTS = ['cwd', 'file', 'dir', 'fd'];
const FLAG_NAMES: Record<string, string> = {target: 'ID', signal: '--signal', timeSec: '--time', 'destination.fd': '--fd', 'destination.path': '--file'};


/** Parse the ID argument: exactly one decimal number, as cr_checkpoint requires. */
export function parseId(id: string | undefined): number {
  if (id === undefined || !/^\d+$/.test(id)) throw new UsageError(`Expected ID to be a decimal process, group or session id, got \`${id ?? ''}\``);
  const n = Number(id);
  if (!Number.isSafeInteger(n) || n > 0x7fffffff) throw new UsageError(`Expected ID to be at most ${0x7fffffff}, got \`${id}\``);
  return n;
}

/** The storage-quiesce flags, or undefined without --quiesce. */
function quiesceOptions(flags: CheckpointFlags, signal: number): QuiesceOptions | undefined {
  const devices = flags.quiesce ?? [];
  if (devices.length === 0) {
    for (const f of ['while-quiesced', 'quiesce-timeout'] as const) {
      if (flags[f] !== undefined) throw new UsageError(`Expected --${f} to come with --quiesce NAME`);
    }
    return undefined;
  }
  for (const d of devices) {
    if (d === '' || d.includes('/') || Buffer.byteLength(d) > 127) throw new UsageError(`Expected --quiesce to be a device-mapper device name (no '/', at most 127 bytes), got \`${d}\``);
  }
  if (signal < 0 && signal !== -19) throw new UsageError('Expected no early signal other than --early-stop with --quiesce: the targets are held stopped while the storage is quiesced');
  const timeoutSec = flags['quiesce-timeout'] === undefined ? 30 : durationSecondsFlag('--quiesce-timeout', flags['quiesce-timeout']);
  const command = flags['while-quiesced'];
  if (command !== undefined && command.trim() === '') throw new UsageError('Expected --while-quiesced to be a command, got an empty string');
  const socket = flags['dmlog-socket'] ?? process.env.CR_DMLOG_SOCKET ?? DEFAULT_CONTROL_SOCKET;
  return {devices, command: command ?? null, timeoutSec, socket};
}

/** Resolve flags (with their order) and the ID into validated options. `cwd` anchors relative paths. */
export function checkpointOptionsFromFlags(flags: CheckpointFlags, raw: RawFlag[], id: string | undefined, cwd = process.cwd()): CheckpointOptions {
  const target = parseId(id);
  const order = flagOrder(raw);
  const lastOf = (names: readonly string[]) => lastIn(order, names);

  const scope = SCOPES[lastOf(Object.keys(SCOPES)) ?? 'tree'];
  const signal = resolveSignal(order, flags.signal);

  const timeArg = last(flags.time);
  const time = timeArg === undefined ? 0 : durationSecondsFlag('--time', timeArg, {allowZero: true});

  const save = {exe: false, private: false, shared: false};
  for (const f of order) {
    if (f === 'save-exe') save.exe = true;
    else if (f === 'save-private') save.private = true;
    else if (f === 'save-shared') save.shared = true;
    else if (f === 'save-all') Object.assign(save, {exe: true, private: true, shared: true});
    else if (f === 'save-none') Object.assign(save, {exe: false, private: false, shared: false});
  }

  const sync = lastOf(['sync', 'nosync']) !== 'nosync';
  const destFlag = lastOf(DESTS) ?? 'cwd';
  if (destFlag === 'dir' || destFlag === 'fd') {
    // The replace policies are about a file name; directory mode always publishes atomically under a
    // new name, and a descriptor is written as it is.
    const given = order.filter((f) => f === 'backup' || f === 'noclobber' || f === 'clobber');
    if (given.length > 0) {
      const what = destFlag === 'dir' ? 'directory mode (--dir) always writes a new file atomically' : '--fd writes to the descriptor as it is';
      throw new UsageError(`Expected no ${[...new Set(given)].map((f) => `--${f}`).join(', ')} with --${destFlag}: ${what}`);
    }
  }
  let destination: CheckpointOptions['destination'];
  if (destFlag === 'fd') {
    const fd = last(flags.fd)!;
    checkFdFlag(fd, 'write', {json: flags.json === true, quiet: flags.quiet === true});
    destination = {kind: 'fd', fd, sync};
  } else if (destFlag === 'dir') {
    const d = last(flags.dir)!;
    if (d === '') throw new UsageError('Expected --dir to be a directory, got an empty string');
    destination = {kind: 'store', dir: path.resolve(cwd, d), job: jobName(flags.job, target), keep: flags.keep, sync};
  } else {
    const policy = (lastOf(POLICIES) ?? 'atomic') as (typeof POLICIES)[number];
    const file = destFlag === 'file' ? path.resolve(cwd, last(flags.file)!) : path.resolve(cwd, `context.${target}`);
    if (destFlag === 'file' && last(flags.file) === '') throw new UsageError('Expected --file to be a file name, got an empty string');
    const backupName = policy === 'backup' ? last(flags.backup) || undefined : undefined;
    destination = {kind: 'file', path: file, policy, backupName, sync};
  }
  if ((flags.keep !== undefined || flags.job !== undefined) && destination.kind !== 'store') {
    throw new UsageError(`Expected --${flags.keep !== undefined ? 'keep' : 'job'} to come with --dir DIR (directory mode)`);
  }
  if (flags.keep !== undefined && (!Number.isInteger(flags.keep) || flags.keep < 1)) throw new UsageError(`Expected --keep to be a whole number >= 1, got \`${flags.keep}\``);

  const quiesce = quiesceOptions(flags, signal);
  if (target === 1 && scope === 'tree') throw new UsageError('Expected ID to be a job, got 1: the tree of pid 1 (init) is every process of the machine; give the job\'s pid');

  const input = {
    target,
    scope,
    destination,
    signal,
    save,
    ptraced: PTRACED[lastOf(Object.keys(PTRACED)) ?? 'ptraced-error'],
    ptracer: PTRACER[lastOf(Object.keys(PTRACER)) ?? 'ptracer-error'],
    timeSec: time,
    kmsg: resolveKmsg(order),
    ...(quiesce ? {quiesce} : {}),
  };
  const parsed = CheckpointOptionsSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(describeIssue(parsed.error, input, FLAG_NAMES));
  return parsed.data;
}

