#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The series as a test suite: patches/ is what the sources give, it
# applies with git am to the pristine base, checkpatch.pl --strict says
# nothing about any patch, kernel-doc is clean and the documentation is
# valid reStructuredText (scripts/series.py check); and every prefix of the
# series builds without a warning in our files (scripts/check-bisect.sh,
# by default with BISECT_SCOPE=objects: compiled at every prefix, linked at
# the last; BISECT_SCOPE=full links every prefix, some 40 minutes more on
# a fresh machine); and it builds in the configurations the lean kernel
# never sees: IPv6 a module or absent, no INET, i386
# (scripts/check-configs.sh). On the primary base, the netlink family's
# generated code must be what its YNL spec gives (scripts/ynl-gen.sh).
# Each writes its "pass|fail NAME" lines under $RESULTS (series-check.lines,
# series-bisect.lines, series-config.lines); results in
# $BUILD/results/series.result (series-6.12.result with BACKPORT=6.12).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

SUITE=series$TREE_SUFFIX
result_reset "$SUITE"
check=$RESULTS/series-check$TREE_SUFFIX.lines
bisect=$RESULTS/series-bisect$TREE_SUFFIX.lines
configs=$RESULTS/series-config$TREE_SUFFIX.lines
rm -f "$check" "$bisect" "$configs"
rc=0
python3 "$TOP/scripts/series.py" check "$check" || rc=$?
[ -f "$check" ] || die "series check did not run"
BISECT_SCOPE=${BISECT_SCOPE:-objects} "$TOP/scripts/check-bisect.sh" || rc=$?
# A bisect run that stopped before recording (it said why) is one failure
[ -f "$bisect" ] || echo "fail series:bisect" >"$bisect"
# The other configurations on the primary base only: a backport differs
# from it in what the older API forces, not in what a config leaves out.
if [ -z "$BACKPORT" ]; then
	"$TOP/scripts/check-configs.sh" || rc=$?
	[ -f "$configs" ] || echo "fail series:config" >"$configs"
	if "$TOP/scripts/ynl-gen.sh" --check; then
		echo "pass series:ynl-gen" >>"$configs"
	else
		echo "fail series:ynl-gen" >>"$configs"
		rc=1
	fi
else
	: >"$configs"
fi
cat "$check" "$bisect" "$configs" | result_write "$SUITE"
result_print "$SUITE"
exit "$rc"
