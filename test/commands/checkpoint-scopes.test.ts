// `cr checkpoint` end to end, with the test kernel preloaded: every scope, destination and signal.
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {readContextHeader} from '../../src/store/index.js';
import {TAG, walkContext} from '../helpers/context.js';
import {procState, runCr, scratchDir, startCounter, waitFor} from '../helpers/procs.js';

describe('cr checkpoint (test kernel): scopes, destinations, signals', function () {
  this.timeout(30_000);
  const scratch = scratchDir('cr-e2e-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  const stateOf = (sectionState: Buffer[] | undefined) => (sectionState?.[0] ? sectionState[0].readBigInt64LE(0) : undefined);

  it('checkpoints a process tree by default into context.<pid> in the cwd, atomically', async () => {
    const prog = await startCounter(['--children', '2']);
    const r = await runCr(['checkpoint', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    const file = path.join(dir, `context.${prog.pid}`);
    expect(fs.readdirSync(dir)).to.deep.equal([`context.${prog.pid}`]);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o400);
    const ctx = walkContext(file);
    expect(ctx.scope).to.equal(3);
    expect(ctx.version).to.equal(9);
    expect(ctx.arch).to.equal(5);
    expect(ctx.sections.map((s) => s.tgid).sort()).to.have.members([prog.pid, ...ctx.sections.map((s) => s.tgid).filter((p) => p !== prog.pid)]);
    expect(ctx.sections).to.have.length(3);
    expect(ctx.sections.every((s) => s.cloneFlags === 0x410f00)).to.equal(true);
    const root = ctx.sections.find((s) => s.tgid === prog.pid)!;
    const saved = stateOf(root.records.get(TAG.STATE));
    expect(saved, 'the counter state was captured').to.be.a('bigint');
    const header = readContextHeader(file);
    expect(header.kernel?.major).to.equal(Number(os.release().split('.')[0]));
    expect(procState(prog.pid), 'target runs on').to.match(/[RS]/);
  });

  it('-p checkpoints only the process, with all its threads', async () => {
    const prog = await startCounter(['--children', '2', '--threads', '2']);
    const r = await runCr(['checkpoint', '-p', '-f', 'one.ctx', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    const ctx = walkContext(path.join(dir, 'one.ctx'));
    expect(ctx.scope).to.equal(0);
    expect(ctx.sections).to.have.length(1);
    expect(ctx.sections[0].threads).to.equal(3);
    expect(ctx.sections[0].tids).to.have.length(3);
  });

  it('-g checkpoints a process group, -s a session', async () => {
    const grp = await startCounter(['--setpgid', '--children', '2']);
    let r = await runCr(['checkpoint', '-g', '--file', 'grp.ctx', String(grp.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    let ctx = walkContext(path.join(dir, 'grp.ctx'));
    expect([ctx.scope, ctx.sections.length]).to.deep.equal([1, 3]);

    const sess = await startCounter(['--setsid', '--children', '1']);
    r = await runCr(['checkpoint', '--session', String(sess.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    ctx = walkContext(path.join(dir, `context.${sess.pid}`));
    expect([ctx.scope, ctx.sections.length]).to.deep.equal([2, 2]);
  });

  it('--save-exe and --save-all embed files; the default saves by reference', async () => {
    const prog = await startCounter();
    expect((await runCr(['checkpoint', '-f', 'plain', String(prog.pid)], {cwd: dir})).code).to.equal(0);
    expect((await runCr(['checkpoint', '--save-exe', '-f', 'exe', String(prog.pid)], {cwd: dir})).code).to.equal(0);
    expect((await runCr(['checkpoint', '--save-all', '-f', 'all', String(prog.pid)], {cwd: dir})).code).to.equal(0);
    const plain = walkContext(path.join(dir, 'plain')).sections[0].records;
    const exe = walkContext(path.join(dir, 'exe')).sections[0].records;
    const all = walkContext(path.join(dir, 'all')).sections[0].records;
    expect(plain.has(TAG.EXEFILE) || plain.has(TAG.PRIVFILE)).to.equal(false);
    const exePath = fs.readlinkSync(`/proc/${prog.pid}/exe`);
    expect(exe.get(TAG.EXEFILE)![0].equals(fs.readFileSync(exePath))).to.equal(true);
    expect(all.get(TAG.PRIVFILE)!.length).to.be.greaterThan(0);
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
    const {spawnSync} = await import('node:child_process');
    const {CR_BIN} = await import('../helpers/paths.js');
    const {kernelEnv} = await import('../helpers/procs.js');
    const fd = fs.openSync(out, 'w');
    const res = spawnSync(process.execPath, [CR_BIN, 'checkpoint', '--fd', '3', String(prog.pid)], {stdio: ['ignore', 'pipe', 'pipe', fd], env: {...process.env, ...kernelEnv()}});
    fs.closeSync(fd);
    expect(res.status, String(res.stderr)).to.equal(0);
    expect(walkContext(out).sections).to.have.length(1);
  });
});
