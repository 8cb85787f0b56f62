#!/bin/bash
# Benchmark, not a test (npm run bench runs it; test:blcr does not): a target holding 1 GiB of
# written memory, checkpointed by BLCR's cr_checkpoint and by cr checkpoint (a plain file, and
# directory mode with its SHA-256 hashed while the kernel writes), and restarted by BLCR's
# cr_restart and by cr restart, interleaved round by round in this one guest, with the order of
# the tools swapped every round. Every checkpoint uses --stop, so cr's hold (SIGSTOP asked of the
# kernel, the signal sent after the publish) is in the figure, and --json gives how long cr held
# the job. Restarts use --kill: the restarted job ends at once, so the figure is the restart.
# Writes $CR_JOB/bench.json; prints the medians and the ratios.
# timeout: 3000
# mem: 6144
# cpus: 2
. "$CR_ROOT/test/vm/lib.sh"

MIB=${CR_BENCH_MIB:-1024}
ROUNDS=${CR_BENCH_ROUNDS:-2}
BLCR_BIN=$CR_BLCR_PREFIX/bin
FILL=$CR_ROOT/test/kernel/build/memfill
[ -x "$FILL" ] || fail "$FILL missing (make -C test/kernel)"
D=/crvm/bench
mkdir -p "$D" && mount -t tmpfs -o size=$((MIB * 4 + 512))m tmpfs "$D"
R=$CR_JOB/bench-samples.txt
: > "$R"

now() { echo "${EPOCHREALTIME/,/.}"; }
# timed NAME EXPECTED_STATUS CMD...: run CMD, record NAME and its wall seconds; fail on another status.
timed() {
	local name=$1 want=$2 t0 t1 rc=0
	shift 2
	t0=$(now)
	"$@" > "$D/out.txt" 2> "$D/err.txt" || rc=$?
	t1=$(now)
	[ "$rc" = "$want" ] || fail "$name: exit $rc (expected $want): $(tail -n 5 "$D/err.txt")"
	awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s %.3f\n", n, b - a }' >> "$R"
	note "$name: $(tail -n 1 "$R" | cut -d' ' -f2) s"
}
start_target() {
	rm -f "$D/ready"
	start_bg target "$BLCR_BIN/cr_run" "$FILL" "$MIB" "$D/ready"
	wait_for "[ -s $D/ready ]" 600 || fail "memfill never got ready"
	pid=$(cat "$D/ready")
}
continue_target() {
	wait_for "[ \"\$(sed 's/.*) //' /proc/$pid/stat | cut -d' ' -f1)\" = T ]" 60 || fail "target not stopped after --stop"
	kill -CONT "$pid"
}

for ((round = 1; round <= ROUNDS; round++)); do
	step "round $round: checkpoints of $MIB MiB"
	start_target
	ckpts=(blcr cr-file cr-dir)
	((round % 2 == 0)) && ckpts=(cr-dir cr-file blcr)
	for c in "${ckpts[@]}"; do
		rm -rf "$D/a.ctx" "$D/b.ctx" "$D/store"
		case $c in
		blcr) timed "checkpoint/cr_checkpoint" 0 "$BLCR_BIN/cr_checkpoint" --stop -f "$D/a.ctx" "$pid" ;;
		cr-file)
			timed "checkpoint/cr" 0 cr checkpoint --json --stop -f "$D/b.ctx" "$pid"
			python3 -c 'import json,sys; print("held/cr", json.load(open(sys.argv[1]))["heldMs"] / 1000)' "$D/out.txt" >> "$R"
			;;
		cr-dir)
			mkdir -p "$D/store"
			timed "checkpoint/cr --dir (sha256)" 0 cr checkpoint --json --stop -d "$D/store" --job bench "$pid"
			python3 -c 'import json,sys; print("held/cr --dir", json.load(open(sys.argv[1]))["heldMs"] / 1000)' "$D/out.txt" >> "$R"
			;;
		esac
		continue_target
	done
	# Keep one BLCR image for the restarts.
	rm -rf "$D/b.ctx" "$D/store"
	[ -s "$D/a.ctx" ] || timed "checkpoint/cr_checkpoint" 0 "$BLCR_BIN/cr_checkpoint" --stop -f "$D/a.ctx" "$pid"
	[ "$round" -gt 1 ] || { [ -s "$D/a.ctx" ] || fail "no image"; }
	stop_bg target
	kill -KILL "$pid" 2>/dev/null || true
	wait_for "[ ! -d /proc/$pid ]" 60 || fail "target $pid still there"

	step "round $round: restarts"
	rs=(blcr cr)
	((round % 2 == 0)) && rs=(cr blcr)
	for c in "${rs[@]}"; do
		case $c in
		blcr) timed "restart/cr_restart" 137 "$BLCR_BIN/cr_restart" --kill "$D/a.ctx" ;;
		cr) timed "restart/cr" 137 cr restart -q --kill "$D/a.ctx" ;;
		esac
		wait_for "[ ! -d /proc/$pid ]" 60 || fail "restarted $pid still there"
	done
	rm -f "$D/a.ctx"
done

step "results"
python3 - "$R" "$CR_JOB/bench.json" "$MIB" "$ROUNDS" <<'PY'
import json, statistics, sys
samples = {}
for line in open(sys.argv[1]):
    name, secs = line.rsplit(" ", 1)
    samples.setdefault(name, []).append(float(secs))
med = {k: statistics.median(v) for k, v in samples.items()}
ratio = lambda a, b: round(med[a] / med[b], 3)
out = {"mib": int(sys.argv[3]), "rounds": int(sys.argv[4]), "samples": samples, "median_s": med,
       "ratios": {"checkpoint: cr / cr_checkpoint": ratio("checkpoint/cr", "checkpoint/cr_checkpoint"),
                  "checkpoint: cr --dir (sha256) / cr_checkpoint": ratio("checkpoint/cr --dir (sha256)", "checkpoint/cr_checkpoint"),
                  "restart: cr / cr_restart": ratio("restart/cr", "restart/cr_restart")}}
json.dump(out, open(sys.argv[2], "w"), indent=2)
for k, v in sorted(med.items()): print(f"  median {k}: {v:.2f} s ({len(samples[k])} samples)")
for k, v in out["ratios"].items(): print(f"  ratio {k}: {v}")
PY
