// koffi declarations of the netlink connector and dm-log-userspace structs (spec A1, A2),
// declared on first use. The serving path reads datagrams at the offsets in wire.ts; these
// declarations are the reference those offsets are tested against.
import {koffi} from '../koffi.js';

let types: ReturnType<typeof declare> | undefined;

function declare() {
  const k = koffi();
  const cbId = k.struct('cb_id', {idx: 'uint32', val: 'uint32'});
  return {
    /** struct sockaddr_nl: 12 bytes, align 4. */
    sockaddrNl: k.struct('sockaddr_nl', {nl_family: 'uint16', nl_pad: 'uint16', nl_pid: 'uint32', nl_groups: 'uint32'}),
    /** struct nlmsghdr: 16 bytes, align 4. */
    nlmsghdr: k.struct('nlmsghdr', {nlmsg_len: 'uint32', nlmsg_type: 'uint16', nlmsg_flags: 'uint16', nlmsg_seq: 'uint32', nlmsg_pid: 'uint32'}),
    /** struct cb_id: 8 bytes. */
    cbId,
    /** struct cn_msg: 20 bytes, align 4 (the flexible data[] adds nothing). */
    cnMsg: k.struct('cn_msg', {id: cbId, seq: 'uint32', ack: 'uint32', len: 'uint16', flags: 'uint16'}),
    /** struct dm_ulog_request: 160 bytes, align 8. */
    ulogRequest: k.struct('dm_ulog_request', {
      luid: 'uint64',
      uuid: k.array('char', 129, 'Array'),
      padding: k.array('char', 3, 'Array'),
      version: 'uint32',
      error: 'int32',
      seq: 'uint32',
      request_type: 'uint32',
      data_size: 'uint32',
    }),
  };
}

export type NetlinkStructName = keyof ReturnType<typeof declare>;

/** The struct types, declared once per process. */
export function netlinkStructs() {
  types ??= declare();
  return types;
}

/** Size, alignment and field offsets of one of the structs, for the layout tests. */
export function netlinkLayout(name: NetlinkStructName): {size: number; align: number; offsets: Record<string, number>} {
  const k = koffi();
  const type = netlinkStructs()[name];
  const offsets: Record<string, number> = {};
  for (const field of Object.keys((type as any).members)) offsets[field] = k.offsetof(type, field);
  return {size: k.sizeof(type), align: k.alignof(type), offsets};
}

/** Decode a datagram's nlmsghdr, cn_msg and dm_ulog_request with koffi (tests, diagnostics). */
export function decodeHeaders(buf: Buffer): {nlmsghdr: any; cnMsg: any; ulogRequest: any} {
  const k = koffi();
  const t = netlinkStructs();
  return {
    nlmsghdr: k.decode(buf, 0, t.nlmsghdr),
    cnMsg: k.decode(buf, 16, t.cnMsg),
    ulogRequest: buf.length >= 196 ? k.decode(buf, 36, t.ulogRequest) : undefined,
  };
}
