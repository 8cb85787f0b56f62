// `cr restart` end to end with the test kernel: round trip, exit mirroring, signals, threads,
// bad files refused before the kernel, EBUSY, relocation, hooks.
import {expect} from 'chai';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {TAG, walkContext} from '../helpers/context.js';
import {CR_BIN, TK_BUILD} from '../helpers/paths.js';
import {kernelEnv, runCr, scratchDir, startCounter, tryKill, waitFor, type CrRun} from '../helpers/procs.js';

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1])) : []);

/** Start `cr restart ARGS` in the background (its stdio ignored, so the job's fds are /dev/null). */
function startRestart(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CR_BIN, 'restart', ...args], {env: {...process.env, ...kernelEnv(), ...env}, stdio: ['ignore', 'pipe', 'pipe']});
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CrRun>((resolve) => {
    child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}));
    child.on('exit', (code, signal) => setTimeout(() => resolve({code, signal, stdout, stderr}), 1000));
  });
  return {child, done};
}

/** Wait for the restarted counter's ready file; on failure, say what cr restart printed. */
async function waitReady(rs: ReturnType<typeof startRestart>, ready: string, notPid?: number): Promise<number> {
  const pidIn = () => (fs.existsSync(ready) ? Number(fs.readFileSync(ready, 'utf8').trim().split(/\s+/)[0]) : 0);
  try {
    await waitFor(() => pidIn() > 0 && pidIn() !== notPid, 10_000, 'the restarted counter');
  } catch (error) {
    rs.child.kill('SIGKILL');
    const r = await rs.done;
    throw new Error(`${(error as Error).message}; cr restart exited ${r.code ?? r.signal}: ${r.stderr}`);
  }
  return pidIn();
}

describe('cr restart (test kernel)', function () {
  this.timeout(40_000);
  const scratch = scratchDir('cr-rst-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  /** A counter checkpointed with --kill; returns the file, its out file and the saved value. */
  async function killedCheckpoint(counterArgs: string[] = [], ckptArgs: string[] = []) {
    const prog = await startCounter(['--interval-ms', '20', ...counterArgs]);
    await waitFor(() => lines(prog.out).length >= 3, 5000, 'counter ticking');
    const file = path.join(dir, 'job.ctx');
    const r = await runCr(['checkpoint', '--kill', '-f', file, ...ckptArgs, String(prog.pid)]);
    expect(r.code, r.stderr).to.equal(0);
    await new Promise((res) => (prog.child.exitCode !== null || prog.child.signalCode !== null ? res(null) : prog.child.once('exit', res)));
    const saved = Number(walkContext(file).sections[0].records.get(TAG.STATE)![0].readBigInt64LE(0));
    return {file, out: prog.out, saved, pid: prog.pid, ready: fs.readFileSync(prog.out.replace(/out$/, 'ready'), 'utf8')};
  }

  it('round trip: cr run -- counter, cr checkpoint --kill, cr restart: the counter continues and its status is cr restart\'s', async () => {
    const out = path.join(dir, 'out');
    const run = spawn(process.execPath, [CR_BIN, 'run', '--', path.join(TK_BUILD, 'counter'), '--interval-ms', '20', '--out', out, '--exit-at', '40', '--exit-code', '7'], {
      env: {...process.env, LD_LIBRARY_PATH: TK_BUILD, CR_TESTKERNEL_DIR: kernelEnv().CR_TESTKERNEL_DIR},
      stdio: 'ignore',
    });
    await waitFor(() => lines(out).length >= 3, 5000, 'counter ticking under cr run');
    const file = path.join(dir, 'job.ctx');
    let r = await runCr(['checkpoint', '--kill', '-f', file, String(run.pid)]);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(() => run.signalCode !== null, 5000, 'the counter killed');
    expect(run.signalCode).to.equal('SIGKILL');
    const saved = Number(walkContext(file).sections[0].records.get(TAG.STATE)![0].readBigInt64LE(0));
    const before = lines(out);
    expect(before.at(-1)).to.be.at.least(saved);
    r = await runCr(['restart', file]);
    expect(r.code, r.stderr).to.equal(7);
    const after = lines(out).slice(before.length);
    expect(after[0], 'first value after restart').to.equal(saved + 1);
    expect(after.at(-1)).to.equal(40);
    for (let i = 1; i < after.length; i++) expect(after[i]).to.equal(after[i - 1] + 1);
  });

  it('--json reports the restarted pid and how the job ended', async () => {
    const job = await killedCheckpoint(['--exit-at', '30', '--exit-code', '3']);
    const r = await runCr(['restart', '--json', '--no-restore-pid', '-f', job.file]);
    expect(r.code, r.stderr).to.equal(3);
    const doc = JSON.parse(r.stdout);
    expect(doc).to.include({file: job.file, processes: 1, flags: '0x1', signal: 0});
    expect(doc.pid).to.be.greaterThan(0);
    expect(doc.exit).to.deep.equal({code: 3, signal: null});
  });

  it('dies by the same signal when the restarted job is killed, and passes signals on', async () => {
    let job = await killedCheckpoint();
    let ready = path.join(path.dirname(job.out), 'ready');
    fs.rmSync(ready);
    let rs = startRestart([job.file]);
    const pid = await waitReady(rs, ready);
    expect(pid).to.not.equal(rs.child.pid);
    process.kill(pid, 'SIGTERM');
    let r = await rs.done;
    expect(r.signal, r.stderr).to.equal('SIGTERM');

    job = await killedCheckpoint();
    ready = path.join(path.dirname(job.out), 'ready');
    fs.rmSync(ready);
    rs = startRestart([job.file]);
    await waitReady(rs, ready);
    rs.child.kill('SIGUSR1');
    r = await rs.done;
    expect(r.signal, 'SIGUSR1 went to the job, which died of it; cr restart mirrors that').to.equal('SIGUSR1');
  });

  it('restarts a two-thread image through the helper\'s clone path; the helper has the context file', async () => {
    const job = await killedCheckpoint(['--threads', '1', '--exit-at', '60', '--exit-code', '5'], ['-p']);
    expect(walkContext(job.file).sections[0].threads).to.equal(2);
    const ready = path.join(path.dirname(job.out), 'ready');
    fs.rmSync(ready);
    // BLCR logs "File descriptor closed unexpectedly!" for a restart child without the context
    // file in its fd table; the test kernel notices it too, in its kernel log.
    const kmsg = path.join(kernelEnv().CR_TESTKERNEL_DIR, 'kmsg');
    const before = fs.existsSync(kmsg) ? fs.statSync(kmsg).size : 0;
    const rs = startRestart([job.file]);
    const pid = await waitReady(rs, ready);
    expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).to.match(/^Threads:\s+2$/m);
    const r = await rs.done;
    expect(r.code, r.stderr).to.equal(5);
    const logged = fs.existsSync(kmsg) ? fs.readFileSync(kmsg).subarray(before).toString() : '';
    expect(logged).to.not.include('File descriptor closed unexpectedly!');
  });

  it('EBUSY while the original still runs (exit 16, "found pid N in use"); --no-restore-pid restarts a copy', async () => {
    const prog = await startCounter(['--interval-ms', '20', '--exit-at', '1000000']);
    const file = path.join(dir, 'live.ctx');
    expect((await runCr(['checkpoint', '-f', file, String(prog.pid)])).code).to.equal(0);
    let r = await runCr(['restart', file]);
    expect(r.code).to.equal(16);
    expect(r.stderr).to.contain('Restart failed: Device or resource busy');
    expect(r.stderr).to.contain(`- found pid ${prog.pid} in use`);
    const rs = startRestart(['--no-restore-pid', file]);
    await waitReady(rs, path.join(path.dirname(prog.out), 'ready'), prog.pid);
    rs.child.kill('SIGTERM');
    r = await rs.done;
    expect(r.signal).to.equal('SIGTERM');
  });

  describe('context files are checked before the kernel is touched', () => {
    const cases: Array<[string, (b: Buffer) => Buffer, RegExp, number]> = [
      ['truncated', (b) => b.subarray(0, 20), /truncated: 20 bytes/, 5],
      ['cut short (no trailer)', (b) => b.subarray(0, b.length - 100), /trailer is missing/, 5],
      ['corrupt magic', (b) => Buffer.concat([Buffer.from('XXXXXXXX'), b.subarray(8)]), /not a BLCR context file/, 22],
      ['unsupported version', (b) => (b.writeInt32LE(7, 8), b), /unsupported context file version 7/, 22],
      ['foreign architecture', (b) => (b.writeInt32LE(7, 16), b), /written for architecture 7/, 55],
      ['another kernel', (b) => (b[b.indexOf(Buffer.from([0x56, 0x4d, 0x41, 6, 5])) + 6] ^= 0x55, b), /written by kernel \d+\.\d+, this is/, 22],
    ];
    for (const [what, mangle, reason, code] of cases) {
      it(`refuses a ${what} file with its reason and exit ${code}`, async () => {
        const job = await killedCheckpoint();
        const bad = path.join(dir, 'bad.ctx');
        fs.writeFileSync(bad, mangle(fs.readFileSync(job.file)));
        // No test kernel: a request would fail with 38; the file check answers first.
        const r = await runCr(['restart', bad], {kernel: false});
        expect(r.code, r.stderr).to.equal(code);
        expect(r.stderr).to.contain(`Restart failed: ${bad}: `);
        expect(r.stderr).to.match(reason);
      });
    }

    it('names a missing file (exit 2)', async () => {
      const r = await runCr(['restart', path.join(dir, 'nope.ctx')], {kernel: false});
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('nope.ctx: cannot open');
    });
  });

  it('refuses more than 16 --relocate pairs or relative paths before the kernel (exit 255)', async () => {
    const many = Array.from({length: 17}, (_, i) => ['--relocate', `/a${i}=/b${i}`]).flat();
    let r = await runCr(['restart', ...many, 'x.ctx'], {kernel: false});
    expect(r.code).to.equal(255);
    expect(r.stderr).to.contain('at most 16 --relocate pairs, got 17');
    r = await runCr(['restart', '--relocate', 'rel/dir=/abs', 'x.ctx'], {kernel: false});
    expect(r.code).to.equal(255);
    expect(r.stderr).to.contain('--relocate OLD to be an absolute path');
    r = await runCr(['restart', '--relocate', '/a=/b=/c', 'x.ctx'], {kernel: false});
    expect(r.code).to.equal(255);
  });

  it('--relocate maps a moved executable and working directory', async () => {
    const a = path.join(dir, 'treeA');
    const b = path.join(dir, 'treeB');
    fs.mkdirSync(a);
    fs.copyFileSync(path.join(TK_BUILD, 'counter'), path.join(a, 'counter'));
    fs.chmodSync(path.join(a, 'counter'), 0o755);
    const outDir = fs.mkdtempSync(path.join(dir, 'o-'));
    const out = path.join(outDir, 'out');
    const child = spawn(path.join(a, 'counter'), ['--interval-ms', '20', '--out', out, '--exit-at', '50', '--exit-code', '4'], {
      cwd: a,
      env: {...process.env, LD_PRELOAD: path.join(TK_BUILD, 'libcr_run.so.0'), ...kernelEnv({LD_PRELOAD: path.join(TK_BUILD, 'libcr_run.so.0')})},
      stdio: 'ignore',
    });
    await waitFor(() => lines(out).length >= 3, 5000, 'counter ticking');
    const file = path.join(dir, 'moved.ctx');
    expect((await runCr(['checkpoint', '--kill', '-f', file, String(child.pid)])).code).to.equal(0);
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, 5000, 'the killed counter');
    fs.renameSync(a, b);
    let r = await runCr(['restart', file]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('Restart failed: No such file or directory');
    expect(r.stderr).to.contain(path.join(a, 'counter'));
    r = await runCr(['restart', '--relocate', `${a}/=${b}`, file]);
    expect(r.code, r.stderr).to.equal(4);
    tryKill(child.pid!);
  });

  describe('--run-on-* hooks', () => {
    it('--run-on-success runs after the restart', async () => {
      const job = await killedCheckpoint(['--exit-at', '30']);
      const marker = path.join(dir, 'ok');
      const r = await runCr(['restart', `--run-on-success=touch ${marker}`, job.file]);
      expect(r.code, r.stderr).to.equal(0);
      expect(fs.existsSync(marker)).to.equal(true);
    });

    it('each failure class runs its hook; a non-zero hook status becomes the exit status', async () => {
      const prog = await startCounter(['--interval-ms', '20']);
      const live = path.join(dir, 'live.ctx');
      expect((await runCr(['checkpoint', '-f', live, String(prog.pid)])).code).to.equal(0);
      const hooks = (m: string) => ['--run-on-fail-args', `echo args > ${m}; exit 11`, '--run-on-fail-temp', `echo temp > ${m}; exit 12`, '--run-on-fail-env', `echo env > ${m}; exit 0`, '--run-on-fail-perm', `echo perm > ${m}; exit 14`];
      const mark = path.join(dir, 'mark');
      const read = () => fs.readFileSync(mark, 'utf8').trim();
      // temp: EBUSY (the original runs)
      let r = await runCr(['restart', ...hooks(mark), live]);
      expect([r.code, read()]).to.deep.equal([12, 'temp']);
      // env: ENOENT; the hook exits 0, so the error's own status (2) stays
      r = await runCr(['restart', ...hooks(mark), path.join(dir, 'missing.ctx')]);
      expect([r.code, read()]).to.deep.equal([2, 'env']);
      // perm: a corrupt file
      const bad = path.join(dir, 'bad.ctx');
      fs.writeFileSync(bad, Buffer.alloc(64));
      r = await runCr(['restart', ...hooks(mark), bad]);
      expect([r.code, read()]).to.deep.equal([14, 'perm']);
      // args: a relative --relocate
      r = await runCr(['restart', ...hooks(mark), '--relocate', 'x=/y', live]);
      expect([r.code, read()]).to.deep.equal([11, 'args']);
      // --run-on-failure sets them all
      r = await runCr(['restart', `--run-on-failure=echo any > ${mark}; exit 13`, live]);
      expect([r.code, read()]).to.deep.equal([13, 'any']);
    });
  });

  it('without BLCR exits 38, "Restart failed: support missing from kernel"', async () => {
    const job = await killedCheckpoint();
    const r = await runCr(['restart', job.file], {kernel: false});
    expect(r.code).to.equal(38);
    expect(r.stderr).to.contain('Restart failed: support missing from kernel');
  });
});
