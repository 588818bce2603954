#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The series as a test suite: patches/ is what the sources give, it
# applies with git am to the pristine base, checkpatch.pl --strict says
# nothing about any patch, kernel-doc is clean and the documentation is
# valid reStructuredText. Results in $BUILD/results/series.result.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

SUITE=series
result_reset "$SUITE"
raw=$RESULTS/$SUITE.raw
rc=0
python3 "$TOP/scripts/series.py" check "$raw" || rc=$?
[ -f "$raw" ] || die "series check did not run"
result_write "$SUITE" <"$raw"
rm -f "$raw"
result_print "$SUITE"
exit "$rc"
