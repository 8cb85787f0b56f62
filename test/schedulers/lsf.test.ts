// LSF's checkpoint method "cr": examples/lsf/echkpnt.cr and erestart.cr run with LSF's options and environment.
import {expect} from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {listCheckpoints} from '../../src/store/index.js';
import {KERNEL, scaled} from '../helpers/kernel.js';
import {ROOT} from '../helpers/paths.js';
import {spawn} from 'node:child_process';
import {COUNTER, kernelEnv, procState, scratchDir, startCounter, targetEnv, waitFor} from '../helpers/procs.js';
import {crOnPath, example, runScript} from '../helpers/schedulers.js';

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

describe(`LSF method cr (examples/lsf, ${KERNEL} kernel)`, function () {
  this.timeout(scaled(60_000));
  const scratch = scratchDir('cr-lsf-');
  const lsfEnv = (chkdir: string, extra: Record<string, string | undefined> = {}) => ({
    LSB_JOBID: '4711',
    LSB_CHKPNT_DIR: chkdir,
    LSB_ECHKPNT_METHOD: 'cr',
    LSB_ECHKPNT_METHOD_DIR: path.join(ROOT, 'examples', 'lsf'),
    LSB_ECHKPNT_KEEP_OUTPUT: undefined,
    ...extra,
  });

  it('echkpnt.cr PGID checkpoints the process group into $LSB_CHKPNT_DIR; KEEP_OUTPUT keeps echkpnt.out/err; -k kills', async () => {
    const stop = path.join(scratch.path, 'stop');
    const prog = await startCounter(['--setpgid', '--interval-ms', '20', '--exit-when', stop, '--exit-code', '4']);
    await waitFor(() => fs.existsSync(prog.out) && lines(prog.out).length >= 5, 5000, 'counting');
    const chk = path.join(scratch.path, '4711');
    fs.mkdirSync(chk);
    const first = await runScript(example('lsf', 'echkpnt.cr'), [String(prog.pid)], lsfEnv(chk, {LSB_ECHKPNT_KEEP_OUTPUT: 'y'}));
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stderr).to.equal(''); // kept in the files instead
    expect(fs.readFileSync(path.join(chk, 'echkpnt.err'), 'utf8')).to.match(/^cr: checkpointed to .*lsf\.4711-0001\.ctx\n$/);
    expect(fs.existsSync(path.join(chk, 'echkpnt.out'))).to.equal(true);
    expect(procState(prog.pid)).to.match(/[RS]/);
    const kill = await runScript(example('lsf', 'echkpnt.cr'), ['-f', '-k', '-d', chk, String(prog.pid)], lsfEnv(chk));
    expect(kill.code, kill.stderr).to.equal(0);
    await waitFor(() => procState(prog.pid) === undefined || procState(prog.pid) === 'Z', 5000, 'the job killed by -k');
    expect(listCheckpoints(chk).map((c) => c.job)).to.deep.equal(['lsf.4711', 'lsf.4711']);

    const er = await runScript(example('lsf', 'erestart.cr'), [chk], lsfEnv(chk, {LSB_ECHKPNT_KEEP_OUTPUT: 'Y'}));
    expect(er.code, er.stderr).to.equal(0);
    const cmd = fs.readFileSync(path.join(chk, '.restart_cmd'), 'utf8');
    const newest = listCheckpoints(chk).at(-1)!.file;
    expect(cmd).to.match(new RegExp(`^LSB_RESTART_CMD=\\S*cr\\.js restart ${newest.replace(/[.]/g, '\\.')}\\n$`));
    expect(fs.readFileSync(path.join(chk, 'erestart.err'), 'utf8')).to.contain('.restart_cmd');
    // LSF then runs the command as the job, which ends at its next tick.
    const saved = lines(prog.out).length;
    fs.writeFileSync(stop, '');
    const job = await runScript(cmd.slice('LSB_RESTART_CMD='.length).trim(), [], lsfEnv(chk, {LSB_RESTART: 'Y'}), {shell: true});
    expect(job.code, job.stderr).to.equal(4);
    expect(lines(prog.out), 'one more count, from the newest checkpoint').to.deep.equal(Array.from({length: saved + 1}, (_, i) => `counter ${i + 1}`));
  });

  it('echkpnt.cr -x takes the process tree; -s stops the job', async () => {
    const prog = await startCounter(['--interval-ms', '20']);
    const chk = path.join(scratch.path, 'x');
    const r = await runScript(example('lsf', 'echkpnt.cr'), ['-x', '-s', '-d', chk, String(prog.pid)], lsfEnv(chk));
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(() => procState(prog.pid) === 'T', 5000, 'the job stopped by -s');
    expect(listCheckpoints(chk)).to.have.length(1);
  });

  it('failures: echkpnt non-zero (job runs on), usage 255; erestart non-zero and no .restart_cmd', async () => {
    const prog = await startCounter(['--setpgid'], {lib: 'none'});
    const chk = path.join(scratch.path, 'f');
    fs.mkdirSync(chk);
    const nosupport = await runScript(example('lsf', 'echkpnt.cr'), ['-d', chk, String(prog.pid)], lsfEnv(chk));
    expect(nosupport.code).to.equal(52);
    expect(procState(prog.pid)).to.match(/[RS]/);
    for (const argv of [['-k', '-s', String(prog.pid)], ['-q', String(prog.pid)], [], ['-d']]) {
      const u = await runScript(example('lsf', 'echkpnt.cr'), argv, lsfEnv(chk));
      expect(u.code, argv.join(' ')).to.equal(255);
    }
    fs.writeFileSync(path.join(chk, '.restart_cmd'), 'LSB_RESTART_CMD=stale\n');
    const er = await runScript(example('lsf', 'erestart.cr'), [chk], lsfEnv(chk));
    expect(er.code).to.not.equal(0);
    expect(er.stderr).to.contain('no checkpoint');
    expect(fs.existsSync(path.join(chk, '.restart_cmd'))).to.equal(false);
  });

  it('the job form lsf.conf documents starts the program checkpointable: echkpnt.cr checkpoints it', async () => {
    const conf = fs.readFileSync(example('lsf', 'lsf.conf'), 'utf8');
    const form = /^#.*?\bbsub -k "([^"]*)" (\S.*?)(?:\s{2,}\(.*\))?$/m.exec(conf);
    expect(form, 'a bsub -k line').to.not.equal(null);
    expect(form![1]).to.match(/method=cr/);
    // LSF runs the command after bsub's options as the job, in a process group of its own.
    const dir = path.join(scratch.path, 'form');
    fs.mkdirSync(dir);
    const words = form![2].replace(/ \[ARGS\.\.\.\]$/, '').split(/\s+/);
    const [cmd, ...argv] = words.flatMap((w) => (w === 'PROGRAM' ? [COUNTER, '--interval-ms', '20', '--out', path.join(dir, 'out'), '--ready', path.join(dir, 'ready')] : [w]));
    const job = spawn(cmd, argv, {env: {...process.env, ...kernelEnv(), ...targetEnv('none'), PATH: `${crOnPath()}:${process.env.PATH}`}, stdio: 'ignore', detached: true});
    try {
      await waitFor(() => lines(path.join(dir, 'out')).length >= 3, scaled(30_000), 'the job counting');
      const chk = path.join(dir, '4712');
      const r = await runScript(example('lsf', 'echkpnt.cr'), ['-d', chk, String(job.pid)], lsfEnv(chk, {LSB_JOBID: '4712'}));
      expect(r.code, r.stderr).to.equal(0);
      expect(listCheckpoints(chk).map((c) => c.job)).to.deep.equal(['lsf.4712']);
    } finally {
      job.kill('SIGKILL');
    }
  });

  it('lsf.conf names the method and the directory that hold echkpnt.cr and erestart.cr', () => {
    const conf = fs.readFileSync(example('lsf', 'lsf.conf'), 'utf8');
    const method = /^LSB_ECHKPNT_METHOD=(\S+)$/m.exec(conf)![1];
    expect(fs.existsSync(example('lsf', `echkpnt.${method}`)) && fs.existsSync(example('lsf', `erestart.${method}`))).to.equal(true);
    expect(conf).to.match(/^LSB_ECHKPNT_METHOD_DIR=\/usr\/local\/libexec\/cr\/lsf$/m);
  });
});
