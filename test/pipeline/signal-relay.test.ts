// Signals during a restart: held until the job is known, SIGINT/SIGTERM also cancel, then forwarded.
import {expect} from 'chai';
import {SignalRelay} from '../../src/pipeline/signal-relay.js';

function fakeJob() {
  const got: string[] = [];
  return {got, job: (sig: NodeJS.Signals) => void got.push(sig)};
}

describe('restart signal relay', () => {
  it('holds signals until the job is known, then forwards them in order', () => {
    const relay = new SignalRelay().start();
    try {
      process.emit('SIGUSR2' as any);
      process.emit('SIGHUP' as any);
      const {got, job} = fakeJob();
      expect(got).to.deep.equal([]);
      relay.forwardTo(job);
      expect(got).to.deep.equal(['SIGUSR2', 'SIGHUP']);
      process.emit('SIGUSR1' as any);
      expect(got).to.deep.equal(['SIGUSR2', 'SIGHUP', 'SIGUSR1']);
      expect(relay.abort.signal.aborted).to.equal(false);
    } finally {
      relay.stop();
    }
  });

  it('SIGTERM before the job cancels the request, and still reaches the job if it comes', () => {
    const relay = new SignalRelay().start();
    try {
      process.emit('SIGTERM' as any);
      expect(relay.abort.signal.aborted).to.equal(true);
      expect(relay.abort.signal.reason).to.equal('SIGTERM');
      const {got, job} = fakeJob();
      relay.forwardTo(job);
      expect(got).to.deep.equal(['SIGTERM']);
    } finally {
      relay.stop();
    }
    expect(process.listenerCount('SIGTERM')).to.equal(0);
  });
});
