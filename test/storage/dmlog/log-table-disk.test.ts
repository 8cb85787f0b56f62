// Disk logs backed by a file: CTR replies, the B4 image on disk, persistence across a server
// restart, and device failures.
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {E} from '../../../src/errors/index.js';
import type {LogDevice} from '../../../src/storage/dmlog/log-device.js';
import {LogTable} from '../../../src/storage/dmlog/log-table.js';
import {expectErr, expectOk, pairOf, regions, regionSync, request, u64Of} from './requests.js';

const inSync = (t: LogTable, r: number) => u64Of(t.handle(request('IN_SYNC', regions(r))));
const isClean = (t: LogTable, r: number) => u64Of(t.handle(request('IS_CLEAN', regions(r))));
const bits = (t: LogTable, n: number, f: (t: LogTable, r: number) => number) => [...Array(n).keys()].map((r) => f(t, r));

/** The open device of the table's only log, for simulating failures. */
function deviceOf(t: LogTable): LogDevice {
  const logs = (t as unknown as {logs: Map<string, {device: LogDevice}>}).logs;
  return [...logs.values()][0].device;
}

describe('dmlog LogTable: disk logs', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-dmlog-disk-'));
    file = path.join(dir, 'log');
    fs.writeFileSync(file, Buffer.alloc(16384));
  });
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}));

  /** A table with the file's disk log constructed (initial CTR) and resumed. */
  function open(count: number, extra = ''): LogTable {
    const t = new LogTable();
    const reply = expectOk(t.handle(request('CTR', `${count * 8} clustered-disk ${file} 8${extra}`)), file.length + 1);
    expect(reply.toString('latin1')).to.equal(`${file}\0`);
    expectOk(t.handle(request('RESUME')));
    return t;
  }

  it('names the log device in the initial CTR reply and nothing in the reconnect CTR', () => {
    const t = new LogTable();
    expect(expectOk(t.handle(request('CTR', `64 disk ${file} 8`)), file.length + 1).toString('latin1')).to.equal(`${file}\0`);
    expectOk(t.handle(request('CTR', `64 disk ${file} 8`)));
    expectOk(t.handle(request('CTR', `64 disk ${file} 8\0`, {luid: 2n})));
    expect(t.summaries().map((s) => s.device)).to.deep.equal([file, file]);
    t.close();
  });

  it('refuses a log device too small for the log, a missing one and a name longer than 127 bytes', () => {
    const t = new LogTable();
    fs.writeFileSync(file, Buffer.alloc(4096));
    expectErr(t.handle(request('CTR', `${8 * 8 * 3073} disk ${file} 8`)), E.EINVAL);
    expectErr(t.handle(request('CTR', `64 disk ${path.join(dir, 'none')} 8`)), E.ENOENT);
    const long = `/${'x'.repeat(127)}`;
    expectErr(t.handle(request('CTR', `64 disk ${long} 8`)), E.EINVAL);
    expect(t.summaries()).to.deep.equal([]);
    expectOk(t.handle(request('CTR', `${8 * 8 * 3072} disk ${file} 8`)), file.length + 1);
    t.close();
  });

  it('starts a blank device all dirty and writes the B4 image at RESUME', () => {
    const t = open(20);
    expect(t.summaries()[0]).to.include({dirtyCount: 20, syncCount: 0, deviceFailed: false});
    const img = fs.readFileSync(file);
    expect(img.readUInt32LE(0)).to.equal(0x4d695272);
    expect(img.readUInt32LE(4)).to.equal(2);
    expect(img.readBigUInt64LE(8)).to.equal(20n);
    expect(img.subarray(16).every((b) => b === 0)).to.equal(true);
    t.close();
  });

  it('writes the clean bitmap at byte 1024 on FLUSH when something changed', () => {
    const t = open(20);
    for (const r of [0, 9, 19]) {
      expectOk(t.handle(request('SET_REGION_SYNC', regionSync(r, 1))));
      expectOk(t.handle(request('CLEAR_REGION', regions(r))));
    }
    expect(fs.readFileSync(file)[1024]).to.equal(0);
    expectOk(t.handle(request('FLUSH')));
    const img = fs.readFileSync(file);
    expect([...img.subarray(1024, 1027)]).to.deep.equal([0x01, 0x02, 0x08]);
    expect(img.subarray(1027).every((b) => b === 0)).to.equal(true);
    expectOk(t.handle(request('FLUSH', regions(9))));
    expect(fs.readFileSync(file)[1025]).to.equal(0);
    t.close();
  });

  it('keeps dirty regions dirty and clean regions clean across a server restart', () => {
    const n = 100;
    const t1 = open(n);
    let [work, r] = pairOf(t1.handle(request('GET_RESYNC_WORK')));
    while (work) {
      expectOk(t1.handle(request('SET_REGION_SYNC', regionSync(r, 1))));
      expectOk(t1.handle(request('CLEAR_REGION', regions(r))));
      [work, r] = pairOf(t1.handle(request('GET_RESYNC_WORK')));
    }
    expectOk(t1.handle(request('FLUSH', regions(3, 50, 99))));
    expectOk(t1.handle(request('MARK_REGION', regions(7))));
    expectOk(t1.handle(request('FLUSH')));
    expectOk(t1.handle(request('CLEAR_REGION', regions(50))));
    expectOk(t1.handle(request('FLUSH')));
    // A clear that was never flushed is lost: region 99 stays dirty on disk.
    expectOk(t1.handle(request('CLEAR_REGION', regions(99))));
    t1.close();

    // The restarted server learns of the log through -ESRCH and the kernel's reconnect. The
    // IN_SYNC asked across the reconnect (region 0) cannot take its retried answer in the kernel,
    // which then writes region 0 to one leg only: region 0 leaves sync (and clean) at the RESUME.
    const desyncs: number[][] = [];
    const t2 = new LogTable({onDesync: (d) => desyncs.push(d.regions)});
    expectErr(t2.handle(request('IN_SYNC', regions(0))), E.ESRCH);
    expectOk(t2.handle(request('CTR', `${n * 8} clustered-disk ${file} 8\0`)));
    expectOk(t2.handle(request('RESUME')));
    expect(desyncs).to.deep.equal([[0]]);
    const dirty = [0, 3, 7, 99];
    expect(bits(t2, n, isClean)).to.deep.equal([...Array(n).keys()].map((i) => (dirty.includes(i) ? 0 : 1)));
    expect(bits(t2, n, inSync)).to.deep.equal(bits(t2, n, isClean));
    expect(u64Of(t2.handle(request('GET_SYNC_COUNT')))).to.equal(n - 4);
    expect(pairOf(t2.handle(request('GET_RESYNC_WORK')))).to.deep.equal([1, 0]);
    // ... and it is on disk: a third server loads region 0 dirty too.
    t2.close();
    const t3 = new LogTable();
    expectOk(t3.handle(request('CTR', `${n * 8} clustered-disk ${file} 8\0`)));
    expectOk(t3.handle(request('RESUME')));
    expect(bits(t3, 4, isClean)).to.deep.equal([0, 1, 1, 0]);
    t3.close();
  });

  it('writes MARK_REGION through at once: a server killed before the FLUSH loses no mark', () => {
    const n = 16;
    const t1 = open(n, ' nosync');
    expectOk(t1.handle(request('MARK_REGION', regions(4, 11))));
    // No FLUSH: the server dies here. The kernel retries only the FLUSH, with the next server.
    expect(fs.readFileSync(file)[1024 + 0]).to.equal(0xef);
    expect(fs.readFileSync(file)[1024 + 1]).to.equal(0xf7);
    t1.close();
    const t2 = new LogTable();
    expectOk(t2.handle(request('CTR', `${n * 8} clustered-disk ${file} 8\0`)));
    expectOk(t2.handle(request('RESUME')));
    expectOk(t2.handle(request('FLUSH')));
    expect(bits(t2, n, isClean).flatMap((c, r) => (c ? [] : [r]))).to.deep.equal([4, 11]);
    t2.close();
  });

  it('treats regions past the count on disk as new when the mirror grew', () => {
    const t1 = open(10, ' nosync');
    expectOk(t1.handle(request('MARK_REGION', regions(2))));
    expectOk(t1.handle(request('FLUSH')));
    t1.close();
    const t2 = new LogTable();
    expectOk(t2.handle(request('CTR', `${14 * 8} disk ${file} 8`)), file.length + 1);
    expectOk(t2.handle(request('RESUME')));
    expect(bits(t2, 14, isClean)).to.deep.equal([1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(fs.readFileSync(file).readBigUInt64LE(8)).to.equal(14n);
    t2.close();
  });

  it('ignores what the disk holds for "nosync" (all clean) and "sync" (all dirty)', () => {
    const t1 = open(12, ' nosync');
    expect(t1.summaries()[0]).to.include({dirtyCount: 0, syncCount: 12});
    t1.close();
    const t2 = open(12, ' sync');
    expect(t2.summaries()[0]).to.include({dirtyCount: 12, syncCount: 0});
    t2.close();
    expect(fs.readFileSync(file)[1024]).to.equal(0);
  });

  it('starts all dirty from a device with a wrong magic', () => {
    const t1 = open(8, ' nosync');
    t1.close();
    const img = fs.readFileSync(file);
    img[0] ^= 0xff;
    fs.writeFileSync(file, img);
    const t2 = open(8);
    expect(t2.summaries()[0]).to.include({dirtyCount: 8, syncCount: 0, deviceFailed: false});
    expect(fs.readFileSync(file).readUInt32LE(0)).to.equal(0x4d695272);
    t2.close();
  });

  it('reports STATUS_INFO with the device number and A, then D after a failed write (-EIO)', () => {
    const t = open(8);
    const rdev = fs.statSync(file).rdev;
    const alive = `3 clustered-disk ${rdev >> 8}:${rdev & 0xff} A\0`;
    expect(expectOk(t.handle(request('STATUS_INFO')), alive.length).toString('latin1')).to.equal(alive);
    const table = `clustered-disk ${rdev >> 8}:${rdev & 0xff} 8 \0`;
    expect(expectOk(t.handle(request('STATUS_TABLE')), table.length).toString('latin1')).to.equal(table);
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(1, 1))));
    expectOk(t.handle(request('CLEAR_REGION', regions(1))));
    expectOk(t.handle(request('FLUSH')));
    deviceOf(t).close();
    expectOk(t.handle(request('FLUSH')), 0); // nothing changed: nothing to write
    expectErr(t.handle(request('FLUSH', regions(1))), E.EIO);
    expect(t.summaries()[0].deviceFailed).to.equal(true);
    expect(expectOk(t.handle(request('STATUS_INFO')), alive.length).toString('latin1')).to.equal(alive.replace(' A', ' D'));
    expectErr(t.handle(request('FLUSH')), E.EIO); // still unwritten: tried again
    expectOk(t.handle(request('DTR')));
    t.close();
  });

  it('does not write a log that has not been resumed', () => {
    fs.writeFileSync(file, Buffer.alloc(16384, 0xee));
    const t = new LogTable();
    expectOk(t.handle(request('CTR', `64 disk ${file} 8`)), file.length + 1);
    expectOk(t.handle(request('FLUSH', regions(1))));
    expect(fs.readFileSync(file).every((b) => b === 0xee)).to.equal(true);
    t.close();
  });

  it('close() releases every log and its fd', () => {
    const t = open(8);
    const dev = deviceOf(t);
    t.close();
    expect(dev.closed).to.equal(true);
    expect(t.summaries()).to.deep.equal([]);
  });
});
