// The real parts behind a checkpoint's --quiesce: device-mapper ioctls (off the event loop), the
// dm-log server's control socket, the snapshot command; and how the held targets are let go.
import os from 'node:os';
import {KernelError} from '../errors/index.js';
import {startSuspendGuard} from '../exec/guard.js';
import {runShellCommand} from '../exec/shell.js';
import {DmControl, userspaceLogUuid} from '../storage/dm/client.js';
import {ControlClient} from '../storage/dmlog/control-client.js';
import type {QuiesceOps} from '../storage/quiesce.js';

const SIGSTOP = os.constants.signals.SIGSTOP;
const SIGCONT = os.constants.signals.SIGCONT;

/** The signal the kernel is asked for while cr holds the targets: SIGSTOP (early if asked early). */
export const heldSignal = (requested: number) => (requested === -SIGSTOP ? -SIGSTOP : SIGSTOP);

/** Let the held targets go with the requested signal: none or SIGCONT continues them, SIGSTOP
 *  leaves them stopped, any other is sent and then SIGCONT so that it is delivered. Targets that
 *  are gone are skipped. */
export function releaseTargets(pids: number[], requested: number): void {
  const signals = requested === SIGSTOP || requested === -SIGSTOP ? [] : requested > 0 && requested !== SIGCONT ? [requested, SIGCONT] : [SIGCONT];
  for (const sig of signals) {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ESRCH') continue;
        throw new KernelError(`kill ${pid} ${sig}`, os.constants.errno[code as keyof typeof os.constants.errno] ?? 1);
      }
    }
  }
}

/** The watchdog for a checkpoint that holds its targets and suspends devices. */
export const startGuard = () => startSuspendGuard((text) => process.stderr.write(`${text}\n`));

/** QuiesceOps on this machine's device-mapper and the dm-log server at `socket`. */
export function quiesceOps(socket: string, onStep: (text: string) => void): QuiesceOps {
  let dm: DmControl | undefined;
  const control = () => (dm ??= DmControl.open());
  let client: ControlClient | undefined;
  return {
    onStep,
    devices: {
      describe: async (name) => ({suspended: (await control().info(name)).suspended, logUuid: userspaceLogUuid(await control().table(name, 'table'))}),
      suspend: async (name) => void (await control().suspend(name)),
      resume: async (name) => void (await control().resume(name)),
    },
    server: () => {
      client ??= new ControlClient(socket);
      return {
        cursor: async () => (await client!.status()).server.eventSeq,
        waitFor: (uuids, events, after, timeoutMs) => client!.waitFor({uuids, events, after, timeoutMs}),
      };
    },
    runCommand: (command, env) => runShellCommand(command, env),
  };
}
