// DmControl and the `cr dm` operations against a fake kernel (test/helpers/fake-dm.ts) through the
// injectable ioctl: request encoding, buffer-full retry, errors, suspend rollback, wait.
import {expect} from 'chai';
import {DM_FLAG, DmControlDevice} from '../../src/abi/dm/index.js';
import {CrError, KernelError, UsageError} from '../../src/errors/index.js';
import {dmList, dmResume, dmStatus, dmSuspend, dmWait} from '../../src/pipeline/dm.js';
import {DmControl} from '../../src/storage/dm/client.js';
import {FakeDm, type FakeDev} from '../helpers/fake-dm.js';

const MIRROR_STATUS = '2 253:1 253:2 10/10 1 AA 3 clustered-disk 253:3 A';
const MIRROR_TABLE = 'userspace 4 LVM-mirroruuid clustered-disk 253:3 1024 2 253:1 0 253:2 0 1 handle_errors';

function devices(): FakeDev[] {
  return [
    {name: 'vg-mirror', uuid: 'LVM-mirroruuid', major: 253, minor: 4, eventNr: 2, openCount: 1, targets: [{start: 0n, length: 2097152n, type: 'mirror', status: MIRROR_STATUS, table: MIRROR_TABLE}]},
    {name: 'vg-data', uuid: 'LVM-datauuid', major: 253, minor: 300, targets: [{start: 0n, length: 1024n, type: 'linear', status: '', table: '7:0 0'}]},
    {name: 'bare', major: 253, minor: 9, suspended: true, inactive: true},
  ];
}

const setup = (devs = devices()) => {
  const fake = new FakeDm(devs);
  return {fake, control: DmControl.withIoctl(fake.ioctl)};
};

async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('DmControl (fake kernel)', () => {
  it("returns the kernel's version; sends 4.0.0 with a 2 KiB buffer", async () => {
    const {fake, control} = setup();
    expect(await control.version()).to.deep.equal([4, 47, 0]);
    expect(fake.calls).to.deep.equal([{cmd: 0, name: '', flags: 0, size: 2048, eventNr: 0, version: [4, 0, 0]}]);
  });

  it('lists devices with uuids (DM_UUID_FLAG), sorted by name, in a 16 KiB buffer', async () => {
    const {fake, control} = setup();
    expect(await control.list()).to.deep.equal([
      {name: 'bare', major: 253, minor: 9, uuid: null, eventNr: 0},
      {name: 'vg-data', major: 253, minor: 300, uuid: 'LVM-datauuid', eventNr: 0},
      {name: 'vg-mirror', major: 253, minor: 4, uuid: 'LVM-mirroruuid', eventNr: 2},
    ]);
    expect(fake.calls[0]).to.include({cmd: 2, flags: DM_FLAG.UUID, size: 16384, name: ''});
  });

  it('reads an empty device list', async () => {
    const {control} = setup([]);
    expect(await control.list()).to.deep.equal([]);
  });

  it('doubles the buffer while the kernel sets DM_BUFFER_FULL_FLAG', async () => {
    const many = Array.from({length: 250}, (_, i): FakeDev => ({name: `dev-${String(i).padStart(3, '0')}-${'x'.repeat(100)}`, uuid: `UUID-${i}-${'u'.repeat(80)}`, major: 253, minor: i}));
    const {fake, control} = setup(many);
    const list = await control.list();
    expect(list).to.have.length(250);
    expect(list[249]).to.deep.include({minor: 249, uuid: `UUID-249-${'u'.repeat(80)}`});
    expect(fake.calls.map((c) => c.size)).to.deep.equal([16384, 32768, 65536]);
    const device = DmControlDevice.withIoctl(fake.ioctl);
    expect((await device.call('LIST_DEVICES', {flags: DM_FLAG.UUID}, {initialSize: 4096})).sizes).to.deep.equal([4096, 8192, 16384, 32768, 65536]);
  });

  it('gives up at 64 MiB when the kernel never has room', async function () {
    this.timeout(20_000);
    const sizes: number[] = [];
    const device = DmControlDevice.withIoctl(async (_fd, _req, buf) => {
      sizes.push(buf.length);
      buf.writeUInt32LE(4, 0);
      buf.writeUInt32LE(DM_FLAG.BUFFER_FULL, 28);
      return 0;
    });
    const e = await rejection(device.call('TABLE_STATUS', {name: 'x'}));
    expect(e).to.be.instanceOf(KernelError);
    expect(e.message).to.contain('does not fit in 67108864 bytes');
    expect(sizes[0]).to.equal(16384);
    expect(sizes.at(-1)).to.equal(64 * 1024 * 1024);
    expect(sizes).to.have.length(13);
  });

  it('retries a call interrupted by a signal (EINTR)', async () => {
    const {fake} = setup();
    let first = true;
    const control = DmControl.withIoctl(async (fd, req, buf) => (first ? ((first = false), -4) : fake.ioctl(fd, req, buf)));
    expect((await control.info('vg-data')).name).to.equal('vg-data');
  });

  it('decodes DEV_STATUS into DmInfo (flags, counts, huge device number)', async () => {
    const {fake, control} = setup();
    expect(await control.info('vg-data')).to.deep.equal({name: 'vg-data', uuid: 'LVM-datauuid', major: 253, minor: 300, suspended: false, readOnly: false, activePresent: true, inactivePresent: false, openCount: 0, eventNr: 0, targetCount: 1});
    expect(await control.info('bare')).to.deep.include({suspended: true, activePresent: false, inactivePresent: true, targetCount: 0, uuid: ''});
    expect(fake.calls[0]).to.include({cmd: 7, name: 'vg-data', size: 2048});
  });

  it('reads target status lines, or table lines with DM_STATUS_TABLE_FLAG', async () => {
    const devs = devices();
    devs[1].targets = [
      {start: 0n, length: 1024n, type: 'linear', status: '', table: '7:0 0'},
      {start: 1024n, length: 2048n, type: 'striped', status: '2 7:1 7:2 1 AA', table: '2 128 7:1 0 7:2 0'},
      {start: 3072n, length: 8n, type: 'error', status: '', table: ''},
    ];
    const {fake, control} = setup(devs);
    expect(await control.table('vg-data', 'status')).to.deep.equal([
      {start: 0n, length: 1024n, type: 'linear', params: ''},
      {start: 1024n, length: 2048n, type: 'striped', params: '2 7:1 7:2 1 AA'},
      {start: 3072n, length: 8n, type: 'error', params: ''},
    ]);
    expect((await control.table('vg-data', 'table')).map((t) => t.params)).to.deep.equal(['7:0 0', '2 128 7:1 0 7:2 0', '']);
    expect(fake.calls.map((c) => [c.cmd, c.flags & DM_FLAG.STATUS_TABLE])).to.deep.equal([[12, 0], [12, DM_FLAG.STATUS_TABLE]]);
  });

  it('retries TABLE_STATUS when a status line does not fit', async () => {
    const devs = devices();
    devs[0].targets![0].status = `${MIRROR_STATUS} ${'x'.repeat(20000)}`;
    const {fake, control} = setup(devs);
    const [t] = await control.table('vg-mirror', 'status');
    expect(t.params).to.have.length(MIRROR_STATUS.length + 20001);
    expect(fake.calls.map((c) => c.size)).to.deep.equal([16384, 32768]);
  });

  it('suspends with SUSPEND|NOFLUSH|SKIP_LOCKFS and resumes without SUSPEND', async () => {
    const {fake, control} = setup();
    expect((await control.suspend('vg-data', {noflush: true, skipLockfs: true})).suspended).to.equal(true);
    expect((await control.resume('vg-data')).suspended).to.equal(false);
    expect(fake.calls.map((c) => [c.cmd, c.flags])).to.deep.equal([[6, DM_FLAG.SUSPEND | DM_FLAG.NOFLUSH | DM_FLAG.SKIP_LOCKFS], [6, 0]]);
  });

  it('names a missing device (ENXIO, exit 6) and a refused version (both versions named)', async () => {
    const {fake, control} = setup();
    const e = await rejection(control.info('nope'));
    expect(e).to.be.instanceOf(KernelError);
    expect([e.errno, e.exitCode, e.op]).to.deep.equal([6, 6, 'DM_DEV_STATUS nope']);
    expect(e.message).to.equal('DM_DEV_STATUS nope: no device-mapper device named `nope`');
    fake.version = [5, 0, 0];
    const v = await rejection(control.info('vg-data'));
    expect([v.errno, v.exitCode]).to.deep.equal([22, 22]);
    expect(v.message).to.contain('kernel speaks device-mapper interface 5.0.0, cr asked for 4.0.0');
    const busy = DmControl.withIoctl(async () => -16);
    const b = await rejection(busy.suspend('x'));
    expect([b.errno, b.exitCode, b.message]).to.deep.equal([16, 16, 'DM_DEV_SUSPEND x: Device or resource busy']);
  });

  it('rejects bad names as usage errors before any ioctl', async () => {
    const {fake, control} = setup();
    for (const bad of ['', 'a/b', 'x'.repeat(128), 'é'.repeat(64)]) {
      const e = await rejection(control.info(bad));
      expect(e, bad).to.be.instanceOf(UsageError);
      expect(e.exitCode).to.equal(255);
      expect(e.message).to.match(/^Expected NAME to be a device-mapper device name/);
    }
    expect(fake.calls).to.deep.equal([]);
    fake.devices.push({name: 'n'.repeat(127), major: 253, minor: 50});
    expect((await control.info('n'.repeat(127))).name, 'a 127-byte name is sent whole').to.equal('n'.repeat(127));
  });
});

describe('DmControlDevice (real ioctl on a koffi worker thread)', () => {
  it('runs the ioctl off the event loop and checks its errno: /dev/null answers ENOTTY', async () => {
    const device = DmControlDevice.open('/dev/null');
    try {
      const e = await rejection(device.call('VERSION'));
      expect(e).to.be.instanceOf(KernelError);
      expect([e.errno, e.op, e.message]).to.deep.equal([25, 'DM_VERSION', 'DM_VERSION: Inappropriate ioctl for device']);
    } finally {
      device.close();
    }
  });

  it('says device-mapper is missing when the control node does not exist', () => {
    expect(() => DmControlDevice.open('/nonexistent/mapper/control')).to.throw(KernelError, 'device-mapper is missing: /nonexistent/mapper/control does not exist (kernel module dm_mod not loaded');
  });
});

describe('cr dm operations (fake kernel)', () => {
  it('lists each device with its state', async () => {
    const {control} = setup();
    expect(await dmList({control})).to.deep.equal([
      {name: 'bare', uuid: '', major: 253, minor: 9, suspended: true, openCount: 0, eventNr: 0},
      {name: 'vg-data', uuid: 'LVM-datauuid', major: 253, minor: 300, suspended: false, openCount: 0, eventNr: 0},
      {name: 'vg-mirror', uuid: 'LVM-mirroruuid', major: 253, minor: 4, suspended: false, openCount: 1, eventNr: 2},
    ]);
  });

  it('shows a mirror with its parsed sync state, and the userspace log uuid with --table', async () => {
    const {control} = setup();
    const s = await dmStatus('vg-mirror', {}, {control});
    expect(s.targets[0].mirror).to.deep.include({inSyncRegions: 10, totalRegions: 10, inSync: true, health: 'AA'});
    const t = await dmStatus('vg-mirror', {table: true}, {control});
    expect(t.targets[0].params).to.equal(MIRROR_TABLE);
    expect(t.userspaceLogUuid).to.equal('LVM-mirroruuid');
    expect((await dmStatus('bare', {}, {control})).targets).to.deep.equal([]);
  });

  it('suspends in order and, when one fails, resumes the others newest first and reports both', async () => {
    const {fake, control} = setup();
    fake.devices.push({name: 'vg-log', major: 253, minor: 10, targets: []});
    fake.failSuspend.set('vg-log', 16);
    const e = await rejection(dmSuspend(['vg-data', 'vg-mirror', 'vg-log'], {noflush: true}, {control}));
    expect(e).to.be.instanceOf(CrError);
    expect(e.exitCode).to.equal(16);
    expect(e.message).to.equal('cr dm suspend: DM_DEV_SUSPEND vg-log: Device or resource busy');
    expect(e.details).to.deep.equal(['resumed vg-mirror again', 'resumed vg-data again']);
    expect(fake.calls.map((c) => `${c.flags & DM_FLAG.SUSPEND ? 'suspend' : 'resume'} ${c.name}`)).to.deep.equal([
      'suspend vg-data', 'suspend vg-mirror', 'suspend vg-log', 'resume vg-mirror', 'resume vg-data',
    ]);
    expect(fake.devices.filter((d) => d.suspended).map((d) => d.name)).to.deep.equal(['bare']);
  });

  it('reports a rollback resume that fails too', async () => {
    const {fake, control} = setup();
    fake.failSuspend.set('vg-mirror', 5);
    fake.failResume.set('vg-data', 16);
    const e = await rejection(dmSuspend(['vg-data', 'vg-mirror'], {}, {control}));
    expect(e.exitCode).to.equal(5);
    expect(e.details).to.deep.equal(['could not resume vg-data: DM_DEV_SUSPEND vg-data: Device or resource busy']);
  });

  it('resumes every device given even when one fails', async () => {
    const {fake, control} = setup();
    fake.devices.forEach((d) => (d.suspended = true));
    const e = await rejection(dmResume(['vg-data', 'nope', 'vg-mirror'], {control}));
    expect(e.exitCode).to.equal(6);
    expect(e.message).to.contain('no device-mapper device named `nope`');
    expect(e.details).to.deep.equal(['resumed vg-data', 'resumed vg-mirror']);
    expect((await dmResume(['bare'], {control})).resumed[0].suspended).to.equal(false);
  });

  it('waits past the current event number, and expires with ETIME (62)', async () => {
    const {fake, control} = setup();
    setTimeout(() => fake.bump('vg-mirror'), 50);
    const r = await dmWait('vg-mirror', {}, {control});
    expect([r.after, r.eventNr, r.targets[0].params]).to.deep.equal([2, 3, MIRROR_STATUS]);
    expect(fake.calls.filter((c) => c.cmd === 8).map((c) => c.eventNr)).to.deep.equal([2]);
    expect((await dmWait('vg-mirror', {event: 1}, {control})).eventNr).to.equal(3);
    const e = await rejection(dmWait('vg-mirror', {timeout: '100ms'}, {control}));
    expect([e.exitCode, e.code]).to.deep.equal([62, 'ETIME']);
    expect(e.message).to.equal('cr dm wait: no event on vg-mirror within 100ms (event number still 3)');
    const u = await rejection(dmWait('vg-mirror', {timeout: 'soon'}, {control}));
    expect([u.exitCode, u.message]).to.deep.equal([255, '--timeout: Expected a duration (seconds, or 500ms, 30s, 5m, 1h30m, 2d), got `soon`']);
    fake.bump('vg-mirror'); // releases the waiter left behind
  });
});
