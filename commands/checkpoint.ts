import {Args} from '@oclif/core';
import {CrCommand} from '../src/cli/base-command.js';
import {checkpointFlags, normalizeCheckpointArgv} from '../src/cli/checkpoint-flag-defs.js';

export default class Checkpoint extends CrCommand {
  static override summary = 'Checkpoint a process, process tree, group or session (cr_checkpoint compatible).';
  static override description = `Sends CR_OP_CHKPT_REQ to the BLCR kernel module for ID and writes the context file.
By default the file is context.<ID> in the current directory, written atomically: a temporary name in the same
directory, fsync, rename, fsync of the directory, so a crash never harms the previous checkpoint.
A signal after the checkpoint other than SIGCONT (--stop, --term, --kill, --abort, -S) reaches the job only once the
checkpoint is durable: the kernel is asked to stop the targets, and cr sends the signal after the publish. A failed
checkpoint never sends it and never leaves the job stopped. BLCR cannot cancel a dump, so --time, SIGINT,
SIGTERM, SIGHUP and SIGQUIT (on a terminal or not) make cr wait for the kernel to finish with the targets, continue them, remove the unfinished file and exit
110, or 128 + the signal's number (130, 143, 129, 131).
Exit status: 0 on success, otherwise errno & 0xff as BLCR's tools (ESRCH 3, EBUSY 16, CR_E* 50..61, ENOSYS 38),
255 for usage errors.`;
  static override examples = [
    '<%= config.bin %> checkpoint 4242',
    '<%= config.bin %> checkpoint --kill -f /scratch/job.ctx 4242',
    '<%= config.bin %> checkpoint -g --backup --time 600 4242',
    '<%= config.bin %> checkpoint --json 4242',
  ];
  static override args = {id: Args.string({description: 'pid (tree or process), process group id or session id', required: true})};
  static override flags = checkpointFlags;

  async run() {
    this.argv = normalizeCheckpointArgv(this.argv);
    const {args, flags, raw} = await this.parse(Checkpoint);
    this.quiet = flags.quiet;
    const cr = await import('../src/index.js');
    const opts = cr.checkpointOptionsFromFlags(flags, raw, args.id);
    // cr in the scope of its own checkpoint: a checkpointable parent takes cr's place (same pid).
    cr.standAsideIfInScope(opts);
    const abort = new AbortController();
    // The first SIGINT/SIGTERM/SIGHUP/SIGQUIT abandons the checkpoint; cr still waits for the kernel
    // to finish with the targets (BLCR cannot cancel a dump) so the job is left running, so later
    // ones are ignored.
    const undo = cr.abortOnCleanupSignals(abort, (sig) => this.note(`cr: ${sig}: still waiting for the kernel to finish the dump, then the job continues`));
    try {
      const result = await cr.runCheckpoint(opts, {json: this.jsonEnabled(), quiet: flags.quiet, verbose: flags.verbose ? 1 : 0}, abort.signal);
      if (opts.kmsg === 'warning') for (const line of result.log) this.note(`- ${line}`);
      if (flags.verbose) this.note(`Checkpoint of ${opts.scope} ${opts.target} written to ${result.file ?? `fd ${result.fd}`} (${result.bytes} bytes)`);
      return result;
    } finally {
      undo();
    }
  }
}
