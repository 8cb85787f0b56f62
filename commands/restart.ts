import {Args} from '@oclif/core';
import {CrCommand} from '../src/cli/base-command.js';
import {restartFlags} from '../src/cli/restart-flag-defs.js';

export default class Restart extends CrCommand {
  static override summary = 'Restart a job from a context file (cr_restart compatible).';
  static override description = `Checks the context file (size, magic, version, architecture, trailer, kernel major.minor) before the
kernel is asked, then sends CR_OP_RSTRT_REQ, creates one child per process the kernel asks for, reaps, and waits
for the restarted job: cr restart exits with the job's exit status, or dies by the same signal (core dumps off),
and passes signals on to it meanwhile. Failures exit with errno & 0xff ("Restart failed: ..."), 255 for usage
errors; a --run-on-* hook that exits non-zero gives its own status instead.`;
  static override examples = [
    '<%= config.bin %> restart context.4242',
    '<%= config.bin %> restart --no-restore-pid --relocate /scratch/old=/scratch/new job.ctx',
    '<%= config.bin %> restart --run-on-fail-temp "sleep 60; exit 75" job.ctx',
  ];
  static override args = {file: Args.string({description: 'context file (or give --file / --fd)'})};
  static override flags = restartFlags;

  async run() {
    const cr = await import('../src/index.js');
    let parsed;
    try {
      parsed = await this.parse(Restart);
    } catch (error) {
      const status = await cr.runHook(cr.hooksFromArgv(this.argv), 'args');
      if (status !== 0) this.exit(status);
      throw error;
    }
    const {args, flags, raw} = parsed;
    this.quiet = flags.quiet;
    let opts;
    try {
      opts = cr.restartOptionsFromFlags(flags, raw, args.file);
    } catch (error) {
      const status = await cr.runHook(cr.hooksFromArgv(this.argv), 'args');
      if (status !== 0 && error instanceof cr.CrError) throw new cr.HookStatusError(error, status);
      throw error;
    }
    const result = await cr.runRestart(opts, {json: this.jsonEnabled(), quiet: flags.quiet, verbose: flags.verbose ? 1 : 0}, (w) => this.warning(w), false, (n) => this.note(`cr: ${n}`));
    if (opts.kmsg === 'warning') for (const line of result.log) this.note(`- ${line}`);
    if (flags.verbose) this.note(`Restarted ${result.processes} process(es), pid ${result.pid}; the job ended with ${result.exit?.signal ?? `status ${result.exit?.code ?? 0}`}`);
    this.printJson(result);
    return this.endAsJob(result.exit);
  }
}
