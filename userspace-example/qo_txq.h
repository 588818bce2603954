/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The Tx record queue of quic_offload.c: which 1-RTT packets the library
 * left in plaintext for the kernel, and the QUIC_ULP_TX_INFO control message
 * that goes with the datagrams carrying them. It is pure (no socket, no
 * ngtcp2): quic_offload.c feeds it from the encrypt callback and wraps it
 * in qo_conn_tx_cmsg() and qo_conn_tx_done(); fuzz/tx_cmsg.c drives it
 * directly. Applications use the qo_conn_tx_*() functions, not this.
 *
 * Invariants, which the fuzz harness checks:
 *  - a packet left in plaintext ends with QUIC_ULP_TAG_LEN zero bytes (the
 *    library writes them), so qo_tx_plaintext() recognises it from its
 *    bytes: a sealed QUIC packet ends with an AEAD tag or, for a
 *    Stateless Reset, a random token;
 *  - qo_txq_cmsg() returns 0 ("send as written") only for a datagram none
 *    of whose segments is such a packet, and a count n > 0 only with the
 *    records of exactly the packets its n segments start with, in order;
 *  - every error leaves the datagram zeroed, so that a send despite it
 *    cannot put plaintext on the wire, and the records of its packets
 *    dead, so that the same bytes are never vouched for later.
 */
#ifndef QO_TXQ_H
#define QO_TXQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/**
 * struct qo_txrec - a 1-RTT packet left in plaintext for the kernel
 * @pkt: where it starts: the address of its first byte in the buffer
 *	ngtcp2 wrote it into (an address, never dereferenced by the queue:
 *	a datagram matches by where its bytes are)
 * @pn: its full packet number
 * @len: its length, header and the QUIC_ULP_TAG_LEN zero bytes included;
 *	0 marks a dead record (its bytes were overwritten, or it may no
 *	longer be sent)
 * @gen: its key generation
 * @dcid_len: the length of its Destination Connection ID
 * @first: its first byte, unprotected (Key Phase, packet number length)
 */
struct qo_txrec {
	uintptr_t pkt;
	uint64_t pn;
	uint32_t len;
	uint32_t gen;
	uint8_t dcid_len;
	uint8_t first;
};

/* Records a queue holds at most, dead ones included, unless @max says less */
#define QO_TXQ_MAX	4096

/**
 * struct qo_txq - the records of one connection, in the order ngtcp2
 *	wrote the packets
 * @rec: a ring of @cap records, the oldest at @head
 * @cap: its size
 * @head: index of the oldest record
 * @n: records in the ring, dead ones included
 * @max: most records kept (0: QO_TXQ_MAX); past it the oldest live
 *	record dies
 * @conn: the connection handle the records name
 * @floor: the lowest key generation the kernel still has for sending: at
 *	Tx switch-on the installed one, then the current one at each
 *	QUIC_ULP_DISCARD_OLD_KEY(QUIC_ULP_DIR_TX). A record below it is never named.
 * @sent_gen: the highest generation of a packet sent (qo_txq_done() with
 *	success): the kernel's current generation, as far as known
 * @on: the kernel has the connection's Tx key: plaintext packets can
 *	exist, and datagrams are checked
 */
struct qo_txq {
	struct qo_txrec *rec;
	size_t cap, head, n, max;
	uint32_t conn;
	uint32_t floor, sent_gen;
	bool on;
};

/*
 * Does this datagram (one UDP segment) end with a packet left in plaintext
 * for the kernel: at least 1 + 4 + QUIC_ULP_TAG_LEN bytes, the last
 * QUIC_ULP_TAG_LEN of them zero. Also in quic_offload.h.
 */
bool qo_tx_plaintext(const uint8_t *pkt, size_t len);

/*
 * Append a record for a packet just left in plaintext. Older records whose
 * packets overlap it die (their bytes are gone). Returns the number of live
 * records that died (overlap, or the oldest when the queue is full), or -1
 * when out of memory: then the caller must protect the packet itself.
 */
int qo_txq_push(struct qo_txq *q, const struct qo_txrec *r);

/*
 * The QUIC_ULP_TX_INFO message for a datagram about to be sent: @len bytes at
 * @pkt, in segments of @gso bytes (the last one may be shorter; @gso 0 or
 * >= @len: one segment). The message is appended to @msg's control buffer
 * at msg_controllen (which must be CMSG_ALIGN()ed), which holds @space
 * bytes; msg_controllen grows by QO_TX_CMSG_SPACE(n). Records stay queued
 * until qo_txq_done().
 *
 * Returns n > 0, the records written, one per segment; 0 when the
 * datagram carries no plaintext packet (nothing appended: send it as
 * written); or a negative errno: do not send it. -EPROTO: a segment ends
 * with a plaintext packet without a live record that starts the segment
 * and has its length, first byte, packet number bits and an allowed
 * generation, or a live record lies elsewhere in the datagram, or the
 * datagram mixes plaintext and sealed segments (the kernel protects all
 * segments of a datagram or none); -ENOBUFS: @space is too small;
 * -EINVAL: msg_controllen is not aligned. On error the datagram is zeroed
 * and the records in it are dead. @npkts gets the number of records the
 * datagram holds (written, or killed on error).
 */
int qo_txq_cmsg(struct qo_txq *q, uint8_t *pkt, size_t len, size_t gso,
		struct msghdr *msg, size_t space, size_t *npkts);

/*
 * The datagram at @pkt (@len bytes) was sent (@ok), or its sendmsg() failed
 * for good. Its records, and every record older than its last one (those
 * packets can no longer be sent: their numbers are below one sealed), are
 * removed. A failed datagram that held records is zeroed. @npkts gets the
 * number of live records the datagram held, @older the number of older
 * live records removed with them.
 */
void qo_txq_done(struct qo_txq *q, uint8_t *pkt, size_t len, bool ok,
		 size_t *npkts, size_t *older);

/* Remove every record: returns how many were live. */
size_t qo_txq_clear(struct qo_txq *q);

/* Free the ring. */
void qo_txq_free(struct qo_txq *q);

#endif /* QO_TXQ_H */
