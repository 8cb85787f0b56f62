#!/bin/sh
# LSF checkpoint method "cr": erestart.cr [-c] [-f] DIR
# Writes the restart command to DIR/.restart_cmd (exit 0 only when it was written).
case ${LSB_ECHKPNT_KEEP_OUTPUT:-} in
y|Y) [ -n "${LSB_CHKPNT_DIR:-}" ] && exec >>"$LSB_CHKPNT_DIR/erestart.out" 2>>"$LSB_CHKPNT_DIR/erestart.err" ;;
esac
exec cr lsf erestart -- "$@"
