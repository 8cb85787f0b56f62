// examples/slurm/cr-job.sbatch run as slurmstepd runs a batch script (bash, SLURM_* in the
// environment), with scontrol faked from its documented contract: these cases need no daemons.
//   - the order at USR1: at `scontrol requeue` the job must already be unable to run again (Slurm's
//     requeue sends it SIGCONT, SIGTERM, then SIGKILL);
//   - the requeued run: a pid taken on the node (EBUSY) falls back to --no-restore-pid; a directory
//     where no checkpoint verifies starts the program afresh, with a warning, instead of failing.
import {expect} from 'chai';
import {type ChildProcess, spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {listCheckpoints} from '../../src/store/index.js';
import {KERNEL, scaled} from '../helpers/kernel.js';
import {COUNTER, kernelEnv, runCr, scratchDir, startCounter, targetEnv, tryKill, waitFor} from '../helpers/procs.js';
import {crOnPath, example, runScript} from '../helpers/schedulers.js';

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const counted = (n: number) => Array.from({length: n}, (_, i) => `counter ${i + 1}`);

/** A fake scontrol: logs its arguments and the state of the job's process (pid in `readyFile`) at
 *  the moment of the call, then exits with `status`. */
function fakeScontrol(dir: string, readyFile: string, status: number): {dir: string; calls(): string[]} {
  const bin = path.join(dir, 'fake-bin');
  fs.mkdirSync(bin, {recursive: true});
  const log = path.join(bin, 'calls.log');
  fs.writeFileSync(
    path.join(bin, 'scontrol'),
    `#!/bin/sh\npid=$(head -n 1 '${readyFile}')\nstate=$(sed 's/^.*) \\(.\\).*$/\\1/' /proc/$pid/stat 2>/dev/null || echo gone)\nprintf '%s job=%s\\n' "$*" "$state" >> '${log}'\nexit ${status}\n`,
    {mode: 0o755},
  );
  return {dir: bin, calls: () => lines(log)};
}

describe(`Slurm batch script (examples/slurm/cr-job.sbatch, fake scontrol, ${KERNEL} kernel)`, function () {
  this.timeout(scaled(90_000));
  const scratch = scratchDir('cr-slurm-script-');
  let batch: ChildProcess | undefined;
  afterEach(() => batch?.kill('SIGKILL'));

  const slurmEnv = (id: string, extra: Record<string, string> = {}) => ({
    SLURM_JOB_ID: id,
    CR_CHECKPOINT_DIR: path.join(scratch.path, 'ckpt'),
    ...extra,
  });
  const startBatch = (argv: string[], env: Record<string, string>) => {
    const child = spawn(example('slurm', 'cr-job.sbatch'), argv, {
      env: {...(process.env as Record<string, string>), ...kernelEnv(), ...targetEnv('none'), ...env, PATH: `${env.PATH ?? ''}:${crOnPath()}:${process.env.PATH}`},
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const ended = new Promise<{code: number | null; stderr: string}>((resolve) => child.once('exit', (code) => setImmediate(() => resolve({code, stderr}))));
    return {child, ended, stderr: () => stderr};
  };

  /** A case's own directory: the job's output and ready files, and a fake scontrol exiting `status`. */
  const requeueCase = (name: string, status: number) => {
    const dir = path.join(scratch.path, name);
    fs.mkdirSync(dir);
    const ready = path.join(dir, 'ready');
    return {dir, out: path.join(dir, 'out'), ready, scontrol: fakeScontrol(dir, ready, status)};
  };

  it('USR1: the job is checkpointed and can no longer run when scontrol requeue is called', async () => {
    const {out, ready, scontrol} = requeueCase('order', 0);
    const b = startBatch([COUNTER, '--interval-ms', '20', '--out', out, '--ready', ready], slurmEnv('900', {PATH: scontrol.dir}));
    batch = b.child;
    await waitFor(() => lines(out).length >= 5, scaled(10_000), 'the job counting');
    process.kill(b.child.pid!, 'SIGUSR1');
    const end = await b.ended;
    expect(end.code, end.stderr).to.equal(0);
    // Stopped ('T') would be woken by Slurm's SIGCONT and run on past the checkpoint; it must be
    // dead (a zombie of the batch shell, or reaped) before the requeue.
    expect(scontrol.calls()).to.have.length(1);
    expect(scontrol.calls()[0]).to.match(/^requeue 900 job=(Z|gone)$/);
    const ckpts = listCheckpoints(path.join(scratch.path, 'ckpt', '900'));
    expect(ckpts.map((c) => c.job)).to.deep.equal(['slurm.900']);
    expect(end.stderr).to.contain(`cr: checkpointed to ${ckpts[0].file}; requeueing job 900`);
    expect((await runCr(['verify', ckpts[0].file])).code).to.equal(0);
  });

  it('USR1 when the requeue fails: the job, already ended, goes on from its checkpoint in place', async () => {
    const {dir, out, ready, scontrol} = requeueCase('requeue-fails', 1);
    const stop = path.join(dir, 'stop');
    const b = startBatch([COUNTER, '--interval-ms', '20', '--exit-when', stop, '--exit-code', '5', '--out', out, '--ready', ready], slurmEnv('901', {PATH: scontrol.dir}));
    batch = b.child;
    await waitFor(() => lines(out).length >= 5, scaled(10_000), 'the job counting');
    process.kill(b.child.pid!, 'SIGUSR1');
    await waitFor(() => b.stderr().includes('cr: restarting from'), scaled(30_000), 'the batch script to restart the job in place');
    const n = lines(out).length;
    await waitFor(() => lines(out).length > n + 3, scaled(30_000), 'the restarted job counting');
    fs.writeFileSync(stop, '');
    const end = await b.ended;
    expect(end.code, end.stderr).to.equal(5);
    expect(scontrol.calls()).to.have.length(1);
    expect(end.stderr).to.contain('scontrol requeue 901 failed');
    expect(listCheckpoints(path.join(scratch.path, 'ckpt', '901'))).to.have.length(1);
    const all = lines(out);
    expect(all, 'what one uninterrupted run writes: nothing lost, nothing repeated').to.deep.equal(counted(all.length));
  });

  it('requeued run: no checkpoint of the job verifies -> a warning and the program from the beginning', async () => {
    const ckdir = path.join(scratch.path, 'ckpt', '902');
    fs.mkdirSync(ckdir, {recursive: true});
    fs.writeFileSync(path.join(ckdir, '20260101T000000.000Z-slurm.902-0001.ctx'), 'not a context file\n');
    const out = path.join(scratch.path, 'fresh.out');
    const r = await runScript(example('slurm', 'cr-job.sbatch'), [COUNTER, '--interval-ms', '10', '--exit-at', '20', '--out', out], slurmEnv('902', {SLURM_RESTART_COUNT: '1'}));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/warning: .*skipping .*slurm\.902-0001\.ctx/);
    expect(r.stderr).to.match(/warning: no checkpoint of job slurm\.902 in \S+ verifies \(1 found\): starting the job from the beginning/);
    expect(lines(out)).to.deep.equal(counted(20));
    // No directory at all (the first run died before one was made): the same.
    const out2 = path.join(scratch.path, 'fresh2.out');
    const r2 = await runScript(example('slurm', 'cr-job.sbatch'), [COUNTER, '--interval-ms', '10', '--exit-at', '5', '--out', out2], slurmEnv('903', {SLURM_RESTART_COUNT: '2', CR_CHECKPOINT_DIR: path.join(scratch.path, 'absent')}));
    expect(r2.code, r2.stderr).to.equal(0);
    expect(lines(out2)).to.deep.equal(counted(5));
  });

  it('requeued run: the checkpoint\'s pid is taken on this node (EBUSY) -> --no-restore-pid, with a warning', async () => {
    const stop = path.join(scratch.path, 'stop-904');
    const prog = await startCounter(['--interval-ms', '20', '--exit-when', stop, '--exit-code', '6']);
    try {
      await waitFor(() => lines(prog.out).length >= 5, scaled(10_000), 'the job counting');
      const ckdir = path.join(scratch.path, 'ckpt', '904');
      fs.mkdirSync(ckdir, {recursive: true});
      // The old run, stopped, still holds its pid (as another job may hold it on the new node).
      const c = await runCr(['checkpoint', '--stop', '-d', ckdir, '--job', 'slurm.904', String(prog.pid)]);
      expect(c.code, c.stderr).to.equal(0);
      const saved = lines(prog.out).length;
      const b = startBatch([COUNTER, 'never-run'], slurmEnv('904', {SLURM_RESTART_COUNT: '1'}));
      batch = b.child;
      await waitFor(() => lines(prog.out).length > saved + 3, scaled(30_000), 'the restarted job counting');
      fs.writeFileSync(stop, '');
      const r = await b.ended;
      expect(r.code, r.stderr).to.equal(6);
      expect(r.stderr).to.match(/cr: warning: .*: the job's pid is in use on this node; restarting with --no-restore-pid/);
      const all = lines(prog.out);
      expect(all, 'the restart went on from the checkpoint').to.deep.equal(counted(all.length));
    } finally {
      tryKill(prog.pid);
    }
  });
});
