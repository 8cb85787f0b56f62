#!/bin/bash
# Smoke: the BLCR lane's guest is what the other scenarios assume it is. Linux 3.10 with BLCR's
# modules loaded and /proc/checkpoint/ctrl; `cr info` agrees with the module on interface 0.10;
# BLCR's own cr_run, cr_checkpoint --kill and cr_restart take a plain C counter (the test
# kernel's counter, not linked with libcr) down and back with the same pid and no count lost or
# repeated.
# timeout: 180
. "$CR_ROOT/test/vm/lib.sh"

BLCR_BIN=$CR_BLCR_PREFIX/bin
COUNTER=$CR_ROOT/test/kernel/build/counter

# last_count FILE: the last "counter N" of the counter's log.
last_count() {
	awk '$1 == "counter" { n = $2 } END { print n + 0 }' "$1"
}

step "kernel and modules"
rel=$(uname -r)
note "uname -r: $rel"
[[ $rel =~ ^3\.10\.[0-9]+-blcrvm$ ]] || fail "not the lane's 3.10 kernel: $rel"
for m in blcr_imports blcr; do
	grep -q "^$m " /proc/modules || fail "module $m not loaded"
done
[ -e /proc/checkpoint/ctrl ] || fail "/proc/checkpoint/ctrl missing"
dmesg | grep -q 'Supports kernel interface version 0.10' || fail "dmesg has no 'Supports kernel interface version 0.10': $(dmesg | grep -i blcr)"
[ -x "$BLCR_BIN/cr_checkpoint" ] || fail "no BLCR tools in $BLCR_BIN"
[ "$LD_LIBRARY_PATH" = "$CR_BLCR_PREFIX/lib" ] || fail "LD_LIBRARY_PATH is '$LD_LIBRARY_PATH'"
touch /tmp/w && rm /tmp/w || fail "/tmp is not writable (BLCR's restart needs it)"
[ -f "$CR_ROOT/package.json" ] || fail "the repository is not visible at $CR_ROOT"

step "cr info"
cr info --json | tee info.json
iface=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["interface"])' info.json)
assert_eq 0.10 "$iface" "cr info --json interface"

step "BLCR's cr_run: the counter"
[ -x "$COUNTER" ] || fail "$COUNTER missing (make -C test/kernel)"
start_bg counter "$BLCR_BIN/cr_run" "$COUNTER" --interval-ms 50 --out "$CR_SCRATCH/counter.log" --ready "$CR_SCRATCH/ready"
wait_for "[ -s $CR_SCRATCH/ready ]" 30 || fail "the counter never got ready"
pid=$(head -n 1 "$CR_SCRATCH/ready")
wait_for '[ "$(last_count counter.log)" -ge 10 ]' 30 || fail "the counter does not count"
note "counter pid $pid at $(last_count counter.log)"

step "BLCR's cr_checkpoint --kill"
"$BLCR_BIN/cr_checkpoint" -f "$CR_SCRATCH/ctx.counter" --kill "$pid"
wait_for "[ ! -d /proc/$pid ]" 30 || fail "pid $pid still there after cr_checkpoint --kill"
stop_bg counter
at_kill=$(last_count counter.log)
[ -s ctx.counter ] || fail "no context file"
note "context file $(stat -c %s ctx.counter) bytes; killed at $at_kill"
# The header's magic: 'C' and 'R', each as a 32-bit int.
assert_eq "43 00 00 00 52 00 00 00" "$(od -An -tx1 -N8 ctx.counter | xargs)" "the context file's magic"

step "BLCR's cr_restart"
start_bg restart "$BLCR_BIN/cr_restart" "$CR_SCRATCH/ctx.counter"
wait_for "[ \"\$(last_count counter.log)\" -ge $((at_kill + 10)) ]" 30 || fail "no counting after the restart (still $(last_count counter.log))"
[ "$(cat "/proc/$pid/comm")" = counter ] || fail "pid $pid is not the restarted counter: $(cat "/proc/$pid/comm" 2>&1)"
awk '$1 == "counter" { if (p && $2 != p + 1) { print "after " p ": " $2; bad = 1 } p = $2 } END { exit bad }' counter.log > gaps.txt ||
	fail "counts lost or repeated across the restart: $(head -n 3 gaps.txt)"
note "restarted as pid $pid, counting on from $at_kill to $(last_count counter.log), no gap and no repeat"
kill "$pid"
wait_for '! bg_running restart' 30 || fail "cr_restart did not end after its restarted process was killed"
