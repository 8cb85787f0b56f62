// Manifest, checksum and open-file listing of the checkpoint store.
import {expect} from 'chai';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {pidsInScope} from '../../src/procfs/stat.js';
import {type Manifest, manifestPathFor, openFilesOf, readManifest, sha256File, writeManifest} from '../../src/store/index.js';

const sample = (file: string, sha256: string, size: number): Manifest => ({
  format: 'cr-checkpoint-manifest',
  version: 1,
  cr: {version: '0.1.0'},
  engine: {name: 'blcr', interface: '0.10'},
  host: os.hostname(),
  kernel: os.release(),
  job: 'job1',
  sequence: 1,
  target: 42,
  scope: 'tree',
  flags: '0x11',
  signal: 0,
  startedAt: new Date(0).toISOString(),
  endedAt: new Date(1000).toISOString(),
  context: {file: path.basename(file), size, sha256},
  openFiles: [],
});

describe('checkpoint store: manifest, checksum, open files', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-store-'))));
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}));

  it('hashes like sha256sum, from a path or an fd, whatever the size', async () => {
    for (const size of [0, 1, (4 << 20) - 1, 4 << 20, (9 << 20) + 17]) {
      const f = path.join(dir, `f${size}`);
      fs.writeFileSync(f, Buffer.alloc(size, size % 251));
      const expected = execFileSync('sha256sum', [f], {encoding: 'utf8'}).split(' ')[0];
      expect(await sha256File(f), String(size)).to.deep.equal({sha256: expected, size});
      const fd = fs.openSync(f, 'r');
      expect((await sha256File(fd)).sha256).to.equal(expected);
      fs.closeSync(fd);
    }
  });

  it('writes a manifest atomically and reads it back through the schema', () => {
    const ctx = path.join(dir, 'a.ctx');
    const m = sample(ctx, 'a'.repeat(64), 10);
    expect(writeManifest(ctx, m)).to.equal(manifestPathFor(ctx));
    expect(fs.readdirSync(dir)).to.deep.equal(['a.ctx.json']);
    expect(readManifest(ctx)).to.deep.equal(m);
  });

  it('says what is wrong with a missing, broken or foreign manifest', () => {
    const ctx = path.join(dir, 'b.ctx');
    expect(() => readManifest(ctx)).to.throw('no manifest');
    fs.writeFileSync(manifestPathFor(ctx), '{');
    expect(() => readManifest(ctx)).to.throw('not valid JSON');
    fs.writeFileSync(manifestPathFor(ctx), JSON.stringify({...sample(ctx, 'xyz', 1)}));
    expect(() => readManifest(ctx)).to.throw('invalid at `context.sha256`');
    fs.writeFileSync(manifestPathFor(ctx), JSON.stringify({...sample(ctx, 'a'.repeat(64), 1), version: 2}));
    expect(() => readManifest(ctx)).to.throw('invalid at `version`');
  });

  it('lists the open and mapped files of a process tree from /proc', async () => {
    const pids = pidsInScope(process.pid, 'tree');
    expect(pids).to.include(process.pid);
    const f = path.join(dir, 'held');
    fs.writeFileSync(f, 'x'.repeat(5));
    const fd = fs.openSync(f, 'r');
    try {
      const {files, unstatted} = await openFilesOf([process.pid]);
      expect(unstatted).to.deep.equal([]);
      const held = files.find((o) => o.path === f)!;
      expect(held).to.include({pid: process.pid, size: 5, inode: fs.statSync(f).ino});
      expect(held.use).to.match(/^fd \d+$/);
      expect(files.some((o) => o.use === 'exe' && o.path === fs.realpathSync(process.execPath))).to.equal(true);
      expect(files.some((o) => o.use === 'map')).to.equal(true);
    } finally {
      fs.closeSync(fd);
    }
    expect(pidsInScope(999999, 'proc')).to.deep.equal([]);
  });
});
