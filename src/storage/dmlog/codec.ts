// dm-log-userspace datagrams <-> requests and replies (spec A2, A3). A datagram becomes a request,
// a verdict to ignore it (no reply), or a validation failure answered with an error: a short ACK
// when the headers cannot be trusted, a full reply with -EINVAL when they can.
import {CN, CN_MSG_SIZE, NL, NLMSG_DONE, ULOG, ULOG_AT, ULOG_HEADER_BYTES, ULOG_REQUEST_SIZE, UUID_FIELD_LEN} from '../../abi/netlink/index.js';
import {E} from '../../errors/index.js';
import {CN_IDX_DM, CN_VAL_DM_USERSPACE_LOG, DM_ULOG_REQUEST_VERSION, type UlogRequest} from './protocol.js';

/** Why a datagram got no reply. */
export type IgnoreReason = 'sender' | 'runt' | 'id';

export type Decoded =
  | {kind: 'request'; request: UlogRequest; cnSeq: number}
  | {kind: 'ignore'; reason: IgnoreReason}
  /** Answer with a short ACK (cn_msg len 0) carrying positive `errno` in `ack`, matched on cnSeq. */
  | {kind: 'short-ack'; cnSeq: number; errno: number; reason: string}
  /** Answer with the request echoed, `error` set and no data. */
  | {kind: 'error-reply'; cnSeq: number; error: number; reason: string};

const EMPTY = Buffer.alloc(0);

/** The sender port the kernel's messages come from. */
export const KERNEL_PORT = 0;

export interface CodecOptions {
  /** A stand-in kernel's netlink port whose messages are served as well as the kernel's. */
  peerPort?: number;
}

export class UlogCodec {
  private readonly peerPort: number;
  // The last uuid decoded, as bytes and string: a server sees the same few uuids over and over.
  private readonly lastUuidBytes = Buffer.alloc(UUID_FIELD_LEN);
  private lastUuid = '';

  constructor(opts: CodecOptions = {}) {
    this.peerPort = opts.peerPort ?? KERNEL_PORT;
  }

  /** Whether datagrams from `port` are served. */
  allowed(port: number): boolean {
    return port === KERNEL_PORT || port === this.peerPort;
  }

  /** Decode the datagram in `buf`. `length` is its full length as recvfrom(MSG_TRUNC) reported it:
   *  more than buf.length means it was truncated. `from` is the sender's port. The request's
   *  `data` is a view into `buf`, valid until the buffer is reused. */
  decode(buf: Buffer, length: number, from: number): Decoded {
    if (!this.allowed(from)) return {kind: 'ignore', reason: 'sender'};
    if (length < ULOG_AT) return {kind: 'ignore', reason: 'runt'};
    if (buf.readUInt32LE(CN.IDX) !== CN_IDX_DM || buf.readUInt32LE(CN.VAL) !== CN_VAL_DM_USERSPACE_LOG) return {kind: 'ignore', reason: 'id'};
    const cnSeq = buf.readUInt32LE(CN.SEQ);
    const cnLen = buf.readUInt16LE(CN.LEN);
    const nlLen = buf.readUInt32LE(NL.LEN);
    if (cnLen < ULOG_REQUEST_SIZE) return {kind: 'short-ack', cnSeq, errno: E.EINVAL, reason: `cn_msg len ${cnLen} is shorter than a request (${ULOG_REQUEST_SIZE})`};
    if (nlLen !== ULOG_AT + cnLen) return {kind: 'short-ack', cnSeq, errno: E.EINVAL, reason: `nlmsg_len ${nlLen} does not match cn_msg len ${cnLen} (expected ${ULOG_AT + cnLen})`};
    // recv may return up to 3 bytes of netlink alignment padding after the message.
    if (length < nlLen || length > nlLen + 3) {
      if (length < ULOG_HEADER_BYTES) return {kind: 'short-ack', cnSeq, errno: E.EINVAL, reason: `datagram of ${length} bytes is shorter than a request`};
      if (length > buf.length) return {kind: 'error-reply', cnSeq, error: -E.EINVAL, reason: `datagram of ${length} bytes truncated to ${buf.length}`};
      return {kind: 'short-ack', cnSeq, errno: E.EINVAL, reason: `datagram of ${length} bytes, nlmsg_len says ${nlLen}`};
    }
    if (length > buf.length) return {kind: 'error-reply', cnSeq, error: -E.EINVAL, reason: `datagram of ${length} bytes truncated to ${buf.length}`};
    const dataSize = buf.readUInt32LE(ULOG.DATA_SIZE);
    if (dataSize > cnLen - ULOG_REQUEST_SIZE) return {kind: 'error-reply', cnSeq, error: -E.EINVAL, reason: `data_size ${dataSize} exceeds the ${cnLen - ULOG_REQUEST_SIZE} bytes present`};
    const version = buf.readUInt32LE(ULOG.VERSION);
    if (version < 1 || version > DM_ULOG_REQUEST_VERSION) return {kind: 'error-reply', cnSeq, error: -E.EINVAL, reason: `request version ${version}, expected 1..${DM_ULOG_REQUEST_VERSION}`};
    const request: UlogRequest = {
      luid: buf.readBigUInt64LE(ULOG.LUID),
      uuid: this.uuidOf(buf),
      version,
      seq: buf.readUInt32LE(ULOG.SEQ),
      requestType: buf.readUInt32LE(ULOG.REQUEST_TYPE),
      data: dataSize === 0 ? EMPTY : buf.subarray(ULOG.DATA, ULOG.DATA + dataSize),
    };
    return {kind: 'request', request, cnSeq};
  }

  private uuidOf(buf: Buffer): string {
    if (buf.compare(this.lastUuidBytes, 0, UUID_FIELD_LEN, ULOG.UUID, ULOG.UUID + UUID_FIELD_LEN) !== 0) {
      buf.copy(this.lastUuidBytes, 0, ULOG.UUID, ULOG.UUID + UUID_FIELD_LEN);
      let end = ULOG.UUID;
      while (end < ULOG.UUID + UUID_FIELD_LEN - 1 && buf[end] !== 0) end++;
      this.lastUuid = buf.toString('latin1', ULOG.UUID, end);
    }
    return this.lastUuid;
  }
}

/** Write a full reply into `out`: the request header of `request` (a datagram at least 196 bytes
 *  long) echoed with `error` and `data`. With an error no data is sent (as cmirrord does). Returns
 *  the datagram's length. `out` must hold 196 + data.length bytes. */
export function encodeReply(out: Buffer, request: Buffer, ourPort: number, cnSeq: number, error: number, data: Buffer): number {
  const n = error === 0 ? data.length : 0;
  const len = ULOG_HEADER_BYTES + n;
  writeHeaders(out, len, ourPort, cnSeq, 0, ULOG_REQUEST_SIZE + n);
  request.copy(out, ULOG_AT, ULOG_AT, ULOG.ERROR);
  out.writeInt32LE(error, ULOG.ERROR);
  request.copy(out, ULOG.SEQ, ULOG.SEQ, ULOG.DATA_SIZE);
  out.writeUInt32LE(n, ULOG.DATA_SIZE);
  if (n) data.copy(out, ULOG.DATA, 0, n);
  return len;
}

/** Write a short ACK into `out`: cn_msg len 0, `ack` = positive errno, matched by the kernel on
 *  cnSeq. Returns its length (36). */
export function encodeShortAck(out: Buffer, ourPort: number, cnSeq: number, errno: number): number {
  writeHeaders(out, ULOG_AT, ourPort, cnSeq, errno, 0);
  return ULOG_AT;
}

function writeHeaders(out: Buffer, len: number, ourPort: number, cnSeq: number, ack: number, cnLen: number): void {
  out.writeUInt32LE(len, NL.LEN);
  out.writeUInt16LE(NLMSG_DONE, NL.TYPE);
  out.writeUInt16LE(0, NL.FLAGS);
  out.writeUInt32LE(0, NL.SEQ);
  out.writeUInt32LE(ourPort >>> 0, NL.PID);
  out.writeUInt32LE(CN_IDX_DM, CN.IDX);
  out.writeUInt32LE(CN_VAL_DM_USERSPACE_LOG, CN.VAL);
  out.writeUInt32LE(cnSeq >>> 0, CN.SEQ);
  out.writeUInt32LE(ack >>> 0, CN.ACK);
  out.writeUInt16LE(cnLen, CN.LEN);
  out.writeUInt16LE(0, CN.FLAGS);
}

/** Largest reply payload the connector accepts (its 16384-byte limit less cn_msg and the request). */
export const MAX_REPLY_DATA = 16384 - CN_MSG_SIZE - ULOG_REQUEST_SIZE;
