/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decisions of the "quic" UDP ULP (net/quic): sends it refused,
 * packets that failed authentication, key updates, discarded keys and
 * the AEAD limits of RFC 9001, section 6.6. No key material is recorded.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM quic_ulp

#if !defined(_TRACE_QUIC_ULP_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_QUIC_ULP_H

#include <linux/tracepoint.h>
#include <uapi/linux/quic.h>

#define show_quic_dir(dir)					\
	__print_symbolic(dir, { QUIC_ULP_DIR_TX, "tx" },	\
			      { QUIC_ULP_DIR_RX, "rx" })

TRACE_EVENT(quic_ulp_tx_refused,

	TP_PROTO(const struct sock *sk, u32 conn, bool known, int err),

	TP_ARGS(sk, conn, known, err),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(u32, conn)
		__field(int, err)
		__field(bool, known)
	),

	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->conn = conn;
		__entry->known = known;
		__entry->err = err;
	),

	TP_printk("skaddr=%p conn=%u known=%d err=%d",
		  __entry->skaddr, __entry->conn, __entry->known, __entry->err)
);

TRACE_EVENT(quic_ulp_rx_auth_failed,

	TP_PROTO(const struct sock *sk, u32 conn, u64 pn, u32 key_updates,
		 u64 failures),

	TP_ARGS(sk, conn, pn, key_updates, failures),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(u64, pn)
		__field(u64, failures)
		__field(u32, conn)
		__field(u32, key_updates)
	),

	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->conn = conn;
		__entry->key_updates = key_updates;
		__entry->pn = pn;
		__entry->failures = failures;
	),

	TP_printk("skaddr=%p conn=%u pn=%llu key_updates=%u failures=%llu",
		  __entry->skaddr, __entry->conn, __entry->pn,
		  __entry->key_updates, __entry->failures)
);

TRACE_EVENT(quic_ulp_key_update,

	TP_PROTO(const struct sock *sk, u32 conn, u8 dir, u32 key_updates,
		 u64 pn),

	TP_ARGS(sk, conn, dir, key_updates, pn),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(u64, pn)
		__field(u32, conn)
		__field(u32, key_updates)
		__field(u8, dir)
	),

	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->conn = conn;
		__entry->dir = dir;
		__entry->key_updates = key_updates;
		__entry->pn = pn;
	),

	TP_printk("skaddr=%p conn=%u dir=%s key_updates=%u pn=%llu",
		  __entry->skaddr, __entry->conn, show_quic_dir(__entry->dir),
		  __entry->key_updates, __entry->pn)
);

TRACE_EVENT(quic_ulp_old_keys_discarded,

	TP_PROTO(const struct sock *sk, u32 conn, u8 dir, u32 key_updates),

	TP_ARGS(sk, conn, dir, key_updates),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(u32, conn)
		__field(u32, key_updates)
		__field(u8, dir)
	),

	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->conn = conn;
		__entry->dir = dir;
		__entry->key_updates = key_updates;
	),

	TP_printk("skaddr=%p conn=%u dir=%s key_updates=%u",
		  __entry->skaddr, __entry->conn, show_quic_dir(__entry->dir),
		  __entry->key_updates)
);

TRACE_EVENT(quic_ulp_limit_reached,

	TP_PROTO(const struct sock *sk, u32 conn, u8 dir, u32 key_updates,
		 u64 packets),

	TP_ARGS(sk, conn, dir, key_updates, packets),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(u64, packets)
		__field(u32, conn)
		__field(u32, key_updates)
		__field(u8, dir)
	),

	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->conn = conn;
		__entry->dir = dir;
		__entry->key_updates = key_updates;
		__entry->packets = packets;
	),

	TP_printk("skaddr=%p conn=%u dir=%s key_updates=%u packets=%llu",
		  __entry->skaddr, __entry->conn, show_quic_dir(__entry->dir),
		  __entry->key_updates, __entry->packets)
);

#endif /* _TRACE_QUIC_ULP_H */

#include <trace/define_trace.h>
