// The real parts behind a checkpoint's --quiesce: device-mapper ioctls (off the event loop), the
// dm-log server's control socket, the snapshot command, the watchdog. Loaded only with --quiesce.
import {startSuspendGuard} from '../exec/guard.js';
import {runShellCommand} from '../exec/shell.js';
import {DmControl, userspaceLogUuid} from '../storage/dm/client.js';
import {ControlClient} from '../storage/dmlog/control-client.js';
import type {QuiesceOps} from '../storage/quiesce.js';

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
    runCommand: (command, env, signal) => runShellCommand(command, env, signal),
  };
}
