#!/bin/bash
# cr's own end-to-end tests (the host lane's mocha files, CR_TEST_KERNEL=blcr) on the real BLCR
# module, part 1: cr restart (a job that exits 7 makes cr restart exit 7, one killed by SIGKILL
# makes it die of SIGKILL, SIGTERM and SIGUSR1 to cr go to the job; EBUSY and --no-restore-pid;
# threads; --relocate; --json; --run-on-success), the store (verify, restart --latest past broken
# checkpoints), cr watch --every, and the LSF scripts with BLCR's libcr_run in the job. test/helpers/kernel.ts says what differs between the kernels.
# timeout: 900
. "$CR_ROOT/test/vm/lib.sh"
. "$CR_ROOT/test/vm/blcr/e2e.bash"

run_e2e --expect 11 --grep 'round trip: cr run|mirrors the job|--json reports the restarted pid|two-thread image|EBUSY while the original|maps a moved executable|--run-on-success runs|names sort by time|restart --latest skips them|--every checkpoints periodically|echkpnt.cr PGID' \
	dist/test/commands/restart.test.js dist/test/commands/store.test.js dist/test/commands/watch.test.js \
	dist/test/schedulers/lsf.test.js
