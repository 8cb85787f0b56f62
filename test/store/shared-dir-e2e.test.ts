// Shared checkpoint directories end to end, on the kernel CR_TEST_KERNEL selects: cr refuses or keeps
// job names literally, --keep and the cleanup touch only the job's own files, --latest and erestart
// take the job's own newest checkpoint, and the lease lock works between two cr without flock(2).
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {listCheckpoints} from '../../src/store/index.js';
import {itTestKernel, KERNEL, scaled} from '../helpers/kernel.js';
import {runCr, scratchDir, spawnCr, startCounter, waitFor} from '../helpers/procs.js';

describe(`shared checkpoint directories end to end (${KERNEL} kernel)`, function () {
  this.timeout(scaled(60_000));
  const scratch = scratchDir('cr-shared-e2e-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));
  const ckpt = async (job: string, pid: number, extra: string[] = [], env: Record<string, string> = {}) => {
    const r = await runCr(['checkpoint', '-d', dir, '--job', job, ...extra, String(pid)], {env});
    expect(r.code, r.stderr).to.equal(0);
    return r;
  };
  // Names as the README gives them: checkpoints, the lease lock, temporaries `.<name>@<host>.<pid>.<start>.cr-tmp`.
  const checkpointName = (job: string, seq: number) => `20261121T073300.123Z-${job}-${String(seq).padStart(4, '0')}.ctx`;
  const lease = (job: string) => path.join(dir, `.cr-lease.${job}`);
  const host = os.hostname();
  const killed = async (prog: {pid: number; child: {signalCode: string | null}}) => {
    process.kill(prog.pid, 'SIGKILL');
    await waitFor(() => prog.child.signalCode !== null, 5000, 'the counter killed');
  };

  it('refuses a job name that cannot be part of a file name, before anything is written', async () => {
    const prog = await startCounter();
    for (const bad of ['a/b', '']) {
      const r = await runCr(['checkpoint', '-d', dir, '--job', bad, String(prog.pid)]);
      expect(r.code, r.stderr).to.equal(255);
      expect(r.stderr).to.contain('--job');
    }
    const w = await runCr(['watch', String(prog.pid), '--every', '1h', '-d', dir, '--job', 'x/y']);
    expect(w.code, w.stderr).to.equal(255);
    expect(w.stderr).to.contain('--job');
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it('takes names literally: `a b` and `a_b` are two jobs, and --keep of one never removes the other', async () => {
    const prog = await startCounter();
    await ckpt('a_b', prog.pid);
    await ckpt('a-1', prog.pid);
    for (let i = 0; i < 2; i++) await ckpt('a b', prog.pid, ['--keep', '1']);
    for (let i = 0; i < 2; i++) await ckpt('a', prog.pid, ['--keep', '1']);
    expect(listCheckpoints(dir).map((c) => [c.job, c.sequence])).to.have.deep.members([
      ['a_b', 1],
      ['a-1', 1],
      ['a b', 2],
      ['a', 2],
    ]);
    expect((await runCr(['verify', dir])).code).to.equal(0);
  });

  it("removes only this host's dead temporaries of its own job: another node's dump and another job's stay", async () => {
    const prog = await startCounter();
    expect(host, 'a host name that needs no escaping in a file name').to.match(/^[A-Za-z0-9._-]+$/);
    // pid 999999 and a start time that is no live pid either: dead on this host, whatever is parsed.
    const t = (job: string, node: string) => path.join(dir, `.${checkpointName(job, 9)}@${node}.999999.999998.cr-tmp`);
    const otherNode = t('j', 'other-node.cluster');
    const otherJob = t('k', host);
    const mine = t('j', host);
    for (const f of [otherNode, otherJob, mine]) fs.writeFileSync(f, 'dump in progress');
    await ckpt('j', prog.pid);
    expect(fs.existsSync(otherNode), "another node's dump in progress").to.equal(true);
    expect(fs.existsSync(otherJob), "another job's temporary").to.equal(true);
    expect(fs.existsSync(mine), 'a dead writer of this job on this host').to.equal(false);
  });

  it('restart --latest takes one job: --job NAME, else the batch job, else the only one; several are refused', async () => {
    // Outside a batch job (the suite may run inside one).
    const unbatched = {SLURM_JOB_ID: '', PBS_JOBID: '', LSB_JOBID: '', JOB_ID: ''};
    const a = await startCounter();
    const b = await startCounter();
    await ckpt('a', a.pid);
    await ckpt('slurm.77', b.pid); // newer than a's
    const aFile = listCheckpoints(dir, 'a')[0].file;
    const bFile = listCheckpoints(dir, 'slurm.77')[0].file;
    await killed(a);
    await killed(b);
    const several = await runCr(['restart', '--latest', dir, '--kill'], {env: unbatched});
    expect(several.code, several.stderr).to.equal(255);
    expect(several.stderr).to.contain('2 jobs').and.contain('--job');
    let r = await runCr(['restart', '--latest', dir, '--job', 'a', '--kill'], {env: {SLURM_JOB_ID: '77'}});
    expect(r.signal ?? r.code, r.stderr).to.equal('SIGKILL');
    expect(r.stderr).to.contain(`restarting job a from ${aFile}`);
    r = await runCr(['restart', '--latest', dir, '--kill'], {env: {SLURM_JOB_ID: '77'}});
    expect(r.signal ?? r.code, r.stderr).to.equal('SIGKILL');
    expect(r.stderr).to.contain(`restarting job slurm.77 from ${bFile}`);
    // Inside another batch job: its own checkpoints or none, never the other jobs'.
    const otherBatch = await runCr(['restart', '--latest', dir, '--kill'], {env: {SLURM_JOB_ID: '78'}});
    expect(otherBatch.code, otherBatch.stderr).to.equal(2);
    expect(otherBatch.stderr).to.contain('no checkpoint of job slurm.78').and.contain('slurm.77').and.contain('--job');
    const none = await runCr(['restart', '--latest', dir, '--job', 'zz']);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.contain('job zz');
    const stray = await runCr(['restart', '--job', 'a', aFile]);
    expect(stray.code).to.equal(255);
    expect(stray.stderr).to.contain('--job');
  });

  it("lsf erestart takes the job's own newest checkpoint: LSB_JOBID, or the directory's (old) job id after brestart", async () => {
    const prog = await startCounter();
    const chk = path.join(dir, '4711');
    fs.mkdirSync(chk);
    for (const id of ['4711', '99']) {
      const r = await runCr(['checkpoint', '-d', chk, String(prog.pid)], {env: {LSB_JOBID: id}});
      expect(r.code, r.stderr).to.equal(0);
    }
    const mine = listCheckpoints(chk, 'lsf.4711')[0].file;
    const cmd = () => fs.readFileSync(path.join(chk, '.restart_cmd'), 'utf8');
    for (const env of [{LSB_JOBID: '4711'}, {LSB_JOBID: '5000'}]) {
      const r = await runCr(['lsf', 'erestart', '--', chk], {env});
      expect(r.code, r.stderr).to.equal(0);
      expect(cmd(), JSON.stringify(env)).to.contain(` restart ${mine}\n`);
      expect(r.stderr).to.contain('job lsf.4711');
    }
    const other = path.join(dir, 'elsewhere');
    fs.renameSync(chk, other);
    const r = await runCr(['lsf', 'erestart', '--', other], {env: {LSB_JOBID: '5000'}});
    expect(r.code, r.stderr).to.not.equal(0);
    expect(r.stderr).to.contain('lsf.4711').and.contain('lsf.99');
    expect(fs.existsSync(path.join(other, '.restart_cmd'))).to.equal(false);
  });

  itTestKernel('without flock(2): two cr contend through the lease lock; a dead holder is taken over', 'a dump slowed by CR_TESTKERNEL_RATE', async () => {
    const prog = await startCounter();
    const noFlock = {CR_FAULT_POINT: 'flock:ENOSYS'};
    const slow = spawnCr(['checkpoint', '-d', dir, '--job', 'j', String(prog.pid)], {...noFlock, CR_TESTKERNEL_RATE: String(256 << 10), CR_TESTKERNEL_IMAGE_SIZE: String(8 << 20)});
    await waitFor(() => fs.readdirSync(dir).some((n) => n.endsWith('.cr-tmp')), scaled(10_000), 'the first dump in progress');
    const held = JSON.parse(fs.readFileSync(lease('j'), 'utf8'));
    expect(held).to.include({pid: slow.pid, host});
    const busy = await runCr(['checkpoint', '-d', dir, '--job', 'j', String(prog.pid)], {env: noFlock});
    expect(busy.code, busy.stderr).to.equal(16);
    expect(busy.stderr).to.contain(`pid ${slow.pid} on ${host}`);
    slow.kill('SIGKILL');
    await new Promise((res) => slow.once('close', res));
    expect(fs.existsSync(lease('j')), 'a killed holder leaves its lease').to.equal(true);
    const next = await runCr(['checkpoint', '-d', dir, '--job', 'j', String(prog.pid)], {env: noFlock});
    expect(next.code, next.stderr).to.equal(0);
    expect(fs.existsSync(lease('j')), 'released').to.equal(false);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.cr-tmp') || n.includes('takeover'))).to.deep.equal([]);
    expect(listCheckpoints(dir, 'j')).to.have.length(1);
  });
});
