// A stand-in for the kernel's side of dm-log-userspace, for host tests and the benchmark: its own
// connector socket that multicasts requests to group 7 exactly as the kernel does (nl_groups
// 1 << 6, destination port 0, nlmsghdr + cn_msg + dm_ulog_request + payload) and receives the
// server's unicast replies, matched like the kernel: short ACKs (cn len 0) on the cn_msg seq,
// full replies on the request seq.
import {ConnectorSocket, CN, NL, POLL, pollOne, ULOG, ULOG_AT, ULOG_HEADER_BYTES} from '../../src/abi/index.js';
import {CN_IDX_DM, CN_VAL_DM_USERSPACE_LOG, DM_ULOG_REQUEST_VERSION} from '../../src/storage/dmlog/protocol.js';

/** nl_groups bit of connector group 7. */
export const GROUP_7 = 1 << (CN_IDX_DM - 1);

export interface Reply {
  /** Datagram length as received. */
  length: number;
  nlmsgLen: number;
  nlmsgType: number;
  nlmsgPid: number;
  cnIdx: number;
  cnVal: number;
  cnSeq: number;
  ack: number;
  cnLen: number;
  /** The rest is absent (undefined) in a short ACK. */
  luid?: bigint;
  uuid?: string;
  version?: number;
  error?: number;
  seq?: number;
  requestType?: number;
  dataSize?: number;
  data?: Buffer;
  /** Sender port of the reply. */
  from: number;
}

export interface RequestFields {
  type: number;
  luid?: bigint;
  uuid?: string;
  data?: Buffer | string;
  /** Defaults to the next kernel seq. */
  seq?: number;
  version?: number;
}

/** Build a request datagram the way the kernel does (dm_consult_userspace + cn_netlink_send). */
export function buildRequest(f: RequestFields & {seq: number}): Buffer {
  const data = typeof f.data === 'string' ? Buffer.from(f.data, 'latin1') : (f.data ?? Buffer.alloc(0));
  const d = Buffer.alloc(ULOG_HEADER_BYTES + data.length);
  d.writeUInt32LE(d.length, NL.LEN);
  d.writeUInt16LE(3, NL.TYPE);
  d.writeUInt32LE(f.seq >>> 0, NL.SEQ);
  d.writeUInt32LE(CN_IDX_DM, CN.IDX);
  d.writeUInt32LE(CN_VAL_DM_USERSPACE_LOG, CN.VAL);
  d.writeUInt32LE(f.seq >>> 0, CN.SEQ);
  d.writeUInt16LE(d.length - ULOG_AT, CN.LEN);
  d.writeBigUInt64LE(f.luid ?? 1n, ULOG.LUID);
  d.write(f.uuid ?? '', ULOG.UUID, 128, 'latin1');
  d.writeUInt32LE(f.version ?? DM_ULOG_REQUEST_VERSION, ULOG.VERSION);
  d.writeUInt32LE(f.seq >>> 0, ULOG.SEQ);
  d.writeUInt32LE(f.type, ULOG.REQUEST_TYPE);
  d.writeUInt32LE(data.length, ULOG.DATA_SIZE);
  data.copy(d, ULOG.DATA);
  return d;
}

export function parseReply(buf: Buffer, length: number, from: number): Reply {
  const r: Reply = {
    length, from,
    nlmsgLen: buf.readUInt32LE(NL.LEN), nlmsgType: buf.readUInt16LE(NL.TYPE), nlmsgPid: buf.readUInt32LE(NL.PID),
    cnIdx: buf.readUInt32LE(CN.IDX), cnVal: buf.readUInt32LE(CN.VAL), cnSeq: buf.readUInt32LE(CN.SEQ), ack: buf.readUInt32LE(CN.ACK), cnLen: buf.readUInt16LE(CN.LEN),
  };
  if (length >= ULOG_HEADER_BYTES) {
    r.luid = buf.readBigUInt64LE(ULOG.LUID);
    const end = buf.indexOf(0, ULOG.UUID);
    r.uuid = buf.toString('latin1', ULOG.UUID, end < 0 || end > ULOG.UUID + 128 ? ULOG.UUID + 128 : end);
    r.version = buf.readUInt32LE(ULOG.VERSION);
    r.error = buf.readInt32LE(ULOG.ERROR);
    r.seq = buf.readUInt32LE(ULOG.SEQ);
    r.requestType = buf.readUInt32LE(ULOG.REQUEST_TYPE);
    r.dataSize = buf.readUInt32LE(ULOG.DATA_SIZE);
    r.data = Buffer.from(buf.subarray(ULOG.DATA, Math.min(length, ULOG.DATA + r.dataSize)));
  }
  return r;
}

export class StandinKernel {
  readonly sock: ConnectorSocket;
  readonly port: number;
  /** The kernel's global request counter (dm_ulog_seq). */
  nextSeq = 0;
  /** Every reply nobody waited for, in arrival order. */
  readonly unmatched: Reply[] = [];
  /** Called for each reply first; return true to consume it. */
  onReply: ((r: Reply) => boolean) | undefined;
  private readonly waiting = new Map<string, (r: Reply) => void>();
  private readonly buf = Buffer.alloc(65536);
  private pumping: Promise<void> | undefined;
  private closed = false;

  constructor() {
    this.sock = ConnectorSocket.open();
    this.sock.setReceiveBuffer(8 << 20);
    this.sock.setSendBuffer(8 << 20);
    this.port = this.sock.port();
  }

  /** Multicast a datagram to group 7 as the kernel does. */
  sendRaw(d: Buffer): void {
    for (;;) {
      const n = this.sock.send(d, d.length, 0, GROUP_7);
      if (n === d.length) return;
      if (n !== -11) throw new Error(`stand-in kernel: sendto group 7 returned ${n}`);
    }
  }

  /** Send a request and wait for its reply (full reply on seq, or short ACK on cn seq). */
  request(f: RequestFields, timeoutMs = 5000): Promise<Reply> {
    const seq = f.seq ?? this.nextSeq++;
    const p = this.expect(seq, timeoutMs);
    this.sendRaw(buildRequest({...f, seq}));
    return p;
  }

  /** A promise for the reply matching `seq`. */
  expect(seq: number, timeoutMs = 5000): Promise<Reply> {
    this.pump();
    return new Promise((resolve, reject) => {
      const key = String(seq >>> 0);
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`stand-in kernel: no reply for seq ${seq} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(key, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  /** Receive replies for `ms` and return those nobody waited for. */
  async collect(ms: number): Promise<Reply[]> {
    this.pump();
    await new Promise((r) => setTimeout(r, ms));
    return this.unmatched.splice(0);
  }

  /** Start the receive loop (poll on koffi's worker thread, then drain). */
  pump(): void {
    this.pumping ??= (async () => {
      while (!this.closed) {
        const rev = await pollOne(this.sock.fd, POLL.IN, 50);
        if (this.closed) break;
        if (rev) this.drain();
      }
    })();
  }

  /** Read every queued reply now. */
  drain(): void {
    for (;;) {
      const n = this.sock.recv(this.buf);
      if (n === -11) return;
      if (n < 0) continue;
      this.dispatch(parseReply(this.buf, n, this.sock.fromPort));
    }
  }

  private dispatch(r: Reply): void {
    if (this.onReply?.(r)) return;
    const key = String(r.cnLen === 0 ? r.cnSeq : r.seq);
    const w = this.waiting.get(key);
    if (w) {
      this.waiting.delete(key);
      w(r);
    } else this.unmatched.push(r);
  }

  /** Stop the receive loop, leaving the socket open for a caller that reads it itself (the bench). */
  async stopPump(): Promise<void> {
    this.closed = true;
    await this.pumping;
  }

  async close(): Promise<void> {
    await this.stopPump();
    this.sock.close();
  }
}
