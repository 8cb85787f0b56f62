// Every check of a checkpoint's destination, made before the kernel request is sent (and again
// when the file is opened): the file, its directory, the --backup name. A destination that cannot
// work is refused naming the flag, the path and what was expected, with the errno as exit status,
// before anything is created, truncated or renamed.
//
// Decisions (README "Destinations"): under --atomic and --backup the new checkpoint replaces the
// *name*, so a symbolic link, FIFO, socket or device there is refused (the rename would put a
// regular file in its place); --clobber writes in place, through a symbolic link, into a FIFO or a
// character device, as BLCR does. A hard-linked file is refused under --clobber (truncating it would
// empty the other names; the kernel refuses it with EMLINK only after the truncation).
import fs from 'node:fs';
import path from 'node:path';
import {crStrerror, E, errnoOfError, KernelError} from '../errors/index.js';
import type {FileDestination} from './publish.js';
import {tempPathFor} from './temp-files.js';

/** A destination refused before the request. */
export class DestinationError extends KernelError {
  constructor(errno: number, message: string) {
    super('destination', errno, `Checkpoint failed: ${message} (${crStrerror(errno)})`);
  }
}

type Stat = {st?: fs.Stats; errno?: number};

function lstatOf(p: string): Stat {
  try {
    return {st: fs.lstatSync(p)};
  } catch (error) {
    return {errno: errnoOfError(error)};
  }
}

function statOf(p: string): Stat {
  try {
    return {st: fs.statSync(p)};
  } catch (error) {
    return {errno: errnoOfError(error)};
  }
}

/** `dir` exists, is a directory and this process may create files in it; its stat. */
export function checkWritableDirectory(dir: string, flag: string, what = 'directory'): fs.Stats {
  const {st, errno} = statOf(dir);
  if (!st) {
    const why: Record<number, string> = {
      [E.ENOENT]: 'does not exist',
      [E.ENOTDIR]: 'has a component that is not a directory',
      [E.ELOOP]: 'has a loop of symbolic links on its path',
      [E.ENAMETOOLONG]: 'is too long a name',
      [E.EACCES]: 'cannot be reached (no search permission on its path)',
    };
    throw new DestinationError(errno!, `${flag}: the ${what} ${dir} ${why[errno!] ?? 'cannot be examined'}; expected an existing, writable directory`);
  }
  if (!st.isDirectory()) throw new DestinationError(E.ENOTDIR, `${flag}: ${dir} is not a directory; expected an existing, writable directory`);
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    const errno = errnoOfError(error);
    const why = errno === E.EROFS ? 'is on a read-only file system' : 'is not writable';
    throw new DestinationError(errno, `${flag}: the ${what} ${dir} ${why}; expected a directory cr may create files in`);
  }
  return st;
}

/** The kind of a non-regular, non-directory file, for messages. */
function kindOf(st: fs.Stats): string | undefined {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return undefined;
}

/** Refuse a file destination that cannot work. `flag` names it in messages (`-f/--file`). */
export function checkFileDestination(d: FileDestination, flag = '-f/--file'): void {
  const file = d.path;
  const dir = path.dirname(file);
  const policy = d.policy;
  const replacesName = policy === 'atomic' || policy === 'backup';
  const dirStat = checkWritableDirectoryIfNeeded();
  const link = lstatOf(file);
  if (link.errno !== undefined && link.errno !== E.ENOENT) {
    throw new DestinationError(link.errno, `${flag} ${file} cannot be examined; expected a file name cr can create`);
  }
  if (replacesName) {
    // The temporary name is longer than the final one: the file system decides whether it fits.
    const tmp = tempPathFor(file);
    const t = lstatOf(tmp);
    if (t.errno === E.ENAMETOOLONG) {
      throw new DestinationError(E.ENAMETOOLONG, `${flag} ${file}: the temporary name ${path.basename(tmp)} is too long for the file system; expected a shorter file name`);
    }
  }
  const existing = link.st;
  if (existing) {
    // --noclobber and a file there: open(2)'s O_EXCL refuses it, before the request, changing nothing.
    if (replacesName) checkReplaceable(existing);
    else if (policy === 'clobber') checkWritableInPlace();
  }
  if (policy === 'backup' && d.backupName !== undefined) checkBackupName(d.backupName, dirStat!);

  // atomic/backup/noclobber create a file in the directory; clobber only if there is none to
  // write in place, or the one there is not writable (BLCR unlinks it first).
  function checkWritableDirectoryIfNeeded(): fs.Stats | undefined {
    if (policy !== 'clobber') return checkWritableDirectory(dir, flag);
    const {st, errno} = statOf(file);
    let writable = false;
    if (st) {
      try {
        fs.accessSync(file, fs.constants.W_OK);
        writable = true;
      } catch {
        // unlinked and created anew: needs the directory
      }
    } else if (errno !== E.ENOENT) {
      throw new DestinationError(errno!, `${flag} ${file} cannot be examined; expected a file cr can write`);
    }
    return writable ? undefined : checkWritableDirectory(st ? dir : path.dirname(realTargetOf(file)), flag);
  }

  function checkReplaceable(st: fs.Stats): void {
    if (st.isDirectory()) throw new DestinationError(E.EISDIR, `${flag} ${file} is a directory; expected a file name (--dir DIR is directory mode)`);
    const kind = kindOf(st);
    if (kind === 'a symbolic link') {
      let to = '?';
      try {
        to = fs.readlinkSync(file);
      } catch {
        // keep '?'
      }
      throw new DestinationError(
        E.ELOOP,
        `${flag} ${file} is a symbolic link (to ${to}): --${policy} would replace the link with a regular file; expected a regular file or a new name (give the link's target, or --clobber to write through the link in place)`,
      );
    }
    if (kind) {
      const hint = st.isBlockDevice() || st.isSocket() ? 'use -F/--fd with an open descriptor' : 'use --clobber to write into it in place, or -F/--fd';
      throw new DestinationError(E.EINVAL, `${flag} ${file} is ${kind}: --${policy} would replace it with a regular file; expected a regular file or a new name (${hint})`);
    }
    // A file mounted on the name (a bind mount): rename(2) onto it fails with EBUSY.
    if (st.dev !== dirStat!.dev) {
      throw new DestinationError(E.EBUSY, `${flag} ${file} is a mount point (another file system is mounted on it): the rename that publishes the checkpoint would fail; expected a file of ${dir}'s file system`);
    }
  }

  function checkWritableInPlace(): void {
    const {st, errno} = statOf(file);
    if (!st) {
      if (errno === E.ENOENT) return; // a dangling symbolic link: its target is created
      throw new DestinationError(errno!, `${flag} ${file} cannot be examined; expected a file cr can write`);
    }
    if (st.isDirectory()) throw new DestinationError(E.EISDIR, `${flag} ${file} is a directory; expected a file (--dir DIR is directory mode)`);
    if (st.isBlockDevice()) throw new DestinationError(E.EINVAL, `${flag} ${file} is a block device; expected a regular file, FIFO or character device`);
    if (st.isSocket()) throw new DestinationError(E.ENXIO, `${flag} ${file} is a socket, which open(2) cannot write; expected a regular file (or -F/--fd with a connected socket)`);
    if (st.isFile() && st.nlink > 1) {
      throw new DestinationError(
        E.EMLINK,
        `${flag} ${file} has ${st.nlink} hard links: --clobber would truncate it, emptying the other names, and the kernel refuses it; expected a file with one link (--atomic, the default, replaces the name only)`,
      );
    }
  }

  function checkBackupName(name: string, fileDir: fs.Stats): void {
    const backup = path.resolve(dir, name);
    if (backup === file) throw new DestinationError(E.EINVAL, `--backup=${name} is the checkpoint file ${file} itself; expected another name for the previous checkpoint`);
    const bdir = path.dirname(backup);
    const bst = checkWritableDirectory(bdir, `--backup=${name}`, 'directory of the backup');
    if (bst.dev !== fileDir.dev) {
      throw new DestinationError(E.EXDEV, `--backup=${name}: ${bdir} is on another file system than ${file}; expected a name on ${dir}'s file system (the previous checkpoint is renamed, not copied)`);
    }
    const b = lstatOf(backup);
    if (b.errno !== undefined && b.errno !== E.ENOENT) throw new DestinationError(b.errno, `--backup=${name}: ${backup} cannot be examined; expected a file name cr can create`);
    if (b.st?.isDirectory()) throw new DestinationError(E.EISDIR, `--backup=${name}: ${backup} is a directory; expected a file name`);
  }
}

/** Where a (possibly dangling) symbolic link points, else the name itself. */
function realTargetOf(file: string): string {
  try {
    const to = fs.readlinkSync(file);
    return path.resolve(path.dirname(file), to);
  } catch {
    return file;
  }
}
