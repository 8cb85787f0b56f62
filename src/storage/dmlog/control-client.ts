// Client of the `cr dmlog serve` control socket: `status()` and `waitFor()` for `cr dmlog status`
// and for checkpoints that wait for their mirrors' presuspend/postsuspend.
import net from 'node:net';
import os from 'node:os';
import {CrError, E, KernelError} from '../../errors/index.js';
import {DEFAULT_CONTROL_SOCKET, type ControlRequest, type ErrorResponse, type LogEventName, type StatusResponse, type WaitResponse} from './protocol.js';

/** One open connection: requests are answered in order, one line each. */
export interface ControlConnection {
  request(req: ControlRequest, timeoutMs: number): Promise<StatusResponse | WaitResponse | ErrorResponse>;
  close(): void;
}

/** Connect to a control socket; rejects with Node's connect error (code ENOENT, ECONNREFUSED...). */
export function connectControl(socketPath: string, timeoutMs: number): Promise<ControlConnection> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error(`connect ${socketPath}: timed out`), {code: 'ETIMEDOUT', errno: -E.ETIMEDOUT}));
    }, timeoutMs);
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(lineConnection(sock, socketPath));
    });
  });
}

function lineConnection(sock: net.Socket, socketPath: string): ControlConnection {
  sock.setEncoding('utf8');
  let buffered = '';
  const waiting: {resolve: (doc: any) => void; reject: (err: Error) => void}[] = [];
  const failAll = (err: Error) => {
    for (const w of waiting.splice(0)) w.reject(err);
  };
  sock.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const w = waiting.shift();
      if (!w) continue;
      try {
        w.resolve(JSON.parse(line));
      } catch {
        w.reject(new CrError(`control socket ${socketPath} sent a line that is not JSON: ${line.slice(0, 200)}`, {exitCode: E.EIO, code: 'EIO'}));
      }
    }
  });
  sock.on('error', (err) => failAll(err));
  sock.on('close', () => failAll(new CrError(`control socket ${socketPath}: the server closed the connection`, {exitCode: E.EIO, code: 'EIO'})));
  return {
    request(req, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          sock.destroy();
          reject(new KernelError(`control socket ${socketPath}`, E.ETIMEDOUT, `control socket ${socketPath}: no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.push({
          resolve: (doc) => {
            clearTimeout(timer);
            resolve(doc);
          },
          reject: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        });
        sock.write(`${JSON.stringify(req)}\n`);
      });
    },
    close() {
      sock.destroy();
    },
  };
}

/** Talks to one `cr dmlog serve`; each call is one connection. */
export class ControlClient {
  constructor(readonly socketPath: string = DEFAULT_CONTROL_SOCKET) {}

  /** The server's counters and its logs. */
  async status(timeoutMs = 5000): Promise<StatusResponse> {
    const doc = await this.call({op: 'status'}, timeoutMs);
    if (!doc.ok) throw this.refused(doc as ErrorResponse);
    return doc as StatusResponse;
  }

  /** Wait until every uuid has seen every event after cursor `after` (a `server.eventSeq` from
   *  `status()`), or `timeoutMs` passed: then the answer is `{ok:false, error:'timeout', missing}`. */
  async waitFor(opts: {uuids: string[]; events: LogEventName[]; after: number; timeoutMs: number}): Promise<WaitResponse> {
    const doc = await this.call({op: 'wait', ...opts}, opts.timeoutMs + 5000);
    if (!doc.ok && doc.error !== 'timeout') throw this.refused(doc as ErrorResponse);
    return doc as WaitResponse;
  }

  private async call(req: ControlRequest, timeoutMs: number) {
    let conn: ControlConnection;
    try {
      conn = await connectControl(this.socketPath, Math.min(timeoutMs, 5000));
    } catch (err) {
      throw this.unreachable(err as NodeJS.ErrnoException);
    }
    try {
      return await conn.request(req, timeoutMs);
    } finally {
      conn.close();
    }
  }

  private unreachable(err: NodeJS.ErrnoException): CrError {
    const errno = (err.code && os.constants.errno[err.code as keyof typeof os.constants.errno]) || E.EIO;
    const why = err.code === 'ENOENT' ? 'no such socket' : err.code === 'ECONNREFUSED' ? 'connection refused' : err.message;
    return new KernelError(`connect ${this.socketPath}`, errno, `no cr dmlog serve answers on ${this.socketPath} (${why}); start one with \`cr dmlog serve\` or pass --socket`);
  }

  private refused(doc: ErrorResponse): CrError {
    return new CrError(`cr dmlog serve on ${this.socketPath} refused the request: ${doc.error}`, {exitCode: E.EINVAL, code: 'EINVAL'});
  }
}
