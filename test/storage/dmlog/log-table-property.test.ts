// Random valid request sequences, as several kernels' tables could send them: the log invariants
// hold after every request and no valid request fails.
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {LogTable} from '../../../src/storage/dmlog/log-table.js';
import type {UlogRequest} from '../../../src/storage/dmlog/protocol.js';
import {regions, regionSync, request, u64Of} from './requests.js';

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Slot {
  uuid: string;
  luid: bigint;
  count: number;
  live: boolean;
}

/** Check sync_count == popcount(sync bits) and clean ⇒ in sync, through the protocol itself. */
function checkInvariants(t: LogTable, s: Slot, where: string): void {
  const opts = {uuid: s.uuid, luid: s.luid};
  let synced = 0;
  for (let r = 0; r < s.count; r++) {
    const sync = u64Of(t.handle(request('IN_SYNC', regions(r), opts)));
    const clean = u64Of(t.handle(request('IS_CLEAN', regions(r), opts)));
    expect(sync === 1 || clean === 0, `${where}: region ${r} clean but not in sync`).to.equal(true);
    synced += sync;
  }
  expect(u64Of(t.handle(request('GET_SYNC_COUNT', undefined, opts))), `${where}: sync_count`).to.equal(synced);
  const summary = t.summaries().find((x) => x.uuid === s.uuid && x.luid === s.luid.toString())!;
  expect(summary.syncCount, `${where}: summary`).to.equal(synced);
}

function randomRequest(next: () => number, s: Slot, file: string | null): UlogRequest {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const region = () => Math.floor(next() * s.count);
  const list = () => regions(...Array.from({length: Math.floor(next() * 5)}, region));
  const opts = {uuid: s.uuid, luid: s.luid, version: pick([2, 3])};
  if (!s.live) {
    s.live = true;
    const type = file ? `disk ${file}` : pick(['core', 'clustered-core']);
    const sync = pick(['', '', ' sync', ' nosync']);
    return request('CTR', `${s.count * 8 - Math.floor(next() * 7)} ${type} 8${sync}${pick(['', '\0'])}`, opts);
  }
  const type = pick([
    'IS_CLEAN', 'IN_SYNC', 'FLUSH', 'FLUSH', 'MARK_REGION', 'MARK_REGION', 'CLEAR_REGION', 'CLEAR_REGION',
    'GET_RESYNC_WORK', 'GET_RESYNC_WORK', 'SET_REGION_SYNC', 'SET_REGION_SYNC', 'GET_SYNC_COUNT', 'STATUS_INFO',
    'STATUS_TABLE', 'IS_REMOTE_RECOVERING', 'GET_REGION_SIZE', 'PRESUSPEND', 'POSTSUSPEND', 'RESUME', 'RESUME',
    'CTR', 'DTR',
  ] as const);
  switch (type) {
    case 'IS_CLEAN':
    case 'IN_SYNC':
    case 'IS_REMOTE_RECOVERING':
      return request(type, regions(region()), opts);
    case 'FLUSH':
      return request(type, next() < 0.5 ? Buffer.alloc(0) : list(), opts);
    case 'MARK_REGION':
    case 'CLEAR_REGION':
      return request(type, list(), opts);
    case 'SET_REGION_SYNC':
      return request(type, regionSync(region(), next() < 0.8 ? 1 : 0), opts);
    case 'CTR':
      return request(type, `${s.count * 8} ${file ? `disk ${file}` : 'core'} 8\0`, opts);
    case 'DTR':
      s.live = false;
      return request(type, undefined, opts);
    default:
      return request(type, undefined, opts);
  }
}

function run(seed: number, steps: number, slots: Slot[], file: (s: Slot) => string | null): void {
  const next = rng(seed);
  const t = new LogTable();
  try {
    for (let i = 0; i < steps; i++) {
      const s = slots[Math.floor(next() * slots.length)];
      const req = randomRequest(next, s, file(s));
      const where = `seed ${seed} step ${i} type ${req.requestType}`;
      const reply = t.handle(req);
      expect(reply.error, where).to.equal(0);
      if (s.live) checkInvariants(t, s, where);
    }
  } finally {
    t.close();
  }
}

describe('dmlog LogTable: random request sequences', () => {
  it('keeps the invariants over thousands of requests to core logs, with table swaps', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const slots: Slot[] = [
        {uuid: 'LVM-a', luid: 1n, count: 1 + (seed % 13), live: false},
        {uuid: 'LVM-a', luid: 2n, count: 1 + (seed % 13), live: false},
        {uuid: 'LVM-b', luid: 1n, count: 9 + (seed % 30), live: false},
      ];
      run(seed, 250, slots, () => null);
    }
  });

  it('keeps the invariants with disk logs on files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-dmlog-prop-'));
    try {
      for (let seed = 100; seed < 104; seed++) {
        const slots: Slot[] = [
          {uuid: 'LVM-d', luid: 1n, count: 17, live: false},
          {uuid: 'LVM-e', luid: 1n, count: 40, live: false},
        ];
        for (const s of slots) fs.writeFileSync(path.join(dir, s.uuid), Buffer.alloc(4096));
        run(seed, 150, slots, (s) => path.join(dir, s.uuid));
      }
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });
});
