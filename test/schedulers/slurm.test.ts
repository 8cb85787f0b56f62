// Slurm end to end: a real slurmctld + slurmd on this host run examples/slurm/cr-job.sbatch with the test
// kernel preloaded. USR1 (scancel --batch --signal=USR1) checkpoints the job and requeues it; the requeued
// run restarts from the checkpoint; the job ends with the output of an uninterrupted run.
import {expect} from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {listCheckpoints} from '../../src/store/index.js';
import {ROOT, TK_BUILD} from '../helpers/paths.js';
import {kernelEnv, runCr, sleep, TK_DIR} from '../helpers/procs.js';
import {crOnPath} from '../helpers/schedulers.js';
import {missingSlurmTools, SlurmCluster} from '../helpers/slurm.js';

const until = async (what: string, pred: () => boolean, ms: number, cluster: SlurmCluster) => {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${cluster.logs()}`);
    await sleep(100);
  }
};

describe('Slurm: examples/slurm/cr-job.sbatch on a real slurmctld + slurmd', function () {
  this.timeout(120_000);
  let cluster: SlurmCluster | undefined;
  const timings: string[] = [];

  before(async function () {
    const missing = missingSlurmTools();
    if (missing.length > 0) {
      this.test!.parent!.title += ` (skipped: ${missing.join(', ')} not installed; apt-get install slurm-wlm munge)`;
      this.skip();
    }
    if (process.geteuid?.() !== 0) this.skip(); // slurmd must run as root to start jobs
    const t0 = Date.now();
    cluster = new SlurmCluster();
    await cluster.start();
    timings.push(`cluster up ${Date.now() - t0} ms`);
  });

  after(async () => {
    await cluster?.stop();
    if (timings.length > 0) process.stderr.write(`      slurm timings: ${timings.join(', ')}\n`);
  });

  it('USR1 checkpoints and requeues; the requeued run restarts from the checkpoint and ends as an uninterrupted run', async () => {
    const c = cluster!;
    const work = path.join(c.dir, 'work');
    fs.mkdirSync(work);
    const out = path.join(work, 'counter.out');
    const env = c.env({...kernelEnv(), PATH: `${crOnPath()}:${process.env.PATH}`, LD_LIBRARY_PATH: TK_BUILD, CR_TESTKERNEL_DIR: TK_DIR});
    const t0 = Date.now();
    const id = c
      .run('sbatch', ['--parsable', `--chdir=${work}`, `--output=${work}/slurm-%j.out`, path.join(ROOT, 'examples', 'slurm', 'cr-job.sbatch'), path.join(TK_BUILD, 'counter'), '--interval-ms', '50', '--exit-at', '80', '--out', out], env)
      .trim();
    const lines = () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
    await until('the job to count', () => lines().length >= 15, 30_000, c);
    timings.push(`started ${Date.now() - t0} ms`);

    const t1 = Date.now();
    c.run('scancel', ['--batch', '--signal=USR1', id]);
    await until('the requeue', () => Number(c.job(id).Restarts ?? 0) >= 1, 30_000, c);
    timings.push(`checkpoint + requeue ${Date.now() - t1} ms`);
    const ckptDir = path.join(work, 'checkpoints', id);
    const ckpts = listCheckpoints(ckptDir);
    expect(ckpts.map((k) => k.job)).to.deep.equal([`slurm.${id}`]);
    const atCheckpoint = lines().length;
    expect(atCheckpoint).to.be.within(15, 79);

    // Slurm holds a requeued job until its BeginTime (now + a delay); release it at once, as an admin
    // could. The requeue sets that time once the old run has ended, which can come after the first
    // update: release it again while it is still pending.
    await until('the requeued job to be pending', () => c.job(id).JobState === 'PENDING', 30_000, c);
    const held = c.job(id);
    timings.push(`requeued job: Reason=${held.Reason} EligibleTime=${held.EligibleTime}`);
    const t2 = Date.now();
    let released = 0;
    await until(
      'the job to complete',
      () => {
        const job = c.job(id);
        if (job.JobState === 'PENDING' && Date.now() - released > 2000) {
          c.run('scontrol', ['update', `JobId=${id}`, 'StartTime=now']);
          released = Date.now();
        }
        return /COMPLETED|FAILED|CANCELLED/.test(job.JobState);
      },
      60_000,
      c,
    );
    timings.push(`requeued run to the end ${Date.now() - t2} ms`);
    const info = c.job(id);
    const log = fs.readFileSync(path.join(work, `slurm-${id}.out`), 'utf8');
    expect(info.JobState, log).to.equal('COMPLETED');
    expect(info.ExitCode).to.equal('0:0');
    expect(info.Restarts).to.equal('1');
    expect(log).to.contain(`cr: checkpointed to ${ckpts[0].file}; requeueing job ${id}`);
    expect(log).to.contain(`cr: run 1 of job ${id}: restarting from ${ckptDir}`);
    // Exactly what one uninterrupted run writes: nothing lost, nothing repeated.
    expect(lines()).to.deep.equal(Array.from({length: 80}, (_, i) => `counter ${i + 1}`));
    expect((await runCr(['verify', ckptDir])).code).to.equal(0);
  });
});
