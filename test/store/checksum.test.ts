// Hashing an image while it is written: the digest equals a hash of the finished file, however the
// catch-ups fall between the writes, and `hashed` never runs past what was written.
import {expect} from 'chai';
import {createHash, randomBytes} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {GrowingFileSha256} from '../../src/store/index.js';

describe('checksum while the file grows', () => {
  it('gives the SHA-256 of the whole file after catch-ups between appends of odd sizes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-sum-'));
    const file = path.join(dir, 'img');
    const fd = fs.openSync(file, 'w+');
    try {
      const hasher = new GrowingFileSha256(fd);
      const parts = [1, 4095, 4 << 20, 3, (4 << 20) + 17, 0, 123457].map((n) => randomBytes(n));
      let written = 0;
      for (const p of parts) {
        fs.writeSync(fd, p);
        written += p.length;
        await hasher.catchUp();
        expect(hasher.hashed).to.equal(written);
      }
      fs.writeSync(fd, Buffer.from('tail'));
      const digest = await hasher.finish();
      const all = Buffer.concat([...parts, Buffer.from('tail')]);
      expect(digest).to.deep.equal({sha256: createHash('sha256').update(all).digest('hex'), size: all.length});
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });
});
