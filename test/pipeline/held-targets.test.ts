// How a quiesced checkpoint lets its held (stopped) targets go: with the requested signal.
import {expect} from 'chai';
import {spawn} from 'node:child_process';
import {heldSignal, releaseTargets} from '../../src/pipeline/held-targets.js';
import {procState, waitFor} from '../helpers/procs.js';

function stoppedSleeper() {
  const child = spawn('sleep', ['30'], {stdio: 'ignore'});
  const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
  process.kill(child.pid!, 'SIGSTOP');
  return {pid: child.pid!, child, ended};
}

describe('held targets (--quiesce)', () => {
  it('asks the kernel for SIGSTOP, or the early SIGSTOP when that was asked', () => {
    expect([0, 9, 15, 18, 19, -19].map(heldSignal)).to.deep.equal([19, 19, 19, 19, 19, -19]);
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
