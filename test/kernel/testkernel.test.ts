// The test kernel itself (test/kernel/): every tkprobe scenario, then real
// checkpoints of the counter fixture through `tkprobe chkpt`, checking the
// context file, the signals, and the errors of spec §3 "Errors by operation";
// then restarts through `tkprobe rstrt` and the native helper
// (native/build/cr-rstrt-child).
import {expect} from 'chai';
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {TK_BUILD, TESTKERNEL_SO} from '../helpers/paths.js';
import {BASIC_TAGS, parseContext, type Section, TAG, TRAILER} from '../helpers/context.js';

const PROBE = path.join(TK_BUILD, 'tkprobe');
const COUNTER = path.join(TK_BUILD, 'counter');
const STUB = path.join(TK_BUILD, 'libcr_run.so.0');
const OMIT = path.join(TK_BUILD, 'libcr_omit.so.0');
const NATIVE = path.resolve(TK_BUILD, '..', '..', '..', 'native');
const HELPER = path.join(NATIVE, 'build', 'cr-rstrt-child');

const EPERM = 1;
const ESRCH = 3;
const EBUSY = 16;
const EINVAL = 22;
const ENOSPC = 28;
const ENOENT = 2;
const EIO = 5;
const CR_ETEMPFAIL = 2354;
const CR_EPERMFAIL = 2355;
const CR_ENOSUPPORT = 2356;

function record(s: Section, tag: number): Buffer {
  const r = s.records.find((x) => x.tag === tag);
  expect(r, `record ${tag}`).to.not.equal(undefined);
  return r!.data;
}

function pageByte(i: number): number {
  return (Math.imul(i, 0x9e3779b1) >>> 0) >>> 24;
}

// ---- processes ----

let tmp = '';
let tkDir = '';
let seq = 0;
const started: ChildProcess[] = [];
const startedPids = new Set<number>();

function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, CR_TESTKERNEL_DIR: tkDir, ...extra};
  delete env.CR_TESTKERNEL_RATE;
  delete env.CR_TESTKERNEL_IMAGE_SIZE;
  delete env.CR_TESTKERNEL_FAIL;
  delete env.CR_TESTKERNEL_VERSION;
  return {...env, ...extra};
}

function probeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return baseEnv({LD_PRELOAD: TESTKERNEL_SO, ...extra});
}

interface Run { status: number | null; stdout: string; stderr: string; ms: number }

function runProbe(args: string[], extra: Record<string, string> = {}, cwd?: string, wrap: string[] = []): Run {
  const t0 = Date.now();
  const cmd = wrap.length > 0 ? wrap[0] : PROBE;
  const argv = wrap.length > 0 ? [...wrap.slice(1), PROBE, ...args] : args;
  const r = spawnSync(cmd, argv, {env: probeEnv(extra), encoding: 'utf8', timeout: 30000, cwd});
  return {status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - t0};
}

function scenario(name: string, ...args: string[]): void {
  const r = runProbe([name, ...args]);
  expect(r.stdout.trim(), `${name}: ${r.stdout}${r.stderr}`).to.equal('ok');
  expect(r.status).to.equal(0);
  // The library must never print anything of its own.
  expect(r.stderr).to.equal('');
}

interface Chk { errno: number; log: string[]; out: string; ms: number }

function chkpt(args: string[], extra: Record<string, string> = {}, cwd?: string, wrap: string[] = []): Chk {
  const r = runProbe(['chkpt', ...args], extra, cwd, wrap);
  const m = /^result (0|errno (\d+))/m.exec(r.stdout);
  if (m === null) throw new Error(`tkprobe chkpt ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  expect(r.stderr).to.equal('');
  const log = r.stdout.split('\n').filter((l) => l.startsWith('log ')).map((l) => l.slice(4));
  return {errno: m[2] !== undefined ? Number(m[2]) : 0, log, out: r.stdout, ms: r.ms};
}

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Counter { proc: ChildProcess; pids: number[]; out: string; ready: string; exit: Promise<{code: number | null; signal: NodeJS.Signals | null}> }

async function startCounter(opts: {preload?: string; args?: string[]; asNobody?: boolean; dir?: string; cmd?: string; cwd?: string} = {}): Promise<Counter> {
  const n = ++seq;
  const ready = path.join(tmp, `ready.${n}`);
  const out = path.join(tmp, `out.${n}`);
  const env = baseEnv(opts.dir !== undefined ? {CR_TESTKERNEL_DIR: opts.dir} : {});
  delete env.LD_PRELOAD;
  if (opts.preload !== undefined) env.LD_PRELOAD = opts.preload;
  let cmd = opts.cmd ?? COUNTER;
  let args = ['--interval-ms', '20', '--out', out, '--ready', ready, ...(opts.args ?? [])];
  if (opts.asNobody === true) {
    args = ['--reuid=65534', '--regid=65534', '--clear-groups', cmd, ...args];
    cmd = 'setpriv';
  }
  const proc = spawn(cmd, args, {env, stdio: 'ignore', cwd: opts.cwd});
  started.push(proc);
  const exit = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((res) => {
    proc.on('exit', (code, signal) => res({code, signal}));
  });
  await waitFor(() => fs.existsSync(ready) || proc.exitCode !== null, 5000, 'the counter to be ready');
  expect(proc.exitCode, 'counter exited early').to.equal(null);
  const pids = fs.readFileSync(ready, 'utf8').trim().split('\n').map(Number);
  pids.forEach((p) => startedPids.add(p));
  // Let it count a little, so its state is not 0.
  await waitFor(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes('counter 2\n'), 5000, 'counting');
  return {proc, pids, out, ready, exit};
}

function procState(pid: number): string | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

async function waitState(pid: number, want: (s: string | null) => boolean, what: string): Promise<void> {
  await waitFor(() => want(procState(pid)), 3000, `pid ${pid} ${what} (state ${procState(pid)})`);
}

function lastCount(out: string): number {
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
  return Number(lines[lines.length - 1].split(' ')[1]);
}

function findKernelThread(): number | null {
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const flags = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[6]);
      if ((flags & 0x00200000) !== 0) return Number(e);
    } catch {
      // exited meanwhile
    }
  }
  return null;
}

function hasSetpriv(): boolean {
  return spawnSync('setpriv', ['--version'], {encoding: 'utf8'}).status === 0;
}

// ---- the tests ----

describe('test kernel (libcr_testkernel.so)', function () {
  this.timeout(30000);

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-tk-test-'));
    // Open to the uid-65534 processes of the EPERM tests.
    fs.chmodSync(tmp, 0o1777);
    tkDir = path.join(tmp, 'tkdir');
  });

  afterEach(async function () {
    for (const pid of startedPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const p of started) {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        await new Promise((res) => p.once('exit', res));
      }
    }
    started.length = 0;
    startedPids.clear();
  });

  after(function () {
    if (tmp !== '') fs.rmSync(tmp, {recursive: true, force: true});
  });

  describe('tkprobe scenarios', function () {
    for (const name of [
      'version-ok', 'version-mismatch', 'reqs-per-fd', 'pollerr-no-request', 'async-err-deferral', 'enotty',
      'hand-esrch', 'einval-ctrl-as-dest', 'target-zero-self', 'stress',
    ]) {
      it(name, function () {
        scenario(name);
      });
    }

    it('emlink', function () {
      scenario('emlink', tmp);
    });

    it('ebadf-readonly-dest', function () {
      scenario('ebadf-readonly-dest', tmp);
    });

    it('rstrt-header (EIO, EINVAL, CR_EBADARCH; ioctl or REAP with ASYNC_ERR; read at the offset)', function () {
      scenario('rstrt-header', tmp);
    });

    it('rstrt-args (EFAULT, signal, source fd, relocation limits, EAGAIN, REAP 0 for an empty image)', function () {
      scenario('rstrt-args', tmp);
    });

    for (const name of ['log-rules', 'reap-eagain', 'pollin-on-completion', 'close-continues', 'fork-shares-request']) {
      it(`${name} with a stub-preloaded counter`, async function () {
        const c = await startCounter({preload: STUB});
        scenario(name, String(c.pids[0]), path.join(tmp, `${name}.ctx`));
      });
    }

    it('ptrace (CR_EPTRACED, CR_EPTRACER and the skip/allow flags)', async function () {
      const c = await startCounter({preload: STUB});
      scenario('ptrace', String(c.pids[0]));
    });
  });

  describe('fixtures', function () {
    it('counter exits at --exit-at with --exit-code', function () {
      const r = spawnSync(COUNTER, ['--interval-ms', '5', '--exit-at', '3', '--exit-code', '7', '--out', path.join(tmp, 'exit.out')], {timeout: 10000});
      expect(r.status).to.equal(7);
      expect(fs.readFileSync(path.join(tmp, 'exit.out'), 'utf8')).to.equal('counter 1\ncounter 2\ncounter 3\n');
    });

    it('the stub installs a CR_SIGNUM handler, the bare counter does not', async function () {
      const withStub = await startCounter({preload: STUB});
      const bare = await startCounter();
      const sigcgt = (pid: number): bigint => BigInt('0x' + /SigCgt:\s*([0-9a-f]+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
      expect((sigcgt(withStub.pids[0]) >> 63n) & 1n).to.equal(1n);
      expect((sigcgt(bare.pids[0]) >> 63n) & 1n).to.equal(0n);
    });
  });

  describe('checkpoint of a counter', function () {
    it('PROC scope: header, one section, records, STATE = the counter, trailer', async function () {
      const c = await startCounter({preload: STUB});
      const pid = c.pids[0];
      const file = path.join(tmp, 'proc.ctx');
      const r = chkpt(['--pid', String(pid), '--scope', 'proc', '--file', file]);
      expect(r.errno, r.out).to.equal(0);
      expect(r.log).to.deep.equal([]);
      const buf = fs.readFileSync(file);
      expect(buf.subarray(0, 20).equals(Buffer.from([0x43, 0, 0, 0, 0x52, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0]))).to.equal(true);
      expect(buf.subarray(buf.length - 12).equals(TRAILER)).to.equal(true);
      const ctx = parseContext(buf);
      expect(ctx.trailer).to.equal(true);
      expect(ctx.sections).to.have.length(1);
      const s = ctx.sections[0];
      expect([s.numThreads, s.cloneFlags, s.tmpFd]).to.deep.equal([1, 0x410f00, -1]);
      expect(s.links[0]).to.include({tid: pid, tgid: pid, numThreads: 1, comm: 'counter'});
      const [maj, min] = os.release().split('.').map(Number);
      expect([...s.vma]).to.deep.equal([0x56, 0x4d, 0x41, 6, 5, maj, min, s.vma[7]]);
      expect(s.records.map((x) => x.tag)).to.deep.equal([...BASIC_TAGS, TAG.PAGES, TAG.END]);
      expect(record(s, TAG.EXE).toString()).to.equal(fs.realpathSync(COUNTER));
      expect(record(s, TAG.ARGV).toString().split('\0')[0]).to.equal(COUNTER);
      expect(record(s, TAG.COMM).toString()).to.equal('counter');
      expect(record(s, TAG.ENVIRON).toString()).to.include(`CR_TESTKERNEL_DIR=${tkDir}`);
      const fds = record(s, TAG.FDS).toString().trim().split('\n');
      for (const l of fds) expect(l).to.match(/^\d+ [0-7]+ \d+ \S/);
      expect(fds.some((l) => l.endsWith(` ${c.out}`)), 'the --out file among the fds').to.equal(true);
      const state = record(s, TAG.STATE);
      expect(state.length).to.equal(8);
      const value = Number(state.readBigInt64LE(0));
      expect(value).to.be.at.least(2);
      expect(value).to.be.at.most(lastCount(c.out));
      const pages = record(s, TAG.PAGES);
      expect(pages.length).to.equal(65536);
      for (let i = 0; i < pages.length; i += 997) expect(pages[i]).to.equal(pageByte(i));
    });

    it('TREE scope with --children 2: one section per process, parents first', async function () {
      const c = await startCounter({preload: STUB, args: ['--children', '2']});
      const file = path.join(tmp, 'tree.ctx');
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'tree', '--file', file]);
      expect(r.errno, r.out).to.equal(0);
      const ctx = parseContext(fs.readFileSync(file));
      expect(ctx.scope).to.equal(3);
      expect(ctx.trailer).to.equal(true);
      expect(ctx.sections.map((s) => s.links[0].tgid)).to.deep.equal(c.pids);
      for (const s of ctx.sections.slice(1)) expect(s.links[0].ppid).to.equal(c.pids[0]);
      for (const s of ctx.sections) {
        const state = record(s, TAG.STATE);
        expect(state.length).to.equal(8);
        expect(Number(state.readBigInt64LE(0))).to.be.at.least(1);
      }
    });

    it('threads: one linkage entry per thread', async function () {
      const c = await startCounter({preload: STUB, args: ['--threads', '2']});
      const file = path.join(tmp, 'threads.ctx');
      expect(chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--file', file]).errno).to.equal(0);
      const s = parseContext(fs.readFileSync(file)).sections[0];
      expect(s.numThreads).to.equal(3);
      expect(s.links[0].tid).to.equal(c.pids[0]);
      expect(new Set(s.links.map((l) => l.tid)).size).to.equal(3);
      for (const l of s.links) expect(l).to.include({tgid: c.pids[0], numThreads: 3});
    });

    it('a thread id names its process', async function () {
      const c = await startCounter({preload: STUB, args: ['--threads', '1']});
      const tids = fs.readdirSync(`/proc/${c.pids[0]}/task`).map(Number).filter((t) => t !== c.pids[0]);
      const file = path.join(tmp, 'tid.ctx');
      expect(chkpt(['--pid', String(tids[0]), '--scope', 'proc', '--file', file]).errno).to.equal(0);
      expect(parseContext(fs.readFileSync(file)).sections[0].links[0].tgid).to.equal(c.pids[0]);
    });

    it('PGRP and SESS scopes', async function () {
      const g = await startCounter({preload: STUB, args: ['--setpgid', '--children', '2']});
      const gfile = path.join(tmp, 'pgrp.ctx');
      expect(chkpt(['--pid', String(g.pids[0]), '--scope', 'pgrp', '--file', gfile]).errno).to.equal(0);
      const gctx = parseContext(fs.readFileSync(gfile));
      expect(gctx.scope).to.equal(1);
      expect(gctx.sections.map((s) => s.links[0].tgid)).to.deep.equal(g.pids);
      for (const s of gctx.sections) expect(s.links[0].pgid).to.equal(g.pids[0]);

      const s = await startCounter({preload: STUB, args: ['--setsid', '--children', '1']});
      const sfile = path.join(tmp, 'sess.ctx');
      expect(chkpt(['--pid', String(s.pids[0]), '--scope', 'sess', '--file', sfile]).errno).to.equal(0);
      const sctx = parseContext(fs.readFileSync(sfile));
      expect(sctx.sections.map((x) => x.links[0].tgid)).to.deep.equal(s.pids);
      for (const x of sctx.sections) expect(x.links[0].sid).to.equal(s.pids[0]);
    });

    it('directory and CR_DEST_CWD destinations: one context.<pid> per process', async function () {
      const c = await startCounter({preload: STUB, args: ['--children', '2']});
      const dir = fs.mkdtempSync(path.join(tmp, 'dir-'));
      expect(chkpt(['--pid', String(c.pids[0]), '--scope', 'tree', '--dir', dir]).errno).to.equal(0);
      expect(fs.readdirSync(dir).sort()).to.deep.equal(c.pids.map((p) => `context.${p}`).sort());
      for (const pid of c.pids) {
        const f = path.join(dir, `context.${pid}`);
        expect(fs.statSync(f).mode & 0o777).to.equal(0o400);
        const ctx = parseContext(fs.readFileSync(f));
        expect(ctx.trailer).to.equal(true);
        expect(ctx.sections).to.have.length(1);
        expect(ctx.sections[0].links[0].tgid).to.equal(pid);
      }
      const cwd = fs.mkdtempSync(path.join(tmp, 'cwd-'));
      expect(chkpt(['--pid', String(c.pids[1]), '--scope', 'proc', '--cwd'], {}, cwd).errno).to.equal(0);
      expect(fs.readdirSync(cwd)).to.deep.equal([`context.${c.pids[1]}`]);
    });

    it('save flags: EXEFILE and PRIVFILE records', async function () {
      const c = await startCounter({preload: STUB});
      const file = path.join(tmp, 'save.ctx');
      expect(chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--file', file, '--flags', '0x600']).errno).to.equal(0);
      const s = parseContext(fs.readFileSync(file)).sections[0];
      const exe = fs.readFileSync(COUNTER);
      expect(record(s, TAG.EXEFILE).equals(exe)).to.equal(true);
      const priv = s.records.filter((x) => x.tag === TAG.PRIVFILE).map((x) => {
        const nul = x.data.indexOf(0);
        return {path: x.data.subarray(0, nul).toString(), data: x.data.subarray(nul + 1)};
      });
      const mine = priv.find((p) => p.path === fs.realpathSync(COUNTER));
      expect(mine, 'the executable among the private mappings').to.not.equal(undefined);
      expect(mine!.data.equals(exe)).to.equal(true);
      expect(priv.some((p) => /libc\.so/.test(p.path))).to.equal(true);
      expect(s.records.some((x) => x.tag === TAG.SHAREDFILE)).to.equal(false);
    });
  });

  describe('signals after the checkpoint', function () {
    it('--stop (19) stops the target', async function () {
      const c = await startCounter({preload: STUB});
      expect(chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe', '--signal', '19']).errno).to.equal(0);
      await waitState(c.pids[0], (s) => s === 'T', 'stopped');
    });

    it('--kill (9) kills every process of the tree', async function () {
      const c = await startCounter({preload: STUB, args: ['--children', '1']});
      expect(chkpt(['--pid', String(c.pids[0]), '--scope', 'tree', '--pipe', '--signal', '9']).errno).to.equal(0);
      expect((await c.exit).signal).to.equal('SIGKILL');
      await waitState(c.pids[1], (s) => s === null || s === 'Z', 'gone');
    });

    it('--early-stop (-19) stops the target', async function () {
      const c = await startCounter({preload: STUB});
      expect(chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe', '--signal', '-19']).errno).to.equal(0);
      await waitState(c.pids[0], (s) => s === 'T', 'stopped');
    });

    it('a stopped target is dumped and stopped again; --cont leaves it running', async function () {
      const c = await startCounter({preload: STUB});
      const pid = c.pids[0];
      process.kill(pid, 'SIGSTOP');
      await waitState(pid, (s) => s === 'T', 'stopped');
      const file = path.join(tmp, 'stopped.ctx');
      expect(chkpt(['--pid', String(pid), '--scope', 'proc', '--file', file]).errno).to.equal(0);
      expect(record(parseContext(fs.readFileSync(file)).sections[0], TAG.STATE).length).to.equal(8);
      await waitState(pid, (s) => s === 'T', 'stopped again');
      expect(chkpt(['--pid', String(pid), '--scope', 'proc', '--pipe', '--signal', '18']).errno).to.equal(0);
      await sleep(100);
      expect(procState(pid)).to.be.oneOf(['S', 'R']);
    });
  });

  describe('errors', function () {
    it('EBUSY while another slow checkpoint holds the pid', async function () {
      const c = await startCounter({preload: STUB});
      const pid = c.pids[0];
      const lock = path.join(tkDir, `busy.${pid}`);
      const slow = spawn(PROBE, ['chkpt', '--pid', String(pid), '--scope', 'proc', '--pipe'], {
        env: probeEnv({CR_TESTKERNEL_RATE: '200000', CR_TESTKERNEL_IMAGE_SIZE: '300000'}),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started.push(slow);
      let slowOut = '';
      slow.stdout!.on('data', (d: Buffer) => (slowOut += d.toString()));
      const slowExit = new Promise<number | null>((res) => slow.on('exit', (code) => res(code)));
      await waitFor(() => fs.existsSync(lock), 5000, 'the busy lock');
      const r = chkpt(['--pid', String(pid), '--scope', 'proc', '--pipe']);
      expect(r.errno, r.out).to.equal(EBUSY);
      expect(r.log, 'BLCR logs nothing for EBUSY').to.deep.equal([]);
      expect(await slowExit, slowOut).to.equal(0);
      expect(slowOut).to.match(/^result 0$/m);
      expect(fs.existsSync(lock), 'lock released').to.equal(false);
      expect(chkpt(['--pid', String(pid), '--scope', 'proc', '--pipe']).errno).to.equal(0);
    });

    it('a stale busy lock (dead owner) is taken over', async function () {
      const c = await startCounter({preload: STUB});
      fs.mkdirSync(tkDir, {recursive: true});
      const lock = path.join(tkDir, `busy.${c.pids[0]}`);
      fs.writeFileSync(lock, '2147483600\n');
      fs.utimesSync(lock, new Date(Date.now() - 60000), new Date(Date.now() - 60000));
      expect(chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe']).errno).to.equal(0);
      expect(fs.existsSync(lock)).to.equal(false);
    });

    it('ESRCH for a dead pid', async function () {
      const c = await startCounter({preload: STUB, args: ['--exit-at', '3']});
      await c.exit;
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe']);
      expect(r.errno).to.equal(ESRCH);
      expect(r.log, 'BLCR logs nothing for ESRCH').to.deep.equal([]);
    });

    it('ESRCH when every target omits itself (libcr_omit), which then survives --term', async function () {
      const c = await startCounter({preload: OMIT, args: ['--children', '1']});
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'tree', '--pipe', '--signal', '15']);
      expect(r.errno, r.out).to.equal(ESRCH);
      expect(r.log, 'BLCR logs nothing for an omitted process').to.deep.equal([]);
      await sleep(200);
      for (const pid of c.pids) expect(procState(pid)).to.be.oneOf(['S', 'R']);
    });

    it('CR_ENOSUPPORT for a counter without the stub (after the 0.5 s retry)', async function () {
      const c = await startCounter();
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe']);
      expect(r.errno).to.equal(CR_ENOSUPPORT);
      expect(r.ms).to.be.at.least(450);
      expect(r.log).to.deep.equal(['Retry request on -CR_ENOSUPPORT']);
    });

    it('EPERM for another user\'s process (requester uid 65534)', async function () {
      if (process.getuid!() !== 0) this.skip(); // needs root to switch uid
      if (!hasSetpriv()) this.skip(); // needs util-linux setpriv
      const c = await startCounter({preload: STUB});
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe'], {}, undefined,
        ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
      expect(r.errno, r.out).to.equal(EPERM);
      expect(r.log).to.deep.equal([`Bad permissions to checkpoint task ${c.pids[0]}`]);
      // The same request as root (CAP_KILL) works.
      expect(chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe']).errno).to.equal(0);
    });

    it('EPERM for a non-dumpable process of the same user; root (CAP_KILL) may', async function () {
      if (process.getuid!() !== 0) this.skip(); // needs root to run the target as another uid
      if (!hasSetpriv()) this.skip(); // needs util-linux setpriv
      const c = await startCounter({preload: STUB, asNobody: true, args: ['--undumpable']});
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe'], {}, undefined,
        ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
      expect(r.errno, r.out).to.equal(EPERM);
      expect(r.log).to.deep.equal([`Bad permissions to checkpoint task ${c.pids[0]}`]);
      expect(chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe']).errno).to.equal(0);
    });

    it('EPERM for a kernel thread', function () {
      const kt = findKernelThread();
      if (kt === null) this.skip(); // no kernel thread visible (pid namespace)
      const r = chkpt(['--pid', String(kt), '--scope', 'proc', '--pipe']);
      expect(r.errno).to.equal(EPERM);
      expect(r.log, 'BLCR logs nothing for a kernel thread').to.deep.equal([]);
    });

    it('EINVAL at REAP for an unsupported dump format (after the file header)', async function () {
      const c = await startCounter({preload: STUB});
      const file = path.join(tmp, 'format.ctx');
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--file', file, '--format', '1']);
      expect(r.errno).to.equal(EINVAL);
      expect(r.log).to.deep.equal(["unrecognized dump_format '1'"]);
      expect(fs.readFileSync(file).subarray(0, 8).equals(Buffer.from([0x43, 0, 0, 0, 0x52, 0, 0, 0]))).to.equal(true);
    });

    it('without ASYNC_ERR a bad scope fails in the ioctl itself', function () {
      const r = chkpt(['--scope', '9', '--pipe', '--no-async']);
      expect(r.errno).to.equal(EINVAL);
      expect(r.log).to.deep.equal([]);
    });
  });

  describe('knobs', function () {
    it('cr_secs: nothing in the request log; "timeout detected" in the kernel log while a handler is silent', async function () {
      // A slow dump is not a timeout (BLCR clears it once the handlers answer).
      const c = await startCounter({preload: STUB});
      const kmsg = path.join(tkDir, 'kmsg');
      const before = fs.existsSync(kmsg) ? fs.readFileSync(kmsg, 'utf8') : '';
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe', '--secs', '1'],
        {CR_TESTKERNEL_RATE: '100000', CR_TESTKERNEL_IMAGE_SIZE: '150000'});
      expect(r.errno, r.out).to.equal(0);
      expect(r.log).to.deep.equal([]);
      expect(r.ms).to.be.at.least(1400);
      expect((fs.existsSync(kmsg) ? fs.readFileSync(kmsg, 'utf8') : '').slice(before.length)).to.not.include('timeout detected');
      // A stub answering into another directory is a silent target: the timeout is noticed, nothing more.
      const silent = await startCounter({preload: STUB, dir: path.join(tmp, 'elsewhere')});
      const probe = spawn(PROBE, ['chkpt', '--pid', String(silent.pids[0]), '--scope', 'proc', '--pipe', '--secs', '1'],
        {env: probeEnv(), stdio: 'ignore'});
      started.push(probe);
      await waitFor(() => fs.existsSync(kmsg) && fs.readFileSync(kmsg, 'utf8').slice(before.length).includes('blcr: chkpt_watchdog: timeout detected\n'),
        10000, 'the timeout in the kernel log');
      expect(probe.exitCode, 'the request is still pending').to.equal(null);
    });

    it('CR_TESTKERNEL_RATE paces the dump and CR_TESTKERNEL_IMAGE_SIZE sizes PAGES', async function () {
      const c = await startCounter({preload: STUB});
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe'],
        {CR_TESTKERNEL_RATE: '400000', CR_TESTKERNEL_IMAGE_SIZE: '200000'});
      expect(r.errno).to.equal(0);
      const bytes = Number(/^bytes (\d+)$/m.exec(r.out)![1]);
      expect(bytes).to.be.greaterThan(200000);
      expect(r.ms).to.be.at.least(Math.floor((bytes / 400000) * 1000) - 100);
    });

    it('CR_TESTKERNEL_FAIL=tempfail: CR_ETEMPFAIL, the target keeps running', async function () {
      const c = await startCounter({preload: STUB});
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe', '--signal', '9'], {CR_TESTKERNEL_FAIL: 'tempfail'});
      expect(r.errno).to.equal(CR_ETEMPFAIL);
      await sleep(100);
      expect(procState(c.pids[0])).to.be.oneOf(['S', 'R']);
    });

    it('CR_TESTKERNEL_FAIL=permfail: CR_EPERMFAIL, the targets are killed', async function () {
      const c = await startCounter({preload: STUB});
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--pipe'], {CR_TESTKERNEL_FAIL: 'permfail'});
      expect(r.errno).to.equal(CR_EPERMFAIL);
      expect((await c.exit).signal).to.equal('SIGKILL');
    });

    it('CR_TESTKERNEL_FAIL=write:28: ENOSPC after a partial file', async function () {
      const c = await startCounter({preload: STUB});
      const file = path.join(tmp, 'enospc.ctx');
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--file', file],
        {CR_TESTKERNEL_FAIL: 'write:28', CR_TESTKERNEL_RATE: '100000'});
      expect(r.errno).to.equal(ENOSPC);
      const buf = fs.readFileSync(file);
      expect(buf.length, 'the file header, then the first chunk').to.equal(20 + 5000);
      expect(buf.subarray(buf.length - 12).equals(TRAILER)).to.equal(false);
    });

    it('a target that never answers keeps the request pending until it exits (BLCR\'s watchdog line, ESRCH)', async function () {
      // This stub writes its acks into another directory: the kernel never sees them.
      const c = await startCounter({preload: STUB, dir: path.join(tmp, 'elsewhere')});
      const probe = spawn(PROBE, ['chkpt', '--pid', String(c.pids[0]), '--scope', 'proc', '--pipe'],
        {env: probeEnv(), stdio: ['ignore', 'pipe', 'pipe']});
      started.push(probe);
      let out = '';
      probe.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const exit = new Promise<number | null>((res) => probe.on('exit', (code) => res(code)));
      const lock = path.join(tkDir, `busy.${c.pids[0]}`);
      await waitFor(() => fs.existsSync(lock), 5000, 'the request');
      expect(probe.exitCode, 'still pending').to.equal(null);
      process.kill(c.pids[0], 'SIGTERM');
      expect(await exit, out).to.equal(1);
      expect(out).to.match(new RegExp(`^result errno ${ESRCH} `, 'm'));
      // Its wait status is known only while it is a zombie: our parent (mocha) may reap it first.
      expect(out).to.match(new RegExp(`^log chkpt_watchdog: 'counter' \\(tgid/pid ${c.pids[0]}/${c.pids[0]}\\) exited with (signal 15|code 0) during checkpoint$`, 'm'));
      expect(fs.existsSync(lock), 'lock released').to.equal(false);
    });
  });
  describe('restart (tkprobe rstrt + native/build/cr-rstrt-child)', function () {
    interface Rst { errno: number; pid: number; log: string[]; procs: string[]; helpers: string[]; restarted: string | null; out: string }

    function parseRst(stdout: string, stderr: string, args: string[]): Rst {
      const m = /^result (?:(\d+)|errno (\d+))/m.exec(stdout);
      if (m === null) throw new Error(`tkprobe rstrt ${args.join(' ')}: ${stdout}${stderr}`);
      expect(stderr, 'nothing on stderr').to.equal('');
      const lines = stdout.split('\n');
      const pick = (p: string): string[] => lines.filter((l) => l.startsWith(p)).map((l) => l.slice(p.length));
      return {
        errno: m[2] !== undefined ? Number(m[2]) : 0,
        pid: m[1] !== undefined ? Number(m[1]) : -1,
        log: pick('log '), procs: pick('procs '), helpers: pick('helper '),
        restarted: pick('restarted ')[0] ?? null, out: stdout,
      };
    }

    function rstrt(args: string[]): Rst {
      const r = runProbe(['rstrt', ...args]);
      const res = parseRst(r.stdout, r.stderr, args);
      if (res.pid > 0) startedPids.add(res.pid);
      return res;
    }

    /** A restart that keeps waiting for the restarted process (--wait). */
    function rstrtWaiting(args: string[]): {pid: Promise<number>; done: Promise<Rst>} {
      const p = spawn(PROBE, ['rstrt', '--wait', ...args], {env: probeEnv(), stdio: ['ignore', 'pipe', 'pipe']});
      started.push(p);
      let stdout = '';
      let stderr = '';
      let gotPid: (n: number) => void = () => undefined;
      const pid = new Promise<number>((res) => (gotPid = res));
      p.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /^result (\d+)$/m.exec(stdout);
        if (m !== null) {
          startedPids.add(Number(m[1]));
          gotPid(Number(m[1]));
        }
      });
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const done = new Promise<Rst>((res) => p.on('close', () => {
        gotPid(-1);
        res(parseRst(stdout, stderr, args));
      }));
      return {pid, done};
    }

    /** A stub-preloaded counter, checkpointed with --kill: the image and its saved counter. */
    async function killedImage(name: string, opts: {args?: string[]; flags?: string; cmd?: string; cwd?: string} = {}): Promise<{c: Counter; file: string; saved: number; outSize: number}> {
      const c = await startCounter({preload: STUB, args: opts.args, cmd: opts.cmd, cwd: opts.cwd});
      const file = path.join(tmp, `${name}.ctx`);
      const r = chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--file', file, '--signal', '9', ...(opts.flags !== undefined ? ['--flags', opts.flags] : [])]);
      expect(r.errno, r.out).to.equal(0);
      const e = await c.exit;
      expect(e.signal).to.equal('SIGKILL');
      const s = parseContext(fs.readFileSync(file)).sections[0];
      const saved = Number(record(s, TAG.STATE).readBigInt64LE(0));
      fs.rmSync(c.ready, {force: true});
      return {c, file, saved, outSize: fs.statSync(c.out).size};
    }

    before(function () {
      // Normally built by the project build (make -s -C native).
      const r = spawnSync('make', ['-s', '-C', NATIVE], {encoding: 'utf8'});
      expect(r.status, r.stdout + r.stderr).to.equal(0);
      expect(fs.existsSync(HELPER)).to.equal(true);
    });

    it('the helper: usage errors exit 255', function () {
      for (const args of [[], ['3'], ['3', '0', '0'], ['x', '1', '0'], ['3', '1', '0', 'extra']]) {
        expect(spawnSync(HELPER, args).status, args.join(' ')).to.equal(255);
      }
    });

    it('round trip: the counter continues from its saved value, REAP gives its pid, its exit code is mirrored', async function () {
      const img = await killedImage('rt', {args: ['--exit-at', '60', '--exit-code', '7']});
      expect(img.saved).to.be.greaterThan(1);
      const r = rstrtWaiting(['--file', img.file]);
      const pid = await r.pid;
      expect(pid).to.be.greaterThan(0);
      await waitFor(() => fs.existsSync(img.c.ready), 5000, 'the restarted counter to be ready');
      expect(Number(fs.readFileSync(img.c.ready, 'utf8').trim())).to.equal(pid);
      const res = await r.done;
      expect(res.procs).to.deep.equal(['1 0x410f00']);
      expect(res.log).to.deep.equal([]);
      expect(res.restarted).to.equal('exit 7');
      const after = fs.readFileSync(img.c.out, 'utf8').slice(img.outSize).trim().split('\n');
      expect(after[0]).to.equal(`counter ${img.saved + 1}`);
      expect(after[after.length - 1]).to.equal('counter 60');
      expect(after).to.have.length(60 - img.saved);
      // Nothing left behind in the shared directory.
      expect(fs.readdirSync(tkDir).filter((f) => f.startsWith('rstrt.'))).to.deep.equal([]);
    });

    it('a restarted counter killed by a signal: the restart sees the same signal; it can be checkpointed again', async function () {
      const img = await killedImage('sig');
      const r = rstrtWaiting(['--file', img.file]);
      const pid = await r.pid;
      await waitFor(() => fs.existsSync(img.c.ready), 5000, 'ready');
      await waitFor(() => lastCount(img.c.out) > img.saved + 1, 5000, 'counting on');
      const again = path.join(tmp, 'sig-again.ctx');
      const k = chkpt(['--pid', String(pid), '--scope', 'proc', '--file', again]);
      expect(k.errno, k.out).to.equal(0);
      const s = parseContext(fs.readFileSync(again)).sections[0];
      expect(Number(record(s, TAG.STATE).readBigInt64LE(0))).to.be.greaterThan(img.saved);
      process.kill(pid, 'SIGTERM');
      const res = await r.done;
      expect(res.restarted).to.equal('signal 15');
    });

    it('a two-thread image restarts through the helper\'s clone path', async function () {
      const img = await killedImage('thr', {args: ['--threads', '1']});
      expect(parseContext(fs.readFileSync(img.file)).sections[0].numThreads).to.equal(2);
      const r = rstrt(['--file', img.file]);
      expect(r.errno, r.out).to.equal(0);
      expect(r.procs).to.deep.equal(['2 0x410f00']);
      await waitFor(() => fs.existsSync(img.c.ready), 5000, 'ready');
      expect(/Threads:\s*(\d+)/.exec(fs.readFileSync(`/proc/${r.pid}/status`, 'utf8'))![1]).to.equal('2');
      await waitFor(() => lastCount(img.c.out) > img.saved + 2, 5000, 'counting on');
      process.kill(r.pid, 'SIGKILL');
    });

    it('a helper that clones the wrong number of tasks: EINVAL, the helper is killed (as BLCR kills a failing child)', async function () {
      const img = await killedImage('thr1', {args: ['--threads', '1']});
      const r = rstrt(['--file', img.file, '--threads', '1']);
      expect(r.errno, r.out).to.equal(EINVAL);
      expect(r.log).to.deep.equal([`pid ${img.c.pids[0]}: 1 tasks called RSTRT_CHILD, the image has 2 threads`]);
      expect(r.helpers).to.deep.equal(['signal 9']);
    });

    it('EBUSY with RESTORE_PID while the original still runs (found by the child, at REAP, even without ASYNC_ERR); fine without it', async function () {
      const c = await startCounter({preload: STUB});
      const file = path.join(tmp, 'busy-rst.ctx');
      expect(chkpt(['--pid', String(c.pids[0]), '--scope', 'proc', '--file', file]).errno).to.equal(0);
      for (const extra of [[], ['--no-async']]) {
        const r = rstrt(['--file', file, '--flags', '2', ...extra]);
        expect(r.errno, r.out).to.equal(EBUSY);
        expect(r.log).to.deep.equal([`found pid ${c.pids[0]} in use`]);
        expect(r.procs).to.deep.equal(['1 0x410f00']);
        expect(r.helpers).to.deep.equal(['signal 9']);
      }
      const ok = rstrt(['--file', file]);
      expect(ok.errno, ok.out).to.equal(0);
      expect(ok.pid).to.not.equal(c.pids[0]);
      process.kill(ok.pid, 'SIGKILL');
    });

    it('relocation: a moved executable and cwd are ENOENT, found again with --relocate', async function () {
      const a = path.join(tmp, 'relA');
      const b = path.join(tmp, 'relB');
      fs.mkdirSync(a);
      fs.copyFileSync(COUNTER, path.join(a, 'counter'));
      fs.chmodSync(path.join(a, 'counter'), 0o755);
      const img = await killedImage('rel', {cmd: path.join(a, 'counter'), cwd: a});
      fs.renameSync(a, b);
      const bad = rstrt(['--file', img.file]);
      expect(bad.errno, bad.out).to.equal(ENOENT);
      expect(bad.log).to.deep.equal([`pid ${img.c.pids[0]}: cannot find the executable ${a}/counter: No such file or directory`]);
      const r = rstrt(['--file', img.file, '--relocate', `${a}=${b}`]);
      expect(r.errno, r.out).to.equal(0);
      await waitFor(() => fs.existsSync(img.c.ready), 5000, 'ready');
      expect(fs.readlinkSync(`/proc/${r.pid}/exe`)).to.equal(path.join(b, 'counter'));
      expect(fs.readlinkSync(`/proc/${r.pid}/cwd`)).to.equal(b);
      // A prefix only matches whole path components.
      const partial = rstrt(['--file', img.file, '--relocate', `${a.slice(0, -1)}=${b}`]);
      expect(partial.errno, partial.out).to.equal(ENOENT);
      process.kill(r.pid, 'SIGKILL');
    });

    it('EXEFILE (CR_CHKPT_DUMP_EXEC): the saved executable runs when the original is gone', async function () {
      const dir = path.join(tmp, 'exeA');
      fs.mkdirSync(dir);
      fs.copyFileSync(COUNTER, path.join(dir, 'counter'));
      fs.chmodSync(path.join(dir, 'counter'), 0o755);
      const img = await killedImage('exe', {cmd: path.join(dir, 'counter'), flags: '0x200'});
      fs.rmSync(path.join(dir, 'counter'));
      const r = rstrt(['--file', img.file]);
      expect(r.errno, r.out).to.equal(0);
      await waitFor(() => fs.existsSync(img.c.ready), 5000, 'ready');
      // The saved executable is a temporary file, removed before the request completes.
      expect(fs.readlinkSync(`/proc/${r.pid}/exe`)).to.match(/\/rstrt\.\d+\.0\.exe \(deleted\)$/);
      await waitFor(() => lastCount(img.c.out) > img.saved + 2, 5000, 'counting on');
      process.kill(r.pid, 'SIGKILL');
    });

    for (const [sig, what] of [['19', 'after its exec'], ['-19', 'early (in the stub, before main)']]) {
      it(`--signal ${sig} stops the restarted process ${what}`, async function () {
        const img = await killedImage(`stop${sig}`);
        const r = rstrtWaiting(['--file', img.file, '--signal', sig]);
        const pid = await r.pid;
        await waitState(pid, (s) => s === 'T', 'stopped');
        process.kill(pid, 'SIGKILL');
        expect((await r.done).restarted).to.equal('signal 9');
      });
    }

    it('image errors at REAP: vmadump kernel version mismatch (EINVAL), truncated (EIO)', async function () {
      const img = await killedImage('vmad');
      const buf = fs.readFileSync(img.file);
      const v = buf.indexOf(Buffer.from('VMA\x06', 'latin1'));
      const bad = Buffer.from(buf);
      bad[v + 6] = (bad[v + 6] + 1) & 0xff;
      fs.writeFileSync(path.join(tmp, 'vmad-bad.ctx'), bad);
      for (const extra of [[], ['--no-async']]) {
        const r = rstrt(['--file', path.join(tmp, 'vmad-bad.ctx'), ...extra]);
        expect(r.errno, r.out).to.equal(EINVAL);
        expect(r.log[0]).to.match(/^vmadump: kernel version mismatch/);
      }
      fs.writeFileSync(path.join(tmp, 'trunc.ctx'), buf.subarray(0, buf.length - 100));
      const t = rstrt(['--file', path.join(tmp, 'trunc.ctx')]);
      expect(t.errno, t.out).to.equal(EIO);
      expect(t.log).to.deep.equal(['vfs_read returned 0', 'short read of the context file']);
    });

    it('rstrt-procs-eintr: PROCS blocks until the child called in, a signal gives EINTR, close cancels', async function () {
      const img = await killedImage('eintr');
      scenario('rstrt-procs-eintr', img.file);
    });
  });
});
