#!/bin/bash
# cr's own end-to-end tests (the host lane's mocha files, CR_TEST_KERNEL=blcr) on the real BLCR
# module, part 2: cr checkpoint (every scope, the after-checkpoint signals, --save-exe/--save-all,
# the file policies, the kernel's error codes: ESRCH, CR_ENOSUPPORT, CR_EPTRACED/ER, EPERM, ENOSPC)
# and the Torque, PBS Professional and Grid Engine scripts with BLCR's libcr_run in the jobs.
# test/helpers/kernel.ts says what differs between the kernels.
# timeout: 900
. "$CR_ROOT/test/vm/lib.sh"
. "$CR_ROOT/test/vm/blcr/e2e.bash"

run_e2e --expect 14 --grep 'process tree by default|-p checkpoints only|-g checkpoints a process group|--save-exe embeds|after-checkpoint signal|omits itself|CR_ENOSUPPORT: a target|CR_EPTRACED|EPERM: another user|ENOSPC|--backup keeps|\$restart_script: 6 arguments|PBS Professional|cr-job.sh runs the job' \
	dist/test/commands/checkpoint-scopes.test.js dist/test/commands/checkpoint-errors.test.js dist/test/commands/checkpoint-files.test.js \
	dist/test/schedulers/torque-pbs.test.js dist/test/schedulers/sge.test.js
