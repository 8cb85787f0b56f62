// The netlink connector / dm-log-userspace wire layout three ways: the numbers of
// spec/kernel-interfaces.md A1-A2 (written out below), koffi's struct layouts, and a C program
// compiled against the installed uapi headers. The datagram offsets the server reads (wire.ts)
// are checked against all three.
import {expect} from 'chai';
import * as nl from '../../src/abi/netlink/index.js';
import {CN_IDX_DM, CN_VAL_DM_USERSPACE_LOG, DM_ULOG_REQUEST_VERSION, UlogType} from '../../src/storage/dmlog/protocol.js';
import {cAbiNumbers, expectStructLayout} from '../helpers/c-abi.js';

/** spec A1/A2: [C name, size, align, offsets]. */
const SPEC = {
  sockaddrNl: ['sockaddr_nl', 12, 4, {nl_family: 0, nl_pad: 2, nl_pid: 4, nl_groups: 8}],
  nlmsghdr: ['nlmsghdr', 16, 4, {nlmsg_len: 0, nlmsg_type: 4, nlmsg_flags: 6, nlmsg_seq: 8, nlmsg_pid: 12}],
  cnMsg: ['cn_msg', 20, 4, {id: 0, seq: 8, ack: 12, len: 16, flags: 18}],
  ulogRequest: ['dm_ulog_request', 160, 8, {luid: 0, uuid: 8, padding: 137, version: 140, error: 144, seq: 148, request_type: 152, data_size: 156}],
} as const;

describe('netlink connector / dm-log-userspace ABI (x86_64)', () => {
  let c: Record<string, number>;
  before(function () {
    this.timeout(30_000);
    c = cAbiNumbers('test/abi/print-netlink.c');
  });

  for (const [key, [cname, size, align, offsets]] of Object.entries(SPEC)) {
    it(`lays out struct ${cname} as ${size} bytes, align ${align}`, () => {
      expectStructLayout(c, cname, {size, align, offsets}, nl.netlinkLayout(key as nl.NetlinkStructName));
    });
  }

  it('places cn_msg id.idx/id.val at 0/4 and its data at 20; the request data at 160', () => {
    expect(nl.netlinkLayout('cbId')).to.deep.equal({size: 8, align: 4, offsets: {idx: 0, val: 4}});
    expect([c['offsetof struct cn_msg.id.idx'], c['offsetof struct cn_msg.id.val'], c['offsetof struct cn_msg.data']]).to.deep.equal([0, 4, 20]);
    expect(c['offsetof struct dm_ulog_request.data']).to.equal(160);
  });

  it('reads datagrams at header size + field offset (request at 36, unaligned; payload at 196)', () => {
    const ko = (n: nl.NetlinkStructName) => nl.netlinkLayout(n).offsets;
    expect([nl.NLMSGHDR_SIZE, nl.CN_MSG_SIZE, nl.ULOG_REQUEST_SIZE, nl.ULOG_AT, nl.ULOG_HEADER_BYTES]).to.deep.equal([16, 20, 160, 36, 196]);
    const h = ko('nlmsghdr');
    expect(nl.NL).to.deep.equal({LEN: h.nlmsg_len, TYPE: h.nlmsg_type, FLAGS: h.nlmsg_flags, SEQ: h.nlmsg_seq, PID: h.nlmsg_pid});
    const cn = ko('cnMsg');
    expect(nl.CN).to.deep.equal({IDX: 16 + cn.id, VAL: 16 + cn.id + 4, SEQ: 16 + cn.seq, ACK: 16 + cn.ack, LEN: 16 + cn.len, FLAGS: 16 + cn.flags});
    const r = ko('ulogRequest');
    expect(nl.ULOG).to.deep.equal({
      LUID: 36 + r.luid, UUID: 36 + r.uuid, PADDING: 36 + r.padding, VERSION: 36 + r.version, ERROR: 36 + r.error, SEQ: 36 + r.seq,
      REQUEST_TYPE: 36 + r.request_type, DATA_SIZE: 36 + r.data_size, DATA: 36 + c['offsetof struct dm_ulog_request.data'],
    });
    expect(nl.UUID_FIELD_LEN).to.equal(c.DM_UUID_LEN);
  });

  it('decodes a datagram written at the wire offsets with koffi to the same fields', () => {
    const d = Buffer.alloc(200);
    d.writeUInt32LE(200, nl.NL.LEN);
    d.writeUInt16LE(3, nl.NL.TYPE);
    d.writeUInt32LE(77, nl.NL.SEQ);
    d.writeUInt32LE(7, nl.CN.IDX);
    d.writeUInt32LE(1, nl.CN.VAL);
    d.writeUInt32LE(77, nl.CN.SEQ);
    d.writeUInt16LE(164, nl.CN.LEN);
    d.writeBigUInt64LE(0xfedcba9876543210n, nl.ULOG.LUID);
    d.write('my-uuid', nl.ULOG.UUID, 'latin1');
    d.writeUInt32LE(3, nl.ULOG.VERSION);
    d.writeInt32LE(-22, nl.ULOG.ERROR);
    d.writeUInt32LE(77, nl.ULOG.SEQ);
    d.writeUInt32LE(10, nl.ULOG.REQUEST_TYPE);
    d.writeUInt32LE(4, nl.ULOG.DATA_SIZE);
    const h = nl.decodeHeaders(d);
    expect(h.nlmsghdr).to.include({nlmsg_len: 200, nlmsg_type: 3, nlmsg_flags: 0, nlmsg_seq: 77, nlmsg_pid: 0});
    expect(h.cnMsg).to.deep.include({id: {idx: 7, val: 1}, seq: 77, ack: 0, len: 164, flags: 0});
    expect(BigInt(h.ulogRequest.luid)).to.equal(0xfedcba9876543210n);
    expect(h.ulogRequest).to.include({version: 3, error: -22, seq: 77, request_type: 10, data_size: 4});
  });

  it('agrees on the socket constants, connector id, request version and request types', () => {
    const ours: Record<string, number> = {
      AF_NETLINK: nl.AF_NETLINK, NETLINK_CONNECTOR: nl.NETLINK_CONNECTOR, SOCK_DGRAM: nl.SOCK_DGRAM, SOCK_NONBLOCK: nl.SOCK_NONBLOCK,
      SOCK_CLOEXEC: nl.SOCK_CLOEXEC, SOL_NETLINK: nl.SOL_NETLINK, NETLINK_ADD_MEMBERSHIP: nl.NETLINK_ADD_MEMBERSHIP, SOL_SOCKET: nl.SOL_SOCKET,
      SO_RCVBUF: nl.SO_RCVBUF, SO_RCVBUFFORCE: nl.SO_RCVBUFFORCE, SO_SNDBUF: nl.SO_SNDBUF, SO_SNDBUFFORCE: nl.SO_SNDBUFFORCE,
      MSG_TRUNC: nl.MSG_TRUNC, MSG_DONTWAIT: nl.MSG_DONTWAIT, NLMSG_DONE: nl.NLMSG_DONE, CN_IDX_DM, CN_VAL_DM_USERSPACE_LOG,
      DM_ULOG_REQUEST_VERSION,
    };
    for (const [k, v] of Object.entries(ours)) expect(c[k], k).to.equal(v);
    expect([nl.AF_NETLINK, nl.NETLINK_CONNECTOR, nl.SOL_NETLINK, CN_IDX_DM, CN_VAL_DM_USERSPACE_LOG, DM_ULOG_REQUEST_VERSION]).to.deep.equal([16, 11, 270, 7, 1, 3]);
    for (const [k, v] of Object.entries(UlogType)) expect(c[`DM_ULOG_${k}`], k).to.equal(v);
  });
});
