// `cr watch` and the job lock: periodic and signal-driven checkpoints that never overlap, on the
// kernel selected by CR_TEST_KERNEL (helpers/kernel.ts).
import {expect} from 'chai';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {parseDuration} from '../../src/util/duration.js';
import {listCheckpoints} from '../../src/store/index.js';
import {itTestKernel, KERNEL, scaled} from '../helpers/kernel.js';
import {CR_BIN} from '../helpers/paths.js';
import {type CrRun, kernelEnv, procState, runCr, scratchDir, spawnCr, startCounter, waitFor} from '../helpers/procs.js';

/** Checkpoints of `dir` that are published with their manifest. */
const published = (dir: string, job?: string) => listCheckpoints(dir, job).filter((c) => fs.existsSync(`${c.file}.json`));

function startWatch(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CR_BIN, 'watch', ...args], {env: {...process.env, ...kernelEnv(), ...env}, stdio: ['ignore', 'pipe', 'pipe']});
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CrRun>((resolve) => child.on('close', (code, signal) => resolve({code, signal, stdout, stderr})));
  return {child, done, stderr: () => stderr};
}

describe(`cr watch and the job lock (${KERNEL} kernel)`, function () {
  this.timeout(scaled(40_000));
  const scratch = scratchDir('cr-watch-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  it('parses durations', () => {
    expect([parseDuration('90'), parseDuration('30s'), parseDuration('5m'), parseDuration('1h30m'), parseDuration('250ms')]).to.deep.equal([90_000, 30_000, 300_000, 5_400_000, 250]);
    for (const bad of ['', 'x', '5y', '0', '1h x']) expect(() => parseDuration(bad), bad).to.throw(/Expected a duration/);
  });

  it('--every checkpoints periodically and ends when the target ends', async () => {
    const stop = path.join(dir, 'stop');
    const prog = await startCounter(['--interval-ms', '20', '--exit-when', stop]);
    const w = startWatch([String(prog.pid), '--every', '400ms', '--dir', dir, '--job', 'w', '--keep', '10', '--json']);
    await waitFor(() => published(dir, 'w').length >= 2, 20_000, 'two periodic checkpoints');
    fs.writeFileSync(stop, '');
    const r = await w.done;
    expect(r.code, r.stderr).to.equal(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.target).to.equal(prog.pid);
    const ok = doc.checkpoints.filter((e: {ok: boolean}) => e.ok);
    expect(ok.length).to.be.at.least(2);
    expect(doc.checkpoints.every((e: {trigger: string}) => e.trigger === 'every')).to.equal(true);
    expect(listCheckpoints(dir, 'w')).to.have.length(ok.length);
    expect((await runCr(['verify', dir])).code).to.equal(0);
  });

  it('--on-signal USR1 checkpoints when the watcher receives USR1', async () => {
    const prog = await startCounter(['--interval-ms', '20']);
    const w = startWatch([String(prog.pid), '--on-signal', 'USR1', '--dir', dir, '--job', 's']);
    await waitFor(() => w.stderr().includes('watching'), 10_000, 'the watcher ready');
    await new Promise((res) => setTimeout(res, 300));
    expect(listCheckpoints(dir)).to.have.length(0);
    w.child.kill('SIGUSR1');
    await waitFor(() => published(dir).length === 1, 10_000, 'first checkpoint');
    w.child.kill('SIGUSR1');
    await waitFor(() => published(dir).length === 2, 10_000, 'second checkpoint');
    process.kill(prog.pid, 'SIGKILL');
    const r = await w.done;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr.match(/checkpoint \(SIGUSR1\): /g)).to.have.length(2);
    expect(r.stderr).to.contain(`cr watch: ended: process ${prog.pid} ended`);
  });

  itTestKernel('every checkpoint failing: ends after 3 in a row, says why, exits with the failure status (50)', 'CR_TESTKERNEL_FAIL', async () => {
    const prog = await startCounter(['--interval-ms', '20']);
    const w = startWatch([String(prog.pid), '--every', '100ms', '--dir', dir, '--job', 'f'], {CR_TESTKERNEL_FAIL: 'tempfail'});
    const r = await w.done;
    expect(r.code, r.stderr).to.equal(50);
    expect(r.stderr.match(/checkpoint \(every\) failed/g)).to.have.length(3);
    expect(r.stderr).to.match(/cr watch: ended: 3 checkpoints in a row failed; the last checkpoint failed: /);
    expect(procState(prog.pid), 'the job runs on').to.be.oneOf(['R', 'S']);
  });

  itTestKernel('the job ends after a failed checkpoint: exits with that failure status and says the job ended', 'CR_TESTKERNEL_FAIL', async () => {
    const prog = await startCounter(['--interval-ms', '20']);
    const w = startWatch([String(prog.pid), '--on-signal', 'USR1', '--dir', dir, '--job', 'g'], {CR_TESTKERNEL_FAIL: 'tempfail'});
    await waitFor(() => w.stderr().includes('watching'), 10_000, 'the watcher ready');
    w.child.kill('SIGUSR1');
    await waitFor(() => w.stderr().includes('failed'), 10_000, 'a failed checkpoint');
    process.kill(prog.pid, 'SIGKILL');
    const r = await w.done;
    expect(r.code, r.stderr).to.equal(50);
    expect(r.stderr).to.contain(`cr watch: ended: process ${prog.pid} ended; the last checkpoint failed: `);
  });

  itTestKernel('refuses a second checkpoint of a job while one is in progress (16), naming the holder', 'a dump slowed by CR_TESTKERNEL_RATE', async () => {
    const prog = await startCounter();
    const slow = spawnCr(['checkpoint', '-d', dir, '--job', 'L', String(prog.pid)], {CR_TESTKERNEL_RATE: String(256 << 10), CR_TESTKERNEL_IMAGE_SIZE: String(2 << 20)});
    await waitFor(() => fs.readdirSync(dir).some((n) => n.endsWith('.cr-tmp')), 10_000, 'first checkpoint dumping');
    const r = await runCr(['checkpoint', '-d', dir, '--job', 'L', String(prog.pid)]);
    expect(r.code).to.equal(16);
    expect(r.stderr).to.contain(`another checkpoint of job L is in progress (pid ${slow.pid} on`);
    await new Promise((res) => slow.once('close', res));
    expect(listCheckpoints(dir, 'L')).to.have.length(1);
  });

  itTestKernel('a lock left by a killed cr does not block the next checkpoint', 'a dump slowed by CR_TESTKERNEL_RATE', async () => {
    const prog = await startCounter();
    const slow = spawnCr(['checkpoint', '-d', dir, '--job', 'K', String(prog.pid)], {CR_TESTKERNEL_RATE: String(256 << 10), CR_TESTKERNEL_IMAGE_SIZE: String(2 << 20)});
    await waitFor(() => fs.readdirSync(dir).some((n) => n.endsWith('.cr-tmp')), 10_000, 'dumping');
    slow.kill('SIGKILL');
    await new Promise((res) => slow.once('close', res));
    expect(fs.existsSync(path.join(dir, '.cr-lock.K'))).to.equal(true);
    const r = await runCr(['checkpoint', '-d', dir, '--job', 'K', String(prog.pid)]);
    expect(r.code, r.stderr).to.equal(0);
  });

  it('usage: needs --every or --on-signal; a bad duration or signal is refused (255)', async () => {
    for (const argv of [['1', '--dir', dir], ['1', '--dir', dir, '--every', '5y'], ['1', '--dir', dir, '--on-signal', 'NOPE']]) {
      const r = await runCr(['watch', ...argv]);
      expect(r.code, argv.join(' ')).to.equal(255);
    }
  });
});
