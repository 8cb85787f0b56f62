// Torque's $checkpoint_script / $restart_script and PBS Professional's $action scripts, run from
// examples/torque with exactly the arguments pbs_mom passes.
import {expect} from 'chai';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {listCheckpoints, readContextHeader} from '../../src/store/index.js';
import {KERNEL, ON_BLCR, scaled} from '../helpers/kernel.js';
import {readStat} from '../../src/procfs/stat.js';
import {COUNTER, kernelEnv, procState, scratchDir, startCounter, targetEnv, tryKill, waitFor} from '../helpers/procs.js';
import {crOnPath, example, fakeTool, runScript} from '../helpers/schedulers.js';

const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
const counted = (n: number) => Array.from({length: n}, (_, i) => `counter ${i + 1}`);

describe(`Torque / PBS scripts (examples/torque, ${KERNEL} kernel)`, function () {
  this.timeout(scaled(60_000));
  const scratch = scratchDir('cr-torque-');

  it('$checkpoint_script: 8 arguments; images ckpt.<job>.<time>; depth keeps the newest N; the job continues with signal 0', async () => {
    const prog = await startCounter(['--setsid', '--interval-ms', '20']);
    const dir = path.join(scratch.path, '17.srv.CK');
    for (const t of [1000, 1001, 1002]) {
      const r = await runScript(example('torque', 'cr-checkpoint'), [String(prog.pid), '17.srv', 'root', 'root', dir, `ckpt.17.srv.${t}`, '0', '2']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.contain(`checkpointed to ${dir}/ckpt.17.srv.${t}`);
    }
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['ckpt.17.srv.1001', 'ckpt.17.srv.1002']);
    expect(procState(prog.pid)).to.match(/[RS]/);
    expect(readContextHeader(path.join(dir, 'ckpt.17.srv.1002')).arch).to.equal(5); // x86_64
  });

  it('$checkpoint_script with signal 15 (qhold) ends the job; failures exit non-zero and leave no image', async () => {
    const prog = await startCounter(['--setsid']);
    const dir = path.join(scratch.path, '18.srv.CK');
    const r = await runScript(example('torque', 'cr-checkpoint'), [String(prog.pid), '18.srv', 'root', 'root', dir, 'ckpt.18.srv.5', '15', '0']);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(() => procState(prog.pid) === undefined || procState(prog.pid) === 'Z', 5000, 'the job to end');
    const gone = await runScript(example('torque', 'cr-checkpoint'), ['999999', '18.srv', 'root', 'root', dir, 'ckpt.18.srv.6', '0', '0']);
    expect(gone.code).to.equal(3);
    expect(gone.stderr).to.contain('Checkpoint failed');
    expect(fs.readdirSync(dir)).to.deep.equal(['ckpt.18.srv.5']);
    const usage = await runScript(example('torque', 'cr-checkpoint'), [String(prog.pid), '18.srv', 'root', 'root', dir, 'x', '0']);
    expect(usage.code).to.equal(255);
    expect(usage.stderr).to.contain('expected 8 arguments (session_id job_id user group checkpoint_dir checkpoint_name signal_num checkpoint_depth), got 7');
  });

  it('$checkpoint_script runs as the job owner (user nobody may not checkpoint a root job: EPERM)', async function () {
    if (process.geteuid?.() !== 0) this.skip();
    const prog = await startCounter(['--setsid']);
    const dir = path.join(scratch.path, 'owner');
    fs.mkdirSync(dir, {mode: 0o777});
    fs.chmodSync(dir, 0o777);
    const r = await runScript(example('torque', 'cr-checkpoint'), [String(prog.pid), '19.srv', 'nobody', 'nogroup', dir, 'ckpt.19.srv.1', '0', '0']);
    expect(r.code).to.equal(1);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it('$restart_script: 6 arguments; is the job (its exit status); records the outcome with qalter', async () => {
    const stop = path.join(scratch.path, 'stop');
    const prog = await startCounter(['--setsid', '--interval-ms', '20', '--exit-when', stop, '--exit-code', '7']);
    await waitFor(() => fs.existsSync(prog.out) && lines(prog.out).length >= 5, 5000, 'counting');
    const dir = path.join(scratch.path, '20.srv.CK');
    expect((await runScript(example('torque', 'cr-checkpoint'), [String(prog.pid), '20.srv', 'root', 'root', dir, 'ckpt.20.srv.1', '15', '1'])).code).to.equal(0);
    await waitFor(() => procState(prog.pid) === undefined || procState(prog.pid) === 'Z', 5000, 'the job to end');
    const saved = lines(prog.out).length;
    const qalter = fakeTool('qalter');
    const env = {PATH: `${qalter.dir}:${crOnPath()}:${process.env.PATH}`};
    fs.writeFileSync(stop, ''); // the restarted job ends at its next tick
    const r = await runScript(example('torque', 'cr-restart'), [String(prog.pid), '20.srv', 'root', 'root', dir, 'ckpt.20.srv.1'], env);
    expect(r.code, r.stderr).to.equal(7);
    expect(lines(prog.out), 'one more count, from where the checkpoint was').to.deep.equal(counted(saved + 1));
    expect(qalter.calls()).to.deep.equal([`-W checkpoint_restart_status=restarted from ${dir}/ckpt.20.srv.1 20.srv`]);

    const missing = await runScript(example('torque', 'cr-restart'), ['1', '20.srv', 'root', 'root', dir, 'ckpt.20.srv.9'], env);
    expect(missing.code).to.equal(2);
    expect(qalter.calls().at(-1)).to.match(/^-W checkpoint_restart_status=Restart failed: environment .* 20\.srv$/);
    const usage = await runScript(example('torque', 'cr-restart'), ['1', '20.srv'], env);
    expect(usage.code).to.equal(255);
  });

  it('$checkpoint_run_exe (cr-run) starts the job checkpointable', async () => {
    const dir = path.join(scratch.path, 'run');
    fs.mkdirSync(dir);
    const ready = path.join(dir, 'ready');
    const child = spawn(example('torque', 'cr-run'), [COUNTER, '--setsid', '--ready', ready, '--out', path.join(dir, 'out')], {
      env: {...process.env, ...kernelEnv(), ...targetEnv('none'), PATH: `${crOnPath()}:${process.env.PATH}`},
      stdio: 'ignore',
    });
    try {
      await waitFor(() => fs.existsSync(ready), scaled(60_000), 'the job started by cr-run');
      const pid = Number(fs.readFileSync(ready, 'utf8').split('\n')[0]);
      expect(pid).to.equal(child.pid); // cr run execs: the MOM's pid is the job's
      const r = await runScript(example('torque', 'cr-checkpoint'), [String(pid), '21.srv', 'root', 'root', dir, 'ckpt.21.srv.1', '0', '0']);
      expect(r.code, r.stderr).to.equal(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('PBS Professional $action checkpoint / checkpoint_abort / restart (SID JOBID DIR)', async () => {
    const stop = path.join(scratch.path, 'stop');
    const prog = await startCounter(['--setsid', '--interval-ms', '20', '--exit-when', stop]);
    await waitFor(() => fs.existsSync(prog.out) && lines(prog.out).length >= 5, 5000, 'counting');
    const base = scratch.path;
    const keep = await runScript(example('torque', 'cr-pbs-checkpoint'), [String(prog.pid), '31.pbs', base]);
    expect(keep.code, keep.stderr).to.equal(0);
    expect(procState(prog.pid)).to.match(/[RS]/);
    const abort = await runScript(example('torque', 'cr-pbs-checkpoint-abort'), [String(prog.pid), '31.pbs', base]);
    expect(abort.code, abort.stderr).to.equal(0);
    await waitFor(() => procState(prog.pid) === undefined || procState(prog.pid) === 'Z', 5000, 'the job to be killed');
    const dir = path.join(base, '31.pbs');
    expect(listCheckpoints(dir).map((c) => [c.job, c.sequence])).to.deep.equal([
      ['pbs.31.pbs', 1],
      ['pbs.31.pbs', 2],
    ]);
    const saved = lines(prog.out).length;
    fs.writeFileSync(stop, ''); // the restarted job ends at its next tick
    const r = await runScript(example('torque', 'cr-pbs-restart'), [String(prog.pid), '31.pbs', base]);
    expect(r.code, r.stderr).to.equal(0);
    const restored = Number(/as pid (\d+)/.exec(r.stderr)![1]);
    await waitFor(() => procState(restored) === undefined || procState(restored) === 'Z', 5000, 'the restored job to end');
    expect(lines(prog.out), 'one more count, from the newest checkpoint').to.deep.equal(counted(saved + 1));
    const usage = await runScript(example('torque', 'cr-pbs-restart'), ['x', '31.pbs', base]);
    expect(usage.code).to.equal(255);
    expect(usage.stderr).to.contain('Expected sid to be a whole number');
  });

  it('PBS $action restart returns once the job is restored, in its own session, and the job runs on without it', async () => {
    const prog = await startCounter(['--setsid', '--interval-ms', '20']);
    await waitFor(() => lines(prog.out).length >= 5, 5000, 'counting');
    const base = scratch.path;
    expect((await runScript(example('torque', 'cr-pbs-checkpoint-abort'), [String(prog.pid), '33.pbs', base])).code).to.equal(0);
    await waitFor(() => procState(prog.pid) === undefined || procState(prog.pid) === 'Z', 5000, 'the job to be killed');
    // pbs_mom ($restart_transmogrify False) waits for the script, then tracks the job by session
    // SID: the script must come back while the job (which never ends by itself) keeps running.
    const r = await runScript(example('torque', 'cr-pbs-restart'), [String(prog.pid), '33.pbs', base]);
    expect(r.code, r.stderr).to.equal(0);
    const m = /cr: restarted \S+ as pid (\d+) \(session (\w+)\)/.exec(r.stderr);
    expect(m, r.stderr).to.not.equal(null);
    const pid = Number(m![1]);
    try {
      const n = lines(prog.out).length;
      await waitFor(() => lines(prog.out).length > n + 3, scaled(10_000), 'the restored job counting after the script returned');
      if (ON_BLCR) {
        expect(readStat(pid)?.sid, 'the job in its original session').to.equal(prog.pid);
        expect(pid).to.equal(prog.pid);
      } else {
        // The test kernel gives no ids back (test/kernel/README.md, Limits): cr says so.
        expect(r.stderr).to.contain(`not ${prog.pid}: pbs_mom tracks the job by session ${prog.pid}`);
      }
      // The MoM's next checkpoint names the session: the restored job itself, no cr in between.
      const again = await runScript(example('torque', 'cr-pbs-checkpoint'), [String(pid), '33.pbs', base]);
      expect(again.code, again.stderr).to.equal(0);
      expect(listCheckpoints(path.join(base, '33.pbs'))).to.have.length(2);
    } finally {
      tryKill(pid);
    }
  });

  it('a job restarted by the Torque $restart_script runs under cr restart, and is checkpointed through it (cr is never a target)', async () => {
    const prog = await startCounter(['--setsid', '--interval-ms', '20']);
    const dir = path.join(scratch.path, '32.srv.CK');
    expect((await runScript(example('torque', 'cr-checkpoint'), [String(prog.pid), '32.srv', 'root', 'root', dir, 'ckpt.32.srv.1', '15', '0'])).code).to.equal(0);
    await waitFor(() => procState(prog.pid) === undefined || procState(prog.pid) === 'Z', 5000, 'the job to end');
    const qalter = fakeTool('qalter');
    // Torque execs the restart script as the job, in a new session: its pid is the session id.
    const restart = spawn(example('torque', 'cr-restart'), [String(prog.pid), '32.srv', 'root', 'root', dir, 'ckpt.32.srv.1'], {
      env: {...process.env, ...kernelEnv(), ...targetEnv('none'), PATH: `${qalter.dir}:${crOnPath()}:${process.env.PATH}`},
      stdio: 'ignore',
      detached: true,
    });
    try {
      const n = lines(prog.out).length;
      await waitFor(() => lines(prog.out).length > n + 3, 10_000, 'the restarted job counting');
      const r = await runScript(example('torque', 'cr-checkpoint'), [String(restart.pid), '32.srv', 'root', 'root', dir, 'ckpt.32.srv.2', '0', '0']);
      expect(r.code, r.stderr).to.equal(0);
      expect(fs.readdirSync(dir).sort()).to.deep.equal(['ckpt.32.srv.1', 'ckpt.32.srv.2']);
    } finally {
      restart.kill('SIGTERM');
    }
  });
});
