// `cr restart` end to end on the kernel selected by CR_TEST_KERNEL (helpers/kernel.ts): round trip,
// exit mirroring, signals, threads, bad files refused before the kernel, EBUSY, relocation, hooks.
// The restarted counter is found as cr restart's descendant named `counter` (BLCR gives it its old
// pid back, the test kernel the helper's); the job is ended with --exit-when's file, never by time.
import {expect} from 'chai';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {contextFrame} from '../helpers/context-frame.js';
import {itTestKernel, KERNEL, ON_BLCR, scaled} from '../helpers/kernel.js';
import {CR_BIN} from '../helpers/paths.js';
import {COUNTER, descendants, kernelEnv, procState, runCr, scratchDir, startCounter, targetEnv, tryKill, waitFor, type CrRun} from '../helpers/procs.js';

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1])) : []);

/** The counter's log is 1, 2, ... N with nothing lost or repeated (across any checkpoint and restart). */
function expectCounted(out: string, atLeast: number): void {
  const got = lines(out);
  expect(got.length, `${out}: lines`).to.be.at.least(atLeast);
  expect(got, `${out}: counted on with no gap or repeat`).to.deep.equal(Array.from({length: got.length}, (_, i) => i + 1));
}

const gone = (pid: number) => procState(pid) === undefined || procState(pid) === 'Z';

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
  return {child, done, stderr: () => stderr};
}

/** The restarted counter's pid, once cr restart has reaped the request (from then on signals to cr
 *  go to the job). On failure, says what cr restart printed. */
async function waitRestarted(rs: ReturnType<typeof startRestart>): Promise<number> {
  const counter = () => descendants(rs.child.pid!).find((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'counter';
    } catch {
      return false;
    }
  });
  try {
    await waitFor(() => /^✔ Reap$/m.test(rs.stderr()) && counter() !== undefined, 10_000, 'the restarted counter');
  } catch (error) {
    rs.child.kill('SIGKILL');
    const r = await rs.done;
    throw new Error(`${(error as Error).message}; cr restart exited ${r.code ?? r.signal}: ${r.stderr}`);
  }
  return counter()!;
}

describe(`cr restart (${KERNEL} kernel)`, function () {
  this.timeout(scaled(40_000));
  const scratch = scratchDir('cr-rst-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  /** A counter checkpointed with --kill once it has counted; it exits with `code` at the first
   *  tick after `stop` appears. Returns the file, the counter's log and `stop`. */
  async function killedCheckpoint(code = 0, counterArgs: string[] = [], ckptArgs: string[] = [], where = dir) {
    const stop = path.join(where, `stop.${Math.random().toString(36).slice(2)}`);
    const prog = await startCounter(['--interval-ms', '20', '--exit-when', stop, '--exit-code', String(code), ...counterArgs]);
    await waitFor(() => lines(prog.out).length >= 3, 5000, 'counter ticking');
    const file = path.join(where, `job.${prog.pid}.ctx`);
    const r = await runCr(['checkpoint', '--kill', '-f', file, ...ckptArgs, String(prog.pid)]);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(() => prog.child.signalCode !== null, 5000, 'the counter killed');
    return {file, out: prog.out, pid: prog.pid, stop};
  }

  it('round trip: cr run -- counter, cr checkpoint --kill, cr restart: the counter counts on and cr restart exits with its status (7)', async () => {
    const out = path.join(dir, 'out');
    const stop = path.join(dir, 'stop');
    const run = spawn(process.execPath, [CR_BIN, 'run', '--', COUNTER, '--interval-ms', '20', '--out', out, '--exit-when', stop, '--exit-code', '7'], {
      env: {...process.env, ...targetEnv('none')},
      stdio: 'ignore',
    });
    await waitFor(() => lines(out).length >= 3, 5000, 'counter ticking under cr run');
    const file = path.join(dir, 'job.ctx');
    const r = await runCr(['checkpoint', '--kill', '-f', file, String(run.pid)]);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(() => run.signalCode !== null, 5000, 'the counter killed');
    expect(run.signalCode).to.equal('SIGKILL');
    const before = lines(out).length;
    const rs = startRestart([file]);
    const pid = await waitRestarted(rs);
    if (ON_BLCR) expect(pid, 'BLCR restores the pid').to.equal(run.pid);
    await waitFor(() => lines(out).length >= before + 3, 5000, 'the restarted counter counting');
    fs.writeFileSync(stop, '');
    const end = await rs.done;
    expect(end.code, end.stderr).to.equal(7);
    expectCounted(out, before + 3);
  });

  it('--json reports the restarted pid and how the job ended', async () => {
    const job = await killedCheckpoint(3);
    fs.writeFileSync(job.stop, ''); // the restarted counter ends at its first tick
    const r = await runCr(['restart', '--json', '--no-restore-pid', '-f', job.file]);
    expect(r.code, r.stderr).to.equal(3);
    const doc = JSON.parse(r.stdout);
    expect(doc).to.include({file: job.file, processes: 1, flags: '0x1', signal: 0});
    expect(doc.pid).to.be.greaterThan(0);
    expect(doc.exit).to.deep.equal({code: 3, signal: null});
  });

  it('mirrors the job\'s death by SIGKILL, and passes SIGTERM and SIGUSR1 on to the job, dying of them as it does', async () => {
    const job = await killedCheckpoint();
    // One image, restarted three times (each time the job's pid is free again).
    let rs = startRestart([job.file]);
    let pid = await waitRestarted(rs);
    expect(pid).to.not.equal(rs.child.pid);
    process.kill(pid, 'SIGKILL');
    let r = await rs.done;
    expect(r.signal, r.stderr).to.equal('SIGKILL');

    for (const sig of ['SIGTERM', 'SIGUSR1'] as const) {
      await waitFor(() => gone(pid), 5000, 'the previous job gone');
      rs = startRestart([job.file]);
      pid = await waitRestarted(rs);
      rs.child.kill(sig);
      r = await rs.done;
      expect(r.signal, `${sig} went to the job, which died of it; cr restart mirrors that: ${r.stderr}`).to.equal(sig);
      // Had cr itself died of the signal, the job would run on as an orphan.
      await waitFor(() => gone(pid), 5000, `the job ended by ${sig}`);
    }
  });

  it('restarts a two-thread image through the helper\'s clone path; the helper has the context file', async () => {
    const job = await killedCheckpoint(5, ['--threads', '1'], ['-p']);
    expect(contextFrame(job.file).firstThreads).to.equal(2);
    // BLCR logs "File descriptor closed unexpectedly!" for a restart child without the context
    // file in its fd table; the test kernel notices it too, in its kernel log (on BLCR the lane
    // reads dmesg).
    const kdir = kernelEnv().CR_TESTKERNEL_DIR;
    const kmsg = kdir ? path.join(kdir, 'kmsg') : '';
    const before = kmsg && fs.existsSync(kmsg) ? fs.statSync(kmsg).size : 0;
    const rs = startRestart([job.file]);
    const pid = await waitRestarted(rs);
    await waitFor(() => /^Threads:\s+2$/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')), 5000, 'two threads');
    fs.writeFileSync(job.stop, '');
    const r = await rs.done;
    expect(r.code, r.stderr).to.equal(5);
    const logged = kmsg && fs.existsSync(kmsg) ? fs.readFileSync(kmsg).subarray(before).toString() : '';
    expect(logged).to.not.include('File descriptor closed unexpectedly!');
  });

  it('EBUSY while the original still runs (exit 16, "found pid N in use"); --no-restore-pid restarts a copy', async () => {
    const stop = path.join(dir, 'stop');
    const prog = await startCounter(['--interval-ms', '20', '--exit-when', stop]);
    const file = path.join(dir, 'live.ctx');
    expect((await runCr(['checkpoint', '-f', file, String(prog.pid)])).code).to.equal(0);
    let r = await runCr(['restart', file]);
    expect(r.code).to.equal(16);
    expect(r.stderr).to.contain('Restart failed: Device or resource busy');
    expect(r.stderr).to.contain(`- found pid ${prog.pid} in use`);
    const rs = startRestart(['--no-restore-pid', file]);
    const copy = await waitRestarted(rs);
    expect(copy).to.not.equal(prog.pid);
    rs.child.kill('SIGTERM');
    r = await rs.done;
    expect(r.signal).to.equal('SIGTERM');
    expect(procState(prog.pid), 'the original runs on').to.match(/[RS]/);
  });

  describe('context files are checked before the kernel is touched', () => {
    // One image for all the cases, made once.
    let where: string;
    let image: string;
    before(async function () {
      this.timeout(scaled(40_000));
      where = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-rst-files-'));
      image = (await killedCheckpoint(0, [], [], where)).file;
    });
    after(() => fs.rmSync(where, {recursive: true, force: true}));

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
        const bad = path.join(dir, 'bad.ctx');
        fs.writeFileSync(bad, mangle(fs.readFileSync(image)));
        // With the test kernel: none preloaded, so a request would fail with 38; the check answers first.
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
    fs.copyFileSync(COUNTER, path.join(a, 'counter'));
    fs.chmodSync(path.join(a, 'counter'), 0o755);
    const stop = path.join(dir, 'stop');
    const prog = await startCounter(['--interval-ms', '20', '--exit-when', stop, '--exit-code', '4'], {exe: path.join(a, 'counter'), cwd: a});
    await waitFor(() => lines(prog.out).length >= 3, 5000, 'counter ticking');
    const file = path.join(dir, 'moved.ctx');
    expect((await runCr(['checkpoint', '--kill', '-f', file, String(prog.pid)])).code).to.equal(0);
    await waitFor(() => prog.child.signalCode !== null, 5000, 'the killed counter');
    fs.renameSync(a, b);
    let r = await runCr(['restart', file]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('Restart failed: No such file or directory');
    expect(r.stderr).to.contain(path.join(a, 'counter'));
    fs.writeFileSync(stop, '');
    r = await runCr(['restart', '--relocate', `${a}/=${b}`, file]);
    expect(r.code, r.stderr).to.equal(4);
  });

  describe('--run-on-* hooks', () => {
    it('--run-on-success runs after the restart', async () => {
      const job = await killedCheckpoint();
      fs.writeFileSync(job.stop, '');
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
      tryKill(prog.pid);
    });
  });

  itTestKernel('without BLCR exits 38, "Restart failed: support missing from kernel"', 'needs /proc/checkpoint/ctrl absent', async () => {
    const job = await killedCheckpoint();
    const r = await runCr(['restart', job.file], {kernel: false});
    expect(r.code).to.equal(38);
    expect(r.stderr).to.contain('Restart failed: support missing from kernel');
  });
});
