#!/bin/bash
# (a) Mirrors whose dirty log is served by `cr dmlog serve`: a core and a disk log under the names
# LVM uses (clustered-core, clustered-disk) and the plain ones (core, disk), four logs at once.
# O_DIRECT writes, every mirror reaches full sync, the legs compare equal, the server's view agrees
# with the kernel's, and removing the mirrors ends the logs (DTR).
# timeout: 1800
. "$CR_ROOT/test/vm/lib.sh"
. "$CR_ROOT/test/vm/dmlog.sh"

REGION=1024   # sectors

step "loop devices: 4 pairs of 32 MiB legs, 2 log devices of 1 MiB"
LEGS=($(make_loops 32 8))
LOGS=($(make_loops 1 2))
N=$(blockdev --getsz "${LEGS[0]}")
REGIONS=$(((N + REGION - 1) / REGION))

step "start cr dmlog serve"
start_dmlog

step "create the four mirrors"
dm_create m-ccore "0 $N mirror userspace 3 cr-uuid-ccore clustered-core $REGION 2 ${LEGS[0]} 0 ${LEGS[1]} 0"
dm_create m-cdisk "0 $N mirror userspace 4 cr-uuid-cdisk clustered-disk ${LOGS[0]} $REGION 2 ${LEGS[2]} 0 ${LEGS[3]} 0"
dm_create m-core "0 $N mirror userspace 3 cr-uuid-core core $REGION 2 ${LEGS[4]} 0 ${LEGS[5]} 0"
dm_create m-disk "0 $N mirror userspace 5 cr-uuid-disk disk ${LOGS[1]} $REGION block_on_error 2 ${LEGS[6]} 0 ${LEGS[7]} 0"
for m in m-ccore m-cdisk m-core m-disk; do dmsetup table "$m"; done

step "O_DIRECT writes"
dd if=/dev/urandom of=data.bin bs=1M count=12 status=none
for m in m-ccore m-cdisk m-core m-disk; do
	dd if=data.bin of=/dev/mapper/$m bs=1M oflag=direct status=none
	dd if=data.bin of=/dev/mapper/$m bs=1M count=3 seek=20 oflag=direct status=none
done

step "full sync"
for m in m-ccore m-cdisk m-core m-disk; do
	wait_mirror_synced "$m" 1200
	assert_eq "$REGIONS/$REGIONS" "$(mirror_sync_count "$m")" "$m sync count"
	dmsetup status "$m"
done
dmsetup status m-cdisk | grep -q "clustered-disk $(lsblk -dno MAJ:MIN "${LOGS[0]}" | tr -d ' ') A" || fail "m-cdisk: log status is not 'clustered-disk MAJ:MIN A': $(dmsetup status m-cdisk)"
dmsetup status m-ccore | grep -q "1 clustered-core" || fail "m-ccore: log status: $(dmsetup status m-ccore)"

step "the legs compare equal"
for i in 0 2 4 6; do
	cmp -n $((N * 512)) "${LEGS[$i]}" "${LEGS[$((i + 1))]}" || fail "legs ${LEGS[$i]} and ${LEGS[$((i + 1))]} differ"
done
cmp -n $((12 << 20)) data.bin /dev/mapper/m-disk || fail "m-disk does not read back what was written"

step "the server's view"
cr dmlog status --socket "$DMLOG_SOCK"
assert_eq 4 "$(dmlog_status 'len(logs)')" "logs held"
assert_eq "resumed resumed resumed resumed" "$(dmlog_status '" ".join(l["state"] for l in sorted(logs, key=lambda l: l["uuid"]))')" "states"
assert_eq "clustered-core clustered-disk core disk" "$(dmlog_status '" ".join(sorted(l["type"] for l in logs))')" "types"
assert_eq True "$(dmlog_status 'all(l["syncCount"] == l["regionCount"] == '$REGIONS' and l["dirtyCount"] == 0 for l in logs)')" "every log in sync and clean"
assert_eq True "$(dmlog_status 'all(l["requests"].get("MARK_REGION", 0) + l["requests"].get("FLUSH", 0) > 0 for l in logs)')" "writes went through the logs"

step "the disk log on disk"
assert_eq "72 52 69 4d 02 00 00 00" "$(log_hex "${LOGS[0]}" 0 8)" "magic and version"
assert_eq "$(printf '%02x' "$REGIONS") 00 00 00 00 00 00 00" "$(log_hex "${LOGS[0]}" 8 8)" "region count"

step "remove: DTR ends every log"
for m in m-ccore m-cdisk m-core m-disk; do dm_remove "$m"; done
assert_eq 0 "$(dmlog_status 'len(logs)')" "logs after remove"
bg_running dmlog || fail "the server died: $(cat "$(bg_log dmlog)")"
