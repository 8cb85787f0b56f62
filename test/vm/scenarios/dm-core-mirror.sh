#!/bin/bash
# dm-mirror with the kernel's in-memory ("core") log over two loop devices:
# O_DIRECT writes, full resync, legs identical, suspend holds I/O and resume releases it.
# timeout: 1200
. "$CR_ROOT/test/vm/lib.sh"

step "loops"
LOOPS=($(make_loops 64 2))
A=${LOOPS[0]} B=${LOOPS[1]}
N=$(blockdev --getsz "$A")
note "legs $A $B, $N sectors"

step "create mirror core (region 1024 sectors)"
dm_create mc "0 $N mirror core 1 1024 2 $A 0 $B 0"
dmsetup table mc
assert_eq mirror "$(dm_status_field mc 3)" "target"
assert_eq 2 "$(dm_status_field mc 4)" "legs"

step "O_DIRECT writes"
dd if=/dev/urandom of=data.bin bs=1M count=24 status=none
dd if=data.bin of=/dev/mapper/mc bs=1M oflag=direct status=none
# and a write past the first region boundary pattern, at 40 MiB
dd if=data.bin of=/dev/mapper/mc bs=1M count=4 seek=40 oflag=direct status=none

step "full sync"
wait_mirror_synced mc 1200
assert_eq "128/128" "$(mirror_sync_count mc)" "sync count"
dmsetup status mc

step "read back and compare legs"
cmp <(dd if=/dev/mapper/mc bs=1M count=24 iflag=direct status=none) data.bin || fail "data read back differs"
blockdev --flushbufs "$A" "$B"
cmp -n $((N * 512)) <(dd if="$A" bs=1M iflag=direct status=none) <(dd if="$B" bs=1M iflag=direct status=none) ||
	fail "mirror legs differ"

step "suspend holds I/O"
dmsetup suspend --noudevsync mc
assert_eq SUSPENDED "$(dm_state mc)" "state after suspend"
dmsetup status mc
dd if=/dev/urandom of=block.bin bs=4k count=1 status=none
start_bg writer dd if=block.bin of=/dev/mapper/mc bs=4k seek=2000 count=1 oflag=direct
sleep 2
bg_running writer || fail "a write completed while the mirror was suspended"

step "resume releases it"
dmsetup resume --noudevsync mc
assert_eq ACTIVE "$(dm_state mc)" "state after resume"
wait_for '! bg_running writer' 1200 || fail "write still blocked after resume"
stop_bg writer
cmp <(dd if=/dev/mapper/mc bs=4k skip=2000 count=1 iflag=direct status=none) block.bin || fail "held write not applied"
wait_mirror_synced mc 1200

step "remove"
dm_remove mc
