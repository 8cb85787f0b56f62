// The quiesce sequence against recording fakes: order, confirmation, and that every failure path
// resumes every device it suspended (the kernel lane runs the same code on real device-mapper).
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {CrError} from '../../src/errors/index.js';
import {runShellCommand} from '../../src/exec/shell.js';
import type {LogEventName, WaitResponse} from '../../src/storage/dmlog/protocol.js';
import {prepareQuiesce, quiesce, QuiesceError, type QuiesceOps, type QuiescePlan} from '../../src/storage/quiesce.js';

interface Fake {
  calls: string[];
  ops: QuiesceOps;
}

function fake(opts: {suspendedAlready?: string; logs?: Record<string, string>; failSuspend?: string; failResume?: string; missing?: string; confirm?: boolean; serverDown?: boolean; commandStatus?: number; onCommand?: () => void} = {}): Fake {
  const calls: string[] = [];
  let seq = 10;
  const ops: QuiesceOps = {
    devices: {
      describe: async (name) => {
        calls.push(`lookup ${name}`);
        if (name === opts.missing) throw new CrError(`no device ${name}`, {exitCode: 6, code: 'ENXIO'});
        return {suspended: name === opts.suspendedAlready, logUuid: opts.logs?.[name] ?? null};
      },
      suspend: async (name) => {
        calls.push(`suspend ${name}`);
        if (name === opts.failSuspend) throw new CrError(`suspend ${name}: Device or resource busy`, {exitCode: 16, code: 'EBUSY'});
        seq += 2;
      },
      resume: async (name) => {
        calls.push(`resume ${name}`);
        if (name === opts.failResume) throw new CrError('Invalid argument', {exitCode: 22, code: 'EINVAL'});
        seq += 1;
      },
    },
    server: () => ({
      cursor: async () => {
        calls.push('cursor');
        if (opts.serverDown) throw new CrError('no dm-log server answers on /run/cr/dmlog.sock', {exitCode: 111, code: 'ECONNREFUSED'});
        return seq;
      },
      waitFor: async (uuids: string[], events: LogEventName[], after: number, timeoutMs: number): Promise<WaitResponse> => {
        calls.push(`wait ${events.join('+')} ${uuids.join(',')} after ${after} within ${timeoutMs}`);
        if (opts.confirm === false && events.includes('presuspend')) {
          return {ok: false, error: 'timeout', events: [], missing: uuids.map((uuid) => ({uuid, event: 'postsuspend' as const}))};
        }
        return {ok: true, events: uuids.flatMap((uuid, i) => events.map((event, j) => ({seq: after + 1 + i * events.length + j, time: '', uuid, luid: '1', event})))};
      },
    }),
    runCommand: async (command, env) => {
      calls.push(`run ${command} [${env.CR_QUIESCED_DEVICES}]`);
      opts.onCommand?.();
      return opts.commandStatus ?? 0;
    },
  };
  return {calls, ops};
}

const plan = (devices: string[], command: string | null = 'snap'): QuiescePlan => ({devices, command, timeoutMs: 5000, env: {}});

async function run(f: Fake, p: QuiescePlan, signal?: AbortSignal) {
  const devices = await prepareQuiesce(p, f.ops);
  return quiesce(p, devices, f.ops, signal);
}

async function rejection(p: Promise<unknown>): Promise<QuiesceError> {
  try {
    await p;
  } catch (error) {
    expect(error).to.be.instanceOf(QuiesceError);
    return error as QuiesceError;
  }
  throw new Error('expected a rejection');
}

describe('quiesce', () => {
  it('suspends in order, waits for the log server, runs the command, resumes in reverse', async () => {
    const f = fake({logs: {a: 'uuid-a', c: 'uuid-c'}});
    const r = await run(f, plan(['a', 'b', 'c']));
    expect(f.calls).to.deep.equal([
      'lookup a', 'lookup b', 'lookup c', 'cursor',
      'cursor', 'suspend a', 'suspend b', 'suspend c',
      'wait presuspend+postsuspend uuid-a,uuid-c after 10 within 5000',
      'run snap [a b c]',
      'cursor', 'resume c', 'resume b', 'resume a',
      'wait resume uuid-a,uuid-c after 16 within 5000',
    ]);
    expect(r.commandStatus).to.equal(0);
    expect(r.devices.map((d) => [d.name, d.logUuid, d.suspended, d.resumed])).to.deep.equal([
      ['a', 'uuid-a', true, true],
      ['b', null, true, true],
      ['c', 'uuid-c', true, true],
    ]);
  });

  it('needs no log server when no device has a userspace log', async () => {
    const f = fake({serverDown: true});
    await run(f, plan(['a'], null));
    expect(f.calls).to.deep.equal(['lookup a', 'suspend a', 'resume a']);
  });

  it('fails before suspending anything when a device or the server is missing', async () => {
    const f1 = fake({missing: 'b'});
    const e1 = await prepareQuiesce(plan(['a', 'b']), f1.ops).catch((e) => e);
    expect(e1.message).to.equal('no device b');
    expect(f1.calls.filter((c) => c.startsWith('suspend'))).to.deep.equal([]);

    const f2 = fake({logs: {a: 'u'}, serverDown: true});
    const e2 = await prepareQuiesce(plan(['a']), f2.ops).catch((e) => e);
    expect(e2.exitCode).to.equal(111);
    expect(f2.calls.filter((c) => c.startsWith('suspend'))).to.deep.equal([]);

    const e3 = await prepareQuiesce(plan(['a', 'a']), fake().ops).catch((e) => e);
    expect(e3.message).to.match(/--quiesce a is given twice/);

    const e4 = await prepareQuiesce(plan(['a', 'b']), fake({suspendedAlready: 'b'}).ops).catch((e) => e);
    expect([e4.exitCode, e4.message]).to.deep.equal([16, '--quiesce b: the device is already suspended; cr leaves it alone']);
  });

  it('a failed suspend resumes the devices already suspended and names what happened', async () => {
    const f = fake({failSuspend: 'b'});
    const e = await rejection(run(f, plan(['a', 'b', 'c'])));
    expect(f.calls.filter((c) => /^(suspend|resume|run)/.test(c))).to.deep.equal(['suspend a', 'suspend b', 'resume a']);
    expect(e.exitCode).to.equal(16);
    expect(e.message).to.match(/Quiesce failed: suspend b/);
    expect(e.details).to.deep.equal(['- suspended a', '- resumed a']);
  });

  it('an unconfirmed suspend times out (110) and resumes everything', async () => {
    const f = fake({logs: {a: 'uuid-a'}, confirm: false});
    const e = await rejection(run(f, plan(['a', 'b'])));
    expect(e.exitCode).to.equal(110);
    expect(e.message).to.match(/did not confirm the suspend within 5000 ms \(missing: postsuspend of log uuid-a\)/);
    expect(f.calls.filter((c) => /^(resume|run)/.test(c))).to.deep.equal(['resume b', 'resume a']);
  });

  it('a failing --while-quiesced command fails with its status and every device is resumed', async () => {
    const f = fake({commandStatus: 3});
    const e = await rejection(run(f, plan(['a', 'b'])));
    expect(e.exitCode).to.equal(3);
    expect(e.message).to.match(/`snap` exited with status 3/);
    expect(e.report.devices.every((d) => d.suspended && d.resumed)).to.equal(true);
    expect(f.calls.filter((c) => c.startsWith('resume'))).to.deep.equal(['resume b', 'resume a']);
  });

  it('a device that cannot be resumed does not stop the others from being resumed', async () => {
    const f = fake({failResume: 'b'});
    const e = await rejection(run(f, plan(['a', 'b', 'c'])));
    expect(e.code).to.equal('ERESUME');
    expect(e.message).to.match(/could not resume 1 device\(s\): resume b: Invalid argument/);
    expect(f.calls.filter((c) => c.startsWith('resume'))).to.deep.equal(['resume c', 'resume b', 'resume a']);
    expect(e.report.devices.map((d) => d.resumed)).to.deep.equal([true, false, true]);
  });

  it('tells the guard each device before suspending it and after resuming it', async () => {
    const f = fake({failResume: 'b'});
    const lines: string[] = [];
    f.ops.guard = {suspending: (n) => lines.push(`suspending ${n}`), resumed: (n) => lines.push(`resumed ${n}`)};
    await rejection(run(f, plan(['a', 'b'], null)));
    expect(lines).to.deep.equal(['suspending a', 'suspending b', 'resumed a']);
  });

  it('an abort (SIGTERM to cr) before the command still resumes', async () => {
    const ac = new AbortController();
    const f = fake();
    const p = plan(['a', 'b']);
    const devices = await prepareQuiesce(p, f.ops);
    const origSuspend = f.ops.devices.suspend;
    f.ops.devices.suspend = async (name) => {
      await origSuspend(name);
      if (name === 'b') ac.abort('SIGTERM');
    };
    const e = await rejection(quiesce(p, devices, f.ops, ac.signal));
    expect(e.exitCode).to.equal(128 + 15);
    expect(f.calls.filter((c) => /^(run|resume)/.test(c))).to.deep.equal(['resume b', 'resume a']);
  });

  /** Pids of `sleep MARKER` (what the command started, found by its unique argument). */
  const running = (marker: string) =>
    fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && (() => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8') === `sleep\0${marker}\0`;
      } catch {
        return false;
      }
    })());

  /** Until `file` exists and `sleep MARKER` runs (the shell forks it before the touch, but the exec
   *  may come after). */
  async function untilStarted(file: string, marker: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(file) || running(marker).length === 0) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${file} and sleep ${marker}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('SIGTERM during the --while-quiesced command: the command (and what it started) is ended and gone before any resume; exit 143', async function () {
    this.timeout(20_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-qcmd-'));
    const marker = `987.${process.pid}`;
    const f = fake();
    const atResume: string[][] = [];
    const origResume = f.ops.devices.resume;
    f.ops.devices.resume = async (name) => {
      atResume.push(running(marker));
      await origResume(name);
    };
    f.ops.runCommand = (command, env, signal) => runShellCommand(command, env, signal);
    const ac = new AbortController();
    const p = plan(['a', 'b'], `sleep ${marker} & touch ${dir}/started; wait; echo the command went on`);
    const devices = await prepareQuiesce(p, f.ops);
    const q = quiesce(p, devices, f.ops, ac.signal);
    let e: QuiesceError;
    try {
      await untilStarted(`${dir}/started`, marker);
    } finally {
      ac.abort('SIGTERM');
      e = await rejection(q);
    }
    expect(e.exitCode).to.equal(128 + 15);
    expect(e.message).to.contain('interrupted by SIGTERM');
    expect(atResume, 'nothing of the command left at either resume').to.deep.equal([[], []]);
    expect(f.calls.filter((c) => c.startsWith('resume'))).to.deep.equal(['resume b', 'resume a']);
    fs.rmSync(dir, {recursive: true, force: true});
  });

  it('a --while-quiesced command that ignores SIGTERM gets SIGKILL after the bound, and is waited for', async function () {
    this.timeout(20_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-qcmd-'));
    const marker = `986.${process.pid}`;
    const ac = new AbortController();
    const r = runShellCommand(`trap '' TERM; sleep ${marker} & touch ${dir}/started; wait`, {}, ac.signal, 300);
    try {
      await untilStarted(`${dir}/started`, marker);
    } finally {
      ac.abort('SIGTERM');
    }
    expect(await r).to.equal(128 + 9);
    expect(running(marker), 'nothing left running').to.deep.equal([]);
    fs.rmSync(dir, {recursive: true, force: true});
  });
});
