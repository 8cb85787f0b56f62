// The log engine against the kernel's per-request contract (spec A4, A5, A7), with core logs.
import {expect} from 'chai';
import {E} from '../../../src/errors/index.js';
import {LogTable, type LogTableEvent} from '../../../src/storage/dmlog/log-table.js';
import {expectErr, expectOk, LUID, pairOf, regions, regionSync, request, u64Of, UUID} from './requests.js';

/** A table holding one resumed core log of `count` regions. */
function resumedCore(count = 10, extra = '', events: LogTableEvent[] = []): LogTable {
  const t = new LogTable({onEvent: (e) => events.push(e)});
  expectOk(t.handle(request('CTR', `${count * 8} clustered-core 8${extra}`)));
  expectOk(t.handle(request('RESUME')));
  return t;
}

const inSync = (t: LogTable, r: number, luid = LUID) => u64Of(t.handle(request('IN_SYNC', regions(r), {luid})));
const isClean = (t: LogTable, r: number, luid = LUID) => u64Of(t.handle(request('IS_CLEAN', regions(r), {luid})));
const syncCount = (t: LogTable, luid = LUID) => u64Of(t.handle(request('GET_SYNC_COUNT', undefined, {luid})));

/** Recover every region as kmirrord would: GET_RESYNC_WORK, SET_REGION_SYNC(1), CLEAR_REGION. */
function resyncAll(t: LogTable, luid = LUID): number[] {
  const order: number[] = [];
  for (;;) {
    const [work, r] = pairOf(t.handle(request('GET_RESYNC_WORK', undefined, {luid})));
    if (!work) return order;
    order.push(r);
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(r, 1), {luid})));
    expectOk(t.handle(request('CLEAR_REGION', regions(r), {luid})));
  }
}

describe('dmlog LogTable: request framing', () => {
  it('answers unknown types and versions with -EINVAL', () => {
    const t = resumedCore();
    expectErr(t.handle(request(0)), E.EINVAL);
    expectErr(t.handle(request(18)), E.EINVAL);
    expectErr(t.handle(request(255)), E.EINVAL);
    expectErr(t.handle(request('GET_SYNC_COUNT', undefined, {version: 1})), E.EINVAL);
    expectErr(t.handle(request('GET_SYNC_COUNT', undefined, {version: 4})), E.EINVAL);
    expect(u64Of(t.handle(request('GET_SYNC_COUNT', undefined, {version: 2})))).to.equal(0);
  });

  it('uses only the low 8 bits of request_type', () => {
    const t = resumedCore();
    expect(u64Of(t.handle(request(0x1200 | 6)))).to.equal(8);
  });

  it('answers requests for an unknown log with -ESRCH when the kernel reconnects on it, else -EINVAL', () => {
    const t = resumedCore();
    const other = {luid: 1n};
    for (const type of ['IS_CLEAN', 'IN_SYNC', 'MARK_REGION', 'CLEAR_REGION', 'IS_REMOTE_RECOVERING'] as const) {
      expectErr(t.handle(request(type, regions(0), other)), E.ESRCH);
    }
    expectErr(t.handle(request('FLUSH', undefined, other)), E.ESRCH);
    expectErr(t.handle(request('GET_RESYNC_WORK', undefined, other)), E.ESRCH);
    expectErr(t.handle(request('SET_REGION_SYNC', regionSync(0, 1), other)), E.ESRCH);
    expectErr(t.handle(request('GET_SYNC_COUNT', undefined, other)), E.ESRCH);
    expectErr(t.handle(request('STATUS_INFO', undefined, other)), E.ESRCH);
    expectErr(t.handle(request('IN_SYNC', regions(0), {uuid: 'LVM-other'})), E.ESRCH);
    for (const type of ['GET_REGION_SIZE', 'PRESUSPEND', 'POSTSUSPEND', 'RESUME', 'STATUS_TABLE'] as const) {
      expectErr(t.handle(request(type, undefined, other)), E.EINVAL);
    }
    expectOk(t.handle(request('DTR', undefined, other)));
  });
});

describe('dmlog LogTable: CTR and DTR', () => {
  it('creates a core log with no reply data; GET_REGION_SIZE, GET_SYNC_COUNT and STATUS_INFO work while pending', () => {
    const events: LogTableEvent[] = [];
    const t = new LogTable({onEvent: (e) => events.push(e)});
    expectOk(t.handle(request('CTR', '2097152 clustered-core 1024')));
    expect(u64Of(t.handle(request('GET_REGION_SIZE')))).to.equal(1024);
    expect(syncCount(t)).to.equal(0);
    expect(expectOk(t.handle(request('STATUS_INFO')), 17).toString('latin1')).to.equal('1 clustered-core\0');
    expect(events).to.deep.equal([{uuid: UUID, luid: LUID, event: 'ctr'}]);
    const [s] = t.summaries();
    expect(s).to.include({uuid: UUID, luid: LUID.toString(), type: 'clustered-core', state: 'pending', regionSize: 1024, regionCount: 2048, syncCount: 0, dirtyCount: 2048, device: null, deviceFailed: false, sync: 'default'});
    expect(s.requests).to.deep.equal({CTR: 1, GET_REGION_SIZE: 1, GET_SYNC_COUNT: 1, STATUS_INFO: 1});
  });

  it('answers bad CTR strings with -EINVAL and creates nothing', () => {
    const t = new LogTable();
    for (const s of ['', '2048', '2048 clustered-core 1000', '2048 clustered-mirror 1024', '0 core 8', '2048 core 8 nosync sync', '2048 core 8 a b c']) {
      expectErr(t.handle(request('CTR', s)), E.EINVAL);
    }
    expect(t.summaries()).to.deep.equal([]);
  });

  it('accepts a CTR for a known (uuid, luid) with no data and no change, also in the reconnect form', () => {
    const events: LogTableEvent[] = [];
    const t = resumedCore(10, '', events);
    expectOk(t.handle(request('MARK_REGION', regions(0))));
    expectOk(t.handle(request('CTR', '4096 clustered-core 64')));
    expectOk(t.handle(request('CTR', '80 clustered-core 8\0')));
    expect(u64Of(t.handle(request('GET_REGION_SIZE')))).to.equal(8);
    expect(t.summaries()[0]).to.include({state: 'resumed', regionCount: 10});
    expect(t.summaries()[0].requests.CTR).to.equal(3);
    expect(events.map((e) => e.event)).to.deep.equal(['ctr', 'resume']);
  });

  it('recovers from a server restart: -ESRCH, then reconnect CTR (NUL included) and RESUME, then the retry', () => {
    const t = new LogTable();
    expectErr(t.handle(request('FLUSH')), E.ESRCH);
    expectOk(t.handle(request('CTR', '80 clustered-core 8\0')));
    expectOk(t.handle(request('RESUME')));
    expectOk(t.handle(request('FLUSH')));
  });

  it('DTR forgets the log, is idempotent and reports an event', () => {
    const events: LogTableEvent[] = [];
    const t = resumedCore(10, '', events);
    expectOk(t.handle(request('DTR')));
    expectOk(t.handle(request('DTR')));
    expect(t.summaries()).to.deep.equal([]);
    expectErr(t.handle(request('IN_SYNC', regions(0))), E.ESRCH);
    expect(events.map((e) => e.event)).to.deep.equal(['ctr', 'resume', 'dtr', 'dtr']);
  });

  it('keeps the reply unchanged when the event listener throws', () => {
    const t = new LogTable({
      onEvent: () => {
        throw new Error('listener');
      },
    });
    expectOk(t.handle(request('CTR', '80 core 8')));
    expect(t.summaries()).to.have.length(1);
  });
});

describe('dmlog LogTable: region requests', () => {
  it('IS_CLEAN and IN_SYNC answer 8-byte 0/1 and check the payload', () => {
    const t = resumedCore(10, ' nosync');
    expect(isClean(t, 9)).to.equal(1);
    expect(inSync(t, 0)).to.equal(1);
    for (const type of ['IS_CLEAN', 'IN_SYNC'] as const) {
      expectErr(t.handle(request(type, regions(10))), E.EINVAL);
      expectErr(t.handle(request(type, regions(2n ** 64n - 1n))), E.EINVAL);
      expectErr(t.handle(request(type, Buffer.alloc(4))), E.EINVAL);
      expectErr(t.handle(request(type, regions(1, 2))), E.EINVAL);
      expectErr(t.handle(request(type)), E.EINVAL);
    }
  });

  it('MARK_REGION dirties regions; a bad list changes nothing', () => {
    const t = resumedCore(10, ' nosync');
    expectOk(t.handle(request('MARK_REGION', regions(1, 3))));
    expect([0, 1, 2, 3].map((r) => isClean(t, r))).to.deep.equal([1, 0, 1, 0]);
    expect(inSync(t, 1)).to.equal(1);
    expectErr(t.handle(request('MARK_REGION', regions(5, 10))), E.EINVAL);
    expectErr(t.handle(request('MARK_REGION', Buffer.concat([regions(5), Buffer.alloc(3)]))), E.EINVAL);
    expect(isClean(t, 5)).to.equal(1);
    expectOk(t.handle(request('MARK_REGION')));
  });

  it('CLEAR_REGION cleans only regions in sync', () => {
    const t = resumedCore(10);
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(2, 1))));
    expectOk(t.handle(request('CLEAR_REGION', regions(2, 3))));
    expect([isClean(t, 2), isClean(t, 3)]).to.deep.equal([1, 0]);
    expectErr(t.handle(request('CLEAR_REGION', regions(3, 11))), E.EINVAL);
  });

  it('FLUSH marks the regions of an integrated-flush payload and validates them', () => {
    const t = resumedCore(10, ' nosync');
    expectOk(t.handle(request('FLUSH')));
    expectOk(t.handle(request('FLUSH', regions(4, 7))));
    expect([3, 4, 7].map((r) => isClean(t, r))).to.deep.equal([1, 0, 0]);
    expectErr(t.handle(request('FLUSH', regions(8, 10))), E.EINVAL);
    expectErr(t.handle(request('FLUSH', Buffer.alloc(7))), E.EINVAL);
    expect(isClean(t, 8)).to.equal(1);
    expect(t.summaries()[0].dirtyCount).to.equal(2);
  });

  it('GET_RESYNC_WORK and SET_REGION_SYNC drive a full resync to sync_count == region_count', () => {
    const t = resumedCore(37);
    expect(syncCount(t)).to.equal(0);
    expect(resyncAll(t)).to.deep.equal([...Array(37).keys()]);
    expect(syncCount(t)).to.equal(37);
    expect(t.summaries()[0]).to.include({syncCount: 37, dirtyCount: 0});
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([0, 0]);
  });

  it('hands the region being recovered out again until SET_REGION_SYNC', () => {
    const t = resumedCore(4);
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([1, 0]);
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([1, 0]);
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(0, 0))));
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([1, 1]);
  });

  it('halts recovery from PRESUSPEND to RESUME', () => {
    const t = resumedCore(4);
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([1, 0]);
    expectOk(t.handle(request('PRESUSPEND')));
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([0, 0]);
    expectOk(t.handle(request('POSTSUSPEND')));
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([0, 0]);
    expectOk(t.handle(request('RESUME')));
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([1, 0]);
  });

  it('hands out no work before the first RESUME', () => {
    const t = new LogTable();
    expectOk(t.handle(request('CTR', '32 core 8')));
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([0, 0]);
  });

  it('SET_REGION_SYNC wants exactly 16 bytes and a region in range; clearing sync also clears clean', () => {
    const t = resumedCore(10, ' nosync');
    expectErr(t.handle(request('SET_REGION_SYNC', Buffer.alloc(15))), E.EINVAL);
    expectErr(t.handle(request('SET_REGION_SYNC', Buffer.alloc(17))), E.EINVAL);
    expectErr(t.handle(request('SET_REGION_SYNC', regionSync(10, 1))), E.EINVAL);
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(6, 0))));
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(6, 0))));
    expect(syncCount(t)).to.equal(9);
    expect([inSync(t, 6), isClean(t, 6)]).to.deep.equal([0, 0]);
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(6, -1))));
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(6, 1))));
    expect(syncCount(t)).to.equal(10);
    expect(isClean(t, 6)).to.equal(0);
  });

  it('IS_REMOTE_RECOVERING answers {0, first region not in sync} and puts written regions first in line', () => {
    const t = resumedCore(8);
    expect(pairOf(t.handle(request('IS_REMOTE_RECOVERING', regions(5))))).to.deep.equal([0, 0]);
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([1, 5]);
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(5, 1))));
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([1, 0]);
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(0, 1))));
    expect(pairOf(t.handle(request('IS_REMOTE_RECOVERING', regions(0))))).to.deep.equal([0, 1]);
    resyncAll(t);
    expect(pairOf(t.handle(request('IS_REMOTE_RECOVERING', regions(7))))).to.deep.equal([0, 8]);
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(3, 0))));
    expect(pairOf(t.handle(request('IS_REMOTE_RECOVERING', regions(7))))).to.deep.equal([0, 3]);
    expectErr(t.handle(request('IS_REMOTE_RECOVERING', regions(8))), E.EINVAL);
    expectErr(t.handle(request('IS_REMOTE_RECOVERING', Buffer.alloc(16))), E.EINVAL);
  });

  it('STATUS_INFO and STATUS_TABLE are NUL-terminated strings', () => {
    const t = new LogTable();
    expectOk(t.handle(request('CTR', '64 core 8 nosync block_on_error')));
    expect(expectOk(t.handle(request('STATUS_INFO')), 7).toString('latin1')).to.equal('1 core\0');
    expect(expectOk(t.handle(request('STATUS_TABLE')), 30).toString('latin1')).to.equal('core 8 nosync block_on_error \0');
    expectOk(t.handle(request('CTR', '64 clustered-core 16', {luid: 2n})));
    expect(expectOk(t.handle(request('STATUS_TABLE', undefined, {luid: 2n})), 19).toString('latin1')).to.equal('clustered-core 16 \0');
  });
});

describe('dmlog LogTable: suspend, resume and table swaps', () => {
  it('moves through presuspended, pending and resumed, reporting each step once', () => {
    const events: LogTableEvent[] = [];
    const t = resumedCore(4, '', events);
    expectOk(t.handle(request('PRESUSPEND')));
    expect(t.summaries()[0].state).to.equal('presuspended');
    // The kernel may still flush after PRESUSPEND.
    expectOk(t.handle(request('FLUSH', regions(1))));
    expectOk(t.handle(request('CLEAR_REGION', regions(1))));
    expectOk(t.handle(request('POSTSUSPEND')));
    expect(t.summaries()[0].state).to.equal('pending');
    expect(inSync(t, 0)).to.equal(0);
    expectOk(t.handle(request('RESUME')));
    expectOk(t.handle(request('RESUME')));
    expect(t.summaries()[0].state).to.equal('resumed');
    expect(events.map((e) => e.event)).to.deep.equal(['ctr', 'resume', 'presuspend', 'postsuspend', 'resume']);
  });

  it('keeps a core log\'s bits across suspend and resume', () => {
    const t = resumedCore(10);
    resyncAll(t);
    expectOk(t.handle(request('MARK_REGION', regions(2))));
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(7, 0))));
    expectOk(t.handle(request('PRESUSPEND')));
    expectOk(t.handle(request('POSTSUSPEND')));
    expectOk(t.handle(request('RESUME')));
    expect(syncCount(t)).to.equal(9);
    expect([isClean(t, 2), inSync(t, 2), isClean(t, 7), inSync(t, 7)]).to.deep.equal([0, 1, 0, 0]);
    expect(resyncAll(t)).to.deep.equal([7]);
  });

  it('a repeated RESUME changes nothing (the kernel\'s reconnect retry)', () => {
    const t = resumedCore(4);
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([1, 0]);
    expectOk(t.handle(request('RESUME')));
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([1, 0]);
  });

  it('holds two luids of one uuid through a reload, and the new core log inherits the old one\'s bits', () => {
    const events: LogTableEvent[] = [];
    const t = resumedCore(16, '', events);
    resyncAll(t);
    expectOk(t.handle(request('MARK_REGION', regions(4))));
    expectOk(t.handle(request('SET_REGION_SYNC', regionSync(9, 0))));
    const next = {luid: LUID + 64n};
    // dmsetup reload: CTR + GET_REGION_SIZE for the new table while the old one runs.
    expectOk(t.handle(request('CTR', '128 clustered-core 8', next)));
    expect(u64Of(t.handle(request('GET_REGION_SIZE', undefined, next)))).to.equal(8);
    expect(syncCount(t, next.luid)).to.equal(0);
    // dmsetup resume: old table suspended, new one resumed, old one destroyed.
    expectOk(t.handle(request('PRESUSPEND')));
    expectOk(t.handle(request('POSTSUSPEND')));
    expectOk(t.handle(request('RESUME', undefined, next)));
    expectOk(t.handle(request('DTR')));
    expect(t.summaries().map((s) => s.luid)).to.deep.equal([next.luid.toString()]);
    expect(syncCount(t, next.luid)).to.equal(15);
    expect([isClean(t, 4, next.luid), inSync(t, 4, next.luid), inSync(t, 9, next.luid)]).to.deep.equal([0, 1, 0]);
    expect(resyncAll(t, next.luid)).to.deep.equal([9]);
    expect(events.map((e) => `${e.event}:${e.luid === LUID ? 'old' : 'new'}`)).to.deep.equal([
      'ctr:old', 'resume:old', 'ctr:new', 'presuspend:old', 'postsuspend:old', 'resume:new', 'dtr:old',
    ]);
  });

  it('does not inherit across a change of geometry, from a log still running, or with "sync"', () => {
    for (const [ctr, suspendOld] of [
      ['136 clustered-core 8', true],
      ['128 clustered-core 4', true],
      ['128 core 8', true],
      ['128 clustered-core 8 sync', true],
      ['128 clustered-core 8', false],
    ] as const) {
      const t = resumedCore(16);
      resyncAll(t);
      const next = {luid: 99n};
      expectOk(t.handle(request('CTR', ctr, next)));
      if (suspendOld) {
        expectOk(t.handle(request('PRESUSPEND')));
        expectOk(t.handle(request('POSTSUSPEND')));
      }
      expectOk(t.handle(request('RESUME', undefined, next)));
      expect(syncCount(t, next.luid), ctr).to.equal(0);
    }
  });

  it('starts a nosync core log all clean and in sync', () => {
    const t = resumedCore(20, ' nosync');
    expect(syncCount(t)).to.equal(20);
    expect(t.summaries()[0]).to.include({dirtyCount: 0, sync: 'nosync'});
    expect(pairOf(t.handle(request('GET_RESYNC_WORK')))).to.deep.equal([0, 0]);
  });
});
