#!/bin/bash
# (c) kill -9 of `cr dmlog serve` during writes to a clustered-disk mirror, then a new server: the
# kernel finds no listener, retries, reconnects (CTR with the saved arguments, then RESUME) and the
# writes go on. No region marked dirty is lost: the regions dirty in the on-disk log when the server
# died are exactly the ones the new server loads as not in sync, and they stay out of sync until
# they are resynced. The kernel's reconnect path keeps its own in-sync hint (all in sync, from
# before), so it starts that resync at the mirror's next resume (dm-raid1 resets the hint there):
# a `cr dm suspend` + `cr dm resume` brings the mirror to full sync and the legs compare equal.
# timeout: 2400
. "$CR_ROOT/test/vm/lib.sh"
. "$CR_ROOT/test/vm/dmlog.sh"

REGION=128    # 64 KiB regions: many of them, so concurrent writes keep several dirty
UUID=cr-uuid-restart

step "loop devices, server, clustered-disk mirror in sync"
LEGS=($(make_loops 16 2))
LOGS=($(make_loops 1 1))
A=${LEGS[0]} B=${LEGS[1]} LOG=${LOGS[0]}
N=$(blockdev --getsz "$A")
REGIONS=$(((N + REGION - 1) / REGION))
start_dmlog dmlog1
dm_create m "0 $N mirror userspace 4 $UUID clustered-disk $LOG $REGION 2 $A 0 $B 0"
wait_mirror_synced m 1200

# dirty_regions: the regions whose clean bit is clear in the on-disk log (byte 1024 on).
dirty_regions() {
	dd if="$LOG" bs=4096 count=2 iflag=direct status=none | python3 -c '
import sys
b = sys.stdin.buffer.read()[1024:]
print(" ".join(str(i) for i in range('"$REGIONS"') if not b[i // 8] >> (i % 8) & 1))'
}
assert_eq "" "$(dirty_regions)" "dirty regions before the writes"

step "three writers, 64 KiB O_DIRECT writes at random offsets, back to back, until told to stop"
cat > writer.py <<'PY'
import mmap, os, random, sys
fd = os.open("/dev/mapper/m", os.O_WRONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 65536)          # page-aligned, as O_DIRECT needs
buf.write(os.urandom(65536))
blocks, count_file, stop_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
n = 0
while not os.path.exists(stop_file):
    if os.pwrite(fd, buf, random.randrange(blocks) * 65536) != 65536:
        sys.exit("short write")
    n += 1
    with open(count_file + ".new", "w") as f:
        f.write(str(n))
    os.rename(count_file + ".new", count_file)
print("WRITER-DONE", n, flush=True)
PY
STOP=$CR_SCRATCH/writers.stop
writes() { cat "$CR_SCRATCH/writes$1" 2>/dev/null || echo 0; }
for w in 1 2 3; do
	start_bg "writer$w" python3 writer.py $((N / 128)) "$CR_SCRATCH/writes$w" "$STOP"
done
for w in 1 2 3; do
	wait_for "[ \$(writes $w) -gt 0 ]" 1200 || fail "writer$w wrote nothing: $(cat "$(bg_log "writer$w")")"
done

step "kill -9 the server while regions are dirty in the on-disk log"
# Only the server writes a clustered-disk log: while it is stopped (SIGSTOP) the on-disk log
# cannot change. Stop it, read the log, and kill it if regions are dirty; else let it go on and
# look again. So the kill always lands on a log with regions in flight, however slow this machine.
KM=$(dmesg | wc -l)
for ((try = 1; ; try++)); do
	wait_for '[ -n "$(dirty_regions)" ]' 1200 || fail "no region became dirty on disk while the writers ran"
	kill -STOP "$(bg_pid dmlog1)"
	DIRTY=$(dirty_regions)
	[ -n "$DIRTY" ] && break
	kill -CONT "$(bg_pid dmlog1)"
	[ "$try" -lt 100 ] || fail "the stopped server never left a dirty region on disk in $try tries"
done
kill -9 "$(bg_pid dmlog1)"
wait_for '! bg_running dmlog1' 1200 || fail "the server did not die"
K=$(wc -w <<< "$DIRTY")
note "regions dirty on disk when the server died ($K, try $try): $DIRTY"
[ "$K" -gt 0 ] || fail "no region was dirty when the server died: the writes were not in flight"

step "without a server the kernel waits for one; the on-disk log stays as it was"
wait_for 'dmesg | tail -n +'"$((KM + 1))"' | grep -q "Userspace log server not found"' 1200 ||
	fail "the kernel did not notice that the server was gone: $(dmesg | tail -n +$((KM + 1)) | tail -n 5)"
bg_running writer1 && bg_running writer2 && bg_running writer3 || fail "a writer ended while no server was running"
assert_eq "$DIRTY" "$(dirty_regions)" "the on-disk log while no server runs"

step "a new server: the kernel reconnects"
DMLOG_ARGS=--verbose start_dmlog dmlog2
wait_for "grep -q '$UUID luid .*: resume' '$(bg_log dmlog2)'" 1200 || fail "the kernel did not reconnect: $(cat "$(bg_log dmlog2)")"
grep "$UUID" "$(bg_log dmlog2)"
line=$(grep -m1 "$UUID luid .*: resume" "$(bg_log dmlog2)")
assert_eq "$((REGIONS - K))/$REGIONS" "$(sed -n 's/.*, \([0-9]*\/[0-9]*\) regions in sync.*/\1/p' <<< "$line")" "regions in sync as loaded by the new server"

step "the writes go on, then finish; the regions dirty at the kill are still out of sync"
for w in 1 2 3; do
	c=$(writes $w)
	wait_for "[ \$(writes $w) -ge $((c + 20)) ]" 1200 || fail "writer$w made no progress after the reconnect ($(writes $w) writes)"
done
touch "$STOP"
for w in 1 2 3; do
	wait_for "! bg_running writer$w" 1200 || fail "writer$w did not finish"
	grep -q WRITER-DONE "$(bg_log "writer$w")" || fail "writer$w failed: $(cat "$(bg_log "writer$w")")"
done
# An IN_SYNC the kernel asked across its reconnect cannot take its answer: the kernel writes that
# region to the default leg only, and the server takes it out of sync too (it says so).
DESYNC=$(sed -n 's/.*: region(s) \(.*\) out of sync: .*/\1/p' "$(bg_log dmlog2)" | tr ' ' '\n' | grep -vxF -f <(tr ' ' '\n' <<< "$DIRTY") | sort -un | tr '\n' ' ' || true)
note "regions the kernel took out of sync across the reconnect: ${DESYNC:-none}"
KD=$((K + $(wc -w <<< "$DESYNC")))
assert_eq "$((REGIONS - KD))/$REGIONS" "$(mirror_sync_count m)" "in sync after the writes (the kernel's view)"
assert_eq "$((REGIONS - KD))" "$(dmlog_status "log('$UUID')['syncCount']")" "in sync after the writes (the server's view)"
for r in $DIRTY $DESYNC; do
	grep -qw "$r" <<< "$(dirty_regions)" || fail "region $r is out of sync but marked clean on disk"
done

step "suspend + resume: the mirror resyncs them, the legs compare equal"
cr dm suspend m
cr dm resume m
wait_mirror_synced m 1200
assert_eq "" "$(dirty_regions)" "dirty regions at the end"
if ! cmp -n $((N * 512)) "$A" "$B" > /dev/null; then
	bad=$(cmp -l -n $((N * 512)) "$A" "$B" | awk '{ print int(($1 - 1) / 65536) }' | uniq | tr '\n' ' ')
	for r in $bad; do grep -E "region|seq" "$(bg_log dmlog2)" | grep -w "r$r" | head -5 || true; done
	fail "legs differ in regions: $bad"
fi
