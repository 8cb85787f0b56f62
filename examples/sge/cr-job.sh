#!/bin/sh
# Grid Engine job under cr: qsub -ckpt cr cr-job.sh PROGRAM [ARGS...]
# The job runs checkpointable; a restart goes through the environment's restart_command.
#$ -ckpt cr
exec cr run -- "$@"
