// The flags of `cr restart`: cr_restart's full set (spec/blcr-abi.md §5), same names and letters.
import {Flags} from '@oclif/core';
import {bool, logFlags, repeatable, signalFlags} from './common-flag-defs.js';

const src = 'Source';
const ids = 'Identifiers';
const hooks = 'Outcome hooks';
const omit = 'Self-omission';
const hook = (summary: string) => Flags.string({summary, helpGroup: hooks, helpValue: 'CMD', ...repeatable});

export const restartFlags = {
  file: Flags.string({char: 'f', summary: 'Restart from the context file FILE.', ...repeatable, helpGroup: src, helpValue: 'FILE'}),
  fd: Flags.integer({char: 'F', summary: 'Restart from the already open file descriptor FD.', ...repeatable, helpGroup: src, helpValue: 'FD'}),
  latest: Flags.string({summary: 'Restart from the newest checkpoint in DIR that verifies (older ones are tried, with a warning, if it does not).', ...repeatable, helpGroup: src, helpValue: 'DIR'}),
  job: Flags.string({summary: 'With --latest: the job whose newest checkpoint to take (default: the batch job id, else the only job in DIR).', helpGroup: src, helpValue: 'NAME'}),
  relocate: Flags.string({summary: 'Map recorded paths under OLD to NEW (absolute paths, at most 16; `\\=` escapes =).', ...repeatable, helpValue: 'OLD=NEW'}),
  'restore-pid': Flags.boolean({summary: 'Restore the recorded pids; fail if one is in use (default).', allowNo: true, helpGroup: ids}),
  'restore-pgid': Flags.boolean({summary: 'Restore the recorded process group ids.', allowNo: true, helpGroup: ids}),
  'restore-sid': Flags.boolean({summary: 'Restore the recorded session ids.', allowNo: true, helpGroup: ids}),
  ...signalFlags('restart'),
  'omit-maybe': bool('cr leaves itself out of a later checkpoint when it is the target or an orphan (default).', {helpGroup: omit}),
  'omit-always': bool('cr always leaves itself out of a later checkpoint.', {helpGroup: omit}),
  'omit-never': bool('cr never leaves itself out of a later checkpoint.', {helpGroup: omit}),
  'run-on-success': hook('Run CMD (with sh -c) after a successful restart; a non-zero status becomes the exit status.'),
  'run-on-fail-args': hook('Run CMD when the arguments are invalid.'),
  'run-on-fail-temp': hook('Run CMD on a temporary failure (ENOMEM, EBUSY: a pid in use).'),
  'run-on-fail-env': hook('Run CMD on an environmental failure (EACCES, EPERM, ENOENT, EEXIST, EISDIR, ENOTDIR).'),
  'run-on-fail-perm': hook('Run CMD on a permanent failure (anything else: EINVAL, EIO, ENOSYS...).'),
  'run-on-failure': hook('Run CMD on any failure (sets the four --run-on-fail-* hooks).'),
  ...logFlags(),
};
