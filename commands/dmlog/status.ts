import {CrCommand} from '../../src/cli/base-command.js';
import {socketFlag, socketPathFromFlag} from '../../src/cli/dmlog-flags.js';

export default class DmlogStatus extends CrCommand {
  static override summary = 'Show the logs a running `cr dmlog serve` holds.';
  static override description = `Asks the server on its control socket. One row per log: uuid, luid, type, state,
in-sync/total regions, dirty regions and the log device. Fails (exit ENOENT/ECONNREFUSED) when no server answers.`;
  static override examples = ['<%= config.bin %> dmlog status', '<%= config.bin %> dmlog status --json'];
  static override flags = {socket: socketFlag};

  async run() {
    const {flags} = await this.parse(DmlogStatus);
    const {ControlClient, formatDmlogStatus} = await import('../../src/index.js');
    const status = await new ControlClient(socketPathFromFlag(flags.socket)).status();
    if (!this.jsonEnabled()) this.log(formatDmlogStatus(status));
    return status;
  }
}
