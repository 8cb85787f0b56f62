#!/bin/bash
# (b) Suspend and resume a mirror served by `cr dmlog serve`, through `cr dm` and through dmsetup:
# the server sees PRESUSPEND, POSTSUSPEND and RESUME each time; a write issued while the device is
# suspended waits and completes after the resume. Also `cr dm ls`, `cr dm status` and `cr dm wait`.
# timeout: 1800
. "$CR_ROOT/test/vm/lib.sh"
. "$CR_ROOT/test/vm/dmlog.sh"

REGION=1024
UUID=cr-uuid-suspend

step "loop devices and the server"
LEGS=($(make_loops 32 2))
LOGS=($(make_loops 1 1))
N=$(blockdev --getsz "${LEGS[0]}")
start_dmlog

step "cr dm wait sees the event of a new mirror's full sync"
dm_create_empty ms
start_bg waiter cr dm wait ms --event 0 --timeout 120 --json
sleep 3
dmsetup load ms --table "0 $N mirror userspace 4 $UUID clustered-disk ${LOGS[0]} $REGION 2 ${LEGS[0]} 0 ${LEGS[1]} 0"
dmsetup resume --noudevsync ms
wait_for '! bg_running waiter' 1200 || fail "cr dm wait did not return: $(cat "$(bg_log waiter)")"
cat "$(bg_log waiter)"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["info"]["eventNr"] > 0, d' "$(bg_log waiter)" || fail "cr dm wait: no event"
wait_mirror_synced ms 1200

step "cr dm ls and cr dm status"
cr dm ls | tee ls.txt
grep -q '^ms ' ls.txt || grep -q ' ms ' ls.txt || fail "cr dm ls does not list ms"
cr dm status ms --json > st.json
python3 -c '
import json, sys
d = json.load(open("st.json"))
assert d["info"]["suspended"] is False, d["info"]
t = d["targets"][0]
assert t["type"] == "mirror", t
' || fail "cr dm status: $(cat st.json)"
cr dm status ms --table | grep -q "userspace 4 $UUID clustered-disk" || fail "cr dm status --table: $(cr dm status ms --table)"

count() { dmlog_status "log('$UUID')['requests'].get('$1', 0)"; }
expect_counts() {  # PRE POST RES
	assert_eq "$1 $2 $3" "$(dmlog_status "' '.join(str(log('$UUID')['requests'].get(t, 0)) for t in ('PRESUSPEND', 'POSTSUSPEND', 'RESUME'))")" "server counts PRESUSPEND POSTSUSPEND RESUME"
}
P0=$(count PRESUSPEND); S0=$(count POSTSUSPEND); R0=$(count RESUME)
note "before: presuspend $P0, postsuspend $S0, resume $R0"

step "cr dm suspend: the server sees PRESUSPEND and POSTSUSPEND; a write waits"
cr dm suspend ms
assert_eq SUSPENDED "$(dm_state ms)" "state"
expect_counts $((P0 + 1)) $((S0 + 1)) "$R0"
assert_eq pending "$(dmlog_status "log('$UUID')['state']")" "log state while suspended"
start_bg writer dd if=/dev/urandom of=/dev/mapper/ms bs=64k count=4 seek=100 oflag=direct
sleep 2
bg_running writer || fail "a write completed while the mirror was suspended"

step "cr dm resume: the server sees RESUME; the write completes"
cr dm resume ms
assert_eq ACTIVE "$(dm_state ms)" "state"
wait_for '! bg_running writer' 1200 || fail "the write did not complete after the resume"
expect_counts $((P0 + 1)) $((S0 + 1)) $((R0 + 1))
assert_eq resumed "$(dmlog_status "log('$UUID')['state']")" "log state after resume"

step "the same through dmsetup"
dmsetup suspend --noudevsync ms
assert_eq SUSPENDED "$(dm_state ms)" "state"
expect_counts $((P0 + 2)) $((S0 + 2)) $((R0 + 1))
dmsetup resume --noudevsync ms
expect_counts $((P0 + 2)) $((S0 + 2)) $((R0 + 2))

step "cr dm suspend of two devices rolls back when the second fails"
cr dm suspend ms no-such-device > roll.txt 2>&1 && fail "suspending a missing device succeeded"
cat roll.txt
assert_eq ACTIVE "$(dm_state ms)" "ms after the rollback"

step "still in sync, legs equal"
wait_mirror_synced ms 1200
cmp -n $((N * 512)) "${LEGS[0]}" "${LEGS[1]}" || fail "legs differ"
