// SPDX-License-Identifier: GPL-2.0
/*
 * The example client's and server's common half: UDP with GSO and GRO,
 * TLS, and the ngtcp2 + nghttp3 connection plumbing around quic_offload.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "common.h"

bool quiet;
static FILE *keylog;

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NGTCP2_SECONDS + (uint64_t)ts.tv_nsec;
}

int parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'G':
		n <<= 10;
		/* fall through */
	case 'M':
		n <<= 10;
		/* fall through */
	case 'K':
		n <<= 10;
		end++;
	}
	if (*end)
		return -1;
	*v = n;
	return 0;
}

void hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";

	for (; n; n--, p++) {
		*out++ = d[*p >> 4];
		*out++ = d[*p & 15];
	}
	*out = 0;
}

/* --preferred-versions: for compatible version negotiation (RFC 9368) */
static uint32_t pref_versions[4];
static size_t npref_versions;

static int parse_versions(const char *arg)
{
	const char *p = arg;
	char *end;

	npref_versions = 0;
	do {
		unsigned long v = strtoul(p, &end, 16);

		if (end == p || npref_versions == 4 ||
		    !ngtcp2_is_supported_version((uint32_t)v))
			return -1;
		pref_versions[npref_versions++] = (uint32_t)v;
		p = end + 1;
	} while (*end == ',');
	return *end ? -1 : 0;
}

int common_opt(struct common_opts *o, const char *name, const char *arg)
{
	unsigned int dev = o->offload & QO_DEVICE;

	if (!strcmp(name, "offload")) {
		if (!strcmp(arg, "off"))
			o->offload = dev;
		else if (!strcmp(arg, "tx"))
			o->offload = dev | QO_TX;
		else if (!strcmp(arg, "rx"))
			o->offload = dev | QO_RX;
		else if (!strcmp(arg, "both"))
			o->offload = dev | QO_TX | QO_RX;
		else
			return -1;
	} else if (!strcmp(name, "offload-device")) {
		if (!strcmp(arg, "on"))
			o->offload |= QO_DEVICE;
		else if (!strcmp(arg, "off"))
			o->offload &= ~QO_DEVICE;
		else
			return -1;
	} else if (!strcmp(name, "keylog")) {
		o->keylog = arg;
	} else if (!strcmp(name, "ciphers")) {
		o->ciphers = arg;
	} else if (!strcmp(name, "preferred-versions")) {
		return parse_versions(arg);
	} else {
		return -1;
	}
	return 0;
}

/* UDP */

int udp_open(const struct sockaddr *sa, socklen_t len, bool server)
{
	int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int one = 1, sz = 8 << 20;

	if (fd < 0)
		return -1;
	/* Big buffers help at loopback speed; FORCE needs CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if ((server ? bind(fd, sa, len) : connect(fd, sa, len)) ||
	    setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one))) {
		close(fd);
		return -1;
	}
	return fd;
}

ssize_t udp_recv(int fd, uint8_t *buf, size_t cap,
		 struct sockaddr_storage *from, socklen_t *fromlen,
		 struct qo_rx *rx)
{
	union {
		char buf[QO_CMSG_SPACE];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = {
		.msg_name = from, .msg_namelen = sizeof(*from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;

	do
		n = recvmsg(fd, &msg, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == ECONNREFUSED ? 0 : -1;
	*fromlen = msg.msg_namelen;
	qo_rx_parse(rx, &msg, (size_t)n);
	return n;
}

/*
 * Send @len bytes at @p, in UDP_SEGMENT segments of @gso bytes. Every
 * datagram of the connection goes through qo_conn_tx_cmsg(): with the
 * QUIC_ULP_TX_INFO message it writes when the segments are packets left for
 * the kernel to protect, as written when they are protected already, not
 * at all when it refuses them.
 */
static void udp_send(struct conn *c, const ngtcp2_addr *to, uint8_t *p,
		     size_t len, size_t gso)
{
	static bool no_gso;
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t)) +
			 QO_TX_CMSG_SPACE(MAX_GSO_SEGS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = p, .iov_len = len };
	struct msghdr msg = {
		.msg_name = c->connected ? NULL : to->addr,
		.msg_namelen = c->connected ? 0 : to->addrlen,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf,
	};
	struct cmsghdr *cm;
	uint16_t seg = (uint16_t)gso;
	ssize_t n;
	int nrec, err;

	if (len > gso && no_gso) {
		/* one sendmsg() per segment, each with its own record */
		while (len) {
			n = (ssize_t)(len < gso ? len : gso);
			udp_send(c, to, p, (size_t)n, gso);
			p += n;
			len -= (size_t)n;
		}
		return;
	}
	memset(&ctl, 0, sizeof(ctl));
	if (len > gso) {
		cm = (struct cmsghdr *)ctl.buf;
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
		msg.msg_controllen = CMSG_SPACE(sizeof(seg));
	}
	nrec = qo_conn_tx_cmsg(c->qo, p, len, gso, &msg, sizeof(ctl.buf));
	if (nrec < 0)
		return;		/* refused (and zeroed): lost, ngtcp2 resends */
	if (!msg.msg_controllen)
		msg.msg_control = NULL;
	do
		n = sendmsg(c->fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	err = n < 0 ? errno : 0;
	if (err == EIO && len > gso && !no_gso) {
		/* no qo_conn_tx_done(): the segments go again, one by one */
		fprintf(stderr, "UDP GSO failed: sending segments one by one\n");
		no_gso = true;
		udp_send(c, to, p, len, gso);
		return;
	}
	qo_conn_tx_done(c->qo, p, len, err);
	if (err) {
		/* the library says why the kernel refused plaintext packets */
		if (!nrec && !quiet && err != ECONNREFUSED)
			fprintf(stderr, "sendmsg: %s\n", strerror(err));
		return;
	}
	c->tx_dgrams++;
	c->tx_pkts += (len + gso - 1) / gso;
	c->tx_bytes += len;
}

/* TLS */

static int keylog_cb(gnutls_session_t session, const char *label,
		     const gnutls_datum_t *secret)
{
	gnutls_datum_t crand, srand;
	char r[2 * 32 + 1], s[2 * 64 + 1];

	gnutls_session_get_random(session, &crand, &srand);
	if (!keylog || crand.size > 32 || secret->size > 64)
		return 0;
	hex(r, crand.data, crand.size);
	hex(s, secret->data, secret->size);
	fprintf(keylog, "%s %s %s\n", label, r, s);
	fflush(keylog);
	return 0;
}

/*
 * 0-RTT anti-replay (RFC 8446, section 8): for each ClientHello with early
 * data inside its window, GnuTLS hands over a key and when it expires; a
 * key seen before and not expired is a replay, and GnuTLS refuses its early
 * data. Keys are kept until they expire; when every slot holds a live one
 * the cache says so (GNUTLS_E_DB_ERROR) and the early data is refused too:
 * the handshake goes on in 1-RTT. Nothing is ever forgotten early.
 */
#define REPLAY_KEYS 1024

static struct {
	uint8_t digest[REPLAY_KEYS][32];
	time_t exp[REPLAY_KEYS];
} replay;

static int replay_add(void *ptr, time_t exp, const gnutls_datum_t *key,
		      const gnutls_datum_t *data)
{
	time_t now = time(NULL);
	unsigned int i, free_slot = REPLAY_KEYS;
	uint8_t d[32];

	(void)ptr; (void)data;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key->data, key->size, d))
		return GNUTLS_E_DB_ERROR;
	for (i = 0; i < REPLAY_KEYS; i++) {
		if (replay.exp[i] <= now) {	/* empty, or expired */
			if (free_slot == REPLAY_KEYS)
				free_slot = i;
		} else if (!memcmp(replay.digest[i], d, sizeof(d))) {
			return GNUTLS_E_DB_ENTRY_EXISTS;
		}
	}
	if (free_slot == REPLAY_KEYS)
		return GNUTLS_E_DB_ERROR;
	memcpy(replay.digest[free_slot], d, sizeof(d));
	replay.exp[free_slot] = exp > now ? exp : now + 1;
	return 0;
}

/* What a server shares between its sessions: the ticket key, and the
 * anti-replay state for 0-RTT. Made on the first session.
 */
static int server_resumption(gnutls_session_t s)
{
	static gnutls_datum_t ticket_key;
	static gnutls_anti_replay_t anti_replay;

	if (!ticket_key.data && gnutls_session_ticket_key_generate(&ticket_key))
		return -1;
	if (!anti_replay) {
		if (gnutls_anti_replay_init(&anti_replay))
			return -1;
		gnutls_anti_replay_set_add_function(anti_replay, replay_add);
	}
	if (gnutls_session_ticket_enable_server(s, &ticket_key))
		return -1;
	gnutls_anti_replay_enable(s, anti_replay);
	gnutls_record_set_max_early_data_size(s, 0xffffffffu);
	return 0;
}

gnutls_session_t tls_session(const struct common_opts *o, bool server,
			     gnutls_certificate_credentials_t cred,
			     const char *sni)
{
	static const gnutls_datum_t alpn = { (unsigned char *)"h3", 2 };
	char prio[512];
	gnutls_session_t s;

	if (o->keylog && !keylog) {
		keylog = fopen(o->keylog, "a");
		if (!keylog)
			perror(o->keylog);
	}
	snprintf(prio, sizeof(prio),
		 "%%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:"
		 "-CIPHER-ALL:%s:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"
		 "+GROUP-SECP384R1",
		 o->ciphers ? o->ciphers : "+AES-128-GCM:+AES-256-GCM:"
		 "+CHACHA20-POLY1305:+AES-128-CCM");
	/* A server sends one ticket once the handshake completed
	 * (handshake_completed()), and accepts 0-RTT; QUIC has no
	 * EndOfEarlyData message.
	 */
	if (gnutls_init(&s, server ? GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET |
			GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_END_OF_EARLY_DATA
			: GNUTLS_CLIENT))
		return NULL;
	if (gnutls_priority_set_direct(s, prio, NULL) ||
	    (server && server_resumption(s)) ||
	    (server ? ngtcp2_crypto_gnutls_configure_server_session(s)
		    : ngtcp2_crypto_gnutls_configure_client_session(s)) ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) ||
	    gnutls_alpn_set_protocols(s, &alpn, 1, GNUTLS_ALPN_MANDATORY) ||
	    (sni && gnutls_server_name_set(s, GNUTLS_NAME_DNS, sni,
					   strlen(sni)))) {
		gnutls_deinit(s);
		return NULL;
	}
	if (keylog)
		gnutls_session_set_keylog_function(s, keylog_cb);
	return s;
}

/* ngtcp2 callbacks */

void h3_extend(struct conn *c, int64_t stream_id, size_t n)
{
	ngtcp2_conn_extend_max_stream_offset(c->q, stream_id, n);
	ngtcp2_conn_extend_max_offset(c->q, n);
}

static int h3_fail(struct conn *c, int rv)
{
	ngtcp2_ccerr_set_application_error(&c->err,
		nghttp3_err_infer_quic_app_error_code(rv), NULL, 0);
	return NGTCP2_ERR_CALLBACK_FAILURE;
}

static int recv_stream_data(ngtcp2_conn *q, uint32_t flags, int64_t id,
			    uint64_t offset, const uint8_t *data, size_t len,
			    void *user, void *stream_user)
{
	struct conn *c = user;
	nghttp3_ssize n;

	(void)q; (void)offset; (void)stream_user;
	if (!c->h3)
		return 0;
	n = nghttp3_conn_read_stream(c->h3, id, data, len,
				     flags & NGTCP2_STREAM_DATA_FLAG_FIN);
	if (n < 0)
		return h3_fail(c, (int)n);
	h3_extend(c, id, (size_t)n);
	return 0;
}

static int acked_stream_data_offset(ngtcp2_conn *q, int64_t id,
				    uint64_t offset, uint64_t len, void *user,
				    void *stream_user)
{
	struct conn *c = user;
	int rv;

	(void)q; (void)offset; (void)stream_user;
	if (!c->h3)
		return 0;
	rv = nghttp3_conn_add_ack_offset(c->h3, id, len);
	return rv ? h3_fail(c, rv) : 0;
}

static int stream_close(ngtcp2_conn *q, uint32_t flags, int64_t id,
			uint64_t code, void *user, void *stream_user)
{
	struct conn *c = user;
	int rv;

	(void)q; (void)stream_user;
	if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET))
		code = NGHTTP3_H3_NO_ERROR;
	if (!c->h3)
		return 0;
	rv = nghttp3_conn_close_stream(c->h3, id, code);
	if (rv && rv != NGHTTP3_ERR_STREAM_NOT_FOUND)
		return h3_fail(c, rv);
	if (c->server && ngtcp2_is_bidi_stream(id))
		ngtcp2_conn_extend_max_streams_bidi(c->q, 1);
	return 0;
}

static int stream_shut_read(ngtcp2_conn *q, int64_t id, uint64_t code,
			    void *user, void *stream_user)
{
	struct conn *c = user;

	(void)q; (void)code; (void)stream_user;
	if (c->h3 && nghttp3_conn_shutdown_stream_read(c->h3, id))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	return 0;
}

static int stream_reset(ngtcp2_conn *q, int64_t id, uint64_t final_size,
			uint64_t code, void *user, void *stream_user)
{
	(void)final_size;
	return stream_shut_read(q, id, code, user, stream_user);
}

static int extend_max_remote_streams_bidi(ngtcp2_conn *q, uint64_t max,
					  void *user)
{
	struct conn *c = user;

	(void)q;
	if (c->h3)
		nghttp3_conn_set_max_client_streams_bidi(c->h3, max);
	return 0;
}

static int extend_max_stream_data(ngtcp2_conn *q, int64_t id, uint64_t max,
				  void *user, void *stream_user)
{
	struct conn *c = user;

	(void)q; (void)max; (void)stream_user;
	if (c->h3 && nghttp3_conn_unblock_stream(c->h3, id))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	return 0;
}

static void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	(void)ctx;
	gnutls_rnd(GNUTLS_RND_RANDOM, dest, len);
}

static int get_new_connection_id(ngtcp2_conn *q, ngtcp2_cid *cid,
				 uint8_t *token, size_t cidlen, void *user)
{
	struct conn *c = user;

	(void)q;
	cid->datalen = cidlen;
	if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) ||
	    gnutls_rnd(GNUTLS_RND_RANDOM, token,
		       NGTCP2_STATELESS_RESET_TOKENLEN))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (c->server && cidlen >= sizeof(c->route))
		memcpy(cid->data, c->route, sizeof(c->route));
	return 0;
}

static int h3_stop_sending(nghttp3_conn *h3, int64_t id, uint64_t code,
			   void *user, void *stream_user)
{
	struct conn *c = user;

	(void)h3; (void)stream_user;
	if (ngtcp2_conn_shutdown_stream_read(c->q, 0, id, code))
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	return 0;
}

static int h3_reset_stream(nghttp3_conn *h3, int64_t id, uint64_t code,
			   void *user, void *stream_user)
{
	struct conn *c = user;

	(void)h3; (void)stream_user;
	if (ngtcp2_conn_shutdown_stream_write(c->q, 0, id, code))
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	return 0;
}

static int h3_deferred_consume(nghttp3_conn *h3, int64_t id, size_t n,
			       void *user, void *stream_user)
{
	(void)h3; (void)stream_user;
	h3_extend(user, id, n);
	return 0;
}

void h3_callbacks_init(nghttp3_callbacks *cb)
{
	memset(cb, 0, sizeof(*cb));
	cb->stop_sending = h3_stop_sending;
	cb->reset_stream = h3_reset_stream;
	cb->deferred_consume = h3_deferred_consume;
}

static int h3_open(struct conn *c)
{
	nghttp3_settings s;
	int64_t ctrl, qenc, qdec;
	int rv;

	nghttp3_settings_default(&s);
	s.qpack_max_dtable_capacity = 4096;
	s.qpack_blocked_streams = 100;
	rv = c->server ?
		nghttp3_conn_server_new(&c->h3, c->ops->h3, &s, NULL, c) :
		nghttp3_conn_client_new(&c->h3, c->ops->h3, &s, NULL, c);
	if (rv)
		return -1;
	if (c->server)
		nghttp3_conn_set_max_client_streams_bidi(c->h3,
			ngtcp2_conn_get_local_transport_params(c->q)
				->initial_max_streams_bidi);
	if (ngtcp2_conn_open_uni_stream(c->q, &ctrl, NULL) ||
	    nghttp3_conn_bind_control_stream(c->h3, ctrl) ||
	    ngtcp2_conn_open_uni_stream(c->q, &qenc, NULL) ||
	    ngtcp2_conn_open_uni_stream(c->q, &qdec, NULL) ||
	    nghttp3_conn_bind_qpack_streams(c->h3, qenc, qdec))
		return -1;
	return 0;
}

static int handshake_completed(ngtcp2_conn *q, void *user)
{
	struct conn *c = user;

	(void)q;
	if (!quiet)
		fprintf(stderr, "handshake completed: %s%s\n",
			gnutls_ciphersuite_get(c->tls),
			gnutls_session_is_resumed(c->tls) ? ", resumed" : "");
	if (c->server && gnutls_session_ticket_send(c->tls, 1, 0))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if ((!c->h3 && h3_open(c)) || c->ops->ready(c))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	return 0;
}

/*
 * A server opens HTTP/3 with its 1-RTT Tx key, before the handshake
 * completes: a resumed client's request may come in 0-RTT packets, which
 * ngtcp2 hands over as soon as they are decrypted.
 */
static int recv_tx_key(ngtcp2_conn *q, ngtcp2_encryption_level level,
		       void *user)
{
	struct conn *c = user;

	(void)q;
	if (!c->server || level != NGTCP2_ENCRYPTION_LEVEL_1RTT || c->h3)
		return 0;
	return h3_open(c) ? NGTCP2_ERR_CALLBACK_FAILURE : 0;
}

/* A client followed a Retry: counted for the summary */
static int recv_retry(ngtcp2_conn *q, const ngtcp2_pkt_hd *hd, void *user)
{
	struct conn *c = user;

	c->retries++;
	return ngtcp2_crypto_recv_retry_cb(q, hd, user);
}

static ngtcp2_conn *conn_ref_get(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct conn *)ref->user_data)->q;
}

/* The connection */

int conn_init(struct conn *c, const struct conn_ops *ops, int fd,
	      unsigned int offload, gnutls_session_t tls,
	      const ngtcp2_path *path, const ngtcp2_cid *dcid,
	      const ngtcp2_cid *scid, const ngtcp2_cid *odcid,
	      uint32_t version)
{
	ngtcp2_callbacks cb = {
		.client_initial = ngtcp2_crypto_client_initial_cb,
		.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb,
		.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb,
		.handshake_completed = handshake_completed,
		.encrypt = ngtcp2_crypto_encrypt_cb,
		.decrypt = ngtcp2_crypto_decrypt_cb,
		.hp_mask = ngtcp2_crypto_hp_mask_cb,
		.recv_stream_data = recv_stream_data,
		.acked_stream_data_offset = acked_stream_data_offset,
		.stream_close = stream_close,
		.recv_retry = recv_retry,
		.rand = rand_cb,
		.get_new_connection_id = get_new_connection_id,
		.update_key = ngtcp2_crypto_update_key_cb,
		.stream_reset = stream_reset,
		.extend_max_remote_streams_bidi = extend_max_remote_streams_bidi,
		.extend_max_stream_data = extend_max_stream_data,
		.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb,
		.delete_crypto_cipher_ctx =
			ngtcp2_crypto_delete_crypto_cipher_ctx_cb,
		.get_path_challenge_data =
			ngtcp2_crypto_get_path_challenge_data_cb,
		.stream_stop_sending = stream_shut_read,
		.version_negotiation = ngtcp2_crypto_version_negotiation_cb,
		.recv_tx_key = recv_tx_key,
	};
	ngtcp2_settings settings;
	ngtcp2_transport_params params;
	uint32_t pn;
	int rv;

	c->ops = ops;
	c->fd = fd;
	c->tls = tls;
	c->server = odcid != NULL;
	ngtcp2_ccerr_default(&c->err);
	ngtcp2_path_storage_init(&c->ps, path->local.addr, path->local.addrlen,
				 path->remote.addr, path->remote.addrlen, NULL);
	if (c->server) {
		cb.client_initial = NULL;
		cb.recv_retry = NULL;
		c->odcid = *odcid;
	} else {
		cb.recv_client_initial = NULL;
	}

	ngtcp2_settings_default(&settings);
	settings.initial_ts = now_ns();
	gnutls_rnd(GNUTLS_RND_NONCE, &pn, sizeof(pn));
	settings.initial_pkt_num = pn & 0x7fffffff;	/* as ngtcp2 does */
	if (npref_versions) {
		settings.preferred_versions = pref_versions;
		settings.preferred_versionslen = npref_versions;
		settings.available_versions = pref_versions;
		settings.available_versionslen = npref_versions;
	}
	settings.max_window = 64 << 20;
	settings.max_stream_window = 32 << 20;

	ngtcp2_transport_params_default(&params);
	params.initial_max_stream_data_bidi_local = 8 << 20;
	params.initial_max_stream_data_bidi_remote = 8 << 20;
	params.initial_max_stream_data_uni = 1 << 20;
	params.initial_max_data = 16 << 20;
	params.initial_max_streams_bidi = c->server ? 100 : 0;
	params.initial_max_streams_uni = 100;
	params.max_idle_timeout = 30 * NGTCP2_SECONDS;
	params.active_connection_id_limit = 7;
	params.grease_quic_bit = 1;
	if (c->server) {
		params.original_dcid = *odcid;
		params.original_dcid_present = 1;
		params.stateless_reset_token_present = 1;
		gnutls_rnd(GNUTLS_RND_RANDOM, params.stateless_reset_token,
			   sizeof(params.stateless_reset_token));
	}

	c->qo = qo_conn_new(fd, offload);
	if (!c->qo)
		return -1;
	qo_conn_callbacks(c->qo, &cb);
	rv = c->server ?
		ngtcp2_conn_server_new(&c->q, dcid, scid, &c->ps.path, version,
				       &cb, &settings, &params, NULL, c) :
		ngtcp2_conn_client_new(&c->q, dcid, scid, &c->ps.path, version,
				       &cb, &settings, &params, NULL, c);
	if (rv) {
		fprintf(stderr, "ngtcp2_conn_new: %s\n", ngtcp2_strerror(rv));
		return -1;
	}
	/* The session pointer is ours, as in ngtcp2's examples: the library
	 * leaves it alone (the client's ticket hook reads it back)
	 */
	c->ref.get_conn = conn_ref_get;
	c->ref.user_data = c;
	gnutls_session_set_ptr(tls, &c->ref);
	rv = qo_conn_bind(c->qo, c->q, tls);
	if (rv) {
		fprintf(stderr, "qo_conn_bind: %s\n", strerror(-rv));
		return -1;
	}
	return 0;
}

void conn_free(struct conn *c)
{
	qo_conn_del(c->qo);
	nghttp3_conn_del(c->h3);
	ngtcp2_conn_del(c->q);
	if (c->tls)
		gnutls_deinit(c->tls);
}

int conn_read(struct conn *c, const ngtcp2_addr *remote, const uint8_t *pkt,
	      size_t len, const struct quic_ulp_rx_info *info)
{
	ngtcp2_path path = { .local = c->ps.path.local, .remote = *remote };
	ngtcp2_pkt_info pi = { 0 };
	int rv;

	c->rx_pkts++;
	c->rx_bytes += len;
	rv = qo_conn_read_pkt(c->qo, &path, &pi, pkt, len, info, now_ns());
	switch (rv) {
	case 0:
		return 0;
	case NGTCP2_ERR_DRAINING:	/* the peer closed */
	case NGTCP2_ERR_DROP_CONN:
	case NGTCP2_ERR_CLOSING:
		c->closed = true;
		return -1;
	case NGTCP2_ERR_CRYPTO:
		ngtcp2_ccerr_set_tls_alert(&c->err,
			ngtcp2_conn_get_tls_alert(c->q), NULL, 0);
		break;
	default:
		if (!c->err.error_code)
			ngtcp2_ccerr_set_liberr(&c->err, rv, NULL, 0);
	}
	fprintf(stderr, "ngtcp2_conn_read_pkt: %s\n", ngtcp2_strerror(rv));
	conn_close(c);
	return -1;
}

static bool same_addr(const ngtcp2_addr *a, const ngtcp2_addr *b)
{
	return a->addrlen == b->addrlen && !memcmp(a->addr, b->addr, a->addrlen);
}

int conn_write(struct conn *c)
{
	size_t pathmax = ngtcp2_conn_get_path_max_tx_udp_payload_size(c->q);
	size_t quantum = ngtcp2_conn_get_send_quantum(c->q);
	size_t off = 0, len = 0, gso = 0, nseg = 0, sent = 0;
	struct sockaddr_storage to_ss;
	ngtcp2_addr to = { .addr = (ngtcp2_sockaddr *)&to_ss };
	ngtcp2_tstamp ts = now_ns();
	ngtcp2_path_storage ps;
	ngtcp2_pkt_info pi;
	bool plain = false;
	uint8_t *pkt;

	if (c->closed)
		return 0;
	if (quantum < pathmax)
		quantum = pathmax;
	qo_conn_write_begin(c->qo);
	ngtcp2_path_storage_zero(&ps);
	for (;;) {
		nghttp3_vec hv[16];
		ngtcp2_vec v[16];
		nghttp3_ssize nv = 0;
		ngtcp2_ssize n, ndata;
		int64_t sid = -1;
		int fin = 0, rv;
		uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;

		if (c->h3 && ngtcp2_conn_get_max_data_left(c->q)) {
			nv = nghttp3_conn_writev_stream(c->h3, &sid, &fin, hv, 16);
			if (nv < 0) {
				h3_fail(c, (int)nv);
				goto fail;
			}
		}
		for (n = 0; n < nv; n++) {
			v[n].base = hv[n].base;
			v[n].len = hv[n].len;
		}
		if (fin)
			flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
		n = ngtcp2_conn_writev_stream(c->q, &ps.path, &pi,
					      c->txbuf + off + len,
					      gso ? gso : pathmax,
					      &ndata, flags, sid, v, (size_t)nv,
					      ts);
		if (n < 0) {
			switch (n) {
			case NGTCP2_ERR_STREAM_DATA_BLOCKED:
				nghttp3_conn_block_stream(c->h3, sid);
				continue;
			case NGTCP2_ERR_STREAM_SHUT_WR:
				nghttp3_conn_shutdown_stream_write(c->h3, sid);
				continue;
			case NGTCP2_ERR_WRITE_MORE:
				rv = nghttp3_conn_add_write_offset(c->h3, sid,
							(size_t)ndata);
				if (rv) {
					h3_fail(c, rv);
					goto fail;
				}
				continue;
			}
			ngtcp2_ccerr_set_liberr(&c->err, (int)n, NULL, 0);
			goto fail;
		}
		rv = ndata < 0 ? 0 :
			nghttp3_conn_add_write_offset(c->h3, sid, (size_t)ndata);
		if (rv) {
			h3_fail(c, rv);
			goto fail;
		}
		if (n == 0)
			break;
		/* A batch goes to one address, and its datagrams are all left
		 * for the kernel to protect or all protected already. A
		 * datagram stays where ngtcp2 wrote it: the library knows
		 * its packets by their address.
		 */
		pkt = c->txbuf + off + len;
		if (nseg && (!same_addr(&to, &ps.path.remote) ||
			     qo_tx_plaintext(pkt, (size_t)n) != plain)) {
			udp_send(c, &to, c->txbuf + off, len, gso);
			sent += len;
			off += len;
			len = nseg = 0;
		}
		if (!nseg) {
			gso = (size_t)n;
			plain = qo_tx_plaintext(pkt, (size_t)n);
			to.addrlen = ps.path.remote.addrlen;
			memcpy(to.addr, ps.path.remote.addr, to.addrlen);
		}
		len += (size_t)n;
		nseg++;
		if ((size_t)n < gso || nseg == MAX_GSO_SEGS ||
		    TXBUF_SIZE - (off + len) < gso) {
			udp_send(c, &to, c->txbuf + off, len, gso);
			sent += len;
			off = len = nseg = gso = 0;
			if (sent >= quantum)
				break;
		}
	}
	if (len)
		udp_send(c, &to, c->txbuf + off, len, gso);
	ngtcp2_conn_update_pkt_tx_time(c->q, ts);
	return 0;
fail:
	if (len)
		udp_send(c, &to, c->txbuf + off, len, gso);
	conn_close(c);
	return -1;
}

void conn_key_update_tick(struct conn *c, uint64_t n)
{
	struct qo_stats st;
	uint64_t now;

	if (c->ku_after_peer) {
		/* The peer's first update takes the first generation. Then
		 * give it a second: ngtcp2, as the initiator, derives the
		 * keys of the following generation only a PTO after its
		 * update was acknowledged, and drops packets of that
		 * generation until then; an update of ours arriving earlier
		 * can leave it unable to read the acknowledgment it waits
		 * for.
		 */
		qo_conn_stats(c->qo, &st);
		if (st.rx_gen <= c->ku_done)
			return;
		if (!c->ku_hold)
			c->ku_hold = now_ns() + NGTCP2_SECONDS;
		if (now_ns() < c->ku_hold)
			return;
		c->ku_after_peer = false;
	}
	c->ku_since += n;
	/* ngtcp2 refuses while the previous update is not confirmed (and
	 * 3 PTOs have not passed): then retry with the next data. The bytes
	 * beyond ku_every count towards the next one, so that a slow path
	 * still gets about one update per ku_every bytes.
	 */
	if (!c->ku_every || c->ku_since < c->ku_every)
		return;
	now = now_ns();
	if (!c->ku_due)
		c->ku_due = now;
	if (ngtcp2_conn_initiate_key_update(c->q, now)) {
		c->ku_refused++;
		return;
	}
	c->ku_done++;
	if (now - c->ku_due > c->ku_wait_max)
		c->ku_wait_max = now - c->ku_due;
	c->ku_due = 0;
	c->ku_since -= c->ku_every;
	if (c->ku_since > c->ku_every)
		c->ku_since = c->ku_every;
}

int conn_timer(struct conn *c)
{
	int rv = ngtcp2_conn_handle_expiry(c->q, now_ns());

	if (rv == NGTCP2_ERR_IDLE_CLOSE) {
		if (!quiet)
			fprintf(stderr, "idle timeout\n");
		c->closed = true;
		return -1;
	}
	if (rv) {
		ngtcp2_ccerr_set_liberr(&c->err, rv, NULL, 0);
		conn_close(c);
		return -1;
	}
	return conn_write(c);
}

void conn_close(struct conn *c)
{
	ngtcp2_path_storage ps;
	ngtcp2_pkt_info pi;
	ngtcp2_ssize n;

	if (c->closed)
		return;
	c->closed = true;
	if (ngtcp2_conn_in_closing_period(c->q) ||
	    ngtcp2_conn_in_draining_period(c->q))
		return;
	ngtcp2_path_storage_zero(&ps);
	qo_conn_write_begin(c->qo);
	n = ngtcp2_conn_write_connection_close(c->q, &ps.path, &pi, c->txbuf,
					       sizeof(c->txbuf), &c->err,
					       now_ns());
	if (n > 0)
		udp_send(c, &ps.path.remote, c->txbuf, (size_t)n, (size_t)n);
}

void conn_aead_limit(struct conn *c)
{
	if (c->closed)
		return;
	fprintf(stderr, "integrity limit reached (RFC 9001, 6.6): closing "
		"with AEAD_LIMIT_REACHED\n");
	c->aead_limit = true;
	ngtcp2_ccerr_set_transport_error(&c->err, NGTCP2_AEAD_LIMIT_REACHED,
					 NULL, 0);
	conn_close(c);
}

int udp_events(int fd, struct qo_event *ev, size_t max)
{
	socklen_t len = sizeof(int);
	int n = qo_read_events(fd, ev, max), err = 0;

	/* POLLERR also means a pending socket error (an ICMP error on a
	 * connected socket): read it, or poll() reports it forever
	 */
	if (n <= 0 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) &&
	    err && !quiet && err != ECONNREFUSED)
		fprintf(stderr, "socket error: %s\n", strerror(err));
	return n > 0 ? n : 0;
}

/* The summary */

static void print_dir(const char *who, const char *name,
		      const struct quic_ulp_dir_info *d)
{
	printf("%s: kernel %s: %llu packets %llu bytes, largest pn %lld, "
	       "auth failures %llu, key updates %u (phase %u), old-key "
	       "packets %llu, flags 0x%x, cids %u, refused %llu\n", who, name,
	       (unsigned long long)d->packets, (unsigned long long)d->bytes,
	       (long long)d->largest_pn, (unsigned long long)d->auth_failures,
	       d->key_updates, d->key_phase,
	       (unsigned long long)d->old_key_packets, d->flags, d->cids,
	       (unsigned long long)d->refused);
}

static void addr_str(char *out, size_t len, const ngtcp2_addr *a)
{
	const struct sockaddr_in6 *s6 = (const void *)a->addr;
	const struct sockaddr_in *s4 = (const void *)a->addr;
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->addr->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, ntohs(s4->sin_port));
	}
}

/* What was negotiated, for the interop suite's case table. */
static void session_summary(struct conn *c, const char *who)
{
	const ngtcp2_path *path = ngtcp2_conn_get_path(c->q);
	size_t n = ngtcp2_conn_get_scid(c->q, NULL);
	ngtcp2_cid *ours = calloc(n ? n : 1, sizeof(*ours));
	char now[64], first[64];

	addr_str(now, sizeof(now), &path->remote);
	addr_str(first, sizeof(first), &c->ps.path.remote);
	if (ours)
		ngtcp2_conn_get_scid(c->q, ours);
	printf("%s: session: %s, QUIC version 0x%08x, %s, early data %s; "
	       "ID lengths: ours %zu, the peer's %zu; peer %s, first %s; "
	       "retries %u\n",
	       who, gnutls_ciphersuite_get(c->tls),
	       ngtcp2_conn_get_negotiated_version(c->q),
	       gnutls_session_is_resumed(c->tls) ? "resumed" : "full handshake",
	       gnutls_session_get_flags(c->tls) & GNUTLS_SFLAGS_EARLY_DATA ?
	       "accepted" : "none", n && ours ? ours[0].datalen : 0,
	       ngtcp2_conn_get_dcid(c->q)->datalen, now, first, c->retries);
	free(ours);
}

void conn_summary(struct conn *c, const char *who)
{
	double secs = c->t_end > c->t_begin ?
		(double)(c->t_end - c->t_begin) / NGTCP2_SECONDS : 0;
	struct quic_ulp_conn_info ki;
	struct qo_stats st;
	ngtcp2_conn_info ci;
	char line[256];
	FILE *f;

	qo_conn_stats(c->qo, &st);
	ngtcp2_conn_get_conn_info(c->q, &ci);
	printf("%s: %" PRIu64 " bytes in %.3f s: %.1f Mbit/s\n", who, c->body,
	       secs, secs > 0 ? (double)c->body * 8 / secs / 1e6 : 0.0);
	if (c->ku_every)
		printf("%s: key updates initiated: %" PRIu64 "; refused %"
		       PRIu64 " times while due, the longest wait %.0f ms; "
		       "pto %.0f ms\n", who, c->ku_done, c->ku_refused,
		       (double)c->ku_wait_max / NGTCP2_MILLISECONDS,
		       (double)ngtcp2_conn_get_pto(c->q) / NGTCP2_MILLISECONDS);
	session_summary(c, who);
	printf("%s: sent %" PRIu64 " datagrams, %" PRIu64 " packets, %" PRIu64
	       " bytes; received %" PRIu64 " datagrams, %" PRIu64
	       " packets, %" PRIu64 " bytes; srtt %.3f ms, cwnd %" PRIu64 "\n",
	       who, c->tx_dgrams, c->tx_pkts, c->tx_bytes, c->rx_dgrams,
	       c->rx_pkts, c->rx_bytes,
	       (double)ci.smoothed_rtt / NGTCP2_MILLISECONDS, ci.cwnd);
	printf("%s: offload %s%s: 1-RTT tx %" PRIu64 " by kernel, %" PRIu64
	       " in userspace (+%" PRIu64 " after switch-on); rx %" PRIu64
	       " by kernel, %" PRIu64 " in userspace (+%" PRIu64
	       " queued at switch-on, +%" PRIu64 " after), %" PRIu64
	       " refused; key generation tx %u rx %u",
	       who, st.mode & QO_TX ? "tx" : "", st.mode & QO_RX ? "rx" :
	       st.mode ? "" : "off", st.tx_kernel, st.tx_user,
	       st.tx_user_late, st.rx_kernel, st.rx_user, st.rx_user_queued,
	       st.rx_user_late, st.rx_refused, st.tx_gen, st.rx_gen);
	if (st.cid_refused)
		printf("; %" PRIu64 " IDs refused", st.cid_refused);
	if (st.mode)
		printf("; switch-on next_pn tx %" PRIu64 " rx %" PRIu64,
		       st.tx_on_pn, st.rx_on_pn);
	printf("\n");
	/* Not ": offload ": scripts/interop.sh parses that line by position */
	printf("%s: library tx: %" PRIu64 " CONNECTION_CLOSE packets "
	       "protected in userspace; %" PRIu64 " left in plaintext but not "
	       "sent (%" PRIu64 " sends failed, %" PRIu64 " datagrams refused), "
	       "%" PRIu64 " dropped; rx: %" PRIu64 " authentication failures "
	       "in the kernel\n", who, st.tx_user_close, st.tx_unsent,
	       st.tx_refused, st.tx_mismatch, st.tx_dropped,
	       st.rx_auth_failures);
	printf("%s: coalesced after a long-header packet, so in userspace: "
	       "1-RTT tx %" PRIu64 " rx %" PRIu64 "\n", who,
	       st.tx_user_coalesced, st.rx_user_coalesced);
	if (c->aead_limit)
		printf("%s: closed: the kernel reported the integrity limit "
		       "(AEAD_LIMIT_REACHED)\n", who);
	if (!qo_conn_info(c->qo, &ki)) {
		printf("%s: kernel conn %u cipher 0x%04x\n", who, ki.conn,
		       ki.cipher);
		print_dir(who, "tx", &ki.tx);
		print_dir(who, "rx", &ki.rx);
	}
	f = fopen("/proc/net/quic_ulp_stat", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			printf("%s: quic_ulp_stat: %s", who, line);
		fclose(f);
	}
	fflush(stdout);
}
