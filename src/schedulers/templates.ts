// The scripts and configuration each scheduler integration installs: the one source of
// `cr scheduler print` and of examples/ (a test checks that examples/ is their rendering).
// Placeholders: @CR@ = the cr command, @PREFIX@ = the directory the files are installed in.

export interface Template {
  /** File name inside the integration's directory. */
  name: string;
  /** Executable (0755) or configuration (0644). */
  executable: boolean;
  text: string;
}

const SLURM_JOB = `#!/bin/bash
# Slurm batch job under cr: checkpoint on USR1, requeue, restart from the newest checkpoint.
#   sbatch [options] cr-job.sbatch PROGRAM [ARGS...]
# USR1 reaches this script (B:) 300 s before the time limit, or at once with
#   scancel --batch --signal=USR1 JOBID
# On USR1 the job is checkpointed (stopped, the image synced), ended, and only then requeued:
# Slurm's own signals of the requeue find nothing of the job to wake. The requeued run
# (SLURM_RESTART_COUNT > 0) restarts from the job's newest checkpoint that verifies (without its
# old pid if that is taken on the new node), or starts PROGRAM afresh when none verifies.
#SBATCH --signal=B:USR1@300
#SBATCH --requeue
#SBATCH --open-mode=append
set -u
CR=\${CR:-@CR@}
CKPT_DIR=\${CR_CHECKPOINT_DIR:-$PWD/checkpoints}/$SLURM_JOB_ID
KEEP=\${CR_CHECKPOINT_KEEP:-2}
mkdir -p "$CKPT_DIR" || exit 1

if [ "\${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then
  echo "cr: run $SLURM_RESTART_COUNT of job $SLURM_JOB_ID: restarting from $CKPT_DIR" >&2
  "$CR" slurm restart --dir "$CKPT_DIR" -- "$@" &
else
  "$CR" run -- "$@" &
fi
job=$!

checkpoint() {
  "$CR" slurm checkpoint --dir "$CKPT_DIR" --keep "$KEEP" "$job"
  case $? in
  0) exit 0 ;; # requeued: Slurm ends this run and starts the next one
  75)          # checkpointed and ended, but the requeue failed: go on from the checkpoint here
    wait "$job"
    "$CR" slurm restart --dir "$CKPT_DIR" -- "$@" &
    job=$! ;;
  esac         # any other status: the checkpoint failed and the job runs on untouched
}
trap 'checkpoint "$@"' USR1

while :; do
  wait "$job"
  status=$?
  # wait returns > 128 when USR1 interrupted it and the job still runs.
  if [ "$status" -gt 128 ] && kill -0 "$job" 2>/dev/null; then continue; fi
  exit "$status"
done
`;

const torqueWrapper = (verb: string, args: string) => `#!/bin/sh
# Torque pbs_mom $${verb}_script: ${args}
exec @CR@ torque ${verb} -- "$@"
`;

const TORQUE_RUN = `#!/bin/sh
# Torque pbs_mom $checkpoint_run_exe: starts the job shell with BLCR's libcr preloaded.
exec @CR@ run -- "$@"
`;

const TORQUE_CONFIG = `# Torque: add to $PBS_HOME/mom_priv/config, then restart pbs_mom.
# Jobs ask for checkpoints with qsub -c enabled|periodic|interval=MIN|depth=N|dir=PATH;
# depth=N keeps the newest N checkpoints of the job (no depth: all are kept).
$checkpoint_script @PREFIX@/cr-checkpoint
$restart_script @PREFIX@/cr-restart
$checkpoint_run_exe @PREFIX@/cr-run
`;

const pbsWrapper = (verb: string, extra: string) => `#!/bin/sh
# PBS Professional / OpenPBS pbs_mom $action ${verb}: SID JOBID DIR
exec @CR@ pbs ${extra} -- "$@"
`;

const PBS_CONFIG = `# PBS Professional / OpenPBS: add to PBS_HOME/mom_priv/config, then HUP pbs_mom. Checkpoints go to
# /var/spool/pbs/checkpoint/<jobid>/ (directory mode, the newest 2 kept).
$action checkpoint 600 !@PREFIX@/cr-pbs-checkpoint %sid %jobid /var/spool/pbs/checkpoint
$action checkpoint_abort 600 !@PREFIX@/cr-pbs-checkpoint-abort %sid %jobid /var/spool/pbs/checkpoint
$action restart 600 !@PREFIX@/cr-pbs-restart %sid %jobid /var/spool/pbs/checkpoint
`;

const LSF_ECHKPNT = `#!/bin/sh
# LSF checkpoint method "cr": echkpnt.cr [-c] [-f] [-k | -s] [-d DIR] [-x] PGID
# With LSB_ECHKPNT_KEEP_OUTPUT=y|Y the output goes to $LSB_CHKPNT_DIR/echkpnt.out|err.
case \${LSB_ECHKPNT_KEEP_OUTPUT:-} in
y|Y) [ -n "\${LSB_CHKPNT_DIR:-}" ] && exec >>"$LSB_CHKPNT_DIR/echkpnt.out" 2>>"$LSB_CHKPNT_DIR/echkpnt.err" ;;
esac
exec @CR@ lsf echkpnt --keep 2 -- "$@"
`;

const LSF_ERESTART = `#!/bin/sh
# LSF checkpoint method "cr": erestart.cr [-c] [-f] DIR
# Writes the restart command to DIR/.restart_cmd (exit 0 only when it was written).
case \${LSB_ECHKPNT_KEEP_OUTPUT:-} in
y|Y) [ -n "\${LSB_CHKPNT_DIR:-}" ] && exec >>"$LSB_CHKPNT_DIR/erestart.out" 2>>"$LSB_CHKPNT_DIR/erestart.err" ;;
esac
exec @CR@ lsf erestart -- "$@"
`;

const LSF_CONFIG = `# Add to lsf.conf (or set in the job's environment), then badmin reconfig.
# Jobs start the program under cr run (it preloads libcr; without it echkpnt.cr cannot checkpoint):
#   bsub -k "/scratch/ckpt 30 method=cr" @CR@ run -- PROGRAM [ARGS...]
# Checkpoints go to /scratch/ckpt/<jobid>/.
LSB_ECHKPNT_METHOD=cr
LSB_ECHKPNT_METHOD_DIR=@PREFIX@
LSB_ECHKPNT_KEEP_OUTPUT=y
`;

const SGE_CKPT = `# Grid Engine checkpointing environment: qconf -Ackpt cr.ckpt
# Add "cr" to the queue's ckpt_list; jobs: qsub -ckpt cr cr-job.sh PROGRAM [ARGS...]
# Each job keeps its checkpoints in ckpt_dir/$job_id (array jobs: ckpt_dir/$job_id.$SGE_TASK_ID).
# when s and x migrate the job to another host: ckpt_dir must be shared by every execution host
# (replace /shared/cr-checkpoints with such a directory; a node-local one only without s and x).
ckpt_name          cr
interface          userdefined
ckpt_command       @CR@ sge checkpoint --keep 2 $job_id $job_pid $ckpt_dir
migr_command       @CR@ sge checkpoint --kill --keep 2 $job_id $job_pid $ckpt_dir
restart_command    @CR@ sge restart $job_id $job_pid $ckpt_dir
clean_command      @CR@ sge clean $job_id $job_pid $ckpt_dir
ckpt_dir           /shared/cr-checkpoints
signal             none
when               sx
`;

const SGE_JOB = `#!/bin/sh
# Grid Engine job under cr: qsub -ckpt cr cr-job.sh PROGRAM [ARGS...]
# The job runs checkpointable; a restart goes through the environment's restart_command.
#$ -ckpt cr
exec @CR@ run -- "$@"
`;

export const TEMPLATES: Record<string, Template[]> = {
  slurm: [{name: 'cr-job.sbatch', executable: true, text: SLURM_JOB}],
  // Torque, and PBS Professional / OpenPBS (which configure pbs_mom with $action instead).
  torque: [
    {name: 'cr-checkpoint', executable: true, text: torqueWrapper('checkpoint', 'session_id job_id user group checkpoint_dir checkpoint_name signal_num checkpoint_depth')},
    {name: 'cr-restart', executable: true, text: torqueWrapper('restart', 'session_id job_id user group checkpoint_dir checkpoint_name')},
    {name: 'cr-run', executable: true, text: TORQUE_RUN},
    {name: 'torque-mom_priv-config', executable: false, text: TORQUE_CONFIG},
    {name: 'cr-pbs-checkpoint', executable: true, text: pbsWrapper('checkpoint (the job continues)', 'checkpoint --keep 2')},
    {name: 'cr-pbs-checkpoint-abort', executable: true, text: pbsWrapper('checkpoint_abort (the job is killed)', 'checkpoint --abort --keep 2')},
    {name: 'cr-pbs-restart', executable: true, text: pbsWrapper('restart', 'restart')},
    {name: 'pbspro-mom_priv-config', executable: false, text: PBS_CONFIG},
  ],
  lsf: [
    {name: 'echkpnt.cr', executable: true, text: LSF_ECHKPNT},
    {name: 'erestart.cr', executable: true, text: LSF_ERESTART},
    {name: 'lsf.conf', executable: false, text: LSF_CONFIG},
  ],
  sge: [
    {name: 'cr.ckpt', executable: false, text: SGE_CKPT},
    {name: 'cr-job.sh', executable: true, text: SGE_JOB},
  ],
};

export const SCHEDULERS = Object.keys(TEMPLATES);
