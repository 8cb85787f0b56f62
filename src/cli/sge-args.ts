// The arguments every Grid Engine checkpointing command gets: $job_id $job_pid $ckpt_dir.
import {Args} from '@oclif/core';

export const sgeArgs = {
  job_id: Args.string({description: "the job's id ($job_id)", required: true}),
  job_pid: Args.string({description: "the job's pid ($job_pid)", required: true}),
  ckpt_dir: Args.string({description: "the environment's checkpoint directory ($ckpt_dir)", required: true}),
};

export const sgeJob = (a: {job_id: string; job_pid: string; ckpt_dir: string}) => ({jobId: a.job_id, jobPid: a.job_pid, ckptDir: a.ckpt_dir});
