/* SPDX-License-Identifier: GPL-2.0 */
/*
 * quic_offload: hand the 1-RTT packet protection of an ngtcp2 connection to
 * the kernel's "quic" UDP ULP, and fall back to ngtcp2's own GnuTLS crypto
 * when the running kernel lacks it.
 *
 * Adoption, in the order an application meets it:
 *
 *	qo_attach(fd, QO_TX | QO_RX);             once per UDP socket
 *	qc = qo_conn_new(fd, mode);               per connection
 *	qo_conn_callbacks(qc, &callbacks);        before ngtcp2_conn_*_new()
 *	qo_conn_bind(qc, conn, session);          after ..._configure_*_session()
 *	qo_conn_read_pkt(qc, ..., info, ts);      instead of ngtcp2_conn_read_pkt()
 *	qo_conn_write_begin(qc);                  before writing packets
 *	qo_conn_del(qc);                          after the last packet was sent
 *
 * The library owns the GnuTLS session pointer (an ngtcp2_crypto_conn_ref)
 * and the session's secret function. It plugs its own encrypt, decrypt,
 * hp_mask and update_key callbacks into ngtcp2 (they use ngtcp2_crypto's
 * for everything not offloaded) and chains the application's handshake and
 * connection ID callbacks.
 *
 * Only 1-RTT packets of QUIC versions 1 and 2 are offloaded. An offload failure
 * never fails the connection: it falls back to userspace crypto and says
 * so on stderr.
 */
#ifndef QUIC_OFFLOAD_H
#define QUIC_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/quic.h>
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>

#ifndef UDP_ULP
#define UDP_ULP 105
#endif

#define QO_TX 1u	/* the kernel protects the packets we send */
#define QO_RX 2u	/* the kernel unprotects the packets we receive */

/* Records the kernel may attach to one datagram (UDP GRO segments). */
#define QO_MAX_SEGS 64

/* Control buffer for recvmsg(): UDP_GRO and QUIC_RX_INFO messages. */
#define QO_CMSG_SPACE (CMSG_SPACE(sizeof(int)) + \
		       CMSG_SPACE(QO_MAX_SEGS * sizeof(struct quic_rx_info)))

/**
 * qo_attach() - attach the quic ULP to a UDP socket
 * @fd: the socket
 * @want: QO_TX and/or QO_RX
 *
 * Return: @want when the ULP is attached, 0 when it is not (the kernel
 * lacks it: said once on stderr). @want 0 attaches nothing.
 */
unsigned int qo_attach(int fd, unsigned int want);

/**
 * struct qo_rx - what the kernel said about one received datagram
 * @gso_size: its segment size (the datagram length without UDP GRO)
 * @n: records in @info: 0, or one per segment
 * @info: one record per segment, in order
 */
struct qo_rx {
	size_t gso_size;
	unsigned int n;
	struct quic_rx_info info[QO_MAX_SEGS];
};

/* Parse the control messages recvmsg() returned for a @len byte datagram. */
void qo_rx_parse(struct qo_rx *rx, const struct msghdr *msg, size_t len);

/* The record of segment @i if the kernel decrypted it, else NULL. */
const struct quic_rx_info *qo_rx_decrypted(const struct qo_rx *rx, size_t i);

/**
 * struct qo_stats - what happened to the 1-RTT packets of a connection
 *
 * Every 1-RTT AEAD operation of the connection is counted once, by who did
 * it and when: userspace counts are ngtcp2_crypto calls made by the
 * library's encrypt and decrypt callbacks.
 *
 * @tx_kernel: sent in plaintext, for the kernel to protect
 * @tx_user: protected in userspace before Tx switch-on
 * @tx_user_late: protected in userspace after Tx switch-on (a DCID the
 *	kernel refused): 0 normally
 * @rx_kernel: unprotected by the kernel
 * @rx_user: unprotected in userspace before Rx switch-on
 * @rx_user_queued: unprotected in userspace after Rx switch-on but before
 *	the first packet the kernel decrypted: datagrams that were already
 *	queued on the socket when the key went in
 * @rx_user_late: unprotected in userspace after the kernel had decrypted
 *	one: packets the kernel left alone (no next key yet, out of memory,
 *	a refused ID): 0 normally
 * @rx_refused: unprotected by the kernel, but refused here (packet number
 *	or connection disagreed with ngtcp2's): dropped
 * @cid_refused: connection IDs the kernel would not take (-EEXIST: an ID
 *	and another one of the socket are prefixes of each other)
 * @tx_gen: key generation of the last packet sent (key updates so far)
 * @rx_gen: key generation of the largest packet number received
 * @tx_on_pn: next_pn given to the kernel at Tx switch-on
 * @rx_on_pn: next_pn given to the kernel at Rx switch-on
 * @mode: QO_TX / QO_RX: what the kernel does now
 */
struct qo_stats {
	uint64_t tx_kernel, tx_user, tx_user_late;
	uint64_t rx_kernel, rx_user, rx_user_queued, rx_user_late, rx_refused;
	uint64_t cid_refused;
	uint32_t tx_gen, rx_gen;
	uint64_t tx_on_pn, rx_on_pn;
	unsigned int mode;
};

struct qo_conn;

/*
 * A connection on socket @fd, which qo_attach() gave @mode (QO_TX, QO_RX or
 * 0 for userspace crypto only). NULL when out of memory.
 */
struct qo_conn *qo_conn_new(int fd, unsigned int mode);

/*
 * Complete @cb for ngtcp2_conn_{client,server}_new(): set the crypto
 * callbacks, keep the application's handshake_completed,
 * handshake_confirmed, get_new_connection_id, remove_connection_id and
 * dcid_status (the library's versions call them first).
 */
void qo_conn_callbacks(struct qo_conn *qc, ngtcp2_callbacks *cb);

/*
 * Tie @qc to @conn and its GnuTLS @session, after
 * ngtcp2_crypto_gnutls_configure_{client,server}_session(): sets the session
 * pointer and the secret function, and the conn's TLS native handle.
 */
void qo_conn_bind(struct qo_conn *qc, ngtcp2_conn *conn,
		  gnutls_session_t session);

/*
 * ngtcp2_conn_read_pkt() for one UDP segment, with @info from
 * qo_rx_decrypted() (NULL when the kernel did not decrypt it). Returns what
 * ngtcp2_conn_read_pkt() returns.
 */
int qo_conn_read_pkt(struct qo_conn *qc, const ngtcp2_path *path,
		     const ngtcp2_pkt_info *pi, const uint8_t *pkt,
		     size_t pktlen, const struct quic_rx_info *info,
		     ngtcp2_tstamp ts);

/*
 * Call before writing packets of this connection (ngtcp2_conn_write*),
 * when every packet written before has been passed to sendmsg(). It makes
 * @qc the connection the encrypt callback works for (in this thread) and
 * applies what must wait for a flushed socket: Tx switch-on and changes of
 * the peer's connection IDs.
 */
void qo_conn_write_begin(struct qo_conn *qc);

/*
 * Change what the kernel may take over (a subset of what qo_attach() gave):
 * a direction not yet offloaded switches on at the next opportunity, even
 * in the middle of a connection. Switching off is not supported.
 */
void qo_conn_set_mode(struct qo_conn *qc, unsigned int mode);

/* Read the kernel's counters: -ENOENT if nothing was offloaded. */
int qo_conn_info(struct qo_conn *qc, struct quic_conn_info *info);

/* The library's counters. */
void qo_conn_stats(const struct qo_conn *qc, struct qo_stats *st);

/* Remove the connection from the kernel and free @qc (NULL is fine). */
void qo_conn_del(struct qo_conn *qc);

#endif /* QUIC_OFFLOAD_H */
