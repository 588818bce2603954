#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run in the guest, from the kselftest install directory
# (scripts/run-kselftests.sh): run kselftest programs with the kselftest
# runner (kselftest/runner.sh, what run_kselftest.sh runs) in lanes side by
# side, then the programs that must run alone, one after the other.
#
#	guest-lanes.sh "ALONE..." "LANE..."...
#
# Each argument is a list of collection:test entries: the first those to
# run alone, each further one a lane. Under TCG one test program keeps
# about one of the guest's vCPUs busy; a lane per vCPU uses them all. The
# programs in lanes share no state: each makes its own network
# namespaces, where its counters live. Those that change what the whole
# kernel sees (the initial namespace's sysctls, the module itself) run
# alone.
#
# Every output line is prefixed with its lane ("L0 ", "L1 ", ..., "LA "
# for the programs run alone) so that the host can take the streams
# apart; each line reaches the pipe whole, so lanes interleave only
# between lines.
set -u

tag() {	# prefix
	local l
	while IFS= read -r l; do
		printf '%s %s\n' "$1" "$l"
	done
}

# The runner writes the tests' output to $logfile, /dev/stdout, which
# virtme-ng links to its console port: a second lane could not open it, and
# the first's lines would bypass its prefix. Each lane's logfile is its own
# standard output instead.
run_lane() {	# prefix collection:test...
	local p=$1
	shift
	[ $# -gt 0 ] || return 0
	(
		# the runner is written for a shell without nounset
		set +u
		# shellcheck disable=SC2034 # BASE_DIR and logfile are the runner's
		BASE_DIR=$PWD
		# shellcheck source=/dev/null
		. ./kselftest/runner.sh
		# shellcheck disable=SC2034
		logfile=/proc/self/fd/1
		for c in $(printf '%s\n' "$@" | cut -d: -f1 | sort -u); do
			# shellcheck disable=SC2046 # one word per test
			(cd "$c" && run_many $(printf '%s\n' "$@" | sed -n "s|^$c:||p"))
		done
	) 2>&1 | tag "$p"
}

alone=$1
shift
i=0
for lane in "$@"; do
	# shellcheck disable=SC2086 # a lane is a list of words
	run_lane "L$i" $lane &
	i=$((i + 1))
done
wait
# shellcheck disable=SC2086
run_lane LA $alone
