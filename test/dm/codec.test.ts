// Encoding requests and decoding kernel-format buffers built by hand, byte by byte, per spec C1-C3.
import {expect} from 'chai';
import {decodeDev, decodeHeader, decodeNameList, decodeTargetSpecs, encodeDev, encodeRequest, outputArea, DM_FLAG} from '../../src/abi/dm/index.js';

describe('device-mapper buffers', () => {
  it('encodes a request: zeroed, version, data_size, data_start 312, name at 48, payload at 312', () => {
    const buf = encodeRequest({version: [4, 0, 0], name: 'vg-lv', flags: DM_FLAG.SUSPEND | DM_FLAG.BUFFER_FULL, eventNr: 7}, 2048, Buffer.from('xy'));
    expect(buf.length).to.equal(2048);
    expect([buf.readUInt32LE(0), buf.readUInt32LE(4), buf.readUInt32LE(8)]).to.deep.equal([4, 0, 0]);
    expect(buf.readUInt32LE(12)).to.equal(2048);
    expect(buf.readUInt32LE(16)).to.equal(312);
    expect(buf.readUInt32LE(28), 'BUFFER_FULL is never sent').to.equal(DM_FLAG.SUSPEND);
    expect(buf.readUInt32LE(32)).to.equal(7);
    expect(buf.toString('latin1', 48, 54)).to.equal('vg-lv\0');
    expect(buf.toString('latin1', 312, 314)).to.equal('xy');
    expect(buf.subarray(314).every((b) => b === 0)).to.equal(true);
    expect(() => encodeRequest({version: [4, 0, 0], name: 'x'.repeat(128)}, 2048)).to.throw(/at most 127/);
  });

  it('decodes the header, and the output area from data_start to data_size', () => {
    const buf = Buffer.alloc(1024);
    [4, 47, 0].forEach((v, i) => buf.writeUInt32LE(v, i * 4));
    buf.writeUInt32LE(400, 12);
    buf.writeUInt32LE(312, 16);
    buf.writeUInt32LE(2, 20);
    buf.writeInt32LE(3, 24);
    buf.writeUInt32LE(DM_FLAG.SUSPEND | DM_FLAG.ACTIVE_PRESENT, 28);
    buf.writeUInt32LE(9, 32);
    buf.writeBigUInt64LE(0x10fd05n, 40);
    buf.write('mirror0', 48);
    buf.write('LVM-abc', 176);
    const h = decodeHeader(buf);
    expect(h).to.deep.equal({version: [4, 47, 0], dataSize: 400, dataStart: 312, targetCount: 2, openCount: 3, flags: 0x22, eventNr: 9, dev: 0x10fd05n, name: 'mirror0', uuid: 'LVM-abc'});
    expect(outputArea(buf, h).length).to.equal(88);
    expect(outputArea(buf, {...h, dataSize: 305}).length).to.equal(0);
  });

  it('encodes and decodes device numbers the kernel way (huge encoding)', () => {
    expect(encodeDev(253, 0)).to.equal(0xfd00n);
    expect(encodeDev(253, 5)).to.equal(0xfd05n);
    expect(encodeDev(253, 256)).to.equal(0x10fd00n);
    expect(encodeDev(259, 0x12345)).to.equal(0x45n | (259n << 8n) | (0x12300n << 12n));
    expect(decodeDev(0x10fd05n)).to.deep.equal({major: 253, minor: 261});
    for (const [ma, mi] of [[253, 0], [7, 1], [259, 1048575], [4095, 65536]]) expect(decodeDev(encodeDev(ma, mi))).to.deep.equal({major: ma, minor: mi});
  });

  it('decodes a LIST_DEVICES chain: 8-aligned records, event numbers, uuids or their absence', () => {
    // Record 0 at 0: dev, next=32, "a\0" at 12; event_nr/flags at 16; uuid "U1\0" at 24; next record at 32.
    // Record 1 at 32: dev, next=32, "bb\0" at 44; event_nr/flags at 48 (DOESNT_HAVE_UUID); next at 64.
    // Record 2 at 64: dev, next=0, name "ccccc\0" at 76; event/flags at 88 (flags 0: no DM_UUID_FLAG asked).
    const d = Buffer.alloc(96);
    d.writeBigUInt64LE(encodeDev(253, 0), 0);
    d.writeUInt32LE(32, 8);
    d.write('a\0', 12);
    d.writeUInt32LE(4, 16);
    d.writeUInt32LE(1, 20);
    d.write('U1\0', 24);
    d.writeBigUInt64LE(encodeDev(253, 300), 32);
    d.writeUInt32LE(32, 40);
    d.write('bb\0', 44);
    d.writeUInt32LE(0, 48);
    d.writeUInt32LE(2, 52);
    d.writeBigUInt64LE(encodeDev(7, 1), 64);
    d.writeUInt32LE(0, 72);
    d.write('ccccc\0', 76);
    d.writeUInt32LE(11, 88);
    d.writeUInt32LE(0, 92);
    expect(decodeNameList(d)).to.deep.equal([
      {dev: 0xfd00n, name: 'a', eventNr: 4, uuid: 'U1'},
      {dev: encodeDev(253, 300), name: 'bb', eventNr: 0, uuid: null},
      {dev: 0x701n, name: 'ccccc', eventNr: 11, uuid: null},
    ]);
  });

  it('reads an empty list as no devices (area empty, or a first record with dev 0)', () => {
    expect(decodeNameList(Buffer.alloc(0))).to.deep.equal([]);
    expect(decodeNameList(Buffer.alloc(16))).to.deep.equal([]);
  });

  it('rejects a chain whose next points outside the output', () => {
    const d = Buffer.alloc(32);
    d.writeBigUInt64LE(0xfd00n, 0);
    d.writeUInt32LE(64, 8);
    d.write('a\0', 12);
    expect(() => decodeNameList(d)).to.throw(/bad next 64/);
  });

  it('decodes TABLE_STATUS targets whose next is relative to data_start', () => {
    // Spec 0 at 0 ("linear", "7:0 0" ends at 46, next 48); spec 1 at 48 ("mirror", long string, next 160);
    // spec 2 at 160 ("error", empty string).
    const d = Buffer.alloc(208);
    const spec = (at: number, start: bigint, len: bigint, type: string, text: string, next: number) => {
      d.writeBigUInt64LE(start, at);
      d.writeBigUInt64LE(len, at + 8);
      d.writeUInt32LE(next, at + 20);
      d.write(type, at + 24);
      d.write(`${text}\0`, at + 40);
    };
    const m = '2 253:1 253:2 10/10 1 AA 3 clustered-disk 253:3 A';
    spec(0, 0n, 1024n, 'linear', '7:0 0', 48);
    spec(48, 1024n, 2097152n, 'mirror', m, 160);
    spec(160, 2098176n, 8n, 'error', '', 0);
    expect(decodeTargetSpecs(d, 3)).to.deep.equal([
      {start: 0n, length: 1024n, status: 0, type: 'linear', params: '7:0 0'},
      {start: 1024n, length: 2097152n, status: 0, type: 'mirror', params: m},
      {start: 2098176n, length: 8n, status: 0, type: 'error', params: ''},
    ]);
    expect(decodeTargetSpecs(d, 0)).to.deep.equal([]);
    expect(() => decodeTargetSpecs(d.subarray(0, 30), 1)).to.throw(/runs past/);
  });
});
