import {Flags} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';
import {socketFlag, socketPathFromFlag} from '../../src/cli/dmlog-flags.js';

export default class DmlogServe extends CrCommand {
  static override summary = 'Serve dm-log-userspace mirror logs to the kernel (netlink connector 7.1).';
  static override description = `Answers the requests dm-mirror sends for 'mirror userspace' tables, keeps each log's state,
and reports on a control socket (\`cr dmlog status\`; checkpoints wait there for their mirrors to suspend).
Runs as root, in the foreground, until SIGTERM or SIGINT; it must be the only listener on connector 7.1.
It prints one line on stderr once it is serving.`;
  static override examples = ['<%= config.bin %> dmlog serve', '<%= config.bin %> dmlog serve --socket /run/cr/other.sock --verbose'];
  static override flags = {
    socket: socketFlag,
    verbose: Flags.boolean({char: 'v', summary: 'One stderr line per request.'}),
    'peer-port': Flags.integer({
      summary: 'Also serve a stand-in kernel at this netlink port (tests).',
      hidden: true,
      min: 1,
      max: 0xffffffff,
      helpValue: 'PORT',
    }),
  };

  async run() {
    const {flags} = await this.parse(DmlogServe);
    const socketPath = socketPathFromFlag(flags.socket);
    const {serveDmlog} = await import('../../src/index.js');
    const summary = await serveDmlog({socketPath, peerPort: flags['peer-port'], verbose: flags.verbose, log: (line) => process.stderr.write(`${line}\n`)});
    process.stderr.write(
      `cr dmlog: stopped after ${summary.seconds} s: ${summary.requests} requests, ${summary.errors} errors, ${summary.ignored} ignored, ${summary.malformed} malformed, ${summary.overruns} overruns, ${summary.sendFailures} send failures\n`,
    );
    return summary;
  }
}
