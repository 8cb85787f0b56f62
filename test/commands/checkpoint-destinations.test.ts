// Destinations are checked before the kernel request, and a failure after the dump never harms
// the job or the previous checkpoint (README "Destinations" and "What BLCR imposes"). On the kernel
// selected by CR_TEST_KERNEL; the failures after the dump are injected with CR_FAULT_POINT
// (src/util/crash-point.ts), which fails the named step's system call with the named errno.
import {expect} from 'chai';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {itTestKernel, KERNEL, scaled} from '../helpers/kernel.js';
import {type CrRun, procState, runCr, scratchDir, spawnCr, startCounter, waitFor} from '../helpers/procs.js';
import {parseTempName} from '../../src/store/index.js';

const isRoot = process.getuid?.() === 0;
const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').length : 0);

/** The job runs on: alive, not stopped, and its output grows. */
async function runsOn(prog: {pid: number; out: string}) {
  expect(procState(prog.pid), 'job alive').to.not.equal(undefined);
  const n = lines(prog.out);
  await waitFor(() => lines(prog.out) > n, scaled(10_000), 'the job to write again');
  expect(procState(prog.pid), 'job not stopped').to.not.equal('T');
}

/** Refused in the preflight: the request (and so the dump) never happened. */
function refusedBeforeRequest(r: CrRun, code: number, ...words: string[]) {
  expect(r.code, r.stderr).to.equal(code);
  expect(r.stderr, 'failed in the preflight').to.match(/✖ Preflight/);
  expect(r.stderr, 'no request sent').to.not.match(/Request:|Dump/);
  for (const w of words) expect(r.stderr).to.contain(w);
}

/** A small tmpfs at `mnt` (root only), unmounted by the returned function. */
function mountTmpfs(mnt: string, opts = 'size=4m'): () => void {
  fs.mkdirSync(mnt, {recursive: true});
  execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', mnt]);
  return () => execFileSync('umount', [mnt]);
}

describe(`cr checkpoint (${KERNEL} kernel): destinations are checked before the request`, function () {
  this.timeout(scaled(40_000));
  const scratch = scratchDir('cr-dest-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  it('--clobber onto a hard-linked file: refused with 31 before anything is truncated; the other link keeps its content', async () => {
    const prog = await startCounter();
    fs.writeFileSync(path.join(dir, 'a'), 'other link');
    fs.linkSync(path.join(dir, 'a'), path.join(dir, 'b'));
    const r = await runCr(['checkpoint', '--kill', '--clobber', '-f', 'a', String(prog.pid)], {cwd: dir});
    expect(fs.readFileSync(path.join(dir, 'b'), 'utf8'), 'the other link').to.equal('other link');
    expect(fs.readFileSync(path.join(dir, 'a'), 'utf8')).to.equal('other link');
    refusedBeforeRequest(r, 31, '-f/--file', path.join(dir, 'a'), '--clobber', '2 hard links', 'Too many links');
    await runsOn(prog);
  });

  it('--atomic (default) onto a hard-linked file replaces the name only: the other link keeps the old content', async () => {
    const prog = await startCounter();
    fs.writeFileSync(path.join(dir, 'a'), 'old');
    fs.linkSync(path.join(dir, 'a'), path.join(dir, 'b'));
    const r = await runCr(['checkpoint', '-f', 'a', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    expect(fs.readFileSync(path.join(dir, 'b'), 'utf8')).to.equal('old');
    expect(fs.statSync(path.join(dir, 'a')).nlink).to.equal(1);
  });

  it('a symbolic link under --atomic and --backup: refused (40), the link and its target untouched; --clobber writes through it in place', async () => {
    const prog = await startCounter();
    fs.writeFileSync(path.join(dir, 'target'), 'target');
    fs.symlinkSync('target', path.join(dir, 'link'));
    for (const policy of ['--atomic', '--backup']) {
      const r = await runCr(['checkpoint', '--kill', policy, '-f', 'link', String(prog.pid)], {cwd: dir});
      refusedBeforeRequest(r, 40, '-f/--file', path.join(dir, 'link'), 'symbolic link', '--clobber');
      expect(fs.lstatSync(path.join(dir, 'link')).isSymbolicLink(), policy).to.equal(true);
      expect(fs.readFileSync(path.join(dir, 'target'), 'utf8')).to.equal('target');
    }
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['link', 'target']);
    await runsOn(prog);
    const r = await runCr(['checkpoint', '--clobber', '-f', 'link', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    expect(fs.lstatSync(path.join(dir, 'link')).isSymbolicLink()).to.equal(true);
    expect(fs.statSync(path.join(dir, 'target')).size).to.be.greaterThan(64);
  });

  it('a FIFO under --atomic: refused (22), still a FIFO; --clobber with no reader: ENXIO (6) naming the flag, still a FIFO', async () => {
    const prog = await startCounter();
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    let r = await runCr(['checkpoint', '-f', fifo, String(prog.pid)]);
    refusedBeforeRequest(r, 22, '-f/--file', fifo, 'a FIFO', '--clobber');
    expect(fs.lstatSync(fifo).isFIFO()).to.equal(true);
    r = await runCr(['checkpoint', '--clobber', '-f', fifo, String(prog.pid)]);
    expect(r.code, r.stderr).to.equal(6);
    expect(r.stderr).to.contain('-f/--file').and.contain(fifo).and.contain('reader');
    expect(fs.lstatSync(fifo).isFIFO()).to.equal(true);
    await runsOn(prog);
  });

  it('a directory as -f: 21; the default context.ID being a directory names -c/--cwd', async () => {
    const prog = await startCounter();
    fs.mkdirSync(path.join(dir, 'd'));
    refusedBeforeRequest(await runCr(['checkpoint', '-f', 'd', String(prog.pid)], {cwd: dir}), 21, '-f/--file', path.join(dir, 'd'), 'is a directory');
    fs.mkdirSync(path.join(dir, `context.${prog.pid}`));
    refusedBeforeRequest(await runCr(['checkpoint', String(prog.pid)], {cwd: dir}), 21, '-c/--cwd', `context.${prog.pid}`);
  });

  it('the directory missing (2), a loop of symbolic links (40), not a directory (20): the flag and the directory, no temporary named', async () => {
    const prog = await startCounter();
    fs.symlinkSync('loop', path.join(dir, 'loop'));
    fs.writeFileSync(path.join(dir, 'plain'), '');
    const cases: Array<[string, number, string]> = [
      ['nope/x.ctx', 2, 'does not exist'],
      ['loop/x.ctx', 40, 'loop of symbolic links'],
      ['plain/x.ctx', 20, 'not a directory'],
    ];
    for (const [file, code, why] of cases) {
      const r = await runCr(['checkpoint', '--kill', '-f', file, String(prog.pid)], {cwd: dir});
      refusedBeforeRequest(r, code, '-f/--file', path.join(dir, path.dirname(file)), why);
      expect(r.stderr, file).to.not.contain('.cr-tmp');
    }
    await runsOn(prog);
  });

  it('a name whose temporary is too long for the file system: 36, before the request', async () => {
    const prog = await startCounter();
    const name = 'x'.repeat(250);
    refusedBeforeRequest(await runCr(['checkpoint', '-f', name, String(prog.pid)], {cwd: dir}), 36, '-f/--file', 'too long');
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it('--backup=NAME that cannot work is refused before the request: its directory missing (2), NAME the file itself (22), a directory (21)', async () => {
    const prog = await startCounter();
    const file = path.join(dir, 'job.ctx');
    fs.writeFileSync(file, 'previous');
    fs.mkdirSync(path.join(dir, 'adir'));
    const cases: Array<[string, number, string]> = [
      ['no-such-dir/old', 2, 'does not exist'],
      ['job.ctx', 22, 'itself'],
      [file, 22, 'itself'],
      ['adir', 21, 'is a directory'],
    ];
    for (const [name, code, why] of cases) {
      const r = await runCr(['checkpoint', '--kill', `--backup=${name}`, '-f', file, String(prog.pid)]);
      expect(fs.readFileSync(file, 'utf8'), `the previous checkpoint, --backup=${name}`).to.equal('previous');
      refusedBeforeRequest(r, code, `--backup=${name}`, why);
    }
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['adir', 'job.ctx']);
    await runsOn(prog);
  });

  it('--dir DIR missing or not a directory names --dir (2, 20)', async () => {
    const prog = await startCounter();
    fs.writeFileSync(path.join(dir, 'plain'), '');
    refusedBeforeRequest(await runCr(['checkpoint', '--dir', path.join(dir, 'nope'), String(prog.pid)]), 2, '--dir', path.join(dir, 'nope'), 'does not exist');
    refusedBeforeRequest(await runCr(['checkpoint', '--dir', path.join(dir, 'plain'), String(prog.pid)]), 20, '--dir', 'not a directory');
    expect(fs.readdirSync(dir)).to.deep.equal(['plain']);
  });

  it('a read-only file system (30) for -f, --dir and --backup; --backup on another file system (18)', async function () {
    if (!isRoot) this.skip(); // mounting a tmpfs needs root
    const prog = await startCounter();
    const ro = path.join(dir, 'ro');
    const other = path.join(dir, 'other');
    const unmountRo = mountTmpfs(ro, 'ro,size=1m');
    const unmountOther = mountTmpfs(other);
    try {
      const file = path.join(dir, 'job.ctx');
      fs.writeFileSync(file, 'previous');
      refusedBeforeRequest(await runCr(['checkpoint', '--kill', '-f', path.join(ro, 'x'), String(prog.pid)]), 30, '-f/--file', ro, 'read-only file system');
      refusedBeforeRequest(await runCr(['checkpoint', '--kill', '--dir', ro, String(prog.pid)]), 30, '--dir', ro, 'read-only');
      refusedBeforeRequest(await runCr(['checkpoint', '--kill', `--backup=${path.join(ro, 'old')}`, '-f', file, String(prog.pid)]), 30, '--backup', 'read-only');
      refusedBeforeRequest(await runCr(['checkpoint', '--kill', `--backup=${path.join(other, 'old')}`, '-f', file, String(prog.pid)]), 18, '--backup', 'another file system');
      expect(fs.readFileSync(file, 'utf8')).to.equal('previous');
      expect(fs.readdirSync(other)).to.deep.equal([]);
      await runsOn(prog);
    } finally {
      unmountRo();
      unmountOther();
    }
  });

  it('a directory cr may not write (13), for another user', async function () {
    if (!isRoot) this.skip(); // needs root to run cr as another user
    const ro = path.join(dir, 'locked');
    fs.mkdirSync(ro, {mode: 0o555});
    fs.chmodSync(dir, 0o755);
    // The target is not reached: the destination is refused first, so its owner does not matter.
    const r = await runCr(['checkpoint', '-f', path.join(ro, 'x'), String(process.pid)], {uid: 65534, gid: 65534});
    refusedBeforeRequest(r, 13, '-f/--file', ro, 'not writable');
  });
});

describe(`cr checkpoint (${KERNEL} kernel): a failure after the dump harms nothing`, function () {
  this.timeout(scaled(60_000));
  const scratch = scratchDir('cr-after-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  // Each step after the dump, failed with a plausible errno: the exit status is that errno, the
  // message names the step and the file, the job runs on (--kill never reaches it), the previous
  // file (and its backup) are as they were and no temporary is left.
  const fileCases: Array<{point: string; errno: string; code: number; words: string[]}> = [
    {point: 'fsync', errno: 'EIO', code: 5, words: ['syncing', '.cr-tmp', 'Input/output error']},
    {point: 'backup-rename', errno: 'EXDEV', code: 18, words: ['moving the previous checkpoint', 'job.ctx.~1~', 'Invalid cross-device link']},
    {point: 'publish-rename', errno: 'ENOSPC', code: 28, words: ['renaming', 'No space left on device']},
    {point: 'publish-rename', errno: 'ENOENT', code: 2, words: ['renaming', 'No such file or directory']},
  ];
  for (const c of fileCases) {
    it(`--kill --backup -f, ${c.point} fails with ${c.errno}: exit ${c.code}, the job runs on, job.ctx unchanged, no backup, no temporary`, async () => {
      const prog = await startCounter();
      const file = path.join(dir, 'job.ctx');
      fs.writeFileSync(file, 'previous');
      const r = await runCr(['checkpoint', '--kill', '--backup', '-f', file, String(prog.pid)], {env: {CR_FAULT_POINT: `${c.point}:${c.errno}`}});
      expect(r.code, r.stderr).to.equal(c.code);
      expect(r.stderr).to.contain('✖ Publish');
      for (const w of [file, ...c.words]) expect(r.stderr).to.contain(w);
      expect(fs.readFileSync(file, 'utf8')).to.equal('previous');
      expect(fs.readdirSync(dir)).to.deep.equal(['job.ctx']);
      await runsOn(prog);
    });
  }

  it('--kill, the directory fsync after the rename fails (EIO): exit 5, the job is not killed, and the message says the new file may not be durable', async () => {
    const prog = await startCounter();
    const file = path.join(dir, 'job.ctx');
    fs.writeFileSync(file, 'previous');
    const r = await runCr(['checkpoint', '--kill', '-f', file, String(prog.pid)], {env: {CR_FAULT_POINT: 'fsync-dir:EIO'}});
    expect(r.code, r.stderr).to.equal(5);
    expect(r.stderr).to.contain(`syncing the directory ${dir}`).and.contain('may not be durable');
    // Past the rename there is no going back under --atomic (README "Failure after the dump").
    expect(fs.readdirSync(dir)).to.deep.equal(['job.ctx']);
    await runsOn(prog);
  });

  it('--stop, the publish rename fails: the job is continued, not left stopped; a job stopped before stays stopped and is not killed by --kill', async () => {
    const prog = await startCounter();
    const file = path.join(dir, 'job.ctx');
    const env = {CR_FAULT_POINT: 'publish-rename:ENOSPC'};
    let r = await runCr(['checkpoint', '--stop', '-f', file, String(prog.pid)], {env});
    expect(r.code, r.stderr).to.equal(28);
    await runsOn(prog);
    process.kill(prog.pid, 'SIGSTOP');
    await waitFor(() => procState(prog.pid) === 'T', scaled(5000), 'the job to stop');
    r = await runCr(['checkpoint', '--kill', '-f', file, String(prog.pid)], {env});
    expect(r.code, r.stderr).to.equal(28);
    expect(procState(prog.pid), 'still stopped, alive').to.equal('T');
    process.kill(prog.pid, 'SIGCONT');
    await runsOn(prog);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  for (const [point, errno, code] of [
    ['manifest-write', 'ENOSPC', 28],
    ['manifest-rename', 'EIO', 5],
  ] as const) {
    it(`--dir --kill, ${point} fails with ${errno}: exit ${code}, no new checkpoint or half manifest, the previous one intact, the job runs on`, async () => {
      const prog = await startCounter();
      let r = await runCr(['checkpoint', '--dir', dir, '--job', 'j', String(prog.pid)]);
      expect(r.code, r.stderr).to.equal(0);
      const before = fs.readdirSync(dir).sort();
      const previous = before.filter((n) => n.endsWith('.ctx')).map((n) => fs.readFileSync(path.join(dir, n)));
      r = await runCr(['checkpoint', '--kill', '--dir', dir, '--job', 'j', String(prog.pid)], {env: {CR_FAULT_POINT: `${point}:${errno}`}});
      expect(r.code, r.stderr).to.equal(code);
      expect(r.stderr).to.contain('✖ Manifest').and.contain('writing the manifest').and.contain('-j-0002.ctx.json');
      expect(fs.readdirSync(dir).sort()).to.deep.equal(before);
      const after = before.filter((n) => n.endsWith('.ctx')).map((n) => fs.readFileSync(path.join(dir, n)));
      expect(after.every((b, i) => b.equals(previous[i]))).to.equal(true);
      await runsOn(prog);
      r = await runCr(['verify', dir]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
    });
  }

  itTestKernel('--dir --kill, a real manifest failure (its name taken by a directory during the dump): exit 21, not 1; no new checkpoint; the job runs on', 'a dump slowed by CR_TESTKERNEL_RATE', async () => {
    const prog = await startCounter();
    const cr = spawnCr(['checkpoint', '--kill', '--dir', dir, '--job', 'j', String(prog.pid)], {CR_TESTKERNEL_RATE: String(256 << 10), CR_TESTKERNEL_IMAGE_SIZE: String(2 << 20)});
    let stderr = '';
    cr.stderr!.on('data', (b) => (stderr += b));
    const exit = new Promise<number | null>((r) => cr.once('close', (code) => r(code)));
    // The context file's temporary is .NAME@HOST.<pid>.<start>.cr-tmp: NAME.json is where the manifest goes.
    const temp = () => fs.readdirSync(dir).map((n) => parseTempName(n)).find((t) => t?.pid === cr.pid);
    await waitFor(() => temp() !== undefined, scaled(10_000), 'the dump to start');
    const name = temp()!.base;
    fs.mkdirSync(path.join(dir, `${name}.json`));
    expect(await exit, stderr).to.equal(21);
    expect(stderr).to.contain('writing the manifest').and.contain(`${name}.json`).and.contain('Is a directory');
    expect(fs.readdirSync(dir).filter((n) => n !== '.cr-lock.j').sort()).to.deep.equal([`${name}.json`]);
    await runsOn(prog);
  });
});
