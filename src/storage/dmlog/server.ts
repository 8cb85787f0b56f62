// The dm-log-userspace server: a connector socket joined to group 7, served by one loop that waits
// in poll(2) on koffi's worker thread and then drains every queued datagram with non-blocking
// recvfrom, answering each synchronously. It never issues device-mapper ioctls (spec A8).
import {ConnectorSocket, POLL, pollOne, ULOG_HEADER_BYTES} from '../../abi/index.js';
import {E} from '../../errors/index.js';
import {encodeReply, encodeShortAck, MAX_REPLY_DATA, UlogCodec} from './codec.js';
import {ControlServer} from './control.js';
import {EventRing} from './events.js';
import {LogTable} from './log-table.js';
import {CN_IDX_DM, UlogType, type StatusResponse, type UlogReply, type UlogRequest} from './protocol.js';

/** Receive buffer per datagram: kernel requests are at most 528 bytes; longer ones are answered
 *  as truncated. */
export const RECV_BUFFER_BYTES = 8192;
/** Socket receive buffer asked for (SO_RCVBUFFORCE), so bursts of requests are not dropped. */
const SOCKET_RCVBUF = 4 << 20;
/** Datagrams handled per wake-up before the event loop gets a turn (control socket, signals). */
const MAX_BATCH = 512;
/** How long one poll waits, which bounds how late a stop is noticed. */
const POLL_MS = 200;

const TYPE_NAMES = Object.fromEntries(Object.entries(UlogType).map(([k, v]) => [v, k])) as Record<number, string>;
const EMPTY = Buffer.alloc(0);

export interface ServerOptions {
  /** Control socket path. */
  socketPath: string;
  /** A stand-in kernel's netlink port, served besides the kernel (tests). */
  peerPort?: number;
  /** One stderr line per datagram. */
  verbose?: boolean;
  /** Where the server's lines go (stderr). */
  log: (line: string) => void;
}

export interface ServeSummary {
  requests: number;
  errors: number;
  ignored: number;
  malformed: number;
  overruns: number;
  sendFailures: number;
  events: number;
  seconds: number;
}

export class DmlogServer {
  requests = 0;
  errors = 0;
  ignored = 0;
  malformed = 0;
  overruns = 0;
  sendFailures = 0;
  readonly port: number;
  readonly events = new EventRing();
  private readonly started = new Date();
  private readonly recvBuf = Buffer.alloc(RECV_BUFFER_BYTES);
  private readonly sendBuf = Buffer.alloc(ULOG_HEADER_BYTES + MAX_REPLY_DATA);
  private readonly codec: UlogCodec;
  private readonly table: LogTable;
  private control: ControlServer | undefined;
  private stopping = false;
  private running: Promise<void> | undefined;

  private constructor(
    private readonly sock: ConnectorSocket,
    private readonly opts: ServerOptions,
  ) {
    this.port = sock.port();
    this.codec = new UlogCodec({peerPort: opts.peerPort});
    this.table = new LogTable({
      onEvent: (e) => {
        this.events.push(e.uuid, e.luid, e.event);
        this.logEvent(e.uuid, e.luid, e.event);
      },
      onDesync: (d) =>
        this.opts.log(`cr dmlog: ${d.uuid} luid ${d.luid}: region(s) ${d.regions.join(' ')} out of sync: the kernel asked about them across its reconnect and could not take the answer`),
    });
  }

  /** One stderr line per lifecycle event (rare: table loads, suspends, resumes, removals), with the
   *  log's sync state after a CTR or RESUME, e.g. what a restarted server loaded from a disk log. */
  private logEvent(uuid: string, luid: bigint, event: string): void {
    let state = '';
    if (event === 'resume' || event === 'ctr') {
      const l = this.table.summaries().find((x) => x.uuid === uuid && x.luid === String(luid));
      if (l) state = ` (${l.type}, ${l.syncCount}/${l.regionCount} regions in sync, ${l.dirtyCount} dirty)`;
    }
    this.opts.log(`cr dmlog: ${uuid} luid ${luid}: ${event}${state}`);
  }

  /** Open and bind the connector socket, join group 7, open the control socket, print the ready
   *  line. Throws (and leaves nothing open) if any step fails. */
  static async start(opts: ServerOptions): Promise<DmlogServer> {
    const sock = ConnectorSocket.open();
    let server: DmlogServer | undefined;
    try {
      sock.setReceiveBuffer(SOCKET_RCVBUF);
      sock.joinGroup(CN_IDX_DM);
      server = new DmlogServer(sock, opts);
      server.control = await ControlServer.listen(opts.socketPath, {status: () => server!.status(), events: server.events});
    } catch (err) {
      server?.table.close();
      sock.close();
      throw err;
    }
    const peer = opts.peerPort === undefined ? '' : `, also serving stand-in kernel port ${opts.peerPort}`;
    opts.log(`cr dmlog: serving dm-log-userspace (connector 7.1, port ${server.port}${peer}); control socket ${opts.socketPath}`);
    return server;
  }

  /** Serve until stop(); then close everything. */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Ask the loop to finish its current batch and return. */
  stop(): void {
    this.stopping = true;
  }

  status(): StatusResponse {
    return {
      ok: true,
      server: {
        pid: process.pid,
        startedAt: this.started.toISOString(),
        requests: this.requests,
        errors: this.errors,
        eventSeq: this.events.seq,
        socket: this.opts.socketPath,
        ignored: this.ignored,
        malformed: this.malformed,
        overruns: this.overruns,
        sendFailures: this.sendFailures,
        port: this.port,
        peerPort: this.opts.peerPort ?? null,
      },
      logs: this.table.summaries(),
    };
  }

  summary(): ServeSummary {
    return {
      requests: this.requests, errors: this.errors, ignored: this.ignored, malformed: this.malformed, overruns: this.overruns,
      sendFailures: this.sendFailures, events: this.events.seq, seconds: Math.round((Date.now() - this.started.getTime()) / 100) / 10,
    };
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopping) {
        const revents = await pollOne(this.sock.fd, POLL.IN, POLL_MS);
        if (revents & POLL.NVAL) throw new Error('poll: netlink socket closed under the server');
        if (revents) this.drain();
      }
    } finally {
      await this.close();
    }
  }

  private async close(): Promise<void> {
    await this.control?.close();
    this.table.close();
    this.sock.close();
  }

  /** Handle every queued datagram (up to MAX_BATCH), synchronously. */
  private drain(): void {
    for (let i = 0; i < MAX_BATCH; i++) {
      const n = this.sock.recv(this.recvBuf);
      if (n >= 0) this.handle(n, this.sock.fromPort);
      else if (n === -E.ENOBUFS) this.overruns++;
      else if (n !== -E.EINTR) return;
    }
  }

  private handle(length: number, from: number): void {
    const d = this.codec.decode(this.recvBuf, length, from);
    let len: number;
    switch (d.kind) {
      case 'ignore':
        this.ignored++;
        if (this.opts.verbose) this.opts.log(`cr dmlog: ignored ${length}-byte datagram from port ${from} (${d.reason})`);
        return;
      case 'short-ack':
        this.requests++;
        this.malformed++;
        this.errors++;
        if (this.opts.verbose) this.opts.log(`cr dmlog: malformed datagram from port ${from}: ${d.reason}; short ACK errno ${d.errno}`);
        len = encodeShortAck(this.sendBuf, this.port, d.cnSeq, d.errno);
        break;
      case 'error-reply':
        this.requests++;
        this.malformed++;
        this.errors++;
        if (this.opts.verbose) this.opts.log(`cr dmlog: malformed datagram from port ${from}: ${d.reason}; error ${d.error}`);
        len = encodeReply(this.sendBuf, this.recvBuf, this.port, d.cnSeq, d.error, EMPTY);
        break;
      case 'request': {
        this.requests++;
        const reply = this.answer(d.request);
        if (reply.error !== 0) this.errors++;
        if (this.opts.verbose) {
          const r = d.request;
          this.opts.log(`cr dmlog: ${TYPE_NAMES[r.requestType & 0xff] ?? `type ${r.requestType}`} seq ${r.seq} ${r.uuid}/${r.luid}${describeWords(r.data, 'r')} -> error ${reply.error}${describeWords(reply.data, '=')}`);
        }
        len = encodeReply(this.sendBuf, this.recvBuf, this.port, d.cnSeq, reply.error, reply.data);
        break;
      }
    }
    if (this.sock.send(this.sendBuf, len, from) < 0) this.sendFailures++;
  }

  private answer(request: UlogRequest): UlogReply {
    let reply: UlogReply;
    try {
      reply = this.table.handle(request);
    } catch (err) {
      // A bug in a handler must not take the server (and every mirror it serves) down.
      this.opts.log(`cr dmlog: internal error handling ${TYPE_NAMES[request.requestType & 0xff] ?? request.requestType} seq ${request.seq}: ${(err as Error).stack ?? err}`);
      return {error: -E.EIO, data: EMPTY};
    }
    if (reply.data.length > MAX_REPLY_DATA) return {error: -E.ENOSPC, data: EMPTY};
    return reply;
  }
}

/** Run a server until SIGTERM or SIGINT; returns its counters once everything is closed. The
 *  signal handlers are in place before the ready line is printed, so a signal sent as soon as a
 *  client sees that line stops the server cleanly. */
export async function serveDmlog(opts: ServerOptions): Promise<ServeSummary> {
  let server: DmlogServer | undefined;
  let stopRequested = false;
  const stop = () => {
    stopRequested = true;
    server?.stop();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    server = await DmlogServer.start(opts);
    if (stopRequested) server.stop();
    await server.run();
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
  return server.summary();
}

/** A payload of u64 words as ` r12,r40` (regions) or ` =1` (an answer), for --verbose; others as their size. */
function describeWords(data: Buffer, prefix: string): string {
  if (data.length === 0) return '';
  if (data.length % 8 !== 0 || data.length > 256) return ` (${data.length} bytes)`;
  const words: string[] = [];
  for (let i = 0; i < data.length; i += 8) words.push(`${prefix}${data.readBigUInt64LE(i)}`);
  return ` ${words.join(',')}`;
}
