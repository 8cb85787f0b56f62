// 100,000+ random datagrams at cr dmlog serve through the real socket: random bytes and random
// mutations of valid requests, sent in windows closed by a sync request. Afterwards the server is
// alive, answers a valid sequence correctly, and its counters match what the stand-in saw.
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {CN, NL, ULOG} from '../../../src/abi/index.js';
import {UlogType as T} from '../../../src/storage/dmlog/protocol.js';
import {canServe, startServe, type ServeProcess} from '../../helpers/dmlog-serve.js';
import {runCr} from '../../helpers/procs.js';
import {buildRequest, StandinKernel, type Reply} from '../../helpers/standin-kernel.js';

const MESSAGES = Number(process.env.CR_DMLOG_FUZZ ?? 100_000);
const WINDOW = 64;

/** mulberry32: a small seeded PRNG so a failing run can be repeated (CR_DMLOG_FUZZ_SEED). */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {next, int: (n: number) => Math.floor(next() * n)};
}

const u64 = (...v: number[]) => Buffer.concat(v.map((x) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(x));
  return b;
}));

describe('cr dmlog serve: fuzz', function () {
  this.timeout(600_000);
  let dir: string;
  let kernel: StandinKernel;
  let serve: ServeProcess;

  before(function () {
    if (!canServe) this.skip(); // multicasting to connector group 7 needs root (CAP_NET_ADMIN)
  });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-dmlog-fuzz-'));
    kernel = new StandinKernel();
    serve = await startServe({socket: path.join(dir, 'ctl.sock'), peerPort: kernel.port});
  });
  afterEach(async () => {
    const r = await serve.stop();
    await kernel.close();
    fs.rmSync(dir, {recursive: true, force: true});
    expect(r.code, `server exit; stderr: ${r.stderr.slice(-2000)}`).to.equal(0);
  });

  it(`survives ${MESSAGES} random and mutated datagrams with consistent counts`, async () => {
    const seed = Number(process.env.CR_DMLOG_FUZZ_SEED ?? Date.now() % 1e9);
    const rnd = prng(seed);
    const what = `fuzz seed ${seed} (CR_DMLOG_FUZZ_SEED)`;
    const fuzzUuid = 'LVM-fuzz-target';
    const syncUuid = 'LVM-fuzz-sync';
    const dev = path.join(dir, 'fuzz-log.img');
    fs.writeFileSync(dev, Buffer.alloc(1 << 20));
    let setup = 0;
    for (const f of [
      {type: T.CTR, uuid: syncUuid, luid: 9n, data: '2048 clustered-core 1024'},
      {type: T.RESUME, uuid: syncUuid, luid: 9n},
      {type: T.CTR, uuid: fuzzUuid, luid: 1n, data: '65536 clustered-core 1024'},
      {type: T.RESUME, uuid: fuzzUuid, luid: 1n},
    ]) {
      expect((await kernel.request(f)).error, `setup ${f.type}`).to.equal(0);
      setup++;
    }
    // Valid requests of every type to mutate (the fuzz log and a disk log on a file).
    const templates = [
      {type: T.CTR, data: `65536 clustered-disk ${dev} 1024`},
      {type: T.CTR, data: '65536 clustered-core 1024 nosync'},
      {type: T.DTR}, {type: T.PRESUSPEND}, {type: T.POSTSUSPEND}, {type: T.RESUME}, {type: T.GET_REGION_SIZE},
      {type: T.IS_CLEAN, data: u64(3)}, {type: T.IN_SYNC, data: u64(5)}, {type: T.FLUSH}, {type: T.MARK_REGION, data: u64(1, 2, 60)},
      {type: T.CLEAR_REGION, data: u64(1, 2)}, {type: T.GET_RESYNC_WORK}, {type: T.SET_REGION_SYNC, data: u64(4, 1)},
      {type: T.GET_SYNC_COUNT}, {type: T.STATUS_INFO}, {type: T.STATUS_TABLE}, {type: T.IS_REMOTE_RECOVERING, data: u64(7)},
    ];
    const mutate = (): Buffer => {
      const t = templates[rnd.int(templates.length)];
      let d = buildRequest({...t, uuid: fuzzUuid, luid: BigInt(1 + rnd.int(2)), seq: rnd.int(0x80000000)});
      const kind = rnd.int(8);
      if (kind === 0) d = d.subarray(0, 1 + rnd.int(d.length - 1)); // truncate (netlink sends no empty datagram)
      else if (kind === 1) d = Buffer.concat([d, Buffer.from(Array.from({length: 1 + rnd.int(300)}, () => rnd.int(256)))]); // extend
      else if (kind === 2) d.writeUInt32LE(rnd.int(400), ULOG.DATA_SIZE);
      else if (kind === 3) d.writeUInt16LE(rnd.int(65536), CN.LEN);
      else if (kind === 4) d.writeUInt32LE(rnd.int(1 << 16), NL.LEN);
      else if (kind === 5) d.writeUInt32LE(rnd.int(4) === 0 ? rnd.int(256) : rnd.int(0x7fffffff), ULOG.REQUEST_TYPE);
      else if (kind === 6) d.writeUInt32LE(rnd.int(6), ULOG.VERSION);
      // and always a few random byte flips
      for (let i = rnd.int(4); i > 0; i--) d[rnd.int(d.length)] = rnd.int(256);
      return d;
    };
    const random = (): Buffer => {
      const d = Buffer.from(Array.from({length: 1 + rnd.int(700)}, () => rnd.int(256)));
      if (d.length >= 24 && rnd.int(2)) {
        d.writeUInt32LE(7, CN.IDX);
        d.writeUInt32LE(1, CN.VAL);
      }
      return d;
    };

    let replies = 0;
    let errors = 0;
    let syncs = 0;
    let syncSeq = 0x80000000;
    let awaitingSync: ((r: Reply) => void) | undefined;
    kernel.onReply = (r) => {
      if (r.cnLen !== 0 && r.seq === syncSeq && r.uuid === syncUuid && r.requestType === T.GET_REGION_SIZE && awaitingSync) {
        const done = awaitingSync;
        awaitingSync = undefined;
        done(r);
        return true;
      }
      replies++;
      if (r.cnLen === 0 ? r.ack !== 0 : r.error !== 0) errors++;
      return true;
    };
    kernel.pump();
    const t0 = Date.now();
    for (let sent = 0; sent < MESSAGES; ) {
      for (let i = 0; i < WINDOW && sent < MESSAGES; i++, sent++) kernel.sendRaw(rnd.int(10) < 3 ? random() : mutate());
      syncSeq++;
      const synced = new Promise<Reply>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no sync reply after ${sent} messages; ${what}; stderr: ${serve.stderr().slice(-2000)}`)), 10_000);
        awaitingSync = (r) => {
          clearTimeout(timer);
          resolve(r);
        };
      });
      kernel.sendRaw(buildRequest({type: T.GET_REGION_SIZE, uuid: syncUuid, luid: 9n, seq: syncSeq}));
      const r = await synced;
      expect([r.error, r.dataSize], what).to.deep.equal([0, 8]);
      syncs++;
    }
    const seconds = (Date.now() - t0) / 1000;
    kernel.onReply = undefined;
    expect(serve.child.exitCode, what).to.equal(null);

    // A valid sequence on a fresh log is still answered correctly.
    const u = 'LVM-after-fuzz';
    const seqStart = kernel.nextSeq;
    const ok = async (type: number, data?: Buffer | string) => {
      const r = await kernel.request({type, uuid: u, luid: 5n, data});
      expect(r.error, `${type} after fuzz; ${what}`).to.equal(0);
      return r;
    };
    await ok(T.CTR, '4096 clustered-core 1024');
    expect(Number((await ok(T.GET_REGION_SIZE)).data!.readBigUInt64LE(0))).to.equal(1024);
    await ok(T.RESUME);
    await ok(T.MARK_REGION, u64(1));
    await ok(T.FLUSH);
    await ok(T.CLEAR_REGION, u64(1));
    expect(Number((await ok(T.GET_SYNC_COUNT)).data!.readBigUInt64LE(0))).to.equal(0);
    await ok(T.PRESUSPEND);
    await ok(T.POSTSUSPEND);
    await ok(T.DTR);
    const valid = kernel.nextSeq - seqStart;

    // `cr dmlog status --json` agrees with what the stand-in counted.
    const st = await runCr(['dmlog', 'status', '--json', '--socket', path.join(dir, 'ctl.sock')], {kernel: false});
    expect(st.code, st.stderr).to.equal(0);
    const doc = JSON.parse(st.stdout);
    const s = doc.server;
    expect(s.overruns, 'no receive overruns with a window').to.equal(0);
    expect(s.sendFailures).to.equal(0);
    expect(s.requests, what).to.equal(setup + replies + syncs + valid);
    expect(s.ignored, what).to.equal(MESSAGES - replies);
    expect(s.errors, what).to.equal(errors);
    expect(s.malformed).to.be.at.most(errors);
    expect(doc.logs.map((l: {uuid: string}) => l.uuid)).to.include(syncUuid);
    console.log(`      fuzz: ${MESSAGES} datagrams in ${seconds.toFixed(1)} s (${Math.round(MESSAGES / seconds)}/s), ${replies} answered (${errors} with errors, ${s.malformed} malformed), ${s.ignored} ignored; ${what}`);
  });
});
