// Mirror table and status lines in the formats of spec A6.
import {expect} from 'chai';
import {parseMirrorStatus, userspaceLogUuid} from '../../src/storage/dm/client.js';

const t = (type: string, params: string) => ({start: 0n, length: 2097152n, type, params});

describe('mirror lines', () => {
  it("finds the userspace log's uuid in a mirror table line", () => {
    expect(userspaceLogUuid([t('mirror', 'userspace 4 LVM-xxxx clustered-disk 253:3 1024 2 253:1 0 253:2 0 1 handle_errors')])).to.equal('LVM-xxxx');
    // As the kernel reports it back (trailing space after the log part).
    expect(userspaceLogUuid([t('linear', '7:0 0'), t('mirror', 'userspace 3 LVM-yyyy clustered-core 1024  2 7:0 0 7:1 0')])).to.equal('LVM-yyyy');
    expect(userspaceLogUuid([t('mirror', 'core 2 1024 nosync 2 7:0 0 7:1 0')])).to.equal(null);
    expect(userspaceLogUuid([t('linear', 'userspace 3 not-a-mirror x y')])).to.equal(null);
    expect(userspaceLogUuid([])).to.equal(null);
  });

  it('parses a mirror info line with a clustered-disk log', () => {
    expect(parseMirrorStatus('2 253:1 253:2 10/10 1 AA 3 clustered-disk 253:3 A')).to.deep.equal({
      legs: [{device: '253:1', health: 'A'}, {device: '253:2', health: 'A'}],
      inSyncRegions: 10,
      totalRegions: 10,
      inSync: true,
      health: 'AA',
      log: {raw: '3 clustered-disk 253:3 A', type: 'clustered-disk', args: ['clustered-disk', '253:3', 'A'], device: '253:3', health: 'A'},
    });
  });

  it('parses a resyncing mirror with a failed leg and a core log, with or without the dmsetup prefix', () => {
    const s = parseMirrorStatus('0 131072 mirror 2 7:0 7:1 37/128 1 AD 1 clustered-core');
    expect(s.legs).to.deep.equal([{device: '7:0', health: 'A'}, {device: '7:1', health: 'D'}]);
    expect([s.inSyncRegions, s.totalRegions, s.inSync]).to.deep.equal([37, 128, false]);
    expect(s.log).to.deep.equal({raw: '1 clustered-core', type: 'clustered-core', args: ['clustered-core'], device: null, health: null});
    const o = parseMirrorStatus('0 131072 mirror 2 7:0 7:1 128/128 1 AA clustered-core 1 OK');
    expect([o.inSync, o.health, o.log.type, o.log.health]).to.deep.equal([true, 'AA', 'clustered-core', 'OK']);
    const three = parseMirrorStatus('3 8:16 8:32 8:48 5/9 1 AAS 3 disk 8:64 A ');
    expect(three.legs.map((l) => l.health).join('')).to.equal('AAS');
  });

  it('rejects lines that are not mirror status', () => {
    expect(() => parseMirrorStatus('7:0 0')).to.throw(/not a mirror status line/);
    expect(() => parseMirrorStatus('2 253:1 253:2 garbage 1 AA')).to.throw(/in_sync/);
  });
});
