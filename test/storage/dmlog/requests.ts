// Building dm-log-userspace requests for the log engine's tests, as the kernel would send them.
import {expect} from 'chai';
import {UlogType, type UlogReply, type UlogRequest, type UlogTypeName} from '../../../src/storage/dmlog/protocol.js';

export const UUID = 'LVM-testuuid0123456789';
export const LUID = 0xffff888012345678n;

let seq = 0;

export function request(
  type: UlogTypeName | number,
  data: Buffer | string = Buffer.alloc(0),
  opts: {uuid?: string; luid?: bigint; version?: number} = {},
): UlogRequest {
  return {
    luid: opts.luid ?? LUID,
    uuid: opts.uuid ?? UUID,
    version: opts.version ?? 3,
    seq: seq++,
    requestType: typeof type === 'number' ? type : UlogType[type],
    data: typeof data === 'string' ? Buffer.from(data, 'latin1') : data,
  };
}

/** A u64[] payload. */
export function regions(...rs: (number | bigint)[]): Buffer {
  const b = Buffer.alloc(8 * rs.length);
  rs.forEach((r, i) => b.writeBigUInt64LE(BigInt(r), 8 * i));
  return b;
}

/** A SET_REGION_SYNC payload. */
export function regionSync(region: number | bigint, inSync: number | bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt(region), 0);
  b.writeBigInt64LE(BigInt(inSync), 8);
  return b;
}

/** The reply must be a success with `size` bytes of data. */
export function expectOk(reply: UlogReply, size = 0): Buffer {
  expect(reply.error, `error ${reply.error}`).to.equal(0);
  expect(reply.data.length).to.equal(size);
  return reply.data;
}

/** The reply must be -errno with no data. */
export function expectErr(reply: UlogReply, errno: number): void {
  expect(reply.error).to.equal(-errno);
  expect(reply.data.length).to.equal(0);
}

/** A successful 8-byte reply as a number. */
export function u64Of(reply: UlogReply): number {
  return Number(expectOk(reply, 8).readBigUInt64LE(0));
}

/** A successful 16-byte reply as its two fields. */
export function pairOf(reply: UlogReply): [number, number] {
  const d = expectOk(reply, 16);
  return [Number(d.readBigInt64LE(0)), Number(d.readBigUInt64LE(8))];
}
