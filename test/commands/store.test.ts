// Directory mode end to end: names, manifests, cr ls, cr verify, --keep, restart --latest, crashes,
// on the kernel selected by CR_TEST_KERNEL (helpers/kernel.ts).
import {expect} from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {listCheckpoints, manifestPathFor, readManifest} from '../../src/store/index.js';
import {itTestKernel, KERNEL, scaled} from '../helpers/kernel.js';
import {COUNTER, runCr, scratchDir, spawnCr, startCounter, waitFor} from '../helpers/procs.js';

describe(`checkpoint store (directory mode, ${KERNEL} kernel)`, function () {
  this.timeout(scaled(40_000));
  const scratch = scratchDir('cr-store-e2e-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  it('names sort by time and carry job and sequence; each has a valid manifest; ls and verify agree', async () => {
    const prog = await startCounter();
    for (let i = 0; i < 3; i++) {
      const r = await runCr(['checkpoint', '--dir', dir, String(prog.pid)], {env: {SLURM_JOB_ID: '4242'}});
      expect(r.code, r.stderr).to.equal(0);
    }
    const list = listCheckpoints(dir);
    expect(list.map((c) => [c.job, c.sequence])).to.deep.equal([['slurm.4242', 1], ['slurm.4242', 2], ['slurm.4242', 3]]);
    expect(list.map((c) => c.name)).to.deep.equal([...list.map((c) => c.name)].sort());
    const m = readManifest(list[2].file);
    expect(m).to.include({job: 'slurm.4242', sequence: 3, target: prog.pid, scope: 'tree', flags: '0x10'});
    expect(m.context.size).to.equal(fs.statSync(list[2].file).size);
    expect(m.openFiles.some((f) => f.use === 'exe' && f.path.endsWith('/counter'))).to.equal(true);
    const ls = await runCr(['ls', '--json', dir]);
    expect(JSON.parse(ls.stdout).checkpoints.map((e: {status: string}) => e.status)).to.deep.equal(['complete', 'complete', 'complete']);
    const v = await runCr(['verify', dir]);
    expect(v.code, v.stdout + v.stderr).to.equal(0);
    expect(v.stdout.match(/^ok /gm)).to.have.length(3);
  });

  it('--keep N removes the oldest only after a successful publish', async () => {
    const prog = await startCounter();
    for (let i = 0; i < 4; i++) expect((await runCr(['checkpoint', '-d', dir, '--job', 'j', '--keep', '2', String(prog.pid)])).code).to.equal(0);
    expect(listCheckpoints(dir).map((c) => c.sequence)).to.deep.equal([3, 4]);
    const failed = await runCr(['checkpoint', '-d', dir, '--job', 'j', '--keep', '1', '999999']);
    expect(failed.code).to.equal(3);
    expect(listCheckpoints(dir).map((c) => c.sequence), 'a failed checkpoint removes nothing').to.deep.equal([3, 4]);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.json'))).to.have.length(2);
  });

  it('reports corrupt, truncated and manifest-less checkpoints; restart --latest skips them with a warning', async () => {
    const prog = await startCounter(['--interval-ms', '20']);
    for (let i = 0; i < 4; i++) expect((await runCr(['checkpoint', '-d', dir, '--job', 'j', String(prog.pid)])).code).to.equal(0);
    const [good, corrupt, truncated, bare] = listCheckpoints(dir).map((c) => c.file);
    const bytes = fs.readFileSync(corrupt);
    bytes[100] ^= 0xff;
    fs.chmodSync(corrupt, 0o600);
    fs.writeFileSync(corrupt, bytes);
    fs.chmodSync(truncated, 0o600);
    fs.truncateSync(truncated, 1000);
    fs.rmSync(manifestPathFor(bare));
    const v = await runCr(['verify', '--json', dir]);
    expect(v.code).to.equal(1);
    const reports = JSON.parse(v.stdout).checkpoints;
    expect(reports.map((r: {ok: boolean}) => r.ok)).to.deep.equal([true, false, false, false]);
    expect(reports[1].problems.join()).to.contain('checksum mismatch');
    expect(reports[2].problems.join()).to.contain('trailer is missing');
    expect(reports[3].problems.join()).to.contain('no manifest');
    // The original must be gone for the restart (pid in use otherwise).
    process.kill(prog.pid, 'SIGKILL');
    await waitFor(() => prog.child.signalCode !== null, 5000, 'the counter killed');
    const r = await runCr(['restart', '--latest', dir, '--kill']);
    expect(r.signal ?? r.code, r.stderr).to.equal('SIGKILL');
    for (const skipped of [bare, truncated, corrupt]) expect(r.stderr).to.contain(`warning: skipping ${skipped}`);
    expect(r.stderr).to.not.contain(`skipping ${good}`);
  });

  itTestKernel('kill -9 mid-dump leaves every earlier checkpoint verifying; the next run cleans up', 'a dump slowed by CR_TESTKERNEL_RATE', async () => {
    const prog = await startCounter();
    expect((await runCr(['checkpoint', '-d', dir, '--job', 'j', String(prog.pid)])).code).to.equal(0);
    const cr = spawnCr(['checkpoint', '-d', dir, '--job', 'j', String(prog.pid)], {CR_TESTKERNEL_RATE: String(256 << 10), CR_TESTKERNEL_IMAGE_SIZE: String(4 << 20)});
    await waitFor(() => fs.readdirSync(dir).some((n) => n.endsWith('.cr-tmp')), 10_000, 'dump in progress');
    cr.kill('SIGKILL');
    await new Promise((res) => cr.once('close', res));
    expect((await runCr(['verify', dir])).code).to.equal(0);
    expect(listCheckpoints(dir)).to.have.length(1);
    expect((await runCr(['checkpoint', '-d', dir, '--job', 'j', String(prog.pid)])).code).to.equal(0);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.cr-tmp'))).to.deep.equal([]);
    expect((await runCr(['verify', dir])).code).to.equal(0);
  });

  it('before a restart, lists missing and changed recorded files and the --relocate for a moved tree', async () => {
    const a = path.join(dir, 'treeA');
    const b = path.join(dir, 'treeB');
    const ck = path.join(dir, 'ck');
    fs.mkdirSync(a);
    fs.mkdirSync(ck);
    fs.copyFileSync(COUNTER, path.join(a, 'counter'));
    fs.chmodSync(path.join(a, 'counter'), 0o755);
    const prog = await startCounter(['--interval-ms', '20'], {exe: path.join(a, 'counter'), cwd: a});
    const out = prog.out;
    await waitFor(() => fs.existsSync(out) && fs.statSync(out).size > 20, 5000, 'counter ticking');
    expect((await runCr(['checkpoint', '--kill', '-d', ck, '--job', 'mv', String(prog.pid)])).code).to.equal(0);
    await waitFor(() => prog.child.signalCode !== null, 5000, 'the counter killed');
    fs.renameSync(a, b);
    fs.appendFileSync(out, 'counter 0\n');
    let r = await runCr(['restart', '--latest', ck]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`warning: recorded file ${path.join(a, 'counter')} is missing`);
    expect(r.stderr).to.match(new RegExp(`warning: recorded file ${out} changed: size \\d+ -> \\d+`));
    expect(r.stderr).to.contain(`try --relocate ${a}=${b}`);
    r = await runCr(['restart', '--latest', ck, '--relocate', `${a}=${b}`, '--kill']);
    expect(r.signal ?? r.code, r.stderr).to.equal('SIGKILL');
    expect(r.stderr).to.not.contain('is missing');
  });

  for (const phase of ['checksum', 'publish', 'manifest', 'retention', 'retention-between']) {
    it(`a crash (SIGKILL) at the ${phase} phase leaves every earlier checkpoint verifying and restartable`, async () => {
      const prog = await startCounter();
      for (let i = 0; i < 2; i++) expect((await runCr(['checkpoint', '-d', dir, '--job', 'j', String(prog.pid)])).code).to.equal(0);
      const before = listCheckpoints(dir).map((c) => c.name);
      const r = await runCr(['checkpoint', '-d', dir, '--job', 'j', '--keep', '1', String(prog.pid)], {env: {CR_CRASH_POINT: phase}});
      expect(r.signal, r.stderr).to.equal('SIGKILL');
      const v = JSON.parse((await runCr(['verify', '--json', dir])).stdout).checkpoints as Array<{file: string; ok: boolean}>;
      for (const [i, name] of before.entries()) {
        const rep = v.find((x) => x.file.endsWith(name))!;
        // Only the checkpoint retention was removing (the oldest, manifest first) may be incomplete.
        const beingRemoved = phase === 'retention-between' && i === 0;
        expect(rep.ok, `${name} after a crash at ${phase}`).to.equal(!beingRemoved);
      }
      const newest = v.filter((x) => x.ok).at(-1)!;
      expect(newest, 'a good checkpoint is left').to.not.equal(undefined);
      // The next run cleans the temporary up, and --latest restarts from a good checkpoint.
      expect((await runCr(['checkpoint', '-d', dir, '--job', 'j', String(prog.pid)])).code).to.equal(0);
      expect(fs.readdirSync(dir).filter((n) => n.endsWith('.cr-tmp'))).to.deep.equal([]);
      expect(listCheckpoints(dir).filter((c) => !fs.existsSync(`${c.file}.json`)), 'no manifest-less leftover').to.deep.equal([]);
      expect((await runCr(['verify', dir])).code, 'everything left verifies').to.equal(0);
      process.kill(prog.pid, 'SIGKILL');
      await waitFor(() => prog.child.signalCode !== null, 5000, 'the counter killed');
      const rs = await runCr(['restart', '--latest', dir, '--kill']);
      expect(rs.signal ?? rs.code, rs.stderr).to.equal('SIGKILL');
    });
  }

  it('a full file system fails the checkpoint clearly and harms nothing earlier', async function () {
    if (process.getuid?.() !== 0) this.skip(); // mounting a small tmpfs needs root
    const {execFileSync} = await import('node:child_process');
    const prog = await startCounter();
    // Room for one image and a half (the manifest is small): the second does not fit beside the first.
    const probe = path.join(dir, 'probe');
    expect((await runCr(['checkpoint', '-f', probe, String(prog.pid)])).code).to.equal(0);
    const size = fs.statSync(probe).size;
    const mnt = path.join(dir, 'small');
    fs.mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil((size * 1.5) / 4096) * 4}k`, 'tmpfs', mnt]);
    try {
      expect((await runCr(['checkpoint', '-d', mnt, '--job', 'j', String(prog.pid)])).code).to.equal(0);
      const r = await runCr(['checkpoint', '-d', mnt, '--job', 'j', '--keep', '1', String(prog.pid)]);
      expect(r.code).to.equal(28);
      expect(r.stderr).to.contain('Checkpoint failed: No space left on device');
      expect(listCheckpoints(mnt)).to.have.length(1);
      expect((await runCr(['verify', mnt])).code).to.equal(0);
      expect(fs.readdirSync(mnt).filter((n) => n.endsWith('.cr-tmp'))).to.deep.equal([]);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('names a missing directory', async () => {
    for (const argv of [['ls', path.join(dir, 'nope')], ['verify', path.join(dir, 'nope')]]) {
      const r = await runCr(argv);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('nope');
    }
  });
});
