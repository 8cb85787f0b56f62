// The flags of `cr checkpoint`: cr_checkpoint's full set (spec/blcr-abi.md §5), same names and letters.
import {Flags} from '@oclif/core';

const b = (summary: string, extra: Record<string, unknown> = {}) => Flags.boolean({summary, allowNo: false, ...extra});
const scope = 'Scope';
const dest = 'Destination';
const policy = 'Replace policy';
const sig = 'Signal after checkpoint';
const save = 'What to save';
const ptrace = 'ptrace';
const kmsg = 'Kernel log';

export const checkpointFlags = {
  tree: b('ID is a pid: checkpoint it and all its descendants (default).', {char: 'T', helpGroup: scope}),
  pid: b('ID is a pid: checkpoint that process only (all its threads).', {char: 'p', aliases: ['process'], helpGroup: scope}),
  pgid: b('ID is a process group id: checkpoint every process in it.', {char: 'g', aliases: ['group'], helpGroup: scope}),
  sid: b('ID is a session id: checkpoint every process in it.', {char: 's', aliases: ['session'], helpGroup: scope}),

  cwd: b('Write context.<ID> in the current directory (default).', {char: 'c', helpGroup: dest}),
  file: Flags.string({char: 'f', summary: 'Write the context file to FILE.', multiple: true, multipleNonGreedy: true, helpGroup: dest, helpValue: 'FILE'}),
  dir: Flags.string({char: 'd', summary: 'Write context.<ID> in directory DIR.', multiple: true, multipleNonGreedy: true, helpGroup: dest, helpValue: 'DIR'}),
  fd: Flags.integer({char: 'F', summary: 'Write to the already open file descriptor FD (replace policies do not apply).', multiple: true, multipleNonGreedy: true, helpGroup: dest, helpValue: 'FD'}),

  atomic: b('Write a temporary file, then rename it over the old one (default).', {helpGroup: policy}),
  backup: Flags.string({summary: 'As --atomic, and keep the old file as NAME, or as FILE.~N~ without NAME.', multiple: true, multipleNonGreedy: true, helpGroup: policy, helpValue: '[=NAME]'}),
  clobber: b('Overwrite the old file in place (it is lost if the checkpoint fails).', {helpGroup: policy}),
  noclobber: b('Fail if the file already exists.', {helpGroup: policy}),

  run: b('Let the targets run on after the checkpoint (default).', {helpGroup: sig}),
  signal: Flags.integer({char: 'S', summary: 'Send signal NUM (1-64) to the targets after the checkpoint.', multiple: true, multipleNonGreedy: true, helpGroup: sig, helpValue: 'NUM'}),
  stop: b('Stop the targets (SIGSTOP) after the checkpoint.', {helpGroup: sig}),
  term: b('Terminate the targets (SIGTERM) after the checkpoint.', {helpGroup: sig}),
  abort: b('Abort the targets (SIGABRT) after the checkpoint.', {helpGroup: sig}),
  kill: b('Kill the targets (SIGKILL) after the checkpoint.', {helpGroup: sig}),
  cont: b('Continue the targets (SIGCONT) after the checkpoint.', {helpGroup: sig}),
  'early-stop': b('Send SIGSTOP right after each process is dumped.', {hidden: true, helpGroup: sig}),
  'early-abrt': b('Send SIGABRT right after each process is dumped.', {hidden: true, helpGroup: sig}),

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

  'kmsg-none': b('Never print the kernel log.', {helpGroup: kmsg}),
  'kmsg-error': b('Print the kernel log when the checkpoint fails (default).', {helpGroup: kmsg}),
  'kmsg-warning': b('Always print the kernel log.', {helpGroup: kmsg}),

  time: Flags.integer({char: 't', summary: 'Give up after SEC seconds: the request is cancelled and nothing is written (0 = no limit).', multiple: true, multipleNonGreedy: true, helpValue: 'SEC'}),
  quiet: b('No output on stderr.', {char: 'q'}),
  verbose: b('Say what was done.', {char: 'v'}),
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
