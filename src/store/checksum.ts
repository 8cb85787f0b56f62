// Streaming SHA-256 of a file: large sequential reads straight into the hash, no copy of the file;
// and the same while the file is still being written, so a checkpoint's checksum needs no second
// read of the image once the dump ends (BLCR writes its stream strictly in order: it can go to a
// pipe or a socket, so bytes before the current size are final).
import {createHash} from 'node:crypto';
import fs from 'node:fs';

/** Read size: large enough for sequential disk speed, small enough to stay in cache. */
const CHUNK = 4 << 20;

export interface FileDigest {
  sha256: string;
  size: number;
}

const readAt = (fd: number, buf: Buffer, position: number) =>
  new Promise<number>((resolve, reject) => fs.read(fd, buf, 0, buf.length, position, (err, n) => (err ? reject(err) : resolve(n))));

/** SHA-256 of `file` (a path, or an open fd read from offset 0 with pread). `onBytes` reports progress. */
export async function sha256File(file: string | number, onBytes?: (n: number) => void): Promise<FileDigest> {
  const fd = typeof file === 'number' ? file : fs.openSync(file, 'r');
  try {
    return await new GrowingFileSha256(fd).finish(onBytes);
  } finally {
    if (typeof file !== 'number') fs.closeSync(fd);
  }
}

/** SHA-256 of a file that a writer is still appending to: `catchUp` hashes what has been written
 *  so far (call it while the writer works), `finish` the rest once the writer is done. */
export class GrowingFileSha256 {
  private readonly hash = createHash('sha256');
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private done = 0;
  private running?: Promise<void>;

  constructor(private readonly fd: number) {}

  /** Bytes hashed so far. */
  get hashed(): number {
    return this.done;
  }

  /** Hash what the file holds now; a call while one is running joins it. */
  catchUp(): Promise<void> {
    this.running ??= this.readToEnd().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The writer is done: hash the rest and give the digest of the whole file. */
  async finish(onBytes?: (n: number) => void): Promise<FileDigest> {
    await this.running;
    await this.readToEnd(onBytes);
    return {sha256: this.hash.digest('hex'), size: this.done};
  }

  private async readToEnd(onBytes?: (n: number) => void): Promise<void> {
    for (let n = await readAt(this.fd, this.buf, this.done); n > 0; n = await readAt(this.fd, this.buf, this.done)) {
      this.hash.update(n === CHUNK ? this.buf : this.buf.subarray(0, n));
      this.done += n;
      onBytes?.(this.done);
    }
  }
}
