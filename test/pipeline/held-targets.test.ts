// How a checkpoint holds its targets stopped until it is durable (BLCR cannot cancel a dump and
// signals the targets even after a failed one), and lets them go with the requested signal.
import {expect} from 'chai';
import {spawn} from 'node:child_process';
import {heldSignal, mustHold, releaseTargets, stoppedNow} from '../../src/pipeline/held-targets.js';
import {procState, waitFor} from '../helpers/procs.js';

function stoppedSleeper() {
  const child = spawn('sleep', ['30'], {stdio: 'ignore'});
  const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
  process.kill(child.pid!, 'SIGSTOP');
  return {pid: child.pid!, child, ended};
}

describe('held targets (destructive after-signals, --quiesce)', () => {
  it('holds for every after-signal but none and SIGCONT (early variants included)', () => {
    expect([0, 18, -18, 9, 15, 6, 19, -19, -6, 10].map(mustHold)).to.deep.equal([false, false, false, true, true, true, true, true, true, true]);
  });

  it('asks the kernel for SIGSTOP, or the early SIGSTOP for an early signal', () => {
    expect([0, 9, 15, 18, 19, -19, -6].map(heldSignal)).to.deep.equal([19, 19, 19, 19, 19, -19, -19]);
  });

  it('knows which targets were already stopped (they are never continued)', async () => {
    const a = stoppedSleeper();
    const b = spawn('sleep', ['30'], {stdio: 'ignore'});
    await waitFor(() => procState(a.pid) === 'T', 2000, 'stopped');
    expect(stoppedNow([a.pid, b.pid!, 0x7ffffff0])).to.deep.equal([a.pid]);
    a.child.kill('SIGKILL');
    b.kill('SIGKILL');
  });

  it('no signal or --cont continues them; --stop leaves them stopped', async () => {
    const a = stoppedSleeper();
    await waitFor(() => procState(a.pid) === 'T', 2000, 'stopped');
    releaseTargets([a.pid], 19);
    expect(procState(a.pid)).to.equal('T');
    releaseTargets([a.pid], 0);
    await waitFor(() => procState(a.pid) === 'S', 2000, 'running again');
    a.child.kill('SIGKILL');
  });

  it('--term: the signal is delivered (then SIGCONT so a stopped process gets it); gone targets are skipped', async () => {
    const a = stoppedSleeper();
    await waitFor(() => procState(a.pid) === 'T', 2000, 'stopped');
    releaseTargets([a.pid, 0x7ffffff0], 15);
    expect(await a.ended).to.equal('SIGTERM');
  });
});
