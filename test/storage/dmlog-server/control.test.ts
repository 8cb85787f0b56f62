// The control socket of cr dmlog serve (status, wait with a cursor, timeouts, bad requests, mode
// 0600), cr dmlog status, shutdown on SIGTERM, and refusing a second server.
import {expect} from 'chai';
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {ControlClient} from '../../../src/storage/dmlog/control-client.js';
import {UlogType as T} from '../../../src/storage/dmlog/protocol.js';
import {canServe, startServe, type ServeProcess} from '../../helpers/dmlog-serve.js';
import {runCr} from '../../helpers/procs.js';
import {StandinKernel} from '../../helpers/standin-kernel.js';

/** Send raw lines to a control socket and collect `n` answer lines. */
function rawExchange(socketPath: string, text: string, n: number): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socketPath);
    let buf = '';
    c.setEncoding('utf8');
    c.on('connect', () => c.write(text));
    c.on('data', (d: string) => {
      buf += d;
      const lines = buf.split('\n').filter(Boolean);
      if (lines.length >= n) {
        c.destroy();
        resolve(lines.map((l) => JSON.parse(l)));
      }
    });
    c.on('error', reject);
    setTimeout(() => reject(new Error(`no ${n} answers: ${buf}`)), 5000);
  });
}

describe('cr dmlog serve: control socket and lifecycle', function () {
  this.timeout(60_000);
  let dir: string;
  let sock: string;
  let kernel: StandinKernel;
  let serve: ServeProcess | undefined;
  let client: ControlClient;

  before(function () {
    if (!canServe) this.skip(); // multicasting to connector group 7 needs root (CAP_NET_ADMIN)
  });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-dmlog-ctl-'));
    sock = path.join(dir, 'run', 'cr', 'dmlog.sock');
    kernel = new StandinKernel();
    serve = await startServe({socket: sock, peerPort: kernel.port});
    client = new ControlClient(sock);
  });
  afterEach(async () => {
    await serve?.stop();
    await kernel.close();
    fs.rmSync(dir, {recursive: true, force: true});
  });

  const req = async (type: number, uuid: string, luid = 1n, data?: string) => {
    const r = await kernel.request({type, uuid, luid, data});
    expect(r.error, `request ${type} ${uuid}`).to.equal(0);
  };

  it('creates the socket 0600 in a new 0700 directory and reports status', async () => {
    expect(fs.statSync(sock).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(sock).isSocket()).to.equal(true);
    expect(fs.statSync(path.dirname(sock)).mode & 0o777).to.equal(0o700);
    await req(T.CTR, 'LVM-st-1', 1n, '8192 clustered-core 1024');
    const st = await client.status();
    expect(st.ok).to.equal(true);
    expect(st.server).to.include({pid: serve!.child.pid, socket: sock, requests: 1, errors: 0, eventSeq: 1, port: serve!.port, peerPort: kernel.port});
    expect(st.logs).to.have.length(1);
    expect(st.logs[0]).to.include({uuid: 'LVM-st-1', luid: '1', type: 'clustered-core', state: 'pending', regionCount: 8});

    const human = await runCr(['dmlog', 'status', '--socket', sock], {kernel: false});
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/UUID\s+LUID\s+TYPE\s+STATE\s+IN-SYNC\s+DIRTY\s+DEVICE/);
    expect(human.stdout).to.match(/LVM-st-1\s+1\s+clustered-core\s+pending\s+0\/8\s+\d+\s+-/);
  });

  it('answers wait once presuspend and postsuspend happened after the cursor, including events before the wait arrived', async () => {
    await req(T.CTR, 'LVM-w-A', 1n, '8192 clustered-core 1024');
    await req(T.CTR, 'LVM-w-B', 2n, '8192 clustered-core 1024');
    await req(T.RESUME, 'LVM-w-A', 1n);
    await req(T.RESUME, 'LVM-w-B', 2n);
    const cursor = (await client.status()).server.eventSeq;
    expect(cursor).to.equal(4);
    // A suspends before the wait arrives; B after.
    await req(T.PRESUSPEND, 'LVM-w-A', 1n);
    await req(T.POSTSUSPEND, 'LVM-w-A', 1n);
    const waiting = client.waitFor({uuids: ['LVM-w-A', 'LVM-w-B'], events: ['presuspend', 'postsuspend'], after: cursor, timeoutMs: 10_000});
    let answered = false;
    void waiting.then(() => (answered = true));
    await req(T.PRESUSPEND, 'LVM-w-B', 2n);
    await new Promise((r) => setTimeout(r, 100));
    expect(answered, 'B has not finished suspending').to.equal(false);
    await req(T.POSTSUSPEND, 'LVM-w-B', 2n);
    const w = await waiting;
    expect(w.ok).to.equal(true);
    expect(w.events.map((e) => `${e.seq} ${e.uuid} ${e.event}`)).to.deep.equal(['5 LVM-w-A presuspend', '6 LVM-w-A postsuspend', '7 LVM-w-B presuspend', '8 LVM-w-B postsuspend']);
    expect(w.events[0]).to.include({luid: '1'});
    expect(Date.parse(w.events[0].time)).to.be.a('number').and.not.NaN;
    // Events at or before the cursor do not count.
    const late = await client.waitFor({uuids: ['LVM-w-A'], events: ['presuspend'], after: 8, timeoutMs: 200});
    expect(late).to.deep.equal({ok: false, error: 'timeout', events: [], missing: [{uuid: 'LVM-w-A', event: 'presuspend'}]});
  });

  it('times out a wait listing what is missing', async () => {
    await req(T.CTR, 'LVM-t-1', 1n, '8192 clustered-core 1024');
    await req(T.RESUME, 'LVM-t-1', 1n);
    const cursor = (await client.status()).server.eventSeq;
    await req(T.PRESUSPEND, 'LVM-t-1', 1n);
    const t0 = Date.now();
    const w = await client.waitFor({uuids: ['LVM-t-1', 'LVM-t-none'], events: ['presuspend', 'postsuspend'], after: cursor, timeoutMs: 300});
    expect(Date.now() - t0).to.be.within(250, 3000);
    expect(w.ok).to.equal(false);
    if (w.ok) return;
    expect(w.error).to.equal('timeout');
    expect(w.events.map((e) => `${e.uuid} ${e.event}`)).to.deep.equal(['LVM-t-1 presuspend']);
    expect(w.missing).to.deep.equal([
      {uuid: 'LVM-t-1', event: 'postsuspend'},
      {uuid: 'LVM-t-none', event: 'presuspend'},
      {uuid: 'LVM-t-none', event: 'postsuspend'},
    ]);
  });

  it('answers bad requests with {ok:false, error} and keeps the connection', async () => {
    const answers = await rawExchange(
      sock,
      ['not json', '[1]', '{"op":"explode"}', '{"op":"wait","uuids":[],"events":["presuspend"],"after":0,"timeoutMs":10}',
        '{"op":"wait","uuids":["a"],"events":["sleep"],"after":0,"timeoutMs":10}', '{"op":"wait","uuids":["a"],"events":["ctr"],"after":-1,"timeoutMs":10}',
        '{"op":"wait","uuids":["a"],"events":["ctr"],"after":0,"timeoutMs":"soon"}', '{"op":"status"}'].join('\n') + '\n',
      8,
    );
    expect(answers.slice(0, 7).map((a) => a.ok)).to.deep.equal([false, false, false, false, false, false, false]);
    expect(answers[0].error).to.match(/not valid JSON/);
    expect(answers[1].error).to.match(/JSON object/);
    expect(answers[2].error).to.match(/unknown op "explode"/);
    expect(answers[3].error).to.match(/uuids/);
    expect(answers[4].error).to.match(/events/);
    expect(answers[5].error).to.match(/after/);
    expect(answers[6].error).to.match(/timeoutMs/);
    expect(answers[7]).to.include({ok: true});
  });

  it('stops on SIGTERM: exit 0, a summary line, the socket removed', async () => {
    await req(T.CTR, 'LVM-term', 1n, '8192 clustered-core 1024');
    const r = await serve!.stop('SIGTERM');
    serve = undefined;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/cr dmlog: stopped after [\d.]+ s: 1 requests, 0 errors, 0 ignored/);
    expect(fs.existsSync(sock)).to.equal(false);
    const st = await runCr(['dmlog', 'status', '--socket', sock], {kernel: false});
    expect(st.code).to.equal(2); // ENOENT
    expect(st.stderr).to.include(`no cr dmlog serve answers on ${sock}`);
  });

  it('stops on SIGINT too', async () => {
    const r = await serve!.stop('SIGINT');
    serve = undefined;
    expect(r.code, r.stderr).to.equal(0);
    expect(fs.existsSync(sock)).to.equal(false);
  });

  it('refuses a second server on the same socket, and replaces a stale socket file', async () => {
    const second = await runCr(['dmlog', 'serve', '--socket', sock], {kernel: false, timeoutMs: 10_000});
    expect(second.code).to.equal(98); // EADDRINUSE
    expect(second.stderr).to.match(new RegExp(`another cr dmlog serve \\(pid ${serve!.child.pid}, netlink port ${serve!.port}\\) is answering on ${sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect((await client.status()).ok, 'the first one still serves').to.equal(true);
    // Killed without cleanup: the file stays, nobody answers; a new server takes it over.
    await serve!.stop('SIGKILL');
    expect(fs.existsSync(sock)).to.equal(true);
    serve = await startServe({socket: sock, peerPort: kernel.port});
    expect((await client.status()).server.pid).to.equal(serve.child.pid);
  });
});

describe('cr dmlog status without a server', () => {
  it('fails naming the socket: ENOENT exit 2, ECONNREFUSED exit 111, --json error document', async function () {
    this.timeout(30_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-dmlog-none-'));
    try {
      const sock = path.join(dir, 'none.sock');
      const r = await runCr(['dmlog', 'status', '--socket', sock], {kernel: false});
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include(`no cr dmlog serve answers on ${sock} (no such socket)`);
      const j = await runCr(['dmlog', 'status', '--json', '--socket', sock], {kernel: false});
      expect(j.code).to.equal(2);
      expect(JSON.parse(j.stdout).error).to.include({code: 'ENOENT', exitCode: 2});
      // A socket file nobody listens on: the leftover of a listener killed with SIGKILL.
      spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      expect(fs.statSync(sock).isSocket()).to.equal(true);
      const e = await runCr(['dmlog', 'status', '--socket', sock], {kernel: false});
      expect(e.code).to.equal(111);
      expect(e.stderr).to.include('connection refused');
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });

  it('rejects a --socket path too long for a Unix socket, naming the flag', async function () {
    this.timeout(30_000);
    const r = await runCr(['dmlog', 'status', '--socket', `/tmp/${'x'.repeat(120)}.sock`], {kernel: false});
    expect(r.code).to.equal(255);
    expect(r.stderr).to.match(/--socket: .* holds at most 107/);
  });
});
