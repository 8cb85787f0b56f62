// `cr checkpoint` end to end: every scope, destination and signal, on the kernel selected by
// CR_TEST_KERNEL (helpers/kernel.ts).
import {expect} from 'chai';
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {readContextHeader} from '../../src/store/index.js';
import {TAG, walkContext} from '../helpers/context.js';
import {contextFrame} from '../helpers/context-frame.js';
import {itTestKernel, KERNEL, scaled} from '../helpers/kernel.js';
import {CR_BIN} from '../helpers/paths.js';
import {COUNTER, descendants, kernelEnv, procState, runCr, scratchDir, startCounter, waitFor} from '../helpers/procs.js';

const stopped = (pid: number) => procState(pid) === 'T';

describe(`cr checkpoint (${KERNEL} kernel): scopes, destinations, signals`, function () {
  this.timeout(scaled(30_000));
  const scratch = scratchDir('cr-e2e-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  it('checkpoints a process tree by default into context.<pid> in the cwd, atomically, and --stop stops the whole tree', async () => {
    const prog = await startCounter(['--children', '2']);
    const kids = descendants(prog.pid);
    expect(kids).to.have.length(2);
    const r = await runCr(['checkpoint', '--stop', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    const file = path.join(dir, `context.${prog.pid}`);
    expect(fs.readdirSync(dir)).to.deep.equal([`context.${prog.pid}`]);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o400);
    expect(contextFrame(file)).to.include({version: 9, scope: 3, arch: 5, firstThreads: 1});
    expect(readContextHeader(file).kernel?.major).to.equal(Number(os.release().split('.')[0]));
    await waitFor(() => [prog.pid, ...kids].every(stopped), 5000, 'the whole tree stopped');
  });

  itTestKernel('the tree image holds one section per process, each with the counter\'s state', 'reads the emulator\'s image format', async () => {
    const prog = await startCounter(['--children', '2']);
    const r = await runCr(['checkpoint', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    const ctx = walkContext(path.join(dir, `context.${prog.pid}`));
    expect(ctx.sections).to.have.length(3);
    expect(ctx.sections.map((s) => s.tgid)).to.include(prog.pid);
    expect(ctx.sections.every((s) => s.cloneFlags === 0x410f00)).to.equal(true);
    const root = ctx.sections.find((s) => s.tgid === prog.pid)!;
    expect(root.records.get(TAG.STATE)?.[0]?.readBigInt64LE(0), 'the counter state was captured').to.be.a('bigint');
    expect(procState(prog.pid), 'target runs on').to.match(/[RS]/);
  });

  it('-p checkpoints only the process, with all its threads (--stop stops it, not its children)', async () => {
    const prog = await startCounter(['--children', '2', '--threads', '2']);
    const kids = descendants(prog.pid);
    const r = await runCr(['checkpoint', '-p', '--stop', '-f', 'one.ctx', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    expect(contextFrame(path.join(dir, 'one.ctx'))).to.include({scope: 0, firstThreads: 3});
    await waitFor(() => stopped(prog.pid), 5000, 'the process stopped');
    expect(kids.map(procState), 'its children run on').to.satisfy((s: string[]) => s.every((x) => /[RS]/.test(x)));
  });

  it('-g checkpoints a process group, -s a session (--stop stops exactly their members)', async () => {
    const grp = await startCounter(['--setpgid', '--children', '2']);
    const other = await startCounter();
    let r = await runCr(['checkpoint', '-g', '--stop', '--file', 'grp.ctx', String(grp.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    expect(contextFrame(path.join(dir, 'grp.ctx')).scope).to.equal(1);
    await waitFor(() => [grp.pid, ...descendants(grp.pid)].every(stopped), 5000, 'the group stopped');
    expect(procState(other.pid), 'a process outside the group').to.match(/[RS]/);

    const sess = await startCounter(['--setsid', '--children', '1']);
    r = await runCr(['checkpoint', '--session', '--stop', String(sess.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    expect(contextFrame(path.join(dir, `context.${sess.pid}`)).scope).to.equal(2);
    await waitFor(() => [sess.pid, ...descendants(sess.pid)].every(stopped), 5000, 'the session stopped');
    expect(procState(other.pid), 'a process outside the session').to.match(/[RS]/);
  });

  it('--save-exe embeds the executable (the restart needs no file), the default saves it by reference; --save-all embeds more', async () => {
    const exe = path.join(dir, 'counter-copy');
    fs.copyFileSync(COUNTER, exe);
    fs.chmodSync(exe, 0o755);
    const prog = await startCounter(['--interval-ms', '20'], {exe});
    expect((await runCr(['checkpoint', '-f', 'plain', String(prog.pid)], {cwd: dir})).code).to.equal(0);
    expect((await runCr(['checkpoint', '--save-all', '-f', 'all', String(prog.pid)], {cwd: dir})).code).to.equal(0);
    let r = await runCr(['checkpoint', '--save-exe', '--kill', '-f', 'exe', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(() => prog.child.signalCode !== null, 5000, 'the counter killed');
    const size = (n: string) => fs.statSync(path.join(dir, n)).size;
    expect(size('exe'), '--save-exe is larger than the default').to.be.greaterThan(size('plain'));
    expect(size('all'), '--save-all is larger than --save-exe').to.be.greaterThan(size('exe'));
    fs.rmSync(exe);
    r = await runCr(['restart', path.join(dir, 'plain')]);
    expect(r.code, `by reference, the executable is gone: ${r.stderr}`).to.equal(2);
    r = await runCr(['restart', '--kill', path.join(dir, 'exe')]);
    expect(r.signal ?? r.code, `the embedded executable restarts: ${r.stderr}`).to.equal('SIGKILL');
  });

  it('delivers the after-checkpoint signal: --stop stops, --cont continues, --kill kills', async () => {
    const prog = await startCounter(['--children', '1']);
    let r = await runCr(['checkpoint', '--stop', '-f', 'a', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(() => procState(prog.pid) === 'T', 5000, 'SIGSTOP');
    r = await runCr(['checkpoint', '--cont', '-f', 'b', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(() => procState(prog.pid) !== 'T', 5000, 'SIGCONT');
    r = await runCr(['checkpoint', '--kill', '-f', 'c', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(() => prog.child.signalCode !== null, 5000, 'SIGKILL');
    expect(prog.child.signalCode).to.equal('SIGKILL');
  });

  it('--term, --abort and --signal N deliver those signals', async () => {
    for (const [flags, sig] of [[['--term'], 'SIGTERM'], [['--abort'], 'SIGABRT'], [['--signal', '10'], 'SIGUSR1'], [['-S', '12'], 'SIGUSR2']] as const) {
      const prog = await startCounter();
      const r = await runCr(['checkpoint', ...flags, '-f', 'x', '--clobber', String(prog.pid)], {cwd: dir});
      expect(r.code, r.stderr).to.equal(0);
      await waitFor(() => prog.child.signalCode !== null, 5000, sig);
      expect(prog.child.signalCode, flags.join(' ')).to.equal(sig);
    }
  });

  it('--early-stop stops each process right after its dump', async () => {
    const prog = await startCounter();
    const r = await runCr(['checkpoint', '--early-stop', '-f', 'e', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(() => procState(prog.pid) === 'T', 5000, 'early SIGSTOP');
  });

  it('--json prints one result document and nothing else on stdout', async () => {
    const prog = await startCounter();
    const r = await runCr(['checkpoint', '--json', '-p', '--kill', '-f', 'j.ctx', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).to.include({file: path.join(dir, 'j.ctx'), target: prog.pid, scope: 'proc', signal: 9, flags: '0x10', fd: null, backup: null});
    expect(doc.bytes).to.equal(fs.statSync(path.join(dir, 'j.ctx')).size);
    expect(doc.log).to.be.an('array');
    expect(r.stderr).to.equal('');
  });

  it('-F writes to an inherited file descriptor', async () => {
    const prog = await startCounter();
    const out = path.join(dir, 'via-fd');
    const r = await runCr(['checkpoint', '-F', '99', String(prog.pid)], {cwd: dir});
    // fd 99 is not open in cr: refused before the kernel is asked.
    expect(r.code).to.equal(9);
    expect(r.stderr).to.contain('--fd 99: Bad file descriptor');
    const fd = fs.openSync(out, 'w');
    const res = spawnSync(process.execPath, [CR_BIN, 'checkpoint', '--fd', '3', String(prog.pid)], {stdio: ['ignore', 'pipe', 'pipe', fd], env: {...process.env, ...kernelEnv()}, timeout: scaled(30_000)});
    fs.closeSync(fd);
    expect(res.status, String(res.stderr)).to.equal(0);
    expect(contextFrame(out)).to.include({scope: 3, firstThreads: 1});
  });
});
