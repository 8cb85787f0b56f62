#!/bin/sh
# LSF checkpoint method "cr": echkpnt.cr [-c] [-f] [-k | -s] [-d DIR] [-x] PGID
# With LSB_ECHKPNT_KEEP_OUTPUT=y|Y the output goes to $LSB_CHKPNT_DIR/echkpnt.out|err.
case ${LSB_ECHKPNT_KEEP_OUTPUT:-} in
y|Y) [ -n "${LSB_CHKPNT_DIR:-}" ] && exec >>"$LSB_CHKPNT_DIR/echkpnt.out" 2>>"$LSB_CHKPNT_DIR/echkpnt.err" ;;
esac
exec cr lsf echkpnt --keep 2 -- "$@"
