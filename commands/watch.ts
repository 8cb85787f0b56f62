import {Args, Flags} from '@oclif/core';
import {CrCommand} from '../src/cli/base-command.js';

export default class Watch extends CrCommand {
  static override summary = 'Checkpoint a job periodically and on signals, into a checkpoint directory, until it ends.';
  static override description = `Runs directory-mode checkpoints of PID (its process tree by default): every DURATION, and whenever cr
watch receives one of the --on-signal signals (the pattern batch schedulers use before a time limit or a
preemption, e.g. Slurm's --signal=B:USR1@300). Checkpoints never overlap: the job lock in DIR, which the
kernel releases if its holder dies, keeps other cr processes out too. Ends when the target ends; SIGINT and
SIGTERM (and SIGHUP, SIGQUIT) stop it unless they are --on-signal triggers; one that arrives during a checkpoint
abandons it, cleaned up as by cr checkpoint. A failed checkpoint is reported and watching goes on, up to 3 failures in
a row, then watch ends. Watch prints why it ended; it exits 0 when the last checkpoint succeeded (or none was taken),
otherwise with the last checkpoint's exit status.`;
  static override examples = [
    '<%= config.bin %> watch 4242 --every 30m --dir /scratch/ckpt --keep 3',
    '<%= config.bin %> watch 4242 --on-signal USR1 --dir /scratch/ckpt --keep 2',
  ];
  static override args = {pid: Args.string({description: 'pid of the job (root of its process tree)', required: true})};
  static override flags = {
    every: Flags.string({summary: 'Checkpoint every DURATION (seconds, or 30s, 5m, 1h30m).', helpValue: 'DURATION'}),
    'on-signal': Flags.string({summary: 'Checkpoint when cr watch receives SIG (a name: USR1, SIGTERM, any case; or a number); repeatable.', multiple: true, helpValue: 'SIG'}),
    dir: Flags.string({char: 'd', summary: 'Checkpoint directory.', required: true, helpValue: 'DIR'}),
    keep: Flags.integer({summary: 'Keep only the newest N checkpoints of the job.', helpValue: 'N'}),
    job: Flags.string({summary: 'Job name (default: the batch job id, else pid<PID>).', helpValue: 'NAME'}),
    pid: Flags.boolean({char: 'p', summary: 'Checkpoint the process only, not its tree.'}),
    quiet: Flags.boolean({char: 'q', summary: 'No output on stderr.'}),
  };

  async run() {
    const {args, flags} = await this.parse(Watch);
    this.quiet = flags.quiet;
    const cr = await import('../src/index.js');
    const opts = cr.watchOptionsFromFlags(flags, args.pid);
    const end = await cr.runWatch(
      opts,
      {json: this.jsonEnabled(), quiet: flags.quiet, verbose: 0},
      (e) => this.note(e.ok ? `${e.at} checkpoint (${e.trigger}): ${e.file}` : `${e.at} checkpoint (${e.trigger}) failed: ${e.error?.message}`),
      () => this.note(`watching ${opts.checkpoint.target}${flags.every ? ` every ${flags.every}` : ''}${opts.onSignals.length > 0 ? ` on ${opts.onSignals.join(', ')}` : ''}, into ${opts.checkpoint.destination.kind === 'store' ? opts.checkpoint.destination.dir : ''}`),
    );
    const last = end.events.findLast((e) => e.ok || e.exitCode !== undefined);
    if (end.exitCode !== 0) {
      throw new cr.CrError(`cr watch: ended: ${end.reason}; the last checkpoint failed: ${last!.error?.message}`, {exitCode: end.exitCode, code: 'ECHECKPOINT'});
    }
    this.note(`cr watch: ended: ${end.reason}`);
    return {target: opts.checkpoint.target, checkpoints: end.events, ended: end.reason};
  }
}
