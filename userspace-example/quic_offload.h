/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
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
 *	qo_conn_tx_cmsg(qc, pkt, len, gso, ...);  before each sendmsg() ...
 *	qo_conn_tx_done(qc, pkt, len, err);       ... and after it
 *	qo_read_events(fd, ev, n);                when poll() says POLLERR
 *	qo_conn_del(qc);                          after the last packet was sent
 *
 * The GnuTLS session pointer stays the application's: set it to your
 * ngtcp2_crypto_conn_ref before qo_conn_bind(), as ngtcp2 requires anyway,
 * and read it back in your own hooks (a session ticket's, say). The library
 * takes the session's secret function (it calls ngtcp2_crypto's install
 * functions as ngtcp2's own does, and keeps the 1-RTT secrets for the
 * kernel), and finds its connection from the session in a map of its own.
 * Nothing it installs stops session tickets, resumption or 0-RTT: 0-RTT and
 * the handshake stay in userspace, and a resumed connection hands its
 * 1-RTT keys over like any other. It plugs its own encrypt, decrypt,
 * hp_mask and update_key callbacks into ngtcp2 (they use ngtcp2_crypto's
 * for everything not offloaded) and chains the application's handshake and
 * connection ID callbacks.
 *
 * Sending: once the kernel has a connection's Tx key, the encrypt callback
 * leaves each 1-RTT packet in plaintext, ending with QUIC_ULP_TAG_LEN zero
 * bytes, and records its packet number, key generation and Destination
 * Connection ID length. The kernel protects a packet only when the
 * sendmsg() carrying it names it in a QUIC_ULP_TX_INFO control message, and
 * sends a datagram without one as written. qo_conn_tx_cmsg() writes that
 * message from the records, after checking that the datagram's segments
 * are exactly the recorded packets; it refuses (and zeroes) a datagram
 * that carries a plaintext packet it cannot vouch for, so that no path
 * through it sends plaintext. Every sendmsg() of a connection's datagrams
 * must go through it.
 *
 * Only 1-RTT packets of QUIC versions 1 and 2 are offloaded. An offload failure
 * never fails the connection: it falls back to userspace crypto and says
 * so on stderr.
 */
#ifndef QUIC_OFFLOAD_H
#define QUIC_OFFLOAD_H

/*
 * The library's version, set here and nowhere else: the Makefile reads it
 * for the shared library's file name and soname (libquic_offload.so.MAJOR)
 * and for quic_offload.pc. MAJOR changes with the ABI.
 */
#define QO_VERSION_MAJOR 0
#define QO_VERSION_MINOR 1
#define QO_VERSION_PATCH 0
#define QO_VERSION_NUMBER (QO_VERSION_MAJOR * 10000 + \
			   QO_VERSION_MINOR * 100 + QO_VERSION_PATCH)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>		/* struct timespec, for <linux/errqueue.h> */
#include <sys/socket.h>
#include <linux/errqueue.h>
#include <linux/quic.h>
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef UDP_ULP
#define UDP_ULP 105
#endif

/* The origin of the ULP's error queue events (<linux/errqueue.h>) */
#ifndef SO_EE_ORIGIN_UDP_ULP
#define SO_EE_ORIGIN_UDP_ULP 7
#endif

#define QO_TX 1u	/* the kernel protects the packets we send */
#define QO_RX 2u	/* the kernel unprotects the packets we receive */
/*
 * With QO_TX and/or QO_RX: the kernel may hand the packet protection it
 * does to a network device that offers it (QUIC_ULP_KEY_DEVICE). Alone, it
 * offloads nothing.
 */
#define QO_DEVICE 4u

/* Older <linux/quic.h>: the flag of struct quic_ulp_key that QO_DEVICE sets */
#ifndef QUIC_ULP_KEY_DEVICE
#define QUIC_ULP_KEY_DEVICE 0x01
#endif

/* Records the kernel may attach to one datagram (UDP GRO segments). */
#define QO_MAX_SEGS 64

/* Control buffer for recvmsg(): UDP_GRO and QUIC_ULP_RX_INFO messages. */
#define QO_CMSG_SPACE (CMSG_SPACE(sizeof(int)) + \
		       CMSG_SPACE(QO_MAX_SEGS * sizeof(struct quic_ulp_rx_info)))

/* Control buffer room qo_conn_tx_cmsg() needs for a datagram of @n segments */
#define QO_TX_CMSG_SPACE(n) CMSG_SPACE((n) * sizeof(struct quic_ulp_tx_info))

/**
 * qo_attach() - attach the quic ULP to a UDP socket
 * @fd: the socket
 * @want: QO_TX and/or QO_RX, optionally with QO_DEVICE (the kernel may
 *	hand the packet protection it does to a network device that offers
 *	it, QUIC_ULP_KEY_DEVICE)
 *
 * Return: @want (QO_DEVICE included) when the ULP is attached, 0 when it is
 * not (the kernel lacks it: said once on stderr). A @want without QO_TX and
 * QO_RX (0, or QO_DEVICE alone) attaches nothing and returns 0.
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
	struct quic_ulp_rx_info info[QO_MAX_SEGS];
};

/**
 * qo_rx_parse() - read the control messages of one received datagram
 * @rx: the result
 * @msg: what recvmsg() returned, control buffer QO_CMSG_SPACE or larger
 * @len: the datagram's length (recvmsg()'s return value)
 *
 * Takes the UDP_GRO segment size and the QUIC_ULP_RX_INFO records, the latter
 * only when there is one per segment and the buffer was not truncated
 * (else none, said once on stderr). The records' auth_failures are
 * counted by qo_conn_read_pkt().
 */
void qo_rx_parse(struct qo_rx *rx, const struct msghdr *msg, size_t len);

/**
 * qo_rx_decrypted() - the record of a segment the kernel decrypted
 * @rx: what qo_rx_parse() found
 * @i: the segment, from 0
 *
 * Return: segment @i's record if the kernel decrypted it, else NULL: the
 * argument qo_conn_read_pkt() takes.
 */
const struct quic_ulp_rx_info *qo_rx_decrypted(const struct qo_rx *rx, size_t i);

/**
 * struct qo_event - an event of the ULP, from the socket's error queue
 * @conn: the connection handle it concerns (see qo_conn_handle())
 * @type: QUIC_ULP_EV_INTEGRITY_LIMIT: the connection's received packets
 *	failed authentication as often as RFC 9001, section 6.6 allows; the
 *	kernel drops its packets from now on and the application must close
 *	it with the transport error AEAD_LIMIT_REACHED
 * @err: the errno the kernel gave it (EKEYEXPIRED for the integrity limit)
 */
struct qo_event {
	uint32_t conn;
	uint8_t type;
	int err;
};

/**
 * qo_read_events() - read the ULP's events from a socket's error queue
 * @fd: the socket
 * @ev: room for @max events
 * @max: how many to read at most
 *
 * Call it when poll() reports POLLERR on the socket (which it does while
 * the error queue is not empty), or periodically. It reads the error queue
 * (recvmsg(MSG_ERRQUEUE), non-blocking) until it is empty or @max events
 * were found; messages that are not the ULP's (ICMP errors with IP_RECVERR,
 * timestamps) are read and skipped: an application that wants those reads
 * its error queue itself and uses qo_event_parse().
 *
 * Return: the number of events stored, or a negative errno when the first
 * recvmsg() failed with something else than EAGAIN.
 */
int qo_read_events(int fd, struct qo_event *ev, size_t max);

/**
 * qo_event_parse() - the ULP event in one message of the error queue
 * @msg: what recvmsg(MSG_ERRQUEUE) returned
 * @ev: the event
 *
 * Return: true when @msg holds one (an IP_RECVERR or IPV6_RECVERR message
 * of origin SO_EE_ORIGIN_UDP_ULP).
 */
bool qo_event_parse(const struct msghdr *msg, struct qo_event *ev);

/**
 * qo_tx_plaintext() - does a datagram end with a packet left for the kernel
 * @pkt: the datagram (one UDP segment)
 * @len: its length
 *
 * A packet the library left in plaintext ends with QUIC_ULP_TAG_LEN zero bytes
 * and is the last packet of its datagram; a sealed one ends with its AEAD
 * tag. An application batching datagrams with UDP_SEGMENT must not mix
 * datagrams for which this differs in one send (the kernel protects all
 * segments of a datagram or none): qo_conn_tx_cmsg() would refuse it.
 *
 * Return: true when it does.
 */
bool qo_tx_plaintext(const uint8_t *pkt, size_t len);

/**
 * struct qo_stats - what happened to the 1-RTT packets of a connection
 *
 * Every 1-RTT AEAD operation of the connection is counted once, by who did
 * it and when: userspace counts are ngtcp2_crypto calls made by the
 * library's encrypt and decrypt callbacks.
 *
 * @tx_kernel: left in plaintext and sent: the kernel protected them
 *	(qo_conn_tx_done() with success)
 * @tx_user: protected in userspace before Tx switch-on
 * @tx_user_late: protected in userspace after Tx switch-on, CONNECTION_CLOSE
 *	and coalesced packets aside (a packet whose key generation was not
 *	found exactly, or after the kernel refused this connection's sends
 *	for good): 0 normally
 * @tx_user_coalesced: protected in userspace after Tx switch-on because
 *	they follow a long-header packet in their datagram (a Handshake ACK,
 *	say), and the kernel seals only a segment's first packet: by design
 * @tx_user_close: CONNECTION_CLOSE packets protected in userspace after Tx
 *	switch-on, on purpose: an application may send them again as they
 *	are during the closing period, which a packet number the kernel
 *	already sealed cannot be
 * @tx_unsent: left in plaintext but never sent: their sendmsg() failed
 *	(see @tx_refused) or qo_conn_tx_cmsg() refused their datagram (see
 *	@tx_mismatch). ngtcp2 counts them lost and sends their frames again.
 * @tx_dropped: left in plaintext, then dropped by the application (not
 *	passed to sendmsg() before the next qo_conn_write_begin(), sent
 *	after newer packets, or overwritten in its buffer)
 * @tx_refused: sendmsg() calls carrying plaintext packets that failed
 *	(EKEYREJECTED, EEXIST, EKEYEXPIRED, EBUSY, ...: said once per errno)
 * @tx_mismatch: datagrams qo_conn_tx_cmsg() refused: 0 unless the
 *	application breaks its rules
 * @rx_kernel: unprotected by the kernel
 * @rx_user: unprotected in userspace before Rx switch-on
 * @rx_user_queued: unprotected in userspace after Rx switch-on but before
 *	the first packet the kernel decrypted: datagrams that were already
 *	queued on the socket when the key went in
 * @rx_user_late: unprotected in userspace after the kernel had decrypted
 *	one, coalesced ones aside: packets the kernel left alone (no next key
 *	yet, out of memory, a refused ID): 0 normally
 * @rx_user_coalesced: unprotected in userspace after Rx switch-on because
 *	they followed a long-header packet in their datagram, which the
 *	kernel leaves alone whole: by design
 * @rx_refused: unprotected by the kernel, but refused here (packet number
 *	or connection disagreed with ngtcp2's): dropped
 * @rx_auth_failures: received packets of the connection that failed
 *	authentication in the kernel (and were dropped there), as the
 *	auth_failures of its QUIC_ULP_RX_INFO records report them
 * @cid_refused: connection IDs the kernel would not take (Rx: -EEXIST, an
 *	ID and another one of the socket are prefixes of each other; Tx:
 *	the peer's reset token was not registered)
 * @tx_gen: key generation of the last packet sent (key updates so far)
 * @rx_gen: key generation of the largest packet number received
 * @tx_on_pn: next_pn given to the kernel at Tx switch-on
 * @rx_on_pn: next_pn given to the kernel at Rx switch-on
 * @mode: QO_TX / QO_RX: what the kernel does now (never QO_DEVICE: whether
 *	a device took a direction over, the kernel says, not the library)
 */
struct qo_stats {
	uint64_t tx_kernel, tx_user, tx_user_late, tx_user_close;
	uint64_t tx_unsent, tx_dropped, tx_refused, tx_mismatch;
	uint64_t rx_kernel, rx_user, rx_user_queued, rx_user_late, rx_refused;
	uint64_t rx_auth_failures;
	uint64_t cid_refused;
	uint64_t tx_user_coalesced, rx_user_coalesced;
	uint32_t tx_gen, rx_gen;
	uint64_t tx_on_pn, rx_on_pn;
	unsigned int mode;
};

struct qo_conn;

/**
 * qo_conn_new() - a connection on a socket
 * @fd: the socket
 * @mode: what qo_attach() gave it (QO_TX and/or QO_RX, possibly with
 *	QO_DEVICE: the kernel may hand the packet protection it does to a
 *	network device that offers it, QUIC_ULP_KEY_DEVICE; or 0 for userspace
 *	crypto only, as is QO_DEVICE alone)
 *
 * A kernel that refuses QUIC_ULP_KEY_DEVICE (EINVAL: older than the flag)
 * gets the key again without it, said once on stderr.
 *
 * Return: the connection, NULL when out of memory.
 */
struct qo_conn *qo_conn_new(int fd, unsigned int mode);

/**
 * qo_conn_handle() - the connection's handle in the kernel
 * @qc: the connection
 *
 * The handle names the connection in struct quic_ulp_key, struct quic_ulp_cid,
 * the QUIC_ULP_TX_INFO and QUIC_ULP_RX_INFO records, and struct qo_event. It is
 * unique among the process's connections.
 *
 * Return: the handle.
 */
uint32_t qo_conn_handle(const struct qo_conn *qc);

/**
 * qo_conn_callbacks() - plug the library into a connection's callbacks
 * @qc: the connection
 * @cb: the callbacks about to go to ngtcp2_conn_{client,server}_new()
 *
 * Sets the crypto callbacks (encrypt, decrypt, hp_mask, update_key) and
 * keeps the application's handshake_completed, handshake_confirmed,
 * get_new_connection_id, remove_connection_id and dcid_status: the
 * library's versions call them first.
 */
void qo_conn_callbacks(struct qo_conn *qc, ngtcp2_callbacks *cb);

/**
 * qo_conn_bind() - tie the library's connection to ngtcp2's and GnuTLS's
 * @qc: the connection
 * @conn: the ngtcp2 connection
 * @session: its GnuTLS session, after
 *	ngtcp2_crypto_gnutls_configure_{client,server}_session() and after
 *	the application set its session pointer (gnutls_session_set_ptr(),
 *	an ngtcp2_crypto_conn_ref as ngtcp2's crypto callbacks need)
 *
 * Sets the session's secret function and the conn's TLS native handle; the
 * session pointer is left alone.
 *
 * Return: 0; -EINVAL when the session has no pointer yet, or @qc is bound
 * already; -EEXIST when another connection is bound to @session; -ENOMEM.
 * On failure the session and @conn are as they were; treat it as a failure
 * to create the connection (its callbacks are the library's already).
 */
int qo_conn_bind(struct qo_conn *qc, ngtcp2_conn *conn,
		 gnutls_session_t session);

/**
 * qo_conn_read_pkt() - ngtcp2_conn_read_pkt() for one UDP segment
 * @qc: the connection
 * @path: as for ngtcp2_conn_read_pkt()
 * @pi: as for ngtcp2_conn_read_pkt()
 * @pkt: the segment
 * @pktlen: its length
 * @info: qo_rx_decrypted() of the segment: NULL when the kernel did not
 *	decrypt it. Its auth_failures are added to the connection's
 *	rx_auth_failures.
 * @ts: as for ngtcp2_conn_read_pkt()
 *
 * Return: what ngtcp2_conn_read_pkt() returns.
 */
int qo_conn_read_pkt(struct qo_conn *qc, const ngtcp2_path *path,
		     const ngtcp2_pkt_info *pi, const uint8_t *pkt,
		     size_t pktlen, const struct quic_ulp_rx_info *info,
		     ngtcp2_tstamp ts);

/**
 * qo_conn_write_begin() - start writing packets of a connection
 * @qc: the connection
 *
 * Call it before writing packets of this connection (ngtcp2_conn_write*(),
 * ngtcp2_conn_write_connection_close()), when every packet written before
 * has been passed to sendmsg() or dropped for good. With ngtcp2's usual
 * "send blocked" pattern (a datagram that met EAGAIN is kept and sent
 * first next time), call it after the kept datagram went out.
 *
 * It makes @qc the connection the encrypt callback works for (in this
 * thread), forgets the packets left in plaintext that were not sent
 * (counted as dropped: they can no longer be sent), and applies what must
 * wait for a flushed socket: Tx switch-on and the peer's connection IDs.
 */
void qo_conn_write_begin(struct qo_conn *qc);

/**
 * qo_conn_tx_cmsg() - the QUIC_ULP_TX_INFO message for a datagram to send
 * @qc: the connection whose packets the datagram carries
 * @pkt: the datagram: bytes ngtcp2 wrote, where it wrote them (the
 *	records match packets by address), one or more whole QUIC datagrams
 *	of @gso bytes each (the last one may be shorter)
 * @len: its length
 * @gso: the UDP_SEGMENT size the sendmsg() gives; 0 or >= @len for a
 *	datagram sent without segmentation
 * @msg: the msghdr of the sendmsg(): the message is appended to its control
 *	buffer at msg_controllen (after, say, UDP_SEGMENT), which grows by
 *	QO_TX_CMSG_SPACE(n)
 * @space: the size of @msg's control buffer
 *
 * Call it for every datagram of the connection, right before its
 * sendmsg(), then qo_conn_tx_done() with the outcome. The datagram is
 * checked segment by segment: a segment that ends with a packet left in
 * plaintext (qo_tx_plaintext()) must start with it, be exactly that packet
 * and be the next one recorded; then the message names, per segment, its
 * packet number, key generation and DCID length, and the connection.
 *
 * Return: n > 0, the records appended (one per segment): send with them;
 * 0 when no segment is a plaintext packet (nothing appended): send as
 * written; a negative errno: DO NOT SEND. -EPROTO: the datagram does not
 * match the packets left in plaintext (a packet whose record was used
 * or dropped already, a packet not at the start of its segment, plaintext
 * and sealed segments mixed); -ENOBUFS: @space is too small; -EINVAL:
 * msg_controllen is not a CMSG_ALIGN()ed length. On error the library has
 * zeroed the datagram, so that sending it anyway would leak nothing, and
 * its packets are lost (counted in tx_unsent; ngtcp2 sends their frames
 * again). The first error is said on stderr.
 */
int qo_conn_tx_cmsg(struct qo_conn *qc, uint8_t *pkt, size_t len, size_t gso,
		    struct msghdr *msg, size_t space);

/**
 * qo_conn_tx_done() - the outcome of a sendmsg() qo_conn_tx_cmsg() prepared
 * @qc: the connection
 * @pkt: the datagram, as given to qo_conn_tx_cmsg()
 * @len: its length
 * @err: 0 when sendmsg() succeeded, else its errno
 *
 * 0: the kernel protected and sent the datagram's packets; their records,
 * and those of older packets not sent yet (which can no longer be: their
 * numbers are below one sealed), are used up. EAGAIN, EWOULDBLOCK, EINTR:
 * nothing happened, the datagram may be sent again later with a message
 * from qo_conn_tx_cmsg() (before the next qo_conn_write_begin()). To fall
 * back to sending the segments of a batch one by one after a UDP GSO
 * failure (EIO), do not call it for the batch, call qo_conn_tx_cmsg() and
 * qo_conn_tx_done() for each segment. Any other errno (EKEYREJECTED,
 * EEXIST, EKEYEXPIRED, EBUSY, ENOENT, EMSGSIZE...): the packets were not
 * sent and never will be: counted, said once per errno on stderr, their
 * records used up and the datagram zeroed (ngtcp2 counts them lost). After
 * an errno that means the kernel will not protect this connection's
 * packets any more (ENOENT, ENOKEY, EINVAL, EOPNOTSUPP, EKEYREJECTED,
 * EBADMSG) or after 8 EEXIST in a row, the connection's later packets are
 * protected in userspace (said once). EBUSY, EKEYEXPIRED, EMSGSIZE, ENOMEM
 * and errors of the network (ECONNREFUSED...) lose the datagram only.
 */
void qo_conn_tx_done(struct qo_conn *qc, uint8_t *pkt, size_t len, int err);

/**
 * qo_conn_set_mode() - change what the kernel may take over
 * @qc: the connection
 * @mode: QO_TX and/or QO_RX, possibly with QO_DEVICE (the kernel may hand
 *	the packet protection it does to a network device that offers it,
 *	QUIC_ULP_KEY_DEVICE), a subset of what qo_attach() gave
 *
 * A direction not yet offloaded switches on at the next opportunity, even
 * in the middle of a connection; QO_DEVICE counts for the directions that
 * switch on after it is set (a direction's key goes to the kernel once).
 * Switching off is not supported.
 */
void qo_conn_set_mode(struct qo_conn *qc, unsigned int mode);

/**
 * qo_conn_info() - the kernel's state and counters of the connection
 * @qc: the connection
 * @info: filled by getsockopt(QUIC_ULP_CONN_INFO)
 *
 * Return: 0, -ENOENT if nothing was offloaded, or getsockopt()'s -errno.
 */
int qo_conn_info(struct qo_conn *qc, struct quic_ulp_conn_info *info);

/**
 * qo_conn_stats() - the library's counters of the connection
 * @qc: the connection
 * @st: filled
 */
void qo_conn_stats(const struct qo_conn *qc, struct qo_stats *st);

/**
 * qo_conn_del() - remove the connection from the kernel and free it
 * @qc: the connection, or NULL
 *
 * Call it after the last packet (CONNECTION_CLOSE) was sent and before the
 * GnuTLS session is freed.
 */
void qo_conn_del(struct qo_conn *qc);

#ifdef __cplusplus
}
#endif

#endif /* QUIC_OFFLOAD_H */
