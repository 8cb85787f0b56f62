// The datagram codec alone (no socket): verdicts for each kind of bad datagram, reply bytes.
import {expect} from 'chai';
import {CN, NL, ULOG} from '../../../src/abi/netlink/wire.js';
import {encodeReply, encodeShortAck, UlogCodec} from '../../../src/storage/dmlog/codec.js';
import {buildRequest} from '../../helpers/standin-kernel.js';

const req = (data = Buffer.alloc(0)) => buildRequest({type: 10, uuid: 'LVM-x', luid: 42n, seq: 9, data});

describe('dm-log-userspace codec', () => {
  const codec = new UlogCodec({peerPort: 4242});
  const big = (d: Buffer) => {
    const b = Buffer.alloc(8192);
    d.copy(b);
    return b;
  };

  it('decodes a request from the kernel or the named peer, at offset 36', () => {
    const d = req(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    for (const from of [0, 4242]) {
      const r = codec.decode(big(d), d.length, from);
      expect(r.kind).to.equal('request');
      if (r.kind !== 'request') return;
      expect(r.cnSeq).to.equal(9);
      expect(r.request).to.deep.include({luid: 42n, uuid: 'LVM-x', version: 3, seq: 9, requestType: 10});
      expect([...r.request.data]).to.deep.equal([1, 0, 0, 0, 0, 0, 0, 0]);
    }
    // Up to 3 bytes of netlink alignment padding after the message are accepted.
    expect(codec.decode(big(d), d.length + 3, 0).kind).to.equal('request');
  });

  it('ignores other senders, runts and foreign connector ids', () => {
    const d = req();
    expect(codec.decode(big(d), d.length, 77)).to.deep.equal({kind: 'ignore', reason: 'sender'});
    expect(codec.decode(big(d), 35, 0)).to.deep.equal({kind: 'ignore', reason: 'runt'});
    const f = Buffer.from(d);
    f.writeUInt32LE(2, CN.VAL);
    expect(codec.decode(big(f), f.length, 0)).to.deep.equal({kind: 'ignore', reason: 'id'});
  });

  it('short-ACKs untrustworthy lengths and fully answers bad contents with -EINVAL', () => {
    const d = req(Buffer.alloc(8));
    const mut = (f: (b: Buffer) => void, len = d.length) => {
      const b = big(d);
      f(b);
      return codec.decode(b, len, 0);
    };
    expect(mut((b) => b.writeUInt16LE(100, CN.LEN))).to.include({kind: 'short-ack', errno: 22, cnSeq: 9});
    expect(mut((b) => b.writeUInt32LE(1000, NL.LEN))).to.include({kind: 'short-ack', errno: 22});
    expect(mut(() => undefined, d.length + 4)).to.include({kind: 'short-ack', errno: 22});
    expect(mut(() => undefined, 100)).to.include({kind: 'short-ack', errno: 22});
    expect(mut((b) => b.writeUInt32LE(9, ULOG.DATA_SIZE))).to.include({kind: 'error-reply', error: -22});
    expect(mut((b) => b.writeUInt32LE(0, ULOG.VERSION))).to.include({kind: 'error-reply', error: -22});
    expect(mut((b) => b.writeUInt32LE(4, ULOG.VERSION))).to.include({kind: 'error-reply', error: -22});
    const huge = req(Buffer.alloc(9000));
    expect(codec.decode(huge.subarray(0, 8192), huge.length, 0)).to.include({kind: 'error-reply', error: -22});
  });

  it('encodes a reply echoing the request, and a short ACK', () => {
    const d = req(Buffer.alloc(8));
    const out = Buffer.alloc(1024);
    const n = encodeReply(out, d, 555, 9, 0, Buffer.from('abc\0'));
    expect(n).to.equal(200);
    expect([out.readUInt32LE(NL.LEN), out.readUInt16LE(NL.TYPE), out.readUInt32LE(NL.SEQ), out.readUInt32LE(NL.PID)]).to.deep.equal([200, 3, 0, 555]);
    expect([out.readUInt32LE(CN.IDX), out.readUInt32LE(CN.VAL), out.readUInt32LE(CN.SEQ), out.readUInt32LE(CN.ACK), out.readUInt16LE(CN.LEN)]).to.deep.equal([7, 1, 9, 0, 164]);
    expect(out.subarray(ULOG.LUID, ULOG.ERROR).equals(d.subarray(ULOG.LUID, ULOG.ERROR))).to.equal(true);
    expect([out.readInt32LE(ULOG.ERROR), out.readUInt32LE(ULOG.SEQ), out.readUInt32LE(ULOG.REQUEST_TYPE), out.readUInt32LE(ULOG.DATA_SIZE)]).to.deep.equal([0, 9, 10, 4]);
    expect(out.toString('latin1', ULOG.DATA, ULOG.DATA + 4)).to.equal('abc\0');
    // With an error, no data.
    expect(encodeReply(out, d, 555, 9, -5, Buffer.from('abc'))).to.equal(196);
    expect([out.readInt32LE(ULOG.ERROR), out.readUInt32LE(ULOG.DATA_SIZE), out.readUInt16LE(CN.LEN)]).to.deep.equal([-5, 0, 160]);
    expect(encodeShortAck(out, 555, 12, 11)).to.equal(36);
    expect([out.readUInt32LE(NL.LEN), out.readUInt32LE(CN.SEQ), out.readUInt32LE(CN.ACK), out.readUInt16LE(CN.LEN)]).to.deep.equal([36, 12, 11, 0]);
  });
});
