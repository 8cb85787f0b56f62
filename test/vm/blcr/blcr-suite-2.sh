#!/bin/bash
# BLCR's own test suite (RUN_ME) with BLCR's own tools on the lane's kernel and modules, shard 2 of
# 2 (every other test of RUN_ME's list, from the second); the two shards run in parallel
# VMs. Every test passes except bug2524, which is PowerPC-only and reports itself not run;
# hugetlbfs gets a mount and huge pages, so it runs and must pass. This checks the lane itself:
# kernel, modules, userland and guest are a sound BLCR installation.
# timeout: 480
. "$CR_ROOT/test/vm/lib.sh"

blcr_suite_shard 2 2
