// `cr dmlog serve` as a subprocess for tests and the benchmark: started with a stand-in kernel's
// port and a private control socket, ready once it prints its serving line on stderr.
import {spawn, type ChildProcess} from 'node:child_process';
import {CR_BIN} from './paths.js';

export interface ServeProcess {
  child: ChildProcess;
  /** stderr so far. */
  stderr(): string;
  /** The server's netlink port, from its ready line. */
  port: number;
  /** SIGTERM, then wait for the exit: code, signal and the whole stderr. */
  stop(signal?: NodeJS.Signals): Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}>;
}

/** Start `cr dmlog serve --socket SOCKET [--peer-port PORT] [extra...]` and wait for its ready line. */
export function startServe(opts: {socket: string; peerPort?: number; extra?: string[]; timeoutMs?: number}): Promise<ServeProcess> {
  const args = [CR_BIN, 'dmlog', 'serve', '--socket', opts.socket, ...(opts.peerPort === undefined ? [] : ['--peer-port', String(opts.peerPort)]), ...(opts.extra ?? [])];
  const child = spawn(process.execPath, args, {stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('exit', (code, signal) => resolve({code, signal})));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cr dmlog serve did not get ready: ${stderr}`));
    }, opts.timeoutMs ?? 15_000);
    child.stderr!.setEncoding('utf8');
    child.stdout!.resume();
    child.stderr!.on('data', (d: string) => {
      stderr += d;
      const m = /serving dm-log-userspace \(connector 7\.1, port (\d+)/.exec(stderr);
      if (m && timer) {
        clearTimeout(timer);
        resolve({
          child,
          port: Number(m[1]),
          stderr: () => stderr,
          async stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            const r = await exited;
            await closed;
            return {...r, stderr};
          },
        });
      }
    });
    void exited.then((r) => {
      clearTimeout(timer);
      reject(new Error(`cr dmlog serve exited (${r.code ?? r.signal}) before it was ready: ${stderr}`));
    });
  });
}

/** Whether this process may use connector group 7 (root: CAP_NET_ADMIN to multicast, as the tests do). */
export const canServe = process.getuid?.() === 0;
