// Replacing the cr process with another program (execve), keeping the pid, as cr_run's `exec "$@"`.
import {KernelError} from '../errors/index.js';
import {koffi} from './koffi.js';

const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;
const SIGPIPE = 13;
const SIGXFSZ = 25;

let fns: {execvpe: any; fcntl: any; signal: any} | undefined;

function load() {
  if (!fns) {
    const self = koffi().load(null);
    fns = {
      execvpe: self.func('int execvpe(const char *file, const char **argv, const char **envp)'),
      fcntl: self.func('int fcntl(int fd, int cmd, ...)'),
      signal: self.func('void *signal(int signum, void *handler)'),
    };
  }
  return fns;
}

/** Undo what Node did to the process that a shell's exec would not pass on: stdio made
 *  close-on-exec and non-blocking by libuv, SIGPIPE and SIGXFSZ ignored. */
function restoreExecState(): void {
  const {fcntl, signal} = load();
  for (const fd of [0, 1, 2]) {
    const fdFlags = fcntl(fd, F_GETFD, 'int', 0) as number;
    if (fdFlags < 0) continue; // not open: leave it closed, as the caller had it
    if (fdFlags & 1 && fcntl(fd, F_SETFD, 'int', fdFlags & ~1) < 0) throw new KernelError(`fcntl(${fd}, F_SETFD)`, koffi().errno());
    const flFlags = fcntl(fd, F_GETFL, 'int', 0) as number;
    if (flFlags >= 0 && flFlags & O_NONBLOCK && fcntl(fd, F_SETFL, 'int', flFlags & ~O_NONBLOCK) < 0) {
      throw new KernelError(`fcntl(${fd}, F_SETFL)`, koffi().errno());
    }
  }
  signal(SIGPIPE, null);
  signal(SIGXFSZ, null);
}

/** execvpe(3): search PATH for `file` and replace this process with it. Returns only by throwing. */
export function execProgram(file: string, argv: string[], env: Record<string, string>): never {
  restoreExecState();
  const envp = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  load().execvpe(file, [...argv, null], [...envp, null]);
  throw new KernelError(`exec ${file}`, koffi().errno());
}

/** Die by `signal` as the restarted job did, with core dumps off (cr_restart's mimicry):
 *  RLIMIT_CORE 0, default disposition, unblocked, then kill(getpid(), signal). */
export function dieBySignal(signo: number): void {
  const self = koffi().load(null);
  const setrlimit = self.func('int setrlimit(int resource, void *rlim)');
  const kill = self.func('int kill(int pid, int sig)');
  const getpid = self.func('int getpid()');
  const sigprocmask = self.func('int sigprocmask(int how, void *set, void *old)');
  const RLIMIT_CORE = 4;
  if (setrlimit(RLIMIT_CORE, Buffer.alloc(16)) < 0) throw new KernelError('setrlimit(RLIMIT_CORE)', koffi().errno());
  load().signal(signo, null);
  const set = Buffer.alloc(128);
  set.writeBigUInt64LE(1n << BigInt(signo - 1), 0);
  const SIG_UNBLOCK = 1;
  if (sigprocmask(SIG_UNBLOCK, set, null) < 0) throw new KernelError('sigprocmask', koffi().errno());
  if (kill(getpid(), signo) < 0) throw new KernelError(`kill(self, ${signo})`, koffi().errno());
}
