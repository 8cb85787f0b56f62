// Grid Engine: the commands of examples/sge/cr.ckpt, expanded and run as sge_execd runs them.
import {expect} from 'chai';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {listCheckpoints} from '../../src/store/index.js';
import {KERNEL, scaled} from '../helpers/kernel.js';
import {COUNTER, kernelEnv, procState, scratchDir, targetEnv, waitFor} from '../helpers/procs.js';
import {crOnPath, example, runScript} from '../helpers/schedulers.js';

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** The checkpointing environment's fields (`name value...` lines). */
function ckptEnv(): Record<string, string> {
  return Object.fromEntries(
    fs
      .readFileSync(example('sge', 'cr.ckpt'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.split(/\s+/)[0], l.replace(/^\S+\s+/, '')]),
  );
}

const expand = (cmd: string, vars: Record<string, string>) => cmd.replace(/\$(\w+)/g, (m, v: string) => vars[v] ?? m);

describe(`Grid Engine checkpointing environment (examples/sge, ${KERNEL} kernel)`, function () {
  this.timeout(scaled(60_000));
  const scratch = scratchDir('cr-sge-');

  it('cr-job.sh runs the job checkpointable; ckpt_command, migr_command, restart_command and clean_command', async () => {
    const env = ckptEnv();
    expect(env.interface).to.equal('userdefined');
    const out = path.join(scratch.path, 'out');
    const ready = path.join(scratch.path, 'ready');
    const stop = path.join(scratch.path, 'stop');
    const job = spawn(example('sge', 'cr-job.sh'), [COUNTER, '--interval-ms', '20', '--exit-when', stop, '--exit-code', '3', '--out', out, '--ready', ready], {
      env: {...process.env, ...kernelEnv(), ...targetEnv('none'), PATH: `${crOnPath()}:${process.env.PATH}`, JOB_ID: '99', RESTARTED: '0'},
      stdio: 'ignore',
    });
    try {
      await waitFor(() => lines(out).length >= 5, 10_000, 'the job counting');
      const ckptDir = path.join(scratch.path, 'ckpt');
      const vars = {job_id: '99', job_pid: String(job.pid), ckpt_dir: ckptDir, job_name: 'cr-job.sh', job_owner: 'root'};
      const c1 = await runScript(expand(env.ckpt_command, vars), [], {}, {shell: true});
      expect(c1.code, c1.stderr).to.equal(0);
      expect(procState(job.pid!)).to.match(/[RS]/);
      const c2 = await runScript(expand(env.migr_command, vars), [], {}, {shell: true});
      expect(c2.code, c2.stderr).to.equal(0);
      await waitFor(() => job.exitCode !== null || job.signalCode !== null, 5000, 'migr_command to end the job');
      expect(listCheckpoints(path.join(ckptDir, '99')).map((c) => c.job)).to.deep.equal(['sge.99', 'sge.99']);

      const saved = lines(out).length;
      fs.writeFileSync(stop, ''); // the restarted job ends at its next tick
      const r = await runScript(expand(env.restart_command, vars), [], {RESTARTED: '1', JOB_ID: '99'}, {shell: true});
      expect(r.code, r.stderr).to.equal(3);
      expect(lines(out), 'one more count, from the migration checkpoint').to.deep.equal(Array.from({length: saved + 1}, (_, i) => `counter ${i + 1}`));

      const clean = await runScript(expand(env.clean_command, vars), [], {}, {shell: true});
      expect(clean.code, clean.stderr).to.equal(0);
      expect(fs.readdirSync(ckptDir)).to.deep.equal([]);
    } finally {
      job.kill('SIGKILL');
    }
  });

  it('a directory per job and per array task under ckpt_dir; clean_command removes only its own; ckpt_dir is shared when jobs migrate', async () => {
    const env = ckptEnv();
    const ckptDir = path.join(scratch.path, 'shared');
    const jobs: Array<{sgeEnv: Record<string, string>; dir: string; name: string}> = [
      {sgeEnv: {JOB_ID: '77', SGE_TASK_ID: 'undefined'}, dir: '77', name: 'sge.77'},
      {sgeEnv: {JOB_ID: '78', SGE_TASK_ID: '1'}, dir: '78.1', name: 'sge.78.1'},
      {sgeEnv: {JOB_ID: '78', SGE_TASK_ID: '2'}, dir: '78.2', name: 'sge.78.2'},
    ];
    const progs = [];
    for (const j of jobs) {
      const out = path.join(scratch.path, `out-${j.dir}`);
      const job = spawn(example('sge', 'cr-job.sh'), [COUNTER, '--interval-ms', '20', '--out', out], {
        env: {...process.env, ...kernelEnv(), ...targetEnv('none'), PATH: `${crOnPath()}:${process.env.PATH}`, ...j.sgeEnv, RESTARTED: '0'},
        stdio: 'ignore',
      });
      progs.push(job);
      await waitFor(() => lines(out).length >= 3, scaled(30_000), `job ${j.dir} counting`);
      const vars = {job_id: j.sgeEnv.JOB_ID, job_pid: String(job.pid), ckpt_dir: ckptDir};
      // The commands run with the job's environment (SGE_TASK_ID among it).
      const c = await runScript(expand(env.ckpt_command, vars), [], j.sgeEnv, {shell: true});
      expect(c.code, c.stderr).to.equal(0);
    }
    try {
      expect(fs.readdirSync(ckptDir).sort()).to.deep.equal(['77', '78.1', '78.2']);
      for (const j of jobs) expect(listCheckpoints(path.join(ckptDir, j.dir)).map((c) => c.job), j.dir).to.deep.equal([j.name]);
      const clean = await runScript(expand(env.clean_command, {job_id: '78', job_pid: '1', ckpt_dir: ckptDir}), [], {JOB_ID: '78', SGE_TASK_ID: '1'}, {shell: true});
      expect(clean.code, clean.stderr).to.equal(0);
      expect(fs.readdirSync(ckptDir).sort(), 'the other job and the other task keep theirs').to.deep.equal(['77', '78.2']);
      expect(listCheckpoints(path.join(ckptDir, '78.2'))).to.have.length(1);
      expect(env.when, 'when s or x: the job is migrated').to.match(/[sx]/);
      expect(env.ckpt_dir, 'a migrated job restarts on another host: not a node-local spool').to.not.match(/^\/(var|tmp)\//);
    } finally {
      for (const p of progs) p.kill('SIGKILL');
    }
  });

  it('SGE sees failures in the exit status: no such job, nothing to restart, bad arguments', async () => {
    const env = ckptEnv();
    const vars = {job_id: '98', job_pid: '999999', ckpt_dir: path.join(scratch.path, 'c')};
    expect((await runScript(expand(env.ckpt_command, vars), [], {}, {shell: true})).code).to.equal(3);
    expect((await runScript(expand(env.restart_command, vars), [], {}, {shell: true})).code).to.equal(2);
    expect((await runScript(expand(env.ckpt_command, {...vars, ckpt_dir: 'relative'}), [], {}, {shell: true})).code).to.equal(255);
  });
});
