// The flags of `cr checkpoint`: cr_checkpoint's full set (spec/blcr-abi.md §5), same names and letters.
import {Flags} from '@oclif/core';
import {bool, logFlags, repeatable, signalFlags} from './common-flag-defs.js';

const b = bool;
const scope = 'Scope';
const dest = 'Destination';
const policy = 'Replace policy';
const save = 'What to save';
const ptrace = 'ptrace';

export const checkpointFlags = {
  tree: b('ID is a pid: checkpoint it and all its descendants (default).', {char: 'T', helpGroup: scope}),
  pid: b('ID is a pid: checkpoint that process only (all its threads).', {char: 'p', aliases: ['process'], helpGroup: scope}),
  pgid: b('ID is a process group id: checkpoint every process in it.', {char: 'g', aliases: ['group'], helpGroup: scope}),
  sid: b('ID is a session id: checkpoint every process in it.', {char: 's', aliases: ['session'], helpGroup: scope}),

  cwd: b('Write context.<ID> in the current directory (default).', {char: 'c', helpGroup: dest}),
  file: Flags.string({char: 'f', summary: 'Write the context file to FILE.', ...repeatable, helpGroup: dest, helpValue: 'FILE'}),
  dir: Flags.string({char: 'd', summary: 'Directory mode: write DIR/<time>-<job>-<seq>.ctx and a manifest beside it.', ...repeatable, helpGroup: dest, helpValue: 'DIR'}),
  job: Flags.string({summary: 'Job name in directory mode (default: the batch job id, else pid<ID>).', helpGroup: dest, helpValue: 'NAME'}),
  keep: Flags.integer({summary: 'Directory mode: keep only the newest N checkpoints of the job (after a successful publish).', helpGroup: dest, helpValue: 'N'}),
  fd: Flags.integer({char: 'F', summary: 'Write to the already open file descriptor FD (replace policies do not apply).', ...repeatable, helpGroup: dest, helpValue: 'FD'}),

  atomic: b('Write a temporary file, then rename it over the old one (default).', {helpGroup: policy}),
  backup: Flags.string({summary: 'As --atomic, and keep the old file as NAME, or as FILE.~N~ without NAME.', ...repeatable, helpGroup: policy, helpValue: '[=NAME]'}),
  clobber: b('Overwrite the old file in place (it is lost if the checkpoint fails).', {helpGroup: policy}),
  noclobber: b('Fail if the file already exists.', {helpGroup: policy}),

  ...signalFlags('checkpoint'),

  sync: b('fsync the file and its directory (default).', {helpGroup: dest}),
  nosync: b('Do not fsync.', {helpGroup: dest}),

  'save-exe': b('Include the executable in the context file.', {helpGroup: save}),
  'save-private': b('Include files mapped private (libraries, the executable).', {helpGroup: save}),
  'save-shared': b('Include files mapped shared.', {helpGroup: save}),
  'save-all': b('--save-exe, --save-private and --save-shared.', {helpGroup: save}),
  'save-none': b('Save mapped files by reference only (default).', {helpGroup: save}),

  'ptraced-error': b('Fail if a target is being ptraced (default).', {helpGroup: ptrace}),
  'ptraced-skip': b('Leave out ptraced targets (and their subtrees).', {helpGroup: ptrace}),
  'ptraced-allow': b('Checkpoint ptraced targets too.', {helpGroup: ptrace}),
  'ptracer-error': b('Fail if a target is ptracing another process (default).', {helpGroup: ptrace}),
  'ptracer-skip': b('Leave out targets that are ptracing others.', {helpGroup: ptrace}),

  quiesce: Flags.string({summary: 'Suspend device-mapper device NAME while the job is held at its checkpoint (repeatable: suspended in order, resumed in reverse).', ...repeatable, helpGroup: 'Storage quiesce', helpValue: 'NAME'}),
  'while-quiesced': Flags.string({summary: 'Run CMD with sh -c while the devices are suspended (a storage snapshot); a non-zero status fails the checkpoint.', helpGroup: 'Storage quiesce', helpValue: 'CMD'}),
  'quiesce-timeout': Flags.string({summary: 'How long to wait for the dm-log server to confirm the suspend and the resume (seconds, or 30s, 5m; default 30).', helpGroup: 'Storage quiesce', helpValue: 'DURATION'}),
  'dmlog-socket': Flags.string({summary: 'Control socket of `cr dmlog serve` (default $CR_DMLOG_SOCKET, else /run/cr/dmlog.sock).', helpGroup: 'Storage quiesce', helpValue: 'PATH'}),

  time: Flags.string({
    char: 't',
    summary: 'Give up after DURATION (seconds, or 90s, 10m, 1h30m; 0 = no limit): nothing is published, exit 110.',
    description:
      'BLCR cannot cancel a dump once it has begun: after SEC seconds cr stops waiting for the checkpoint, waits only for the kernel to finish with the targets, continues them (a requested --kill, --term, ... is never sent), removes the unfinished file and exits 110.',
    ...repeatable,
    helpValue: 'DURATION',
  }),
  ...logFlags(),
};

/** Rewrite `--backup` without a value to `--backup=` so oclif can parse BLCR's optional-value flag. */
export function normalizeCheckpointArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    if (a === '--') {
      out.push(...argv.slice(out.length));
      break;
    }
    out.push(a === '--backup' ? '--backup=' : a);
  }
  return out;
}
