// SPDX-License-Identifier: GPL-2.0
/*
 * quic_offload: ngtcp2 glue for the kernel's "quic" UDP ULP. See
 * quic_offload.h for the API and README.md for how it fits together.
 *
 * ngtcp2 calls encrypt, decrypt and hp_mask for every packet of every
 * encryption level, with no connection argument. A 1-RTT packet is one
 * whose header (the AAD) has the long header bit clear. For those:
 *
 *  Tx: once the kernel has the connection's Tx key and the packet's DCID,
 *      encrypt leaves the plaintext in place with a zeroed tag, and the
 *      hp_mask that follows for that packet returns zeros: the kernel
 *      protects it in sendmsg(). Before, the packet goes through
 *      ngtcp2_crypto and the kernel, not knowing its DCID, passes it on.
 *  Rx: the application hands each UDP segment to qo_conn_read_pkt() with
 *      the kernel's record. hp_mask and decrypt pass the packet through only
 *      if the record says "decrypted" and the pointers ngtcp2 gives them lie
 *      in that segment (so a packet ngtcp2 buffered earlier never does); the
 *      packet number the kernel authenticated must be the one ngtcp2
 *      recovered. Everything else goes through ngtcp2_crypto.
 *
 * The connection whose packets are being written is the thread's "current"
 * one (qo_conn_write_begin()); qo_conn_read_pkt() sets it while it reads.
 *
 * Switch-on, per direction, needs a confirmed handshake (a server confirms
 * when it completes) and one 1-RTT packet that went that way through
 * userspace crypto: nonce = IV ^ packet number gives its number and key
 * generation, hence next_pn and key_updates. Rx switches on right after the
 * qo_conn_read_pkt() that made it possible, with all our SCIDs; Tx at the
 * next qo_conn_write_begin(), when no userspace-encrypted packet can be
 * left unsent, with ngtcp2's active DCIDs. The peer's DCIDs are synced there
 * too, for the same reason: a packet must never meet a kernel that knows its
 * DCID after it was encrypted, or one that forgot it before it was sent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* explicit_bzero */
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "quic_offload.h"

#define QO_IV_LEN	12	/* every QUIC AEAD's nonce */
#define QO_GENS		4	/* key generations remembered, per direction */
#define QO_TX_CIDS	8
#define QO_RX_CIDS	16
#define QO_SHORT_KP	0x04	/* Key Phase bit of a short header */

struct qo_cid {
	uint8_t len;
	bool has_token;			/* Tx: the peer's reset token known */
	bool refused;			/* the kernel would not take it */
	uint8_t id[QUIC_MAX_CID_LEN];
	uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN];
	struct sockaddr_storage peer;	/* zero-length IDs only */
};

/* One direction of a connection's 1-RTT keys, as far as we need them. */
struct qo_dir {
	uint8_t secret[QUIC_MAX_SECRET_LEN];	/* generation 0 */
	uint8_t secret_len;
	uint8_t iv[QO_GENS][QO_IV_LEN];	/* by generation, modulo QO_GENS */
	uint32_t ngen;			/* generations known: 0 to ngen - 1 */
	uint64_t largest;		/* largest packet number seen ... */
	uint32_t gen;			/* ... and its key generation */
	bool seen;
	bool on;			/* the kernel has this direction */
	bool kernel_seen;		/* Rx: the kernel decrypted a packet */
};

struct qo_conn {
	ngtcp2_crypto_conn_ref ref;	/* the session pointer: keep first */
	ngtcp2_conn *conn;
	gnutls_session_t tls;
	ngtcp2_callbacks app;		/* the application's, for chaining */
	int fd;
	uint32_t handle;
	unsigned int mode;
	uint16_t cipher;
	bool confirmed, in_kernel, tx_cids_dirty;
	struct qo_dir tx, rx;
	struct qo_cid tx_cids[QO_TX_CIDS], rx_cids[QO_RX_CIDS];
	size_t ntx_cids, nrx_cids;
	const uint8_t *seg;		/* segment being read ... */
	size_t seglen;
	const struct quic_rx_info *info; /* ... and its record if decrypted */
	struct qo_stats st;
};

static _Thread_local struct qo_conn *cur;
static _Thread_local uintptr_t hp_zero_lo, hp_zero_hi; /* last Tx plaintext */

static void say_once(bool *said, const char *fmt, const char *what, int err)
{
	if (*said)
		return;
	*said = true;
	fprintf(stderr, "quic offload: ");
	fprintf(stderr, fmt, what, strerror(err));
	fputc('\n', stderr);
}

unsigned int qo_attach(int fd, unsigned int want)
{
	static bool said;

	if (!want)
		return 0;
	if (!setsockopt(fd, SOL_UDP, UDP_ULP, QUIC_ULP_NAME,
			sizeof(QUIC_ULP_NAME)))
		return want;
	if (errno == ENOENT || errno == ENOPROTOOPT)
		say_once(&said, "%s (%s): using userspace crypto",
			 "this kernel has no \"quic\" UDP ULP", errno);
	else
		say_once(&said, "%s: %s: using userspace crypto",
			 "attaching the \"quic\" ULP", errno);
	return 0;
}

void qo_rx_parse(struct qo_rx *rx, const struct msghdr *msg, size_t len)
{
	static bool said;
	const void *info = NULL;
	struct cmsghdr *c;
	size_t ninfo = 0, nseg, off;
	int v;

	rx->gso_size = len;
	rx->n = 0;
	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		/* CMSG_NXTHDR() checks the messages after the first against
		 * the buffer, not the first: a length past the end (a buffer
		 * cut short) ends the walk.
		 */
		off = (size_t)((const char *)c - (const char *)msg->msg_control);
		if (c->cmsg_len > msg->msg_controllen - off)
			break;
		if (c->cmsg_level != SOL_UDP)
			continue;
		if (c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(v))) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			if (v > 0)
				rx->gso_size = (size_t)v;
		} else if (c->cmsg_type == QUIC_RX_INFO &&
			   c->cmsg_len >= CMSG_LEN(0)) {
			info = CMSG_DATA(c);
			ninfo = (c->cmsg_len - CMSG_LEN(0)) /
				sizeof(struct quic_rx_info);
		}
	}
	if (!info || !rx->gso_size)
		return;
	nseg = (len + rx->gso_size - 1) / rx->gso_size;
	if ((msg->msg_flags & MSG_CTRUNC) || ninfo != nseg ||
	    ninfo > QO_MAX_SEGS) {
		say_once(&said, "%s (%s): records ignored",
			 "QUIC_RX_INFO does not match the datagram", EPROTO);
		return;
	}
	memcpy(rx->info, info, ninfo * sizeof(rx->info[0]));
	rx->n = (unsigned int)ninfo;
}

const struct quic_rx_info *qo_rx_decrypted(const struct qo_rx *rx, size_t i)
{
	if (i >= rx->n || rx->info[i].status != QUIC_RX_DECRYPTED)
		return NULL;
	return &rx->info[i];
}

/* Packet numbers and key generations, from nonce = iv ^ packet number. */

static bool pn_of(const uint8_t *nonce, size_t noncelen, const uint8_t *iv,
		  uint64_t *pn)
{
	uint64_t v = 0;
	size_t i;

	if (noncelen != QO_IV_LEN)
		return false;
	for (i = 0; i < 4; i++)
		if (nonce[i] != iv[i])
			return false;
	for (; i < QO_IV_LEN; i++)
		v = v << 8 | (uint8_t)(nonce[i] ^ iv[i]);
	if (v > QUIC_MAX_PN)
		return false;
	*pn = v;
	return true;
}

static void dir_seen(struct qo_dir *d, uint64_t pn, uint32_t gen)
{
	if (d->seen && pn <= d->largest)
		return;
	d->largest = pn;
	d->gen = gen;
	d->seen = true;
}

/*
 * ngtcp2 sends with the current generation only, which is the newest it
 * derived or the one before (the newest then waits as "next"): the Key
 * Phase bit tells which.
 */
static void tx_track(struct qo_conn *qc, const uint8_t *aad,
		     const uint8_t *nonce, size_t noncelen)
{
	struct qo_dir *d = &qc->tx;
	uint32_t g = d->ngen - 1;
	uint64_t pn;

	if ((g & 1) != !!(aad[0] & QO_SHORT_KP)) {
		if (!g)
			return;
		g--;
	}
	if (pn_of(nonce, noncelen, d->iv[g % QO_GENS], &pn))
		dir_seen(d, pn, g);
}

/*
 * Which recent generation's IV makes a packet number of this nonce (@want,
 * if not NULL)? Newest first: ngtcp2 may hold old, current and next keys.
 */
static bool rx_gen_of(struct qo_conn *qc, const uint8_t *nonce,
		      size_t noncelen, const uint64_t *want, uint64_t *pn,
		      uint32_t *gen)
{
	struct qo_dir *d = &qc->rx;
	uint32_t g;

	for (g = d->ngen; g-- > 0 && g + QO_GENS >= d->ngen;)
		if (pn_of(nonce, noncelen, d->iv[g % QO_GENS], pn) &&
		    (!want || *pn == *want)) {
			*gen = g;
			return true;
		}
	return false;
}

static bool is_1rtt(const uint8_t *aad, size_t aadlen)
{
	return aadlen >= 2 && !(aad[0] & 0x80);
}

static bool tx_cid_known(const struct qo_conn *qc, const uint8_t *aad,
			 size_t aadlen)
{
	size_t pnlen = (aad[0] & 0x03) + 1, len, i;

	if (aadlen < 1 + pnlen)
		return false;
	len = aadlen - 1 - pnlen;
	for (i = 0; i < qc->ntx_cids; i++)
		if (qc->tx_cids[i].len == len &&
		    !memcmp(qc->tx_cids[i].id, aad + 1, len))
			return !qc->tx_cids[i].refused;
	return false;
}

static bool in_range(const void *p, size_t len, const void *lo, size_t n)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)lo;

	return a >= b && len <= n && a - b <= n - len;
}

/* The crypto callbacks. */

static int qo_encrypt(uint8_t *dest, const ngtcp2_crypto_aead *aead,
		      const ngtcp2_crypto_aead_ctx *aead_ctx,
		      const uint8_t *plaintext, size_t plaintextlen,
		      const uint8_t *nonce, size_t noncelen,
		      const uint8_t *aad, size_t aadlen)
{
	struct qo_conn *qc = cur;

	hp_zero_lo = hp_zero_hi = 0;
	if (qc && qc->tx.ngen && is_1rtt(aad, aadlen)) {
		tx_track(qc, aad, nonce, noncelen);
		if (qc->tx.on && tx_cid_known(qc, aad, aadlen)) {
			memmove(dest, plaintext, plaintextlen);
			memset(dest + plaintextlen, 0, QUIC_TAG_LEN);
			hp_zero_lo = (uintptr_t)aad;
			hp_zero_hi = (uintptr_t)(dest + plaintextlen +
						 QUIC_TAG_LEN);
			qc->st.tx_kernel++;
			return 0;
		}
		if (qc->tx.on)
			qc->st.tx_user_late++;
		else
			qc->st.tx_user++;
	}
	return ngtcp2_crypto_encrypt_cb(dest, aead, aead_ctx, plaintext,
					plaintextlen, nonce, noncelen, aad,
					aadlen);
}

static int qo_decrypt(uint8_t *dest, const ngtcp2_crypto_aead *aead,
		      const ngtcp2_crypto_aead_ctx *aead_ctx,
		      const uint8_t *ciphertext, size_t ciphertextlen,
		      const uint8_t *nonce, size_t noncelen,
		      const uint8_t *aad, size_t aadlen)
{
	struct qo_conn *qc = cur;
	const struct quic_rx_info *ri;
	uint64_t pn, want;
	uint32_t gen;
	int rv;

	if (!qc || !qc->rx.ngen || !is_1rtt(aad, aadlen))
		return ngtcp2_crypto_decrypt_cb(dest, aead, aead_ctx,
						ciphertext, ciphertextlen,
						nonce, noncelen, aad, aadlen);

	ri = qc->info;
	want = ri ? ri->pn : 0;
	if (ri && ciphertextlen >= QUIC_TAG_LEN &&
	    in_range(ciphertext, ciphertextlen, qc->seg, qc->seglen) &&
	    ciphertext + ciphertextlen == qc->seg + qc->seglen) {
		qc->info = NULL;	/* one packet per segment */
		if (ri->conn != qc->handle ||
		    !rx_gen_of(qc, nonce, noncelen, &want, &pn, &gen)) {
			qc->st.rx_refused++;
			return NGTCP2_ERR_DECRYPT;
		}
		memmove(dest, ciphertext, ciphertextlen - QUIC_TAG_LEN);
		dir_seen(&qc->rx, pn, gen);
		qc->rx.kernel_seen = true;
		qc->st.rx_kernel++;
		return 0;
	}

	rv = ngtcp2_crypto_decrypt_cb(dest, aead, aead_ctx, ciphertext,
				      ciphertextlen, nonce, noncelen, aad,
				      aadlen);
	if (!rv) {
		if (rx_gen_of(qc, nonce, noncelen, NULL, &pn, &gen))
			dir_seen(&qc->rx, pn, gen);
		if (qc->rx.kernel_seen)
			qc->st.rx_user_late++;
		else if (qc->rx.on)
			qc->st.rx_user_queued++;
		else
			qc->st.rx_user++;
	}
	return rv;
}

static int qo_hp_mask(uint8_t *dest, const ngtcp2_crypto_cipher *hp,
		      const ngtcp2_crypto_cipher_ctx *hp_ctx,
		      const uint8_t *sample)
{
	struct qo_conn *qc = cur;
	uintptr_t s = (uintptr_t)sample;

	if (hp_zero_hi && s >= hp_zero_lo &&
	    s + NGTCP2_HP_SAMPLELEN <= hp_zero_hi) {
		hp_zero_lo = hp_zero_hi = 0;
		memset(dest, 0, NGTCP2_HP_MASKLEN);
		return 0;
	}
	if (qc && qc->info && !(qc->seg[0] & 0x80) &&
	    in_range(sample, NGTCP2_HP_SAMPLELEN, qc->seg, qc->seglen)) {
		memset(dest, 0, NGTCP2_HP_MASKLEN);
		return 0;
	}
	return ngtcp2_crypto_hp_mask_cb(dest, hp, hp_ctx, sample);
}

/* Talking to the kernel. */

static struct qo_conn *qc_of(ngtcp2_conn *conn)
{
	gnutls_session_t s = ngtcp2_conn_get_tls_native_handle(conn);

	return s ? gnutls_session_get_ptr(s) : NULL;
}

static void set_peer(struct qo_cid *c, const ngtcp2_addr *a)
{
	memset(&c->peer, 0, sizeof(c->peer));
	if (!c->len && a && a->addrlen <= sizeof(c->peer))
		memcpy(&c->peer, a->addr, a->addrlen);
}

static int cid_op(struct qo_conn *qc, int opt, uint8_t dir,
		  const struct qo_cid *c)
{
	struct quic_cid q;

	memset(&q, 0, sizeof(q));
	q.conn = qc->handle;
	q.dir = dir;
	q.len = c->len;
	memcpy(q.id, c->id, c->len);
	memcpy(&q.peer, &c->peer, sizeof(q.peer));
	if (opt == QUIC_ADD_CID && dir == QUIC_DIR_TX && c->has_token) {
		q.flags = QUIC_CID_RESET_TOKEN;
		memcpy(q.reset_token, c->token, sizeof(q.reset_token));
	}
	return setsockopt(qc->fd, SOL_UDP, opt, &q, sizeof(q)) ? -errno : 0;
}

static void cid_refused(struct qo_conn *qc, const char *what, int err)
{
	static bool said_exist, said_other;

	qc->st.cid_refused++;
	if (err == -EEXIST)
		say_once(&said_exist, "%s: %s (an ID and another one on the "
			 "socket are prefixes of each other): its packets use "
			 "userspace crypto", what, -err);
	else
		say_once(&said_other, "%s: %s: its packets use userspace crypto",
			 what, -err);
}

static void rx_cid_add(struct qo_conn *qc, const ngtcp2_cid *cid)
{
	struct qo_cid *c;
	int rv = -ENOSPC;

	if (qc->nrx_cids < QO_RX_CIDS && cid->datalen <= QUIC_MAX_CID_LEN) {
		c = &qc->rx_cids[qc->nrx_cids];
		memset(c, 0, sizeof(*c));
		c->len = (uint8_t)cid->datalen;
		memcpy(c->id, cid->data, cid->datalen);
		set_peer(c, &ngtcp2_conn_get_path(qc->conn)->remote);
		rv = cid_op(qc, QUIC_ADD_CID, QUIC_DIR_RX, c);
		if (!rv)
			qc->nrx_cids++;
	}
	if (rv)
		cid_refused(qc, "QUIC_ADD_CID (Rx)", rv);
}

static void rx_cid_del(struct qo_conn *qc, const ngtcp2_cid *cid)
{
	size_t i;

	for (i = 0; i < qc->nrx_cids; i++) {
		struct qo_cid *c = &qc->rx_cids[i];

		if (c->len != cid->datalen || memcmp(c->id, cid->data, c->len))
			continue;
		cid_op(qc, QUIC_DEL_CID, QUIC_DIR_RX, c);
		*c = qc->rx_cids[--qc->nrx_cids];
		return;
	}
}

static bool same_cid(const struct qo_cid *c, const ngtcp2_cid *id)
{
	return c->len == id->datalen && !memcmp(c->id, id->data, c->len);
}

/*
 * Make the kernel's Tx IDs ngtcp2's active DCIDs, each with the peer's
 * Stateless Reset Token when ngtcp2 has it. Nothing is unsent. An ID the
 * kernel refuses stays listed, marked, so that its packets are encrypted
 * here and it is not offered again.
 */
static void tx_cids_sync(struct qo_conn *qc)
{
	ngtcp2_cid_token act[QO_TX_CIDS];
	size_t n = ngtcp2_conn_get_active_dcid(qc->conn, NULL), i, j;
	struct qo_cid *c;
	int rv;

	if (n > QO_TX_CIDS)
		n = 0;		/* unexpected: drop them all, userspace */
	else
		ngtcp2_conn_get_active_dcid(qc->conn, act);

	for (i = 0; i < qc->ntx_cids;) {
		c = &qc->tx_cids[i];
		for (j = 0; j < n; j++)
			if (same_cid(c, &act[j].cid) &&
			    c->has_token == !!act[j].token_present)
				break;
		if (j < n) {
			i++;
			continue;
		}
		if (!c->refused)
			cid_op(qc, QUIC_DEL_CID, QUIC_DIR_TX, c);
		*c = qc->tx_cids[--qc->ntx_cids];
	}
	for (j = 0; j < n; j++) {
		if (act[j].cid.datalen > QUIC_MAX_CID_LEN)
			continue;
		for (i = 0; i < qc->ntx_cids; i++)
			if (same_cid(&qc->tx_cids[i], &act[j].cid))
				break;
		if (i < qc->ntx_cids)
			continue;
		c = &qc->tx_cids[qc->ntx_cids++];
		memset(c, 0, sizeof(*c));
		c->len = (uint8_t)act[j].cid.datalen;
		memcpy(c->id, act[j].cid.data, c->len);
		if (act[j].token_present) {
			c->has_token = true;
			memcpy(c->token, act[j].token, sizeof(c->token));
		}
		set_peer(c, &act[j].ps.path.remote);
		rv = cid_op(qc, QUIC_ADD_CID, QUIC_DIR_TX, c);
		if (rv) {
			c->refused = true;
			cid_refused(qc, "QUIC_ADD_CID (Tx)", rv);
		}
	}
	qc->tx_cids_dirty = false;
}

/*
 * Give the kernel one direction: the 1-RTT secret, the key updates so far
 * and the next packet number, once the handshake is confirmed and a 1-RTT
 * packet went that way (which tells us its number and generation).
 */
static bool key_on(struct qo_conn *qc, struct qo_dir *d, unsigned int bit)
{
	static bool said;
	struct quic_key k;
	uint32_t version;
	int rv;

	if (!(qc->mode & bit) || d->on || !qc->confirmed || !d->seen ||
	    !d->secret_len || !qc->cipher)
		return false;
	switch (ngtcp2_conn_get_negotiated_version(qc->conn)) {
	case NGTCP2_PROTO_VER_V1:
		version = QUIC_VERSION_1;
		break;
	case NGTCP2_PROTO_VER_V2:
		version = QUIC_VERSION_2;
		break;
	default:
		qc->mode = 0;	/* the kernel knows only these two */
		return false;
	}
	if (d->gen > QUIC_MAX_KEY_UPDATES) {
		qc->mode &= ~bit;
		return false;
	}
	memset(&k, 0, sizeof(k));
	k.conn = qc->handle;
	k.cipher = qc->cipher;
	k.secret_len = d->secret_len;
	k.key_updates = d->gen;
	k.version = version;
	k.next_pn = d->largest + 1;
	memcpy(k.secret, d->secret, d->secret_len);
	rv = setsockopt(qc->fd, SOL_UDP,
			bit == QO_TX ? QUIC_TX_KEY : QUIC_RX_KEY, &k, sizeof(k));
	if (rv)
		rv = errno;
	explicit_bzero(&k, sizeof(k));
	if (rv) {
		qc->mode &= ~bit;
		say_once(&said, "%s: %s: using userspace crypto",
			 "installing a key", rv);
		return false;
	}
	if (bit == QO_TX)
		qc->st.tx_on_pn = d->largest + 1;
	else
		qc->st.rx_on_pn = d->largest + 1;
	d->on = qc->in_kernel = true;
	return true;
}

static void rx_on(struct qo_conn *qc)
{
	size_t n, i;
	ngtcp2_cid *ids;

	if (!key_on(qc, &qc->rx, QO_RX))
		return;
	n = ngtcp2_conn_get_scid(qc->conn, NULL);
	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		return;
	ngtcp2_conn_get_scid(qc->conn, ids);
	for (i = 0; i < n; i++)
		rx_cid_add(qc, &ids[i]);
	free(ids);
}

/* The key and connection ID callbacks. */

static int qo_secret(gnutls_session_t session,
		     gnutls_record_encryption_level_t glevel,
		     const void *rx_secret, const void *tx_secret, size_t len)
{
	struct qo_conn *qc = gnutls_session_get_ptr(session);
	ngtcp2_encryption_level level =
		ngtcp2_crypto_gnutls_from_gnutls_record_encryption_level(glevel);
	const void *secret[2] = { rx_secret, tx_secret };
	struct qo_dir *dir[2] = { &qc->rx, &qc->tx };
	uint8_t iv[64];
	int i, rv;

	for (i = 0; i < 2; i++) {
		if (!secret[i])
			continue;
		if (i)
			rv = ngtcp2_crypto_derive_and_install_tx_key(qc->conn,
					NULL, iv, NULL, level, secret[i], len);
		else
			rv = ngtcp2_crypto_derive_and_install_rx_key(qc->conn,
					NULL, iv, NULL, level, secret[i], len);
		if (rv)
			return -1;
		if (level != NGTCP2_ENCRYPTION_LEVEL_1RTT)
			continue;
		if (len <= QUIC_MAX_SECRET_LEN) {
			memcpy(dir[i]->secret, secret[i], len);
			dir[i]->secret_len = (uint8_t)len;
		}
		memcpy(dir[i]->iv[0], iv, QO_IV_LEN);
		dir[i]->ngen = 1;
	}
	if (level == NGTCP2_ENCRYPTION_LEVEL_1RTT) {
		switch (gnutls_cipher_get(session)) {
		case GNUTLS_CIPHER_AES_128_GCM:
			qc->cipher = QUIC_CIPHER_AES_128_GCM_SHA256;
			break;
		case GNUTLS_CIPHER_AES_256_GCM:
			qc->cipher = QUIC_CIPHER_AES_256_GCM_SHA384;
			break;
		case GNUTLS_CIPHER_CHACHA20_POLY1305:
			qc->cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256;
			break;
		case GNUTLS_CIPHER_AES_128_CCM:
			qc->cipher = QUIC_CIPHER_AES_128_CCM_SHA256;
			break;
		default:
			qc->cipher = 0;	/* not offloadable */
		}
	}
	return 0;
}

/*
 * ngtcp2 derives the next generation, and drops the previous receive keys,
 * here; the kernel derives its own next keys, so only the drop is mirrored.
 */
static int qo_update_key(ngtcp2_conn *conn, uint8_t *rx_secret,
			 uint8_t *tx_secret, ngtcp2_crypto_aead_ctx *rx_aead_ctx,
			 uint8_t *rx_iv, ngtcp2_crypto_aead_ctx *tx_aead_ctx,
			 uint8_t *tx_iv, const uint8_t *current_rx_secret,
			 const uint8_t *current_tx_secret, size_t secretlen,
			 void *user_data)
{
	struct qo_conn *qc = qc_of(conn);
	struct quic_discard dis;

	if (ngtcp2_crypto_update_key_cb(conn, rx_secret, tx_secret,
					rx_aead_ctx, rx_iv, tx_aead_ctx, tx_iv,
					current_rx_secret, current_tx_secret,
					secretlen, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (!qc)
		return 0;
	memcpy(qc->rx.iv[qc->rx.ngen++ % QO_GENS], rx_iv, QO_IV_LEN);
	memcpy(qc->tx.iv[qc->tx.ngen++ % QO_GENS], tx_iv, QO_IV_LEN);
	if (qc->in_kernel && qc->rx.ngen > 2) {
		dis.conn = qc->handle;
		dis.dir = (qc->rx.on ? QUIC_DIR_RX : 0) |
			  (qc->tx.on ? QUIC_DIR_TX : 0);
		setsockopt(qc->fd, SOL_UDP, QUIC_DISCARD_OLD_KEY, &dis,
			   sizeof(dis));	/* best effort */
	}
	return 0;
}

static int qo_handshake_completed(ngtcp2_conn *conn, void *user_data)
{
	struct qo_conn *qc = qc_of(conn);

	if (!qc)
		return 0;
	if (qc->app.handshake_completed &&
	    qc->app.handshake_completed(conn, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (ngtcp2_conn_is_server(conn))
		qc->confirmed = true;	/* a server confirms on completion */
	return 0;
}

static int qo_handshake_confirmed(ngtcp2_conn *conn, void *user_data)
{
	struct qo_conn *qc = qc_of(conn);

	if (!qc)
		return 0;
	if (qc->app.handshake_confirmed &&
	    qc->app.handshake_confirmed(conn, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	qc->confirmed = true;
	return 0;
}

static int qo_get_new_connection_id(ngtcp2_conn *conn, ngtcp2_cid *cid,
				    uint8_t *token, size_t cidlen,
				    void *user_data)
{
	struct qo_conn *qc = qc_of(conn);

	if (!qc || !qc->app.get_new_connection_id ||
	    qc->app.get_new_connection_id(conn, cid, token, cidlen, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (qc->rx.on)
		rx_cid_add(qc, cid);
	return 0;
}

static int qo_remove_connection_id(ngtcp2_conn *conn, const ngtcp2_cid *cid,
				   void *user_data)
{
	struct qo_conn *qc = qc_of(conn);

	if (!qc)
		return 0;
	if (qc->app.remove_connection_id &&
	    qc->app.remove_connection_id(conn, cid, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (qc->rx.on)
		rx_cid_del(qc, cid);
	return 0;
}

static int qo_dcid_status(ngtcp2_conn *conn,
			  ngtcp2_connection_id_status_type type, uint64_t seq,
			  const ngtcp2_cid *cid, const uint8_t *token,
			  void *user_data)
{
	struct qo_conn *qc = qc_of(conn);

	if (!qc)
		return 0;
	if (qc->app.dcid_status &&
	    qc->app.dcid_status(conn, type, seq, cid, token, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	qc->tx_cids_dirty = true;	/* applied at qo_conn_write_begin() */
	return 0;
}

/* The API. */

static ngtcp2_conn *qo_get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct qo_conn *)ref)->conn;
}

struct qo_conn *qo_conn_new(int fd, unsigned int mode)
{
	static uint32_t next_handle;
	struct qo_conn *qc = calloc(1, sizeof(*qc));

	if (!qc)
		return NULL;
	qc->ref.get_conn = qo_get_conn;
	qc->fd = fd;
	qc->mode = mode & (QO_TX | QO_RX);
	qc->handle = __atomic_add_fetch(&next_handle, 1, __ATOMIC_RELAXED);
	return qc;
}

void qo_conn_callbacks(struct qo_conn *qc, ngtcp2_callbacks *cb)
{
	qc->app = *cb;
	cb->encrypt = qo_encrypt;
	cb->decrypt = qo_decrypt;
	cb->hp_mask = qo_hp_mask;
	cb->update_key = qo_update_key;
	cb->handshake_completed = qo_handshake_completed;
	cb->handshake_confirmed = qo_handshake_confirmed;
	cb->get_new_connection_id = qo_get_new_connection_id;
	cb->remove_connection_id = qo_remove_connection_id;
	cb->dcid_status = qo_dcid_status;
}

void qo_conn_bind(struct qo_conn *qc, ngtcp2_conn *conn,
		  gnutls_session_t session)
{
	qc->conn = conn;
	qc->tls = session;
	gnutls_session_set_ptr(session, &qc->ref);
	gnutls_handshake_set_secret_function(session, qo_secret);
	ngtcp2_conn_set_tls_native_handle(conn, session);
}

int qo_conn_read_pkt(struct qo_conn *qc, const ngtcp2_path *path,
		     const ngtcp2_pkt_info *pi, const uint8_t *pkt,
		     size_t pktlen, const struct quic_rx_info *info,
		     ngtcp2_tstamp ts)
{
	struct qo_conn *prev = cur;
	int rv;

	cur = qc;
	qc->seg = pkt;
	qc->seglen = pktlen;
	qc->info = info;
	rv = ngtcp2_conn_read_pkt(qc->conn, path, pi, pkt, pktlen, ts);
	if (qc->info)		/* decrypted, but ngtcp2 never asked */
		qc->info = NULL;
	qc->seg = NULL;
	cur = prev;
	if (!rv && !qc->rx.on)
		rx_on(qc);
	return rv;
}

void qo_conn_write_begin(struct qo_conn *qc)
{
	cur = qc;
	hp_zero_lo = hp_zero_hi = 0;
	if (!qc)
		return;
	if (key_on(qc, &qc->tx, QO_TX))
		qc->tx_cids_dirty = true;
	if (qc->tx.on && qc->tx_cids_dirty)
		tx_cids_sync(qc);
}

void qo_conn_set_mode(struct qo_conn *qc, unsigned int mode)
{
	qc->mode = mode & (QO_TX | QO_RX);
}

int qo_conn_info(struct qo_conn *qc, struct quic_conn_info *info)
{
	socklen_t len = sizeof(*info);

	if (!qc || !qc->in_kernel)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	info->conn = qc->handle;
	if (getsockopt(qc->fd, SOL_UDP, QUIC_CONN_INFO, info, &len))
		return -errno;
	return 0;
}

void qo_conn_stats(const struct qo_conn *qc, struct qo_stats *st)
{
	*st = qc->st;
	st->tx_gen = qc->tx.gen;
	st->rx_gen = qc->rx.gen;
	st->mode = (qc->tx.on ? QO_TX : 0) | (qc->rx.on ? QO_RX : 0);
}

void qo_conn_del(struct qo_conn *qc)
{
	if (!qc)
		return;
	if (qc->in_kernel)
		setsockopt(qc->fd, SOL_UDP, QUIC_DEL_CONN, &qc->handle,
			   sizeof(qc->handle));
	if (qc->tls && gnutls_session_get_ptr(qc->tls) == &qc->ref)
		gnutls_session_set_ptr(qc->tls, NULL);
	if (cur == qc)
		cur = NULL;
	explicit_bzero(qc, sizeof(*qc));
	free(qc);
}
