// cr dmlog serve through a real netlink connector socket: a stand-in kernel multicasts requests to
// group 7 exactly as the kernel does and checks every reply's bytes (spec A2, A5, B3).
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {CN, NL, ULOG, ULOG_AT, ULOG_HEADER_BYTES} from '../../../src/abi/index.js';
import {ControlClient} from '../../../src/storage/dmlog/control-client.js';
import {UlogType as T} from '../../../src/storage/dmlog/protocol.js';
import {canServe, startServe, type ServeProcess} from '../../helpers/dmlog-serve.js';
import {buildRequest, StandinKernel, type Reply} from '../../helpers/standin-kernel.js';

const EINVAL = 22;
const ESRCH = 3;
const u64 = (...v: (number | bigint)[]) => Buffer.concat(v.map((x) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(x));
  return b;
}));
const s64 = (b: Buffer | undefined, at = 0) => Number(b!.readBigInt64LE(at));

/** A full reply's shape: header echoed, error, exact size. */
function expectFull(r: Reply, f: {seq: number; type: number; uuid: string; luid: bigint; error?: number; dataSize?: number; version?: number}, port: number) {
  expect(r.cnLen, 'cn_msg len').to.equal(160 + (r.dataSize ?? 0));
  expect(r.length, 'datagram length').to.equal(ULOG_HEADER_BYTES + (r.dataSize ?? 0));
  expect(r.nlmsgLen).to.equal(r.length);
  expect([r.nlmsgType, r.nlmsgPid, r.cnIdx, r.cnVal, r.ack]).to.deep.equal([3, port, 7, 1, 0]);
  expect(r.cnSeq, 'cn seq echoed').to.equal(f.seq);
  expect([r.seq, r.requestType, r.uuid, r.luid, r.version]).to.deep.equal([f.seq, f.type, f.uuid, f.luid, f.version ?? 3]);
  expect(r.error, 'error').to.equal(f.error ?? 0);
  if (f.dataSize !== undefined) expect(r.dataSize, 'data_size').to.equal(f.dataSize);
}

describe('cr dmlog serve: transport through a real connector socket', function () {
  this.timeout(60_000);
  let dir: string;
  let kernel: StandinKernel;
  let serve: ServeProcess;
  let client: ControlClient;

  before(function () {
    if (!canServe) this.skip(); // multicasting to connector group 7 needs root (CAP_NET_ADMIN)
  });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-dmlog-'));
    kernel = new StandinKernel();
    serve = await startServe({socket: path.join(dir, 'ctl.sock'), peerPort: kernel.port});
    client = new ControlClient(path.join(dir, 'ctl.sock'));
  });
  afterEach(async () => {
    const r = await serve?.stop();
    await kernel?.close();
    fs.rmSync(dir, {recursive: true, force: true});
    expect(r?.code, `server exit; stderr: ${r?.stderr}`).to.equal(0);
  });

  /** Send one request and check the common reply shape; returns the reply. */
  async function ask(type: number, uuid: string, luid: bigint, data?: Buffer | string, error = 0): Promise<Reply> {
    const seq = kernel.nextSeq;
    const r = await kernel.request({type, uuid, luid, data});
    expectFull(r, {seq, type, uuid, luid, error}, serve.port);
    return r;
  }

  it('answers all 17 request types of a core log through its life, to full sync, with exact sizes', async () => {
    const u = 'LVM-core-0001';
    const l = 0xffff888812345678n;
    // 8192 sectors in 1024-sector regions: 8 regions. The kernel's first CTR has no NUL (its reconnect CTR does).
    expect((await ask(T.CTR, u, l, '8192 clustered-core 1024')).dataSize).to.equal(0);
    const rs = await ask(T.GET_REGION_SIZE, u, l);
    expect([rs.dataSize, Number(rs.data!.readBigUInt64LE(0))]).to.deep.equal([8, 1024]);
    expect((await ask(T.RESUME, u, l)).dataSize).to.equal(0);
    const rr = await ask(T.IS_REMOTE_RECOVERING, u, l, u64(3));
    // One node: nobody else recovers; the hint is the first region not in sync.
    expect([rr.dataSize, s64(rr.data), s64(rr.data, 8)]).to.deep.equal([16, 0, 0]);
    const insync = await ask(T.IN_SYNC, u, l, u64(3));
    expect([insync.dataSize, s64(insync.data)]).to.deep.equal([8, 0]);
    expect((await ask(T.IN_SYNC, u, l, u64(8), -EINVAL)).dataSize, 'region beyond the count').to.equal(0);
    expect((await ask(T.MARK_REGION, u, l, u64(3, 5))).dataSize).to.equal(0);
    const clean = await ask(T.IS_CLEAN, u, l, u64(3));
    expect([clean.dataSize, s64(clean.data)]).to.deep.equal([8, 0]);
    expect((await ask(T.FLUSH, u, l)).dataSize).to.equal(0);
    expect((await ask(T.CLEAR_REGION, u, l, u64(3, 5))).dataSize).to.equal(0);
    expect((await ask(T.MARK_REGION, u, l, Buffer.alloc(5), -EINVAL)).dataSize, 'marks not a multiple of 8').to.equal(0);
    // Recovery: hand out every region once, mark it in sync, until no work is left.
    const recovered: number[] = [];
    for (let i = 0; i < 20; i++) {
      const w = await ask(T.GET_RESYNC_WORK, u, l);
      expect(w.dataSize).to.equal(16);
      if (s64(w.data) === 0) break;
      const region = Number(w.data!.readBigUInt64LE(8));
      recovered.push(region);
      expect((await ask(T.SET_REGION_SYNC, u, l, u64(region, 1))).dataSize).to.equal(0);
    }
    // Region 3 first: a writer asked about it (IS_REMOTE_RECOVERING puts it on the priority list).
    expect(recovered).to.deep.equal([3, 0, 1, 2, 4, 5, 6, 7]);
    const count = await ask(T.GET_SYNC_COUNT, u, l);
    expect([count.dataSize, Number(count.data!.readBigUInt64LE(0))]).to.deep.equal([8, 8]);
    expect(s64((await ask(T.IN_SYNC, u, l, u64(3))).data)).to.equal(1);
    expect(s64((await ask(T.IS_REMOTE_RECOVERING, u, l, u64(3))).data, 8), 'in-sync hint: all').to.equal(8);
    await ask(T.CLEAR_REGION, u, l, u64(3, 5));
    expect(s64((await ask(T.IS_CLEAN, u, l, u64(5))).data), 'clean once in sync and cleared').to.equal(1);
    const info = await ask(T.STATUS_INFO, u, l);
    expect(info.data!.toString('latin1')).to.match(/^1 clustered-core\0?$/);
    expect(info.dataSize).to.equal(info.data!.length);
    const table = await ask(T.STATUS_TABLE, u, l);
    expect(table.data!.toString('latin1')).to.match(/^clustered-core 1024 /);
    await ask(T.PRESUSPEND, u, l);
    await ask(T.POSTSUSPEND, u, l);
    await ask(T.RESUME, u, l);
    const st = await client.status();
    expect(st.logs).to.have.length(1);
    expect(st.logs[0]).to.include({uuid: u, luid: String(l), type: 'clustered-core', state: 'resumed', regionSize: 1024, regionCount: 8});
    await ask(T.DTR, u, l);
    // Gone: requests the kernel reconnects on get -ESRCH, the others -EINVAL.
    await ask(T.IN_SYNC, u, l, u64(0), -ESRCH);
    await ask(T.GET_REGION_SIZE, u, l, undefined, -EINVAL);
    const after = await client.status();
    expect(after.logs).to.deep.equal([]);
    expect(after.server.requests).to.equal(kernel.nextSeq);
    expect(after.server.errors).to.equal(4);
    expect(after.server.eventSeq, 'ctr, resume, presuspend, postsuspend, resume, dtr').to.equal(6);
  });

  it('keeps a disk log on a file: CTR answers the device, RESUME writes the header', async () => {
    const dev = path.join(dir, 'log.img');
    fs.writeFileSync(dev, Buffer.alloc(1 << 20));
    const u = 'LVM-disk-0001';
    const ctr = await ask(T.CTR, u, 7n, `8192 clustered-disk ${dev} 1024`);
    expect(ctr.data!.toString('latin1')).to.equal(`${dev}\0`);
    expect(ctr.dataSize).to.equal(Buffer.byteLength(dev) + 1);
    await ask(T.GET_REGION_SIZE, u, 7n);
    await ask(T.RESUME, u, 7n);
    const head = fs.readFileSync(dev).subarray(0, 16);
    expect(head.readUInt32LE(0), 'magic MiRr').to.equal(0x4d695272);
    expect(Number(head.readBigUInt64LE(8)), 'nr_regions').to.equal(8);
    await ask(T.MARK_REGION, u, 7n, u64(2));
    await ask(T.FLUSH, u, 7n);
    const info = await ask(T.STATUS_INFO, u, 7n);
    expect(info.data!.toString('latin1')).to.match(/^3 clustered-disk \S+ A\0?$/);
    const st = await client.status();
    expect(st.logs[0]).to.include({uuid: u, type: 'clustered-disk', dirtyCount: 8});
    expect(st.logs[0].device).to.be.a('string');
    await ask(T.DTR, u, 7n);
  });

  it('holds two logs at once and a table swap (same uuid, two luids)', async () => {
    const [a, b] = ['LVM-two-A', 'LVM-two-B'];
    await ask(T.CTR, a, 1n, '4096 clustered-core 512');
    await ask(T.CTR, b, 2n, '2048 clustered-core 1024');
    await ask(T.RESUME, a, 1n);
    await ask(T.RESUME, b, 2n);
    expect(Number((await ask(T.GET_REGION_SIZE, a, 1n)).data!.readBigUInt64LE(0))).to.equal(512);
    expect(Number((await ask(T.GET_REGION_SIZE, b, 2n)).data!.readBigUInt64LE(0))).to.equal(1024);
    // Reload of a: the new table's CTR (luid 3) while luid 1 is live, then the swap as dm does it.
    await ask(T.CTR, a, 3n, '8192 clustered-core 512');
    await ask(T.GET_REGION_SIZE, a, 3n);
    await ask(T.CTR, a, 3n, '8192 clustered-core 512'); // a known (uuid, luid): the kernel's reconnect, no change
    let st = await client.status();
    expect(st.logs.map((x) => `${x.uuid}/${x.luid}/${x.state}`).sort()).to.deep.equal(['LVM-two-A/1/resumed', 'LVM-two-A/3/pending', 'LVM-two-B/2/resumed']);
    await ask(T.PRESUSPEND, a, 1n);
    await ask(T.POSTSUSPEND, a, 1n);
    await ask(T.RESUME, a, 3n);
    await ask(T.DTR, a, 1n);
    await ask(T.GET_SYNC_COUNT, a, 1n, undefined, -ESRCH);
    st = await client.status();
    expect(st.logs.map((x) => `${x.uuid}/${x.luid}/${x.state}/${x.regionCount}`).sort()).to.deep.equal(['LVM-two-A/3/resumed/16', 'LVM-two-B/2/resumed/2']);
  });

  it('answers malformed datagrams with an error and keeps serving', async () => {
    const u = 'LVM-bad-0001';
    await ask(T.CTR, u, 1n, '2048 clustered-core 1024');
    const seq = () => kernel.nextSeq++;

    // Shorter than a request: cn len 100 → short ACK, ack = EINVAL, cn seq echoed.
    let s = seq();
    const short = buildRequest({type: T.GET_REGION_SIZE, uuid: u, luid: 1n, seq: s}).subarray(0, ULOG_AT + 100);
    short.writeUInt32LE(short.length, NL.LEN);
    short.writeUInt16LE(100, CN.LEN);
    let p = kernel.expect(s);
    kernel.sendRaw(short);
    let r = await p;
    expect([r.length, r.nlmsgLen, r.cnLen, r.ack, r.cnSeq, r.cnIdx, r.cnVal, r.nlmsgPid]).to.deep.equal([36, 36, 0, EINVAL, s, 7, 1, serve.port]);

    // cn len not matching nlmsg_len → short ACK.
    s = seq();
    const mismatch = buildRequest({type: T.GET_REGION_SIZE, uuid: u, luid: 1n, seq: s});
    mismatch.writeUInt16LE(168, CN.LEN);
    p = kernel.expect(s);
    kernel.sendRaw(mismatch);
    r = await p;
    expect([r.length, r.cnLen, r.ack]).to.deep.equal([36, 0, EINVAL]);

    // A datagram longer than the server's receive buffer (MSG_TRUNC) → full reply, -EINVAL.
    s = seq();
    const big = buildRequest({type: T.MARK_REGION, uuid: u, luid: 1n, seq: s, data: Buffer.alloc(12_000)});
    p = kernel.expect(s);
    kernel.sendRaw(big);
    r = await p;
    expectFull(r, {seq: s, type: T.MARK_REGION, uuid: u, luid: 1n, error: -EINVAL, dataSize: 0}, serve.port);

    // data_size beyond the bytes present → full reply, -EINVAL.
    s = seq();
    const lying = buildRequest({type: T.MARK_REGION, uuid: u, luid: 1n, seq: s, data: u64(1)});
    lying.writeUInt32LE(100, ULOG.DATA_SIZE);
    p = kernel.expect(s);
    kernel.sendRaw(lying);
    expectFull(await p, {seq: s, type: T.MARK_REGION, uuid: u, luid: 1n, error: -EINVAL, dataSize: 0}, serve.port);

    // Wrong version → -EINVAL.
    s = kernel.nextSeq;
    r = await kernel.request({type: T.GET_REGION_SIZE, uuid: u, luid: 1n, version: 99});
    // The reply carries the request's version back.
    expectFull(r, {seq: s, type: T.GET_REGION_SIZE, uuid: u, luid: 1n, error: -EINVAL, dataSize: 0, version: 99}, serve.port);
    s = kernel.nextSeq;
    r = await kernel.request({type: 99, uuid: u, luid: 1n});
    expect([r.seq, r.requestType, r.dataSize, r.length]).to.deep.equal([s, 99, 0, 196]);
    expect(r.error, 'unknown request type').to.be.below(0);
    // Unknown uuid → -ESRCH (the kernel's reconnect path).
    await ask(T.IN_SYNC, 'LVM-nobody', 1n, u64(0), -ESRCH);
    // Upper 24 bits of request_type are reserved: the type is the low 8 bits.
    s = kernel.nextSeq;
    r = await kernel.request({type: 0x1200 | T.GET_REGION_SIZE, uuid: u, luid: 1n});
    expect([r.error, r.requestType, r.dataSize]).to.deep.equal([0, 0x1200 | T.GET_REGION_SIZE, 8]);

    // Still serving, and the counters saw it all.
    expect(Number((await ask(T.GET_REGION_SIZE, u, 1n)).data!.readBigUInt64LE(0))).to.equal(1024);
    const st = await client.status();
    expect(st.server.malformed).to.equal(5);
    expect(st.server.ignored).to.equal(0);
    expect(st.server.requests).to.equal(kernel.nextSeq);
    expect(st.server.errors).to.equal(7);
  });

  it('ignores datagrams from ports it does not serve and foreign connector ids', async () => {
    const u = 'LVM-ign-0001';
    await ask(T.CTR, u, 1n, '2048 clustered-core 1024');
    const stranger = new StandinKernel();
    try {
      stranger.pump();
      stranger.sendRaw(buildRequest({type: T.GET_REGION_SIZE, uuid: u, luid: 1n, seq: 5000}));
      const foreign = buildRequest({type: T.GET_REGION_SIZE, uuid: u, luid: 1n, seq: 5001});
      foreign.writeUInt32LE(8, CN.IDX);
      kernel.sendRaw(foreign);
      const runt = Buffer.alloc(20);
      kernel.sendRaw(runt);
      await ask(T.GET_REGION_SIZE, u, 1n);
      expect(await stranger.collect(300), 'no reply to a stranger').to.deep.equal([]);
      expect(await kernel.collect(100), 'no reply to a foreign id or a runt').to.deep.equal([]);
      const st = await client.status();
      expect(st.server.ignored).to.equal(3);
      expect(st.server.requests).to.equal(2);
    } finally {
      await stranger.close();
    }
  });
});
