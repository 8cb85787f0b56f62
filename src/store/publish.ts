// Where a checkpoint is written and how it replaces an older one (spec §4.1 "Destination file
// handling"): atomic (default), backup, clobber, noclobber; fsync of the file and its directory.
import fs from 'node:fs';
import path from 'node:path';
import {crStrerror, KernelError} from '../errors/index.js';
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

function errnoOf(error: unknown): number {
  return Math.abs((error as NodeJS.ErrnoException).errno ?? 5);
}

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
  static open(destination: Destination): PendingFile {
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
    const dirStat = statOrUndefined(path.dirname(finalPath));
    if (!dirStat?.isDirectory()) {
      throw new DestinationOpenError(finalPath, finalPath, 2, `cannot write ${finalPath}: directory ${path.dirname(finalPath)} does not exist`);
    }
    const existing = statOrUndefined(finalPath);
    if (existing?.isDirectory()) throw new DestinationOpenError(finalPath, finalPath, 21, `${finalPath}: Is a directory`);
    const {O_WRONLY, O_CREAT, O_EXCL, O_TRUNC, O_NOCTTY, O_NONBLOCK} = fs.constants;
    let writing = finalPath;
    let flags = O_WRONLY | O_CREAT | O_NOCTTY | O_NONBLOCK;
    if (policy === 'atomic' || policy === 'backup') {
      removeStaleTemps(finalPath);
      writing = tempPathFor(finalPath);
      // Read-write, so the new file can be checksummed through the same descriptor.
      flags = (flags & ~O_WRONLY) | fs.constants.O_RDWR | O_EXCL;
    } else if (policy === 'noclobber') {
      flags |= O_EXCL;
    } else {
      flags |= O_TRUNC;
      if (existing) {
        try {
          fs.accessSync(finalPath, fs.constants.W_OK);
        } catch {
          fs.unlinkSync(finalPath);
        }
      }
    }
    let fd: number;
    try {
      fd = fs.openSync(writing, flags, MODE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && policy === 'noclobber') {
        throw new DestinationOpenError(writing, finalPath, 17, `${finalPath} exists and --noclobber was given`);
      }
      throw new DestinationOpenError(writing, finalPath, errnoOf(error));
    }
    const st = fs.fstatSync(fd);
    if (!st.isFile() && !st.isFIFO() && !st.isSocket()) {
      fs.closeSync(fd);
      throw new DestinationOpenError(writing, finalPath, 22, `${writing}: not a regular file, FIFO or socket`);
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

  /** Make the new checkpoint durable and visible under its final name. */
  publish(): void {
    const d = this.destination;
    if (d.kind === 'fd') {
      if (d.sync) fsyncTolerant(this.fd);
      return;
    }
    if (d.sync) fsyncTolerant(this.fd);
    fs.closeSync(this.fd);
    if (this.writingPath !== d.path) {
      if (d.policy === 'backup' && statOrUndefined(d.path)) {
        this.backupPath = d.backupName ? path.resolve(path.dirname(d.path), d.backupName) : numberedBackup(d.path);
        try {
          fs.renameSync(d.path, this.backupPath);
        } catch (error) {
          fail('rename', `${d.path} -> ${this.backupPath}`, error);
        }
      }
      try {
        fs.renameSync(this.writingPath!, d.path);
      } catch (error) {
        fail('rename', `${this.writingPath} -> ${d.path}`, error);
      }
    }
    this.published = true;
    if (d.sync) fsyncDirectory(path.dirname(d.path));
  }

  /** Undo: close, and remove what was written. The previous checkpoint is untouched for
   *  atomic/backup; for clobber/noclobber the partial file is removed, as BLCR does. */
  discard(): void {
    if (this.destination.kind === 'fd') return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed by publish()
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

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
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
function fsyncTolerant(fd: number): void {
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') fail('fsync', `fd ${fd}`, error);
  }
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
