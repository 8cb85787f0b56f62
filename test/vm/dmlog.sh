# Scenario helpers for `cr dmlog serve` (source after lib.sh).
#   start_dmlog [NAME]     start the server in the background (start_bg NAME, default "dmlog"), wait for its ready line
#   dmlog_status EXPR      one `cr dmlog status --json`, then print the Python expression EXPR over it
#                          (`s` is the document, `logs` its logs, `log(uuid)` the first log with that uuid)
#   log_hex DEV OFF N      N bytes of a log device from byte OFF as "72 52 69 4d ...", read O_DIRECT

DMLOG_SOCK=$CR_SCRATCH/dmlog.sock
# cr dmlog status and cr checkpoint --quiesce find the server here.
export CR_DMLOG_SOCKET=$DMLOG_SOCK

start_dmlog() {
	local name=${1:-dmlog}
	start_bg "$name" cr dmlog serve --socket "$DMLOG_SOCK" ${DMLOG_ARGS:-}
	wait_for "grep -q 'cr dmlog: serving' '$(bg_log "$name")'" 90 || fail "cr dmlog serve did not start: $(cat "$(bg_log "$name")")"
	note "$(grep 'cr dmlog: serving' "$(bg_log "$name")")"
}

dmlog_status() {
	cr dmlog status --socket "$DMLOG_SOCK" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
logs = s["logs"]
def log(uuid):
    return next(l for l in logs if l["uuid"] == uuid)
print(eval(sys.argv[1]))' "$1"
}

log_hex() {
	dd if="$1" bs=4096 count=1 iflag=direct status=none | od -An -v -tx1 -j "$2" -N "$3" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}
