# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The kernel's own reports in a guest's log: what the debug kernel's
# checkers (KASAN, UBSAN, lockdep, DEBUG_OBJECTS, kmemleak, the hung task
# and lockup detectors) and any kernel print when something went wrong.
# Sourced after lib.sh, never run.

# Report titles: the first line of each report, without timestamp, CPU
# and PID, so that one bug hit many times is one title.
KERNEL_REPORT_RE='(BUG:|WARNING:|UBSAN:|KASAN:|kernel BUG at|Oops|general protection fault|Kernel panic|Unable to handle|possible circular locking|inconsistent lock state|possible recursive locking|possible irq lock inversion|suspicious RCU usage|INFO: task .* blocked for more than|detected stalls? on CPU|rcu_preempt detected stall|ODEBUG:|list_(add|del) corruption|refcount_t: |kmemleak: .*new suspected memory leak|ref_tracker: .*has [0-9]+/[0-9]+ users|unregister_netdevice: waiting for)'

# "fail kernel-log: TITLE" for each distinct report in @log, and one for
# the objects kmemleak still holds unreferenced in @leaks (its debugfs
# file, read after a final scan), for results.sh's result_write.
kernel_log_reports() {	# log [leaks]
	local log=$1 leaks=${2:-}

	if [ -f "$log" ]; then
		grep -aE "$KERNEL_REPORT_RE" "$log" |
			sed -E 's/^\[ *[0-9.]+\] //; s/^\[ *T?C?[0-9]+\] //;
				s/CPU: [0-9]+ (UID: [0-9]+ )?PID: [0-9]+/CPU PID/;
				s/ (by|at|in) task [^ ]+\/[0-9]+/ \1 task/;
				s/ \(pid [0-9]+\)//; s/[[:space:]]+$//' |
			awk '!seen[$0]++ { print "fail kernel-log: " substr($0, 1, 160) }' ||
			true	# a clean log: grep found nothing
	fi
	[ -n "$leaks" ] && [ -s "$leaks" ] || return 0
	awk '
		/^unreferenced object/ {
			n++
			inbt = 0
			if (n == 1 && match($0, /size [0-9]+/))
				size = substr($0, RSTART, RLENGTH)
			next
		}
		/backtrace/ { inbt = 1; next }
		inbt && n == 1 && from == "" {
			fn = $2
			sub(/\+.*/, "", fn)
			if (fn !~ /^(kmemleak_|__?kmalloc|kmalloc|kmem_cache_alloc|__?kvmalloc|kvmalloc|krealloc|kzalloc|slab_post_alloc|__slab|alloc_pages|__alloc|kmalloc_trace|__kmem_cache|pcpu_|__alloc_percpu|kstrdup|kmemdup|__do_kmalloc)/)
				from = fn
		}
		END {
			if (n)
				printf "fail kernel-log: kmemleak: %d unreferenced object%s (first %s, allocated in %s)\n",
					n, (n > 1 ? "s" : ""), size, (from == "" ? "?" : from)
		}' "$leaks"
}
