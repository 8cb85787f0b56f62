// `cr dm guard`: resumes what cr announced as suspended when its input ends without `done`.
import {expect} from 'chai';
import {Readable} from 'node:stream';
import {runGuard} from '../../src/storage/dm/guard.js';

function devices(failing: string[] = []) {
  const calls: string[] = [];
  return {
    calls,
    open: () => ({
      resume: async (name: string) => {
        calls.push(`resume ${name}`);
        if (failing.includes(name)) throw new Error('Invalid argument');
      },
      close: () => void calls.push('close'),
    }),
  };
}

const input = (text: string) => Readable.from([text]);

describe('cr dm guard', () => {
  it('resumes, newest first, what was suspending and not resumed when cr dies', async () => {
    const d = devices();
    const log: string[] = [];
    const out = await runGuard(input('suspending a\nsuspending b\nsuspending c\nresumed c\n'), (l) => log.push(l), d.open);
    expect(d.calls).to.deep.equal(['resume b', 'resume a', 'close']);
    expect(out.resumed).to.deep.equal(['b', 'a']);
    expect(log[0]).to.equal('cr dm guard: cr ended while b was suspended; resumed it');
  });

  it('touches nothing after done, or when nothing is left suspended', async () => {
    const d = devices();
    await runGuard(input('suspending a\nresumed a\ndone\n'), () => {}, d.open);
    await runGuard(input('suspending a\nsuspending b\ndone\n'), () => {}, d.open);
    await runGuard(input('suspending a\nresumed a\n'), () => {}, d.open);
    expect(d.calls).to.deep.equal([]);
  });

  it('continues the processes cr held when it dies, after resuming the devices', async () => {
    const d = devices();
    const cont: number[] = [];
    const log: string[] = [];
    const out = await runGuard(input('holding 101 102\nsuspending a\n'), (l) => log.push(l), d.open, (pid) => (cont.push(pid), pid !== 102));
    expect(d.calls).to.deep.equal(['resume a', 'close']);
    expect(cont).to.deep.equal([101, 102]);
    expect(out.continued).to.deep.equal([101]);
    expect(log.at(-1)).to.equal('cr dm guard: cr ended while holding 101 stopped; continued them');
    const none: number[] = [];
    await runGuard(input('holding 101\ndone\n'), () => {}, d.open, (pid) => (none.push(pid), true));
    expect(none).to.deep.equal([]);
  });

  it('keeps going when one resume fails, and reports it', async () => {
    const d = devices(['b']);
    const log: string[] = [];
    const out = await runGuard(input('suspending a\nsuspending b\n'), (l) => log.push(l), d.open);
    expect(d.calls).to.deep.equal(['resume b', 'resume a', 'close']);
    expect(out.failed.map((f) => [f.name, f.error.message])).to.deep.equal([['b', 'Invalid argument']]);
    expect(log).to.include('cr dm guard: cr ended while b was suspended; resume failed: Invalid argument');
  });
});
