// The control socket of `cr dmlog serve` (server side): a Unix stream socket, one JSON object per
// line each way, one response per request, in order. `status` reports the server and its logs;
// `wait` answers once every (uuid, event) pair asked for has happened after the client's cursor,
// or at its timeout with what is missing.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {CrError, E, KernelError} from '../../errors/index.js';
import {connectControl} from './control-client.js';
import type {EventRing} from './events.js';
import type {ControlRequest, ErrorResponse, LogEvent, LogEventName, StatusResponse, WaitResponse} from './protocol.js';

const EVENT_NAMES: readonly LogEventName[] = ['ctr', 'dtr', 'presuspend', 'postsuspend', 'resume'];
const MAX_LINE = 64 * 1024;
/** Longest wait a client may ask for (one day). */
export const MAX_WAIT_MS = 86_400_000;

export interface ControlHandlers {
  status(): StatusResponse;
  events: EventRing;
}

type WaitRequest = Extract<ControlRequest, {op: 'wait'}>;

/** Check a parsed request; returns it typed, or the error text for the client. */
export function validateRequest(req: unknown): ControlRequest | string {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) return 'expected a JSON object';
  const r = req as Record<string, unknown>;
  if (r.op === 'status') return {op: 'status'};
  if (r.op !== 'wait') return `unknown op ${JSON.stringify(r.op)}: expected "status" or "wait"`;
  if (!Array.isArray(r.uuids) || r.uuids.length === 0 || !r.uuids.every((u) => typeof u === 'string' && u.length > 0 && u.length <= 128)) {
    return 'wait: "uuids" must be a non-empty array of log uuids (strings of 1 to 128 characters)';
  }
  if (!Array.isArray(r.events) || r.events.length === 0 || !r.events.every((e) => EVENT_NAMES.includes(e as LogEventName))) {
    return `wait: "events" must be a non-empty array of ${EVENT_NAMES.join(', ')}`;
  }
  if (!Number.isSafeInteger(r.after) || (r.after as number) < 0) return 'wait: "after" must be an event seq (an integer >= 0)';
  if (!Number.isSafeInteger(r.timeoutMs) || (r.timeoutMs as number) < 0 || (r.timeoutMs as number) > MAX_WAIT_MS) {
    return `wait: "timeoutMs" must be an integer from 0 to ${MAX_WAIT_MS}`;
  }
  return {op: 'wait', uuids: r.uuids as string[], events: r.events as LogEventName[], after: r.after as number, timeoutMs: r.timeoutMs as number};
}

/** Events of `req` seen after its cursor, and the (uuid, event) pairs still missing. */
export function progressOf(req: WaitRequest, events: LogEvent[]): {events: LogEvent[]; missing: {uuid: string; event: LogEventName}[]} {
  const seen = events.filter((e) => e.seq > req.after && req.uuids.includes(e.uuid) && req.events.includes(e.event));
  const missing: {uuid: string; event: LogEventName}[] = [];
  for (const uuid of req.uuids) for (const event of req.events) if (!seen.some((e) => e.uuid === uuid && e.event === event)) missing.push({uuid, event});
  return {events: seen, missing};
}

export class ControlServer {
  private readonly conns = new Set<net.Socket>();
  private readonly pendingWaits = new Set<() => void>();

  private constructor(
    readonly socketPath: string,
    private readonly server: net.Server,
    private readonly handlers: ControlHandlers,
  ) {
    server.on('connection', (c) => this.serve(c));
  }

  /** Claim `socketPath` (refusing if another server answers there, removing a stale socket) and
   *  listen on it with mode 0600; the parent directory is created 0700 if missing. */
  static async listen(socketPath: string, handlers: ControlHandlers): Promise<ControlServer> {
    await claim(socketPath);
    fs.mkdirSync(path.dirname(socketPath), {recursive: true, mode: 0o700});
    const server = net.createServer();
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new KernelError(`listen ${socketPath}`, errnoOf(e), `cannot listen on control socket ${socketPath}: ${e.message}`);
    } finally {
      process.umask(oldMask);
    }
    fs.chmodSync(socketPath, 0o600);
    return new ControlServer(socketPath, server, handlers);
  }

  /** Stop listening, drop clients and remove the socket file. */
  async close(): Promise<void> {
    for (const w of this.pendingWaits) w();
    for (const c of this.conns) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.socketPath, {force: true});
  }

  private serve(conn: net.Socket): void {
    this.conns.add(conn);
    conn.setEncoding('utf8');
    let buffered = '';
    let queue = Promise.resolve();
    conn.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_LINE && !buffered.includes('\n')) {
        reply(conn, {ok: false, error: `request line longer than ${MAX_LINE} bytes`});
        conn.end();
        buffered = '';
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) queue = queue.then(() => this.answer(conn, line));
      }
    });
    conn.on('error', () => conn.destroy());
    conn.on('close', () => this.conns.delete(conn));
  }

  private async answer(conn: net.Socket, line: string): Promise<void> {
    if (conn.destroyed) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return reply(conn, {ok: false, error: 'request is not valid JSON (one JSON object per line)'});
    }
    const req = validateRequest(parsed);
    if (typeof req === 'string') return reply(conn, {ok: false, error: req});
    if (req.op === 'status') return reply(conn, this.handlers.status());
    reply(conn, await this.wait(req, conn));
  }

  private wait(req: WaitRequest, conn: net.Socket): Promise<WaitResponse> {
    const ring = this.handlers.events;
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: WaitResponse) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        conn.off('close', giveUp);
        this.pendingWaits.delete(giveUp);
        resolve(r);
      };
      // At the timeout (or when the client or the server goes away): what was seen, what is missing.
      const giveUp = () => {
        const p = progressOf(req, ring.since(req.after));
        finish(p.missing.length ? {ok: false, error: 'timeout', events: p.events, missing: p.missing} : {ok: true, events: p.events});
      };
      const check = () => {
        const p = progressOf(req, ring.since(req.after));
        if (p.missing.length === 0) finish({ok: true, events: p.events});
      };
      const unsubscribe = ring.subscribe(check);
      const timer = setTimeout(giveUp, req.timeoutMs);
      conn.once('close', giveUp);
      this.pendingWaits.add(giveUp);
      check();
    });
  }
}

function reply(conn: net.Socket, doc: StatusResponse | WaitResponse | ErrorResponse): void {
  if (!conn.destroyed) conn.write(`${JSON.stringify(doc)}\n`);
}

/** errno of a Node system error (its `code`), EIO when it has none. */
export function errnoOf(err: NodeJS.ErrnoException): number {
  return typeof err.errno === 'number' ? Math.abs(err.errno) : E.EIO;
}

/** Make `socketPath` free for us: refuse if a server answers on it, remove it if stale. */
async function claim(socketPath: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new KernelError(`stat ${socketPath}`, errnoOf(err as NodeJS.ErrnoException));
  }
  if (!st.isSocket()) throw new CrError(`control socket path ${socketPath} exists and is not a socket; remove it or pass another --socket`, {exitCode: E.EEXIST, code: 'EEXIST'});
  const other = await connectControl(socketPath, 2000).then(
    (c) => c,
    (err: NodeJS.ErrnoException) => err,
  );
  if (other instanceof Error) {
    if (other.code === 'ECONNREFUSED' || other.code === 'ENOENT') {
      fs.rmSync(socketPath, {force: true});
      return;
    }
    throw new KernelError(`connect ${socketPath}`, errnoOf(other), `cannot check control socket ${socketPath}: ${other.message}`);
  }
  const status = await other.request({op: 'status'}, 2000).catch(() => undefined);
  other.close();
  const who = status && status.ok && 'server' in status ? ` (pid ${status.server.pid}, netlink port ${status.server.port})` : '';
  throw new CrError(`another cr dmlog serve${who} is answering on ${socketPath}; only one server may listen on connector 7.1`, {exitCode: E.EADDRINUSE, code: 'EADDRINUSE'});
}
