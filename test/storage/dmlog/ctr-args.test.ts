// Parsing the CTR payload "<dev sectors> <type> <args…>" (spec A6).
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {CtrArgsError, parseCtrArgs, resolveLogDevice} from '../../../src/storage/dmlog/ctr-args.js';

const parse = (s: string) => parseCtrArgs(Buffer.from(s, 'latin1'));

describe('dmlog CTR arguments', () => {
  it('parses core logs, counting regions with a rounded-up division', () => {
    const a = parse('2097153 clustered-core 1024');
    expect(a).to.include({type: 'clustered-core', disk: false, regionSize: 1024, regionCount: 2049, sync: 'default', blockOnError: false, deviceArg: null, reconnect: false});
    expect(a.devSectors).to.equal(2097153n);
    expect(parse('8 core 8 nosync block_on_error')).to.include({regionCount: 1, sync: 'nosync', blockOnError: true});
    expect(parse('8 core 2 sync')).to.include({regionCount: 4, sync: 'sync'});
  });

  it('parses disk logs with a device path or maj:min', () => {
    expect(parse('2097152 clustered-disk 253:3 1024')).to.include({type: 'clustered-disk', disk: true, deviceArg: '253:3', regionCount: 2048});
    expect(parse('100 disk /dev/vdb 64 sync block_on_error')).to.include({deviceArg: '/dev/vdb', regionCount: 2, sync: 'sync', blockOnError: true});
  });

  it('recognises the reconnect form by its trailing NUL', () => {
    const a = parseCtrArgs(Buffer.from('2048 clustered-core 1024\0', 'latin1'));
    expect(a).to.include({reconnect: true, regionCount: 2});
  });

  const bad = [
    '',
    '2048',
    '2048 clustered-core',
    '0 clustered-core 1024',
    'x clustered-core 1024',
    '-5 core 1024',
    '2048 mirror 1024',
    '2048 clustered-core 1000',
    '2048 clustered-core 0',
    '2048 clustered-core 1024 fast',
    '2048 clustered-core 1024 sync nosync',
    '2048 clustered-core 1024 block_on_error block_on_error',
    '2048 clustered-core 1024 sync block_on_error extra',
    '2048 clustered-disk 1024',
    '2048 clustered-disk 253:3 1024 nosync block_on_error extra',
    '2048 core 4294967296',
    '18446744073709551615 core 1',
  ];
  for (const s of bad) {
    it(`rejects '${s}'`, () => {
      expect(() => parse(s)).to.throw(CtrArgsError);
    });
  }

  it('resolves maj:min through sysfs DEVNAME and leaves paths alone', () => {
    const sys = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-dmlog-sys-'));
    try {
      fs.mkdirSync(path.join(sys, 'dev/block/253:3'), {recursive: true});
      fs.writeFileSync(path.join(sys, 'dev/block/253:3/uevent'), 'MAJOR=253\nMINOR=3\nDEVNAME=dm-3\nDEVTYPE=disk\n');
      expect(resolveLogDevice('253:3', sys)).to.equal('/dev/dm-3');
      expect(resolveLogDevice('/dev/mapper/x', sys)).to.equal('/dev/mapper/x');
      expect(() => resolveLogDevice('253:4', sys)).to.throw(CtrArgsError);
      fs.mkdirSync(path.join(sys, 'dev/block/1:1'), {recursive: true});
      fs.writeFileSync(path.join(sys, 'dev/block/1:1/uevent'), 'MAJOR=1\n');
      expect(() => resolveLogDevice('1:1', sys)).to.throw(CtrArgsError, /DEVNAME/);
    } finally {
      fs.rmSync(sys, {recursive: true, force: true});
    }
  });

  it('resolves a real block device of this machine', function () {
    const devs = fs.existsSync('/sys/dev/block') ? fs.readdirSync('/sys/dev/block') : [];
    if (!devs.length) this.skip(); // no block devices visible in this environment
    const uevent = fs.readFileSync(`/sys/dev/block/${devs[0]}/uevent`, 'utf8');
    const name = /^DEVNAME=(.+)$/m.exec(uevent)![1];
    expect(resolveLogDevice(devs[0])).to.equal(`/dev/${name}`);
  });
});
