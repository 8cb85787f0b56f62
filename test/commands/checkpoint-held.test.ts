// A harmful after-signal reaches the job only once the checkpoint is durable, and a checkpoint
// that fails or is abandoned never kills the job or leaves it stopped (BLCR cannot cancel a dump
// and signals the targets even after a failed one, so cr asks for SIGSTOP and holds them).
import {expect} from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {procState, runCr, scratchDir, startCounter, waitFor} from '../helpers/procs.js';

const slow = {CR_TESTKERNEL_RATE: String(256 << 10), CR_TESTKERNEL_IMAGE_SIZE: String(2 << 20)};
const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').length : 0);

/** The job runs on: alive, not stopped, and its output grows. */
async function runsOn(prog: {pid: number; out: string}) {
  expect(procState(prog.pid), 'job alive').to.not.equal(undefined);
  const n = lines(prog.out);
  await waitFor(() => lines(prog.out) > n, 10_000, 'the job to write again');
  expect(procState(prog.pid), 'job not stopped').to.not.equal('T');
}

describe('cr checkpoint: after-signals wait for a durable checkpoint', function () {
  this.timeout(60_000);
  const scratch = scratchDir('cr-held-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  it('--kill: the file is published, then the job is killed; --json says how long it was held', async () => {
    const prog = await startCounter();
    const file = path.join(dir, 'k.ctx');
    const died = new Promise<NodeJS.Signals | null>((r) => prog.child.once('exit', (_c, s) => r(s)));
    const r = await runCr(['checkpoint', '--json', '--kill', '-f', file, String(prog.pid)]);
    expect(r.code, r.stderr).to.equal(0);
    expect(await died).to.equal('SIGKILL');
    expect(fs.statSync(file).size).to.be.greaterThan(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.signal).to.equal(9);
    expect(doc.heldMs).to.be.a('number').and.at.least(0);
  });

  it('--stop leaves the job stopped after a good checkpoint; no after-signal reports heldMs null', async () => {
    const prog = await startCounter();
    let r = await runCr(['checkpoint', '--stop', '-f', path.join(dir, 's.ctx'), String(prog.pid)]);
    expect(r.code, r.stderr).to.equal(0);
    await waitFor(() => procState(prog.pid) === 'T', 5000, 'the job to be stopped');
    process.kill(prog.pid, 'SIGCONT');
    r = await runCr(['checkpoint', '--json', '-f', path.join(dir, 'r.ctx'), String(prog.pid)]);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).heldMs).to.equal(null);
    await runsOn(prog);
  });

  it('--kill with a failure after the dump (the backup rename): the job runs on, the old file stays', async () => {
    const prog = await startCounter();
    const file = path.join(dir, 'b.ctx');
    fs.writeFileSync(file, 'previous');
    const r = await runCr(['checkpoint', '--kill', `--backup=${path.join(dir, 'no-such-dir', 'old')}`, '-f', file, String(prog.pid)]);
    expect(r.code, r.stderr).to.not.equal(0);
    expect(fs.readFileSync(file, 'utf8')).to.equal('previous');
    await runsOn(prog);
  });

  it('--kill --time 1 on a slow dump: exit 110, nothing published, the job is neither killed nor stopped', async () => {
    const prog = await startCounter();
    const file = path.join(dir, 't.ctx');
    const r = await runCr(['checkpoint', '--kill', '-t', '1', '-f', file, String(prog.pid)], {env: slow});
    expect(r.code, r.stderr).to.equal(110);
    expect(fs.existsSync(file)).to.equal(false);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
    await runsOn(prog);
  });
});
