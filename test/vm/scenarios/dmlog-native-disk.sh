#!/bin/bash
# (d) The disk log written by `cr dmlog serve` is the kernel's own format: after our server has
# brought a mirror to full sync, the mirror re-created with the kernel's native `disk` log over the
# same log device starts fully in sync (no resync). The other way round too: a log the kernel wrote
# is loaded by our server. And the check can fail: over a zeroed log device the kernel resyncs
# (seen while the resync is held back: its copies to the second leg wait on a suspended device).
# timeout: 1800
. "$CR_ROOT/test/vm/lib.sh"
. "$CR_ROOT/test/vm/dmlog.sh"

REGION=1024

step "loop devices and the server"
LEGS=($(make_loops 48 2))
LOGS=($(make_loops 1 1))
A=${LEGS[0]} B=${LEGS[1]} LOG=${LOGS[0]}
N=$(blockdev --getsz "$A")
REGIONS=$(((N + REGION - 1) / REGION))
start_dmlog

step "our server: clustered-disk mirror to full sync"
dm_create m "0 $N mirror userspace 4 cr-uuid-native clustered-disk $LOG $REGION 2 $A 0 $B 0"
dd if=/dev/urandom of=/dev/mapper/m bs=1M count=8 oflag=direct status=none
wait_mirror_synced m 1200
dm_remove m

step "the header and clean bitmap our server wrote"
assert_eq "72 52 69 4d" "$(log_hex "$LOG" 0 4)" "magic"
assert_eq "02 00 00 00" "$(log_hex "$LOG" 4 4)" "version"
assert_eq "$(printf '%02x' "$REGIONS") 00 00 00 00 00 00 00" "$(log_hex "$LOG" 8 8)" "region count"
# 96 regions: 12 bytes of ff, then zero.
assert_eq "ff ff ff ff ff ff ff ff ff ff ff ff 00 00 00 00" "$(log_hex "$LOG" 1024 16)" "clean bitmap"

step "the kernel's disk log accepts it: in sync at once"
dm_create m "0 $N mirror disk 2 $LOG $REGION 2 $A 0 $B 0"
assert_eq "$REGIONS/$REGIONS" "$(mirror_sync_count m)" "sync count right after create with the native disk log"

step "a write under the kernel's log, then our server loads the kernel's log: in sync at once"
dd if=/dev/urandom of=/dev/mapper/m bs=1M count=2 seek=30 oflag=direct status=none
wait_mirror_synced m 1200
dm_remove m
dm_create m "0 $N mirror userspace 4 cr-uuid-native2 clustered-disk $LOG $REGION 2 $A 0 $B 0"
assert_eq "$REGIONS/$REGIONS" "$(mirror_sync_count m)" "sync count right after create with our log"
assert_eq "$REGIONS $REGIONS" "$(dmlog_status "' '.join(str(log('cr-uuid-native2')[k]) for k in ('syncCount', 'regionCount'))")" "the server's sync count"
dm_remove m
cmp -n $((N * 512)) "$A" "$B" || fail "legs differ"

step "control: over a zeroed log the kernel's disk log resyncs"
# The resync is kept from finishing, so "not in sync right after create" cannot be missed however
# slow this machine is: the second leg is a linear device over B, suspended, so the resync's
# copies to it wait until it is resumed.
dd if=/dev/zero of="$LOG" bs=4096 count=4 oflag=direct status=none
dm_create bhold "0 $N linear $B 0"
dmsetup suspend --noudevsync bhold
dm_create m "0 $N mirror disk 2 $LOG $REGION 2 $A 0 /dev/mapper/bhold 0"
c=$(mirror_sync_count m)
note "sync count right after create over a zeroed log (resync held): $c"
[ "$c" != "$REGIONS/$REGIONS" ] || fail "a zeroed log was taken as in sync: the check above proves nothing"
assert_eq "$c" "$(mirror_sync_count m)" "sync count while the resync is held"
dmsetup resume --noudevsync bhold
wait_mirror_synced m 1200
dm_remove m
dm_remove bhold
cmp -n $((N * 512)) "$A" "$B" || fail "legs differ after the resync"
