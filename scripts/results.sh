# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Test result records shared by kunit.sh, run-kselftests.sh and test.sh;
# sourced after lib.sh, never run.
#
# Each suite leaves $RESULTS/<suite>.result, lines of
#   passed N / failed N / skipped N / fail NAME (one per failing test)
# which test.sh sums. The file is removed before a suite starts, so a suite
# that died before reporting leaves none and counts as failed.

RESULTS=$BUILD/results

result_reset() {	# suite
	mkdir -p "$RESULTS"
	rm -f "$RESULTS/$1.result"
}

# Read "pass|fail|skip NAME" lines on stdin and write the record.
result_write() {	# suite
	awk '
		$1 == "pass" { p++ }
		$1 == "skip" { s++ }
		$1 == "fail" { f++; sub(/^fail /, ""); names[f] = $0 }
		END {
			printf "passed %d\nfailed %d\nskipped %d\n", p, f, s
			for (i = 1; i <= f; i++)
				print "fail " names[i]
		}' >"$RESULTS/$1.result.tmp"
	mv "$RESULTS/$1.result.tmp" "$RESULTS/$1.result"
}

result_get() {	# suite key
	awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' \
		"$RESULTS/$1.result"
}

result_failures() {	# suite
	sed -n 's/^fail //p' "$RESULTS/$1.result"
}

# One line for a suite, then its failing tests: the first RESULT_MAX_NAMES
# (default 50) of them; the record has them all.
result_print() {	# suite
	local n max=${RESULT_MAX_NAMES:-50}
	n=$(result_get "$1" failed)
	echo "$1: $(result_get "$1" passed) passed, $n failed, $(result_get "$1" skipped) skipped"
	result_failures "$1" | awk -v max="$max" 'NR <= max { print "  FAIL " $0 }'
	[ "$n" -le "$max" ] ||
		echo "  ... and $((n - max)) more, listed in ${RESULTS#"$TOP"/}/$1.result"
}
