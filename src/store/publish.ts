// Where a checkpoint is written and how it replaces an older one (spec §4.1 "Destination file
// handling"): atomic (default), backup, clobber, noclobber; fsync of the file and its directory.
import fs from 'node:fs';
import path from 'node:path';
import {crStrerror, errnoOfError, KernelError} from '../errors/index.js';
import {faultPoint} from '../util/crash-point.js';
import {checkFileDestination} from './destination-check.js';
import {removeStaleTemps, tempPathFor} from './temp-files.js';

/** How a new checkpoint replaces an existing file of the same name. */
export type ReplacePolicy = 'atomic' | 'backup' | 'clobber' | 'noclobber';

export interface FileDestination {
  kind: 'file';
  /** Absolute final path. */
  path: string;
  policy: ReplacePolicy;
  /** With policy 'backup': the name to move the old file to; undefined = `<path>.~N~`. */
  backupName?: string;
  /** fsync the file and its directory (default true). */
  sync: boolean;
}

export interface FdDestination {
  kind: 'fd';
  fd: number;
  sync: boolean;
  /** false: no fstat before the request, the kernel judges the fd (cr_checkpoint's way). */
  precheck?: boolean;
}

export type Destination = FileDestination | FdDestination;

/** Context files are created 0400, as BLCR does. */
const MODE = 0o400;

const errnoOf = (error: unknown) => errnoOfError(error);

/** The destination could not be opened (cr_checkpoint's "Unable to open file"). */
export class DestinationOpenError extends KernelError {
  constructor(
    /** The name open(2) was given (the temporary one for atomic and backup). */
    readonly opened: string,
    /** The checkpoint's final name. */
    readonly file: string,
    errno: number,
    message = `open ${opened}: ${crStrerror(errno)}`,
  ) {
    super('open', errno, message);
  }
}

function fail(op: string, file: string, error: unknown): never {
  const errno = errnoOf(error);
  throw new KernelError(op, errno, `${op} ${file}: ${crStrerror(errno)}`);
}

/** A destination opened for the kernel to write; publish() or discard() ends it. */
export class PendingFile {
  /** Set once the final name holds the new checkpoint. */
  published = false;
  /** Where the old file went with policy 'backup'. */
  backupPath?: string;

  private constructor(
    readonly destination: Destination,
    readonly fd: number,
    /** The name being written (a temporary one for atomic/backup). */
    readonly writingPath?: string,
  ) {}

  /** Open the destination; stale temporaries of earlier killed runs are removed first. */
  static open(destination: Destination, flag = '-f/--file'): PendingFile {
    if (destination.kind === 'fd') {
      if (destination.precheck === false) return new PendingFile(destination, destination.fd);
      let st: fs.Stats;
      try {
        st = fs.fstatSync(destination.fd);
      } catch (error) {
        const errno = errnoOf(error);
        throw new KernelError('fstat', errno, `--fd ${destination.fd}: ${crStrerror(errno)}`);
      }
      if (!st.isFile() && !st.isFIFO() && !st.isSocket()) {
        throw new KernelError('fstat', 22, `--fd ${destination.fd}: not a regular file, FIFO or socket`);
      }
      return new PendingFile(destination, destination.fd);
    }
    const {path: finalPath, policy} = destination;
    // Checked before the request too (runCheckpoint's preflight); again here, just before the open.
    checkFileDestination(destination, flag);
    const {O_WRONLY, O_CREAT, O_EXCL, O_NOCTTY, O_NONBLOCK} = fs.constants;
    let writing = finalPath;
    let flags = O_WRONLY | O_CREAT | O_NOCTTY | O_NONBLOCK;
    if (policy === 'atomic' || policy === 'backup') {
      removeStaleTemps(finalPath);
      writing = tempPathFor(finalPath);
      // Read-write, so the new file can be checksummed through the same descriptor.
      flags = (flags & ~O_WRONLY) | fs.constants.O_RDWR | O_EXCL;
    } else if (policy === 'noclobber') {
      flags |= O_EXCL;
    } else if (fs.existsSync(finalPath)) {
      // No O_TRUNC: the file is truncated only once it is known to have a single link.
      try {
        fs.accessSync(finalPath, fs.constants.W_OK);
      } catch {
        try {
          fs.unlinkSync(finalPath);
        } catch (error) {
          const errno = errnoOf(error);
          throw new DestinationOpenError(finalPath, finalPath, errno, `Checkpoint failed: ${flag} ${finalPath} is not writable and cannot be removed: ${crStrerror(errno)}`);
        }
      }
    }
    let fd: number;
    try {
      fd = fs.openSync(writing, flags, MODE);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 17 && policy === 'noclobber') {
        throw new DestinationOpenError(writing, finalPath, 17, `${finalPath} exists and --noclobber was given`);
      }
      const what = writing === finalPath ? '' : ` (its temporary ${path.basename(writing)})`;
      const hint = errno === 6 ? ': a FIFO needs a reader before cr writes into it' : '';
      throw new DestinationOpenError(writing, finalPath, errno, `Checkpoint failed: ${flag} ${finalPath}: cannot open${what}: ${crStrerror(errno)}${hint}`);
    }
    const st = fs.fstatSync(fd);
    if (!st.isFile() && !st.isFIFO() && !st.isSocket() && !st.isCharacterDevice()) {
      fs.closeSync(fd);
      throw new DestinationOpenError(writing, finalPath, 22, `${writing}: not a regular file, FIFO or socket`);
    }
    if (policy === 'clobber' && st.isFile()) {
      if (st.nlink > 1) {
        fs.closeSync(fd);
        throw new DestinationOpenError(writing, finalPath, 31, `Checkpoint failed: ${flag} ${finalPath} has ${st.nlink} hard links: --clobber would empty the other names (${crStrerror(31)})`);
      }
      try {
        fs.ftruncateSync(fd, 0);
      } catch (error) {
        fs.closeSync(fd);
        fail('ftruncate', finalPath, error);
      }
    }
    return new PendingFile(destination, fd, writing);
  }

  /** Bytes written so far (the file's size; 0 for a pipe or socket). */
  bytesWritten(): number {
    try {
      return fs.fstatSync(this.fd).size;
    } catch {
      return 0;
    }
  }

  /** Make the new checkpoint durable and visible under its final name. A failure names the step
   *  and the file and carries the errno; before the final rename nothing of the previous checkpoint
   *  has changed (a backup rename is undone), and discard() removes the new file. */
  publish(): void {
    const d = this.destination;
    if (d.kind === 'fd') {
      if (d.sync) fsyncTolerant(this.fd, `--fd ${d.fd}`, 'what was written to it may not be durable');
      return;
    }
    const inPlace = this.writingPath === d.path;
    const fileName = inPlace ? d.path : `${this.writingPath} (the new ${d.path})`;
    // Written in place (--clobber, --noclobber), the unfinished file is removed, as BLCR does.
    const before = inPlace ? `${d.path}, written in place, is removed` : `${d.path} is unchanged`;
    if (d.sync) fsyncTolerant(this.fd, fileName, before);
    try {
      this.close();
    } catch (error) {
      failAfterDump(`closing ${fileName}`, error, before);
    }
    if (this.writingPath !== d.path) {
      let backup: string | undefined;
      if (d.policy === 'backup' && lstatOrUndefined(d.path)) {
        backup = d.backupName ? path.resolve(path.dirname(d.path), d.backupName) : numberedBackup(d.path);
        try {
          faultPoint('backup-rename');
          fs.renameSync(d.path, backup);
        } catch (error) {
          failAfterDump(`moving the previous checkpoint ${d.path} to the backup ${backup}`, error, `${d.path} is unchanged`);
        }
      }
      try {
        faultPoint('publish-rename');
        fs.renameSync(this.writingPath!, d.path);
      } catch (error) {
        // Put the previous checkpoint back under its name.
        let kept = `${d.path} is unchanged`;
        if (backup) {
          try {
            fs.renameSync(backup, d.path);
          } catch (undo) {
            kept = `the previous checkpoint stays at ${backup} (moving it back failed: ${crStrerror(errnoOf(undo))})`;
          }
        }
        failAfterDump(`renaming ${this.writingPath} to ${d.path}`, error, kept);
      }
      this.backupPath = backup;
    }
    this.published = true;
    if (d.sync) {
      try {
        faultPoint('fsync-dir');
        fsyncDirectory(path.dirname(d.path));
      } catch (error) {
        failAfterDump(`syncing the directory ${path.dirname(d.path)}`, error, `the new checkpoint is under ${d.path} but may not be durable`);
      }
    }
  }

  private closed = false;

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  /** Undo: close, and remove what was written. The previous checkpoint is untouched for
   *  atomic/backup; for clobber/noclobber the partial file is removed, as BLCR does. */
  discard(): void {
    if (this.destination.kind === 'fd') return;
    try {
      this.close();
    } catch {
      // a close error changes nothing here: the file is removed below
    }
    if (!this.published && this.writingPath) {
      try {
        fs.unlinkSync(this.writingPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/** `<file>.~N~` with the lowest N >= 1 that does not exist (BLCR gives up after 65536). */
export function numberedBackup(file: string): string {
  for (let n = 1; n <= 65536; n++) {
    const candidate = `${file}.~${n}~`;
    if (!fs.existsSync(candidate)) return candidate;
  }
  throw new KernelError('backup', 17, `no free backup name for ${file} (tried .~1~ to .~65536~)`);
}

/** fsync, ignoring EINVAL (pipes and sockets cannot be synced). */
function fsyncTolerant(fd: number, name: string, outcome: string): void {
  try {
    faultPoint('fsync');
    fs.fsyncSync(fd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') failAfterDump(`syncing ${name}`, error, outcome);
  }
}

/** A step after the dump failed: its errno, the step and the file, and what became of the
 *  previous checkpoint. */
export class PublishError extends KernelError {
  constructor(step: string, errno: number, outcome: string) {
    super('publish', errno, `Checkpoint failed: ${step}: ${crStrerror(errno)}; ${outcome}`);
  }
}

function failAfterDump(step: string, error: unknown, outcome: string): never {
  throw new PublishError(step, errnoOf(error), outcome);
}

/** fsync a directory so a rename in it is durable; EROFS and EINVAL are ignored. */
export function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (error) {
    fail('open', dir, error);
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EROFS' && code !== 'EINVAL') fail('fsync', dir, error);
  } finally {
    fs.closeSync(fd);
  }
}
