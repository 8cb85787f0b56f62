#!/bin/bash
# (e) `cr checkpoint --quiesce` on real device-mapper, with the BLCR test kernel preloaded: a job
# writing to an ext4 file system on a mirror served by `cr dmlog serve` (and a second, linear
# device) is checkpointed; while it is held, both devices are suspended in order, the log server
# confirms, the --while-quiesced command sees all of that; then the devices are resumed and the job
# runs on. A failing command fails the checkpoint, publishes nothing, and still leaves every device
# resumed and the job running. A cr killed with -9 mid-quiesce is cleaned up by its guard.
# timeout: 2400
. "$CR_ROOT/test/vm/lib.sh"
. "$CR_ROOT/test/vm/dmlog.sh"

TK=$CR_ROOT/test/kernel/build
export CR_TESTKERNEL_DIR=$CR_SCRATCH/tk
mkdir -p -m 1777 "$CR_TESTKERNEL_DIR"
UUID=cr-uuid-quiesce
CKPT=$CR_SCRATCH/ckpt
mkdir -p "$CKPT" /mnt/m1

step "devices: a clustered-core mirror with ext4, and a linear device"
LEGS=($(make_loops 64 3))
N=$(blockdev --getsz "${LEGS[0]}")
start_dmlog
dm_create m1 "0 $N mirror userspace 3 $UUID clustered-core 1024 2 ${LEGS[0]} 0 ${LEGS[1]} 0"
dm_create l2 "0 $N linear ${LEGS[2]} 0"
wait_mirror_synced m1 1200
mkfs.ext4 -q /dev/mapper/m1
mount /dev/mapper/m1 /mnt/m1
at_cleanup "umount -l /mnt/m1"

step "the job: the test counter, writing its count to the mirror"
start_bg job env LD_PRELOAD="$TK/libcr_run.so.0" "$TK/counter" --interval-ms 50 --ready "$CR_SCRATCH/ready" --out /mnt/m1/count
wait_for "[ -s '$CR_SCRATCH/ready' ]" 1200 || fail "the counter did not start"
JOB=$(bg_pid job)
note "job pid $JOB"
count() { tail -n1 /mnt/m1/count | awk '{ print $2 }'; }
state() { sed 's/.*) //' "/proc/$JOB/stat" | cut -d' ' -f1; }
ckpt() { LD_PRELOAD="$TK/libcr_testkernel.so" cr checkpoint "$@"; }

cat > "$CR_SCRATCH/snap.sh" <<SNAP
#!/bin/bash
# The "snapshot": record what the world looks like while quiesced.
{
  echo "devices=\$CR_QUIESCED_DEVICES"
  echo "m1=\$(dmsetup info m1 | awk -F': *' '\$1 == "State" { print \$2 }')"
  echo "l2=\$(dmsetup info l2 | awk -F': *' '\$1 == "State" { print \$2 }')"
  echo "job=\$(sed 's/.*) //' /proc/$JOB/stat | cut -d' ' -f1)"
  echo "target=\$CR_CHECKPOINT_TARGET"
} > "$CR_SCRATCH/snap.out"
SNAP

step "checkpoint with --quiesce m1 --quiesce l2 --while-quiesced"
ckpt --quiesce m1 --quiesce l2 --while-quiesced "bash $CR_SCRATCH/snap.sh" --dir "$CKPT" --job q --json "$JOB" > ck.json || fail "cr checkpoint failed: $(cat ck.json)"
cat "$CR_SCRATCH/snap.out"
assert_eq "devices=m1 l2" "$(sed -n 1p "$CR_SCRATCH/snap.out")" "CR_QUIESCED_DEVICES"
assert_eq "m1=SUSPENDED" "$(sed -n 2p "$CR_SCRATCH/snap.out")" "m1 during the command"
assert_eq "l2=SUSPENDED" "$(sed -n 3p "$CR_SCRATCH/snap.out")" "l2 during the command"
assert_eq "job=T" "$(sed -n 4p "$CR_SCRATCH/snap.out")" "the job during the command (stopped)"
assert_eq "target=$JOB" "$(sed -n 5p "$CR_SCRATCH/snap.out")" "CR_CHECKPOINT_TARGET"
python3 - ck.json <<'PY' || fail "checkpoint result: $(cat ck.json)"
import json, sys
d = json.load(open(sys.argv[1]))
q = d["quiesce"]
assert [x["name"] for x in q["devices"]] == ["m1", "l2"], q
assert all(x["suspended"] and x["resumed"] for x in q["devices"]), q
assert q["devices"][0]["logUuid"] == "cr-uuid-quiesce" and q["devices"][1]["logUuid"] is None, q
assert q["commandStatus"] == 0, q
m = json.load(open(d["manifest"]))
assert m["quiesce"]["devices"] == ["m1", "l2"] and m["quiesce"]["commandStatus"] == 0, m
print("checkpoint", d["file"], "quiesced for", q["windowMs"], "ms")
PY
assert_eq ACTIVE "$(dm_state m1)" "m1 after"
assert_eq ACTIVE "$(dm_state l2)" "l2 after"
grep -q "$UUID luid .*: presuspend" "$(bg_log dmlog)" || fail "the server saw no presuspend"
grep -q "$UUID luid .*: postsuspend" "$(bg_log dmlog)" || fail "the server saw no postsuspend"
c1=$(count)
wait_for '[ "$(count)" -gt '"$c1"' ]' 1200 || fail "the job does not run on after the checkpoint (count stays $c1, state $(state))"
cr verify "$CKPT"

step "a failing --while-quiesced command: exit 7, nothing published, every device resumed, the job runs on"
rc=0
ckpt --quiesce m1 --quiesce l2 --while-quiesced 'exit 7' --dir "$CKPT" --job q "$JOB" 2> fail.err || rc=$?
cat fail.err
assert_eq 7 "$rc" "exit status"
grep -q 'exited with status 7' fail.err || fail "the error does not say what failed"
assert_eq ACTIVE "$(dm_state m1)" "m1 after the failure"
assert_eq ACTIVE "$(dm_state l2)" "l2 after the failure"
assert_eq 1 "$(ls "$CKPT"/*.ctx | wc -l)" "checkpoints after the failure"
c2=$(count)
wait_for '[ "$(count)" -gt '"$c2"' ]' 1200 || fail "the job is not running after the failed checkpoint (state $(state))"

step "cr killed with -9 while quiesced: its guard resumes the devices and continues the job"
start_bg crk env LD_PRELOAD="$TK/libcr_testkernel.so" CR_TESTKERNEL_DIR="$CR_TESTKERNEL_DIR" cr checkpoint --quiesce m1 --quiesce l2 --while-quiesced 'sleep 900' --dir "$CKPT" --job q "$JOB"
wait_for '[ "$(dm_state l2)" = SUSPENDED ]' 1200 || fail "the second checkpoint never suspended l2: $(cat "$(bg_log crk)")"
assert_eq T "$(state)" "the job while quiesced"
kill -9 "$(bg_pid crk)"
wait_for '[ "$(dm_state m1)" = ACTIVE ] && [ "$(dm_state l2)" = ACTIVE ]' 1200 || fail "devices left suspended after cr was killed: m1 $(dm_state m1), l2 $(dm_state l2)"
cat "$(bg_log crk)"
grep -q 'cr dm guard: cr ended while l2 was suspended; resumed it' "$(bg_log crk)" || fail "the guard did not say what it did"
pkill -f 'sleep 900' || true
c3=$(count)
wait_for '[ "$(count)" -gt '"$c3"' ]' 1200 || fail "the job was left stopped after cr was killed (state $(state))"

step "--kill after a quiesced checkpoint: the job ends after the devices are resumed"
ckpt --quiesce m1 --kill --dir "$CKPT" --job q "$JOB"
wait_for '! bg_running job' 1200 || fail "the job is still running after --kill"
assert_eq ACTIVE "$(dm_state m1)" "m1 at the end"
assert_eq 2 "$(ls "$CKPT"/*.ctx | wc -l)" "checkpoints at the end"
umount /mnt/m1
