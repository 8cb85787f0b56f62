import {Flags} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';

export default class LsfEchkpnt extends CrCommand {
  static override summary = 'LSF echkpnt method "cr" (echkpnt.cr runs it with LSF\'s arguments after --).';
  static override description = `Arguments, as LSF passes them: [-c] [-f] [-k | -s] [-d checkpoint_dir] [-x] process_group_ID.
Checkpoints the process group (-x: the process tree) in directory mode into checkpoint_dir (default
$LSB_CHKPNT_DIR), named after $LSB_JOBID. -k kills and -s stops the job after the checkpoint; -c embeds the
executable, libraries and shared mappings (--save-all); -f is accepted (cr has no conditions to force past).
Exit 0 on success; non-zero on failure, and the job runs on.`;
  static override examples = ['<%= config.bin %> lsf echkpnt --keep 2 -- -k -d /scratch/ckpt/1234 4242'];
  static override strict = false;
  static override flags = {
    keep: Flags.integer({summary: 'Keep only the newest N checkpoints of the job.', min: 1, helpValue: 'N'}),
  };

  async run() {
    const {argv, flags} = await this.parse(LsfEchkpnt);
    const cr = await import('../../src/index.js');
    const r = await cr.echkpnt({argv: argv as string[], keep: flags.keep}, {json: this.jsonEnabled(), quiet: true, verbose: 0});
    this.note(`cr: checkpointed to ${r.file}`);
    return r;
  }
}
