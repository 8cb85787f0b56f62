// Replace policies and atomic publish on a real file system.
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {checkFileDestination, DestinationError, hostTag, PendingFile, PublishError, removeStaleTemps, tempPathFor} from '../../src/store/index.js';
import {startTimeOf} from '../../src/procfs/stat.js';
import {KernelError} from '../../src/errors/index.js';

describe('checkpoint file publishing', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-publish-'));
  });
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}));

  const write = (p: PendingFile, text: string) => fs.writeSync(p.fd, text);

  it('atomic: writes a temporary in the same directory, and the old file stays until publish', () => {
    const final = path.join(dir, 'context.1');
    fs.writeFileSync(final, 'old');
    const p = PendingFile.open({kind: 'file', path: final, policy: 'atomic', sync: true});
    expect(p.writingPath).to.equal(tempPathFor(final));
    expect(path.dirname(p.writingPath!)).to.equal(dir);
    write(p, 'new');
    expect(fs.readFileSync(final, 'utf8')).to.equal('old');
    p.publish();
    expect(fs.readFileSync(final, 'utf8')).to.equal('new');
    expect(fs.readdirSync(dir)).to.deep.equal(['context.1']);
    expect(fs.statSync(final).mode & 0o777).to.equal(0o400);
  });

  it('atomic: discard leaves the old file byte for byte and no temporary', () => {
    const final = path.join(dir, 'context.2');
    fs.writeFileSync(final, 'precious');
    const p = PendingFile.open({kind: 'file', path: final, policy: 'atomic', sync: true});
    write(p, 'partial');
    p.discard();
    expect(fs.readFileSync(final, 'utf8')).to.equal('precious');
    expect(fs.readdirSync(dir)).to.deep.equal(['context.2']);
  });

  it('backup: keeps the old file as .~N~ with the lowest free N, or as NAME', () => {
    const final = path.join(dir, 'ctx');
    fs.writeFileSync(final, 'v1');
    fs.writeFileSync(`${final}.~1~`, 'v0');
    let p = PendingFile.open({kind: 'file', path: final, policy: 'backup', sync: true});
    write(p, 'v2');
    p.publish();
    expect(p.backupPath).to.equal(`${final}.~2~`);
    expect(fs.readFileSync(`${final}.~2~`, 'utf8')).to.equal('v1');
    expect(fs.readFileSync(final, 'utf8')).to.equal('v2');
    p = PendingFile.open({kind: 'file', path: final, policy: 'backup', backupName: 'named.bak', sync: false});
    write(p, 'v3');
    p.publish();
    expect(fs.readFileSync(path.join(dir, 'named.bak'), 'utf8')).to.equal('v2');
  });

  it('backup: a failed checkpoint makes no backup and leaves the old file', () => {
    const final = path.join(dir, 'ctx');
    fs.writeFileSync(final, 'v1');
    const p = PendingFile.open({kind: 'file', path: final, policy: 'backup', sync: true});
    write(p, 'half');
    p.discard();
    expect(fs.readdirSync(dir)).to.deep.equal(['ctx']);
  });

  it('noclobber: refuses an existing file with EEXIST and names it', () => {
    const final = path.join(dir, 'ctx');
    fs.writeFileSync(final, 'v1');
    const err = (() => {
      try {
        PendingFile.open({kind: 'file', path: final, policy: 'noclobber', sync: true});
      } catch (error) {
        return error as KernelError;
      }
    })();
    expect(err).to.be.instanceOf(KernelError);
    expect(err!.errno).to.equal(17);
    expect(err!.message).to.contain(final);
    expect(fs.readFileSync(final, 'utf8')).to.equal('v1');
  });

  it('clobber: writes in place; a failure removes the file (as BLCR does)', () => {
    const final = path.join(dir, 'ctx');
    fs.writeFileSync(final, 'v1');
    fs.chmodSync(final, 0o400);
    const p = PendingFile.open({kind: 'file', path: final, policy: 'clobber', sync: true});
    expect(p.writingPath).to.equal(final);
    write(p, 'x');
    p.discard();
    expect(fs.existsSync(final)).to.equal(false);
  });

  it('removes temporaries left by a dead writer, but not a live one', () => {
    const final = path.join(dir, 'context.9');
    // Names as tempPathFor makes them: host, pid, the pid's start time (shared-dir.test.ts has more).
    const name = (base: string, pid: number, start: number) => `.${base}@${hostTag()}.${pid}.${start}.cr-tmp`;
    const dead = path.join(dir, name('context.9', 999999, 1));
    const live = path.join(dir, name('context.9', process.ppid, startTimeOf(process.ppid)!));
    const other = path.join(dir, name('context.10', 999999, 1));
    for (const f of [dead, live, other]) fs.writeFileSync(f, 'x');
    expect(removeStaleTemps(final)).to.deep.equal([path.basename(dead)]);
    expect(fs.existsSync(live) && fs.existsSync(other)).to.equal(true);
  });

  it('names a missing directory in the error', () => {
    expect(() => PendingFile.open({kind: 'file', path: path.join(dir, 'nope', 'ctx'), policy: 'atomic', sync: true})).to.throw(/nope/);
  });

  describe('a failed step after the dump (CR_FAULT_POINT)', () => {
    afterEach(() => delete process.env.CR_FAULT_POINT);

    it('backup: the final rename fails after the backup rename: the previous file is moved back, no backup is left', () => {
      const final = path.join(dir, 'ctx');
      fs.writeFileSync(final, 'v1');
      const p = PendingFile.open({kind: 'file', path: final, policy: 'backup', sync: true});
      write(p, 'v2');
      process.env.CR_FAULT_POINT = 'publish-rename:ENOSPC';
      expect(() => p.publish()).to.throw(PublishError, /renaming .*ctx.*No space left on device; .*ctx is unchanged/);
      p.discard();
      expect(fs.readdirSync(dir)).to.deep.equal(['ctx']);
      expect(fs.readFileSync(final, 'utf8')).to.equal('v1');
    });

    it('the errno of the failed step is the error\'s (exit status from the one table)', () => {
      const final = path.join(dir, 'ctx');
      const p = PendingFile.open({kind: 'file', path: final, policy: 'atomic', sync: true});
      process.env.CR_FAULT_POINT = 'fsync:EIO';
      try {
        p.publish();
        expect.fail('publish should fail');
      } catch (error) {
        expect((error as PublishError).errno).to.equal(5);
        expect((error as PublishError).exitCode).to.equal(5);
      }
      p.discard();
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    });
  });

  describe('names that --atomic cannot replace (root: mknod, mount)', () => {
    const isRoot = process.getuid?.() === 0;

    it('a character device is refused under --atomic, accepted under --clobber', function () {
      if (!isRoot) this.skip(); // mknod needs root
      const dev = path.join(dir, 'null');
      execFileSync('mknod', [dev, 'c', '1', '3']);
      expect(() => checkFileDestination({kind: 'file', path: dev, policy: 'atomic', sync: true})).to.throw(DestinationError, /character device.*--clobber/);
      expect(() => checkFileDestination({kind: 'file', path: dev, policy: 'clobber', sync: true})).to.not.throw();
      expect(fs.lstatSync(dev).isCharacterDevice()).to.equal(true);
    });

    it('a file of another file system mounted on the name (a bind mount) is refused under --atomic: EBUSY', function () {
      if (!isRoot) this.skip(); // mount needs root
      const final = path.join(dir, 'final');
      fs.writeFileSync(final, 'b');
      const other = path.join(dir, 'other');
      fs.mkdirSync(other);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', other]);
      fs.writeFileSync(path.join(other, 'f'), 'c');
      execFileSync('mount', ['--bind', path.join(other, 'f'), final]);
      try {
        let err: DestinationError | undefined;
        try {
          checkFileDestination({kind: 'file', path: final, policy: 'atomic', sync: true});
        } catch (error) {
          err = error as DestinationError;
        }
        expect(err, 'refused').to.be.instanceOf(DestinationError);
        expect(err!.errno).to.equal(16);
        expect(err!.message).to.contain('mount point');
      } finally {
        execFileSync('umount', [final]);
        execFileSync('umount', [other]);
      }
    });
  });
});
