// The pre-restart check on the framing of spec §6: the first vmadump header is found after the
// linkage table however large it is (one 112-byte entry per task: a 700-thread process has 78 KB
// of it), so no file the kernel would restore is refused for its size.
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {checkRestartable, readContextHeader} from '../../src/store/index.js';

/** A context file laid out as spec §6 gives it: header, section header, linkage, vmadump, trailer. */
function contextFile(threads: number, kernel: [number, number, number], opts: {linkBytes?: number} = {}): Buffer {
  const i32 = (...v: number[]) => Buffer.from(new Int32Array(v).buffer);
  const linkage = Buffer.alloc(threads * 112, 0x11);
  const vmad = Buffer.from([0x56, 0x4d, 0x41, 6, 5, ...kernel]);
  return Buffer.concat([
    i32(0x43, 0x52, 9, 3, 5),
    i32(threads, 0x410f00, -1),
    i32(opts.linkBytes ?? linkage.length),
    linkage,
    vmad,
    Buffer.alloc(4096, 0x22),
    Buffer.from([0, 0, 0, 0, 0x00, 0x0f, 0x41, 0x00, 0xff, 0xff, 0xff, 0xff]),
  ]);
}

describe('context file framing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-ctxhdr-'));
  after(() => fs.rmSync(dir, {recursive: true, force: true}));
  const [major, minor] = os.release().split('.').map(Number);

  for (const threads of [1, 2, 600, 700, 4000]) {
    it(`finds the vmadump header after a linkage table of ${threads} task(s)`, () => {
      const file = path.join(dir, `t${threads}.ctx`);
      fs.writeFileSync(file, contextFile(threads, [major, minor, 3]));
      const h = checkRestartable(file);
      expect(h.firstThreads).to.equal(threads);
      expect(h.kernel).to.deep.equal({major, minor, patch: 3});
    });
  }

  it('names a linkage table that does not fit in the file', () => {
    const file = path.join(dir, 'badlink.ctx');
    fs.writeFileSync(file, contextFile(2, [major, minor, 0], {linkBytes: 1 << 30}));
    expect(() => readContextHeader(file)).to.throw(/linkage table's size \(1073741824 bytes\) does not fit/);
  });

  it('still refuses a file from another kernel after a large linkage table', () => {
    const file = path.join(dir, 'otherkernel.ctx');
    fs.writeFileSync(file, contextFile(700, [major, minor + 1, 0]));
    expect(() => checkRestartable(file)).to.throw(/written by kernel \d+\.\d+, this is/);
  });
});
