#!/bin/bash
# Parity: the scenarios of test/parity/scenarios.txt on the real BLCR module observe exactly
# what test/parity/real-blcr.jsonl records - the record the host's test kernel is held to
# (test/parity/parity.test.ts) - so the record cannot drift from the module.
# timeout: 300
. "$CR_ROOT/test/vm/lib.sh"

step "the probe on the real module"
[ -x "$CR_ROOT/test/kernel/build/parity" ] || fail "test/kernel/build/parity missing (make -C test/kernel)"
bash "$CR_ROOT/test/parity/run-real.sh" "$CR_BLCR_PREFIX" "$CR_JOB/parity.jsonl" 2> "$CR_JOB/parity.err" ||
	fail "the probe failed: $(tail -n 5 "$CR_JOB/parity.err")"
note "$(wc -l < "$CR_JOB/parity.jsonl") scenarios observed (in $CR_JOB/parity.jsonl)"

step "compared with the record"
if ! diff -u "$CR_ROOT/test/parity/real-blcr.jsonl" "$CR_JOB/parity.jsonl" > "$CR_JOB/parity.diff"; then
	head -n 40 "$CR_JOB/parity.diff"
	fail "the real module's observations differ from test/parity/real-blcr.jsonl (whole diff in $CR_JOB/parity.diff; regenerate with test/parity/record-real.sh if the list changed)"
fi
note "identical to the record"

step "the kernel log"
# The list makes the module complain on purpose ("File descriptor closed unexpectedly!" from
# rstrt-no-context-fd, compared above). Anything worse fails here; then the log is cleared so
# the runner's own check does not take the expected line for a finding.
if dmesg | grep -E 'BUG|Oops|general protection|Poison'; then
	fail "the kernel complained during the parity scenarios (above)"
fi
dmesg -C
