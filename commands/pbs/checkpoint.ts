import {Flags} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';

export default class PbsCheckpoint extends CrCommand {
  static override summary = 'PBS Professional / OpenPBS pbs_mom $action checkpoint (and checkpoint_abort) script.';
  static override description = `Arguments, as configured: SID JOBID DIR ($action checkpoint 600 !SCRIPT %sid %jobid DIR). Checkpoints the
tree of SID (under cr restart, the job it restarted) into DIR/JOBID in directory mode; with --abort the job is
killed afterwards (checkpoint_abort). Exit 0 on success, else cr checkpoint's status.`;
  static override examples = ['<%= config.bin %> pbs checkpoint --keep 2 -- 4242 17.server /var/spool/pbs/checkpoint'];
  static override strict = false;
  static override flags = {
    abort: Flags.boolean({summary: 'Kill the job after the checkpoint ($action checkpoint_abort).'}),
    keep: Flags.integer({summary: 'Keep only the newest N checkpoints of the job.', min: 1, helpValue: 'N'}),
  };

  async run() {
    const {argv, flags} = await this.parse(PbsCheckpoint);
    const cr = await import('../../src/index.js');
    const r = await cr.pbsCheckpoint(argv as string[], {abort: flags.abort, keep: flags.keep}, {json: this.jsonEnabled(), quiet: true, verbose: 0});
    this.note(`cr: checkpointed to ${r.file}`);
    return r;
  }
}
