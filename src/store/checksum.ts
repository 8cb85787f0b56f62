// Streaming SHA-256 of a file: large sequential reads straight into the hash, no copy of the file.
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
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let size = 0;
  try {
    for (let n = await readAt(fd, buf, 0); n > 0; n = await readAt(fd, buf, size)) {
      hash.update(n === CHUNK ? buf : buf.subarray(0, n));
      size += n;
      onBytes?.(size);
    }
  } finally {
    if (typeof file !== 'number') fs.closeSync(fd);
  }
  return {sha256: hash.digest('hex'), size};
}
