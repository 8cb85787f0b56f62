// The B4 on-disk layout, the aligned I/O buffer and the log device wrapper.
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {blockDeviceSize} from '../../../src/abi/blockdev.js';
import {alignedBuffer, bufferAddress} from '../../../src/abi/memory.js';
import {Bitset} from '../../../src/storage/dmlog/bitset.js';
import {decodeDiskLog, diskBufferSize, encodeDiskLog} from '../../../src/storage/dmlog/disk-format.js';
import {DeviceError, LogDevice, splitDev} from '../../../src/storage/dmlog/log-device.js';

describe('dmlog disk format', () => {
  it('sizes buffers as whole pages holding 1024 header bytes plus the bitmap', () => {
    expect(diskBufferSize(1)).to.equal(4096);
    expect(diskBufferSize(8 * 3072)).to.equal(4096);
    expect(diskBufferSize(8 * 3072 + 1)).to.equal(8192);
    expect(diskBufferSize(2 ** 20)).to.equal(1024 + 131072 + 3072);
  });

  it('encodes magic, version, region count and the clean bitmap at byte 1024', () => {
    const clean = new Bitset(20);
    clean.set(0);
    clean.set(10);
    clean.set(19);
    const buf = Buffer.alloc(diskBufferSize(20), 0xaa);
    encodeDiskLog(buf, clean);
    expect([...buf.subarray(0, 4)]).to.deep.equal([0x72, 0x52, 0x69, 0x4d]);
    expect(buf.readUInt32LE(4)).to.equal(2);
    expect(buf.readBigUInt64LE(8)).to.equal(20n);
    expect(buf.subarray(16, 1024).every((b) => b === 0)).to.equal(true);
    expect([...buf.subarray(1024, 1027)]).to.deep.equal([0x01, 0x04, 0x08]);
    expect(buf.subarray(1027).every((b) => b === 0)).to.equal(true);
    const d = decodeDiskLog(buf);
    expect(d.nrRegions).to.equal(20n);
    expect([...d.bitmap.subarray(0, 3)]).to.deep.equal([0x01, 0x04, 0x08]);
  });

  it('decodes a wrong magic as a new log', () => {
    expect(decodeDiskLog(Buffer.alloc(4096)).nrRegions).to.equal(0n);
  });

  it('hands out zeroed buffers at the requested alignment', () => {
    for (const align of [512, 4096, 65536]) {
      const b = alignedBuffer(8192, align);
      expect(b.length).to.equal(8192);
      expect(bufferAddress(b) % BigInt(align)).to.equal(0n);
      expect(b.every((x) => x === 0)).to.equal(true);
    }
    expect(() => alignedBuffer(10, 3)).to.throw(RangeError);
  });

  it('splits dev_t as Linux encodes it', () => {
    expect(splitDev((253n << 8n) | 3n)).to.deep.equal({major: 253, minor: 3});
    const makedev = (ma: bigint, mi: bigint) => (mi & 0xffn) | ((ma & 0xfffn) << 8n) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n);
    expect(splitDev(makedev(0x123fdn, 0x456n))).to.deep.equal({major: 0x123fd, minor: 0x456});
  });
});

describe('dmlog log device', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-dmlog-dev-'));
  });
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}));

  it('writes and reads back the whole buffer', () => {
    const file = path.join(dir, 'log');
    fs.writeFileSync(file, Buffer.alloc(8192));
    const dev = LogDevice.open(file, 8192);
    dev.buffer.fill(0x5a);
    dev.write();
    dev.buffer.fill(0);
    dev.read();
    expect(dev.buffer.every((b) => b === 0x5a)).to.equal(true);
    expect(fs.readFileSync(file).every((b) => b === 0x5a)).to.equal(true);
    expect(dev.close()).to.equal(0);
    expect(dev.closed).to.equal(true);
    expect(() => dev.read()).to.throw(DeviceError);
  });

  it('refuses a device smaller than the buffer, a missing one and a directory', () => {
    const small = path.join(dir, 'small');
    fs.writeFileSync(small, Buffer.alloc(4095));
    expect(() => LogDevice.open(small, 4096)).to.throw(DeviceError).with.property('errno', 22);
    expect(() => LogDevice.open(path.join(dir, 'none'), 4096)).to.throw(DeviceError).with.property('errno', 2);
    expect(() => LogDevice.open(dir, 4096)).to.throw(DeviceError).with.property('errno', 21);
  });

  it('reports the size of a block device through BLKGETSIZE64', function () {
    const sizeOf = (name: string) => BigInt(fs.readFileSync(`/sys/block/${name}/size`, 'utf8').trim());
    // Devices with a size first, so the answer is not a trivial 0.
    const names = (fs.existsSync('/sys/block') ? fs.readdirSync('/sys/block') : []).sort((a, b) => Number(sizeOf(b) > 0n) - Number(sizeOf(a) > 0n));
    for (const name of names) {
      const sectors = sizeOf(name);
      let fd: number;
      try {
        fd = fs.openSync(`/dev/${name}`, fs.constants.O_RDONLY);
      } catch {
        continue; // no node, or the device cgroup refuses it
      }
      try {
        expect(blockDeviceSize(fd), name).to.equal(sectors * 512n);
      } finally {
        fs.closeSync(fd);
      }
      return;
    }
    this.skip(); // no block device this process may open
  });
});
