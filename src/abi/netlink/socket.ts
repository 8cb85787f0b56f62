// A netlink connector socket through koffi: socket/bind/getsockname/setsockopt/recvfrom/sendto/close,
// each return value checked. recv and send are the serving hot path: they reuse preallocated
// address buffers and report expected conditions (EAGAIN, ENOBUFS, ECONNREFUSED) as -errno
// instead of throwing.
import {KernelError, E} from '../../errors/index.js';
import {koffi} from '../koffi.js';
import {
  AF_NETLINK, MSG_DONTWAIT, MSG_TRUNC, NETLINK_ADD_MEMBERSHIP, NETLINK_CONNECTOR, SOCK_CLOEXEC, SOCK_DGRAM,
  SOCK_NONBLOCK, SOCKADDR_NL_SIZE, SOL_NETLINK, SOL_SOCKET, SO_RCVBUF, SO_RCVBUFFORCE, SO_SNDBUF, SO_SNDBUFFORCE,
} from './constants.js';

type Fn = (...args: any[]) => any;

interface Calls {
  socket: Fn;
  bind: Fn;
  getsockname: Fn;
  setsockopt: Fn;
  getsockopt: Fn;
  recvfrom: Fn;
  sendto: Fn;
  close: Fn;
}

let calls: Calls | undefined;

function load(): Calls {
  if (!calls) {
    const self = koffi().load(null);
    calls = {
      socket: self.func('int socket(int domain, int type, int protocol)'),
      bind: self.func('int bind(int fd, void *addr, uint32_t addrlen)'),
      getsockname: self.func('int getsockname(int fd, void *addr, void *addrlen)'),
      setsockopt: self.func('int setsockopt(int fd, int level, int name, void *value, uint32_t len)'),
      getsockopt: self.func('int getsockopt(int fd, int level, int name, void *value, void *len)'),
      recvfrom: self.func('intptr_t recvfrom(int fd, void *buf, size_t len, int flags, void *addr, void *addrlen)'),
      sendto: self.func('intptr_t sendto(int fd, void *buf, size_t len, int flags, void *addr, uint32_t addrlen)'),
      close: self.func('int close(int fd)'),
    };
  }
  return calls;
}

const errno = () => koffi().errno();

function sockaddrNl(port: number, groups: number): Buffer {
  const a = Buffer.alloc(SOCKADDR_NL_SIZE);
  a.writeUInt16LE(AF_NETLINK, 0);
  a.writeUInt32LE(port >>> 0, 4);
  a.writeUInt32LE(groups >>> 0, 8);
  return a;
}

/** A non-blocking, close-on-exec NETLINK_CONNECTOR datagram socket. */
export class ConnectorSocket {
  readonly fd: number;
  /** Sender of the last datagram `recv` returned: its port id (0 = the kernel) and groups. */
  fromPort = 0;
  fromGroups = 0;
  private readonly from = Buffer.alloc(SOCKADDR_NL_SIZE);
  private readonly fromLen = Buffer.alloc(4);
  private readonly to = Buffer.alloc(SOCKADDR_NL_SIZE);
  private closed = false;

  private constructor(fd: number) {
    this.fd = fd;
    this.to.writeUInt16LE(AF_NETLINK, 0);
  }

  /** socket(AF_NETLINK, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC, NETLINK_CONNECTOR), bound to a port the
   *  kernel picks (nl_pid 0) with no groups. */
  static open(): ConnectorSocket {
    const fd = load().socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR) as number;
    if (fd < 0) {
      const e = errno();
      throw new KernelError('socket(AF_NETLINK, NETLINK_CONNECTOR)', e, e === E.EPROTONOSUPPORT ? 'socket(AF_NETLINK, NETLINK_CONNECTOR): this kernel has no netlink connector (CONFIG_CONNECTOR)' : undefined);
    }
    const s = new ConnectorSocket(fd);
    try {
      const addr = sockaddrNl(0, 0);
      if (load().bind(fd, addr, SOCKADDR_NL_SIZE) < 0) throw new KernelError('bind(AF_NETLINK)', errno());
    } catch (err) {
      s.close();
      throw err;
    }
    return s;
  }

  /** Our port id (nl_pid from getsockname): where unicast replies to us are addressed. */
  port(): number {
    const addr = Buffer.alloc(SOCKADDR_NL_SIZE);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(SOCKADDR_NL_SIZE, 0);
    if (load().getsockname(this.fd, addr, len) < 0) throw new KernelError('getsockname(AF_NETLINK)', errno());
    if (addr.readUInt16LE(0) !== AF_NETLINK) throw new KernelError('getsockname(AF_NETLINK)', E.EINVAL, `getsockname: address family ${addr.readUInt16LE(0)}, expected AF_NETLINK`);
    return addr.readUInt32LE(4);
  }

  /** Join a multicast group (NETLINK_ADD_MEMBERSHIP); needs CAP_NET_ADMIN for connector groups. */
  joinGroup(group: number): void {
    const v = Buffer.alloc(4);
    v.writeUInt32LE(group, 0);
    if (load().setsockopt(this.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, v, 4) < 0) {
      const e = errno();
      throw new KernelError(`join netlink group ${group}`, e, e === E.EPERM ? `join netlink connector group ${group}: Operation not permitted (run as root: CAP_NET_ADMIN is needed)` : undefined);
    }
  }

  /** Set the receive buffer: SO_RCVBUFFORCE (root, ignores rmem_max), else SO_RCVBUF. Returns the
   *  size the kernel reports (it doubles the request for bookkeeping). */
  setReceiveBuffer(bytes: number): number {
    return this.setBuffer(SO_RCVBUFFORCE, SO_RCVBUF, bytes, 'SO_RCVBUF');
  }

  /** Set the send buffer: SO_SNDBUFFORCE, else SO_SNDBUF. Returns the size the kernel reports. */
  setSendBuffer(bytes: number): number {
    return this.setBuffer(SO_SNDBUFFORCE, SO_SNDBUF, bytes, 'SO_SNDBUF');
  }

  private setBuffer(force: number, plain: number, bytes: number, what: string): number {
    const v = Buffer.alloc(4);
    v.writeInt32LE(bytes, 0);
    if (load().setsockopt(this.fd, SOL_SOCKET, force, v, 4) < 0) {
      const e = errno();
      if (e !== E.EPERM) throw new KernelError(`setsockopt ${what}FORCE`, e);
      if (load().setsockopt(this.fd, SOL_SOCKET, plain, v, 4) < 0) throw new KernelError(`setsockopt ${what}`, errno());
    }
    const len = Buffer.alloc(4);
    len.writeUInt32LE(4, 0);
    if (load().getsockopt(this.fd, SOL_SOCKET, plain, v, len) < 0) throw new KernelError(`getsockopt ${what}`, errno());
    return v.readInt32LE(0);
  }

  /** recvfrom(MSG_TRUNC|MSG_DONTWAIT) into `buf`: the datagram's full length (larger than
   *  buf.length when it was truncated), or -errno for EAGAIN (nothing queued), ENOBUFS (the
   *  receive buffer overflowed and datagrams were lost) and EINTR. Other errors throw.
   *  The sender is left in fromPort/fromGroups. */
  recv(buf: Buffer): number {
    this.fromLen.writeUInt32LE(SOCKADDR_NL_SIZE, 0);
    const n = Number(load().recvfrom(this.fd, buf, buf.length, MSG_TRUNC | MSG_DONTWAIT, this.from, this.fromLen));
    if (n < 0) {
      const e = errno();
      if (e === E.EAGAIN || e === E.ENOBUFS || e === E.EINTR) return -e;
      throw new KernelError('recvfrom(AF_NETLINK)', e);
    }
    this.fromPort = this.from.readUInt32LE(4);
    this.fromGroups = this.from.readUInt32LE(8);
    return n;
  }

  /** sendto the first `len` bytes of `buf` to a port (0 = the kernel) or, with `groups`, multicast
   *  to those groups (a bitmask: group g is 1 << (g-1)). Returns bytes sent, or -errno for the
   *  conditions a server lives with (EAGAIN: the peer's buffer is full; ECONNREFUSED: no such
   *  port; ENOBUFS; EINTR). Other errors throw. */
  send(buf: Buffer, len: number, port: number, groups = 0): number {
    this.to.writeUInt32LE(port >>> 0, 4);
    this.to.writeUInt32LE(groups >>> 0, 8);
    const n = Number(load().sendto(this.fd, buf, len, MSG_DONTWAIT, this.to, SOCKADDR_NL_SIZE));
    if (n < 0) {
      const e = errno();
      if (e === E.EAGAIN || e === E.ECONNREFUSED || e === E.ENOBUFS || e === E.EINTR) return -e;
      throw new KernelError(`sendto(netlink port ${port}${groups ? `, groups 0x${groups.toString(16)}` : ''})`, e);
    }
    return n;
  }

  /** close(2), once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (load().close(this.fd) < 0) throw new KernelError('close(netlink socket)', errno());
  }
}
