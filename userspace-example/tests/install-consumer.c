// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * An application of the installed quic_offload, built out of tree with
 * nothing but `pkg-config --cflags --libs quic_offload`
 * (scripts/check-install.sh builds and runs it, linked with the shared
 * library and with the static one).
 *
 *	install-consumer VERSION
 *
 * It checks what the API promises on this machine's kernel, with real UDP
 * sockets on 127.0.0.1: a kernel without the "quic" ULP makes qo_attach()
 * report no offload, said once on stderr, and the library falls back to
 * ngtcp2's own crypto. An ngtcp2 client and server (GnuTLS, a self-signed
 * certificate made here) then complete a handshake and exchange stream
 * data through the library, as PORTING.md says to adopt it: every
 * datagram through qo_conn_tx_cmsg() and qo_conn_tx_done(), every
 * received one through qo_rx_parse() and qo_conn_read_pkt(). A kernel
 * with the ULP is detected and the fallback-only checks are skipped.
 *
 * One line per check on stdout: "pass NAME", "fail NAME: why" or
 * "skip NAME: why", as scripts/results.sh reads them; the exit status is
 * the number of failures (at most 100).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <quic_offload.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

static const char *prefix = "install:consumer";
static int failures;

static void result(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("pass %s:%s\n", prefix, name);
	} else {
		failures++;
		printf("fail %s:%s: ", prefix, name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
	fflush(stdout);
}

static void skip(const char *name, const char *why)
{
	printf("skip %s:%s: %s\n", prefix, name, why);
	fflush(stdout);
}

static ngtcp2_tstamp now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ngtcp2_tstamp)ts.tv_sec * NGTCP2_SECONDS + (ngtcp2_tstamp)ts.tv_nsec;
}

/* A non-blocking UDP socket bound to 127.0.0.1, any port */
static int udp_socket(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    getsockname(fd, (struct sockaddr *)addr, &len)) {
		perror("udp socket");
		exit(100);
	}
	return fd;
}

/* Wait up to @ms for @fd to report @events */
static bool wait_for(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, ms) == 1 && (p.revents & events);
}

/*
 * qo_attach() on a kernel with or without the ULP: it returns what the
 * kernel does, and says once on stderr that it does not.
 */
static unsigned int check_attach(int fd, int fd2)
{
	struct sockaddr_in a;
	int probe = udp_socket(&a), saved, tmp;
	bool has_ulp = !setsockopt(probe, SOL_UDP, UDP_ULP, QUIC_ULP_NAME,
				   sizeof(QUIC_ULP_NAME));
	unsigned int want = QO_TX | QO_RX, got, got2, none;
	FILE *log = tmpfile();
	char said[4096];
	ssize_t n;
	int lines = 0;

	close(probe);
	/* What the library says goes to a file of ours for a moment */
	if (!log) {
		perror("tmpfile");
		exit(100);
	}
	tmp = fileno(log);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(tmp, STDERR_FILENO);
	got = qo_attach(fd, want);
	got2 = qo_attach(fd2, QO_TX);
	none = qo_attach(fd2, 0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(tmp, said, sizeof(said) - 1, 0);
	said[n > 0 ? n : 0] = '\0';
	fclose(log);
	for (char *p = said; *p; p++)
		lines += *p == '\n';
	fputs(said, stderr);	/* for the log */

	if (has_ulp) {
		skip("attach-fallback", "this kernel has the quic ULP");
		result(got == want && got2 == QO_TX, "attach",
		       "qo_attach() returned %u and %u on a kernel with the ULP",
		       got, got2);
		result(lines == 0, "attach-silent",
		       "%d lines on stderr while attaching worked", lines);
	} else {
		result(got == 0 && got2 == 0, "attach-fallback",
		       "qo_attach() returned %u and %u without the ULP, not 0",
		       got, got2);
		result(lines == 1, "attach-said-once",
		       "%d lines on stderr for two sockets without the ULP, not 1",
		       lines);
	}
	result(none == 0, "attach-nothing", "qo_attach(fd, 0) returned %u", none);
	return got;
}

/* qo_rx_parse() of real datagrams: one plain, one coalesced by UDP_GRO */
static void check_rx_parse(void)
{
	struct sockaddr_in ra, sa;
	int r = udp_socket(&ra), s = udp_socket(&sa), one = 1;
	uint8_t out[1200], in[2048];
	uint16_t seg = 400;
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} sctl;
	union {
		char buf[QO_CMSG_SPACE];
		struct cmsghdr align;
	} rctl;
	struct iovec iov = { .iov_base = out, .iov_len = 100 };
	struct msghdr msg = {
		.msg_name = &ra, .msg_namelen = sizeof(ra),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	struct cmsghdr *cm;
	struct qo_rx rx;
	ssize_t n;
	int round;

	setsockopt(r, SOL_UDP, UDP_GRO, &one, sizeof(one));
	memset(out, 0xa5, sizeof(out));
	for (round = 0; round < 2; round++) {
		if (round) {	/* three segments of 400 bytes */
			memset(&sctl, 0, sizeof(sctl));
			iov.iov_len = sizeof(out);
			msg.msg_control = sctl.buf;
			msg.msg_controllen = sizeof(sctl.buf);
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
		}
		if (sendmsg(s, &msg, 0) < 0 || !wait_for(r, POLLIN, 1000)) {
			result(false, round ? "rx-parse-gro" : "rx-parse",
			       "no datagram over 127.0.0.1: %s", strerror(errno));
			continue;
		}
		struct iovec riov = { .iov_base = in, .iov_len = sizeof(in) };
		struct msghdr rmsg = {
			.msg_iov = &riov, .msg_iovlen = 1,
			.msg_control = rctl.buf, .msg_controllen = sizeof(rctl.buf),
		};

		n = recvmsg(r, &rmsg, MSG_DONTWAIT);
		if (n <= 0) {
			result(false, round ? "rx-parse-gro" : "rx-parse",
			       "recvmsg: %s", strerror(errno));
			continue;
		}
		qo_rx_parse(&rx, &rmsg, (size_t)n);
		if (!round)
			result(n == 100 && rx.gso_size == 100 && rx.n == 0 &&
			       !qo_rx_decrypted(&rx, 0), "rx-parse",
			       "a 100-byte datagram: gso_size %zu, %u records",
			       rx.gso_size, rx.n);
		else	/* coalesced (1200) or not (400): 400-byte segments */
			result(rx.gso_size == 400 && rx.n == 0 &&
			       !qo_rx_decrypted(&rx, 0) &&
			       !qo_rx_decrypted(&rx, 2), "rx-parse-gro",
			       "%zd bytes in 400-byte segments: gso_size %zu, "
			       "%u records", n, rx.gso_size, rx.n);
		while (recv(r, in, sizeof(in), MSG_DONTWAIT) > 0)
			;	/* the other segments, if not coalesced */
	}
	close(r);
	close(s);
}

/* Events: the ULP's are parsed, other errors are read and skipped */
static void check_events(void)
{
	struct sockaddr_in a, b;
	int fd = udp_socket(&a), gone = udp_socket(&b), one = 1;
	union {
		char buf[CMSG_SPACE(sizeof(struct sock_extended_err))];
		struct cmsghdr align;
	} ctl;
	struct sock_extended_err ee = {
		.ee_errno = EKEYEXPIRED,
		.ee_origin = SO_EE_ORIGIN_UDP_ULP,
		.ee_type = QUIC_ULP_EV_INTEGRITY_LIMIT,
		.ee_info = 1234,
	};
	struct msghdr msg = { .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct qo_event ev = { 0 };
	char c = 0;
	bool ok;
	int n;

	memset(&ctl, 0, sizeof(ctl));
	cm->cmsg_level = SOL_IP;
	cm->cmsg_type = IP_RECVERR;
	cm->cmsg_len = CMSG_LEN(sizeof(ee));
	memcpy(CMSG_DATA(cm), &ee, sizeof(ee));
	ok = qo_event_parse(&msg, &ev);
	result(ok && ev.conn == 1234 && ev.type == QUIC_ULP_EV_INTEGRITY_LIMIT &&
	       ev.err == EKEYEXPIRED, "event-parse",
	       "an integrity limit event read as %d: conn %u type %u err %d",
	       ok, ev.conn, ev.type, ev.err);
	ee.ee_origin = SO_EE_ORIGIN_ICMP;
	memcpy(CMSG_DATA(cm), &ee, sizeof(ee));
	result(!qo_event_parse(&msg, &ev), "event-parse-other",
	       "an ICMP error taken for the ULP's event");

	n = qo_read_events(fd, &ev, 1);
	result(n == 0, "events-empty", "an empty error queue gave %d", n);

	/* A real ICMP port unreachable, on the error queue with IP_RECVERR */
	close(gone);
	setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
	if (sendto(fd, &c, 1, 0, (struct sockaddr *)&b, sizeof(b)) < 0 ||
	    !wait_for(fd, POLLERR, 1000)) {
		skip("events-skip-icmp", "no ICMP error came back");
	} else {
		n = qo_read_events(fd, &ev, 1);
		ok = recv(fd, &c, 1, MSG_ERRQUEUE | MSG_DONTWAIT) < 0 &&
		     errno == EAGAIN;
		result(n == 0 && ok, "events-skip-icmp",
		       "an ICMP error gave %d events, queue %s", n,
		       ok ? "empty" : "not emptied");
	}
	close(fd);
}

/*
 * qo_tx_plaintext(), and qo_conn_tx_cmsg() on a connection the kernel does
 * not protect: every datagram goes as written, even one that looks like a
 * packet left in plaintext (a sealed packet's tag may end in zeros)
 */
static void check_tx_cmsg(int fd)
{
	struct qo_conn *qc = qo_conn_new(fd, 0);
	uint8_t pkt[64], copy[64];
	union {
		char buf[QO_TX_CMSG_SPACE(1)];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = { .msg_control = ctl.buf };
	struct qo_stats st;
	int rv;

	if (!qc) {
		result(false, "tx-cmsg-fallback", "qo_conn_new() failed");
		return;
	}
	memset(pkt, 0x41, sizeof(pkt));
	memset(pkt + sizeof(pkt) - QUIC_ULP_TAG_LEN, 0, QUIC_ULP_TAG_LEN);
	memcpy(copy, pkt, sizeof(pkt));
	result(qo_tx_plaintext(pkt, sizeof(pkt)) &&
	       !qo_tx_plaintext(pkt, sizeof(pkt) - 1), "tx-plaintext",
	       "qo_tx_plaintext() misjudged 16 trailing zero bytes");
	rv = qo_conn_tx_cmsg(qc, pkt, sizeof(pkt), 0, &msg, sizeof(ctl.buf));
	qo_conn_tx_done(qc, pkt, sizeof(pkt), 0);
	qo_conn_stats(qc, &st);
	result(rv == 0 && !memcmp(pkt, copy, sizeof(pkt)) &&
	       !msg.msg_controllen && !st.tx_mismatch && !st.tx_kernel,
	       "tx-cmsg-fallback", "qo_conn_tx_cmsg() returned %d, %s the "
	       "datagram, appended %zu bytes, tx_mismatch %llu", rv,
	       memcmp(pkt, copy, sizeof(pkt)) ? "changed" : "kept",
	       (size_t)msg.msg_controllen,
	       (unsigned long long)st.tx_mismatch);
	qo_conn_del(qc);
	qo_conn_del(NULL);
}

/* An ngtcp2 client and server on two sockets, through the library */

struct ep {
	const char *name;
	bool server;
	int fd;
	struct sockaddr_in local;
	struct qo_conn *qc;
	ngtcp2_conn *conn;
	ngtcp2_crypto_conn_ref ref;	/* the session pointer: ours */
	gnutls_session_t tls;
	int64_t sid;			/* the stream */
	const char *out;		/* to send on it, with FIN */
	size_t out_len, out_off;
	bool out_pending;
	char in[64];			/* received on it */
	size_t in_len;
	bool in_fin, closed, draining;
	unsigned int completed, new_cids;
	unsigned long dgrams_tx, dgrams_rx, with_records, refused, send_errors;
	uint8_t buf[NGTCP2_MAX_UDP_PAYLOAD_SIZE];
};

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct ep *)ref->user_data)->conn;
}

static void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	(void)ctx;
	gnutls_rnd(GNUTLS_RND_RANDOM, dest, len);
}

static int get_new_connection_id(ngtcp2_conn *conn, ngtcp2_cid *cid,
				 uint8_t *token, size_t cidlen, void *user)
{
	struct ep *e = user;

	(void)conn;
	cid->datalen = cidlen;
	if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) ||
	    gnutls_rnd(GNUTLS_RND_RANDOM, token, NGTCP2_STATELESS_RESET_TOKENLEN))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	e->new_cids++;
	return 0;
}

static int handshake_completed(ngtcp2_conn *conn, void *user)
{
	struct ep *e = user;

	(void)conn;
	e->completed++;
	return 0;
}

static int recv_stream_data(ngtcp2_conn *conn, uint32_t flags, int64_t sid,
			    uint64_t offset, const uint8_t *data, size_t len,
			    void *user, void *stream_user)
{
	struct ep *e = user;

	(void)conn; (void)stream_user;
	if (offset + len > sizeof(e->in))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	memcpy(e->in + offset, data, len);
	if (offset + len > e->in_len)
		e->in_len = (size_t)(offset + len);
	e->sid = sid;
	if (flags & NGTCP2_STREAM_DATA_FLAG_FIN)
		e->in_fin = true;
	return 0;
}

static int make_cert(gnutls_certificate_credentials_t cred)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	unsigned char serial[8];
	time_t now = time(NULL);
	int rv;

	gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f;
	rv = gnutls_x509_privkey_init(&key) ||
	     gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) ||
	     gnutls_x509_crt_init(&crt) ||
	     gnutls_x509_crt_set_version(crt, 3) ||
	     gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) ||
	     gnutls_x509_crt_set_activation_time(crt, now - 3600) ||
	     gnutls_x509_crt_set_expiration_time(crt, now + 3600) ||
	     gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
					   "localhost", 9) ||
	     gnutls_x509_crt_set_key(crt, key) ||
	     gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) ||
	     gnutls_certificate_set_x509_key(cred, &crt, 1, key);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return rv ? -1 : 0;
}

static gnutls_session_t tls_new(bool server, gnutls_certificate_credentials_t cred)
{
	static const gnutls_datum_t alpn = { (unsigned char *)"qo-test", 7 };
	gnutls_session_t s;

	if (gnutls_init(&s, server ? GNUTLS_SERVER : GNUTLS_CLIENT))
		return NULL;
	if (gnutls_priority_set_direct(s, "%DISABLE_TLS13_COMPAT_MODE:NORMAL:"
				       "-VERS-ALL:+VERS-TLS1.3", NULL) ||
	    (server ? ngtcp2_crypto_gnutls_configure_server_session(s)
		    : ngtcp2_crypto_gnutls_configure_client_session(s)) ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) ||
	    gnutls_alpn_set_protocols(s, &alpn, 1, 0)) {
		gnutls_deinit(s);
		return NULL;
	}
	return s;
}

/*
 * The connection of @e: what an ngtcp2 application does, with the
 * library's four calls in their places.
 */
static int ep_connect(struct ep *e, unsigned int mode,
		      gnutls_certificate_credentials_t cred,
		      const struct sockaddr_in *peer, const ngtcp2_pkt_hd *hd)
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
		.recv_retry = ngtcp2_crypto_recv_retry_cb,
		.rand = rand_cb,
		.get_new_connection_id = get_new_connection_id,
		.update_key = ngtcp2_crypto_update_key_cb,
		.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb,
		.delete_crypto_cipher_ctx =
			ngtcp2_crypto_delete_crypto_cipher_ctx_cb,
		.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb,
		.version_negotiation = ngtcp2_crypto_version_negotiation_cb,
	};
	ngtcp2_path path = {
		.local = { (ngtcp2_sockaddr *)&e->local, sizeof(e->local) },
		.remote = { (ngtcp2_sockaddr *)peer, sizeof(*peer) },
	};
	ngtcp2_settings settings;
	ngtcp2_transport_params params;
	ngtcp2_cid scid, dcid;
	int rv;

	if (e->server) {
		cb.client_initial = NULL;
		cb.recv_retry = NULL;
	} else {
		cb.recv_client_initial = NULL;
	}
	ngtcp2_settings_default(&settings);
	settings.initial_ts = now_ns();
	ngtcp2_transport_params_default(&params);
	params.initial_max_data = 1 << 20;
	params.initial_max_stream_data_bidi_local = 1 << 16;
	params.initial_max_stream_data_bidi_remote = 1 << 16;
	params.initial_max_streams_bidi = e->server ? 1 : 0;
	params.max_idle_timeout = 10 * NGTCP2_SECONDS;
	scid.datalen = 16;
	gnutls_rnd(GNUTLS_RND_NONCE, scid.data, scid.datalen);
	if (e->server) {
		dcid = hd->scid;
		params.original_dcid = hd->dcid;
		params.original_dcid_present = 1;
	} else {
		dcid.datalen = 16;
		gnutls_rnd(GNUTLS_RND_NONCE, dcid.data, dcid.datalen);
	}

	e->tls = tls_new(e->server, cred);
	if (!e->tls)
		return -1;
	/* 2. per connection: the library's connection, its callbacks */
	e->qc = qo_conn_new(e->fd, mode);
	if (!e->qc)
		return -1;
	qo_conn_callbacks(e->qc, &cb);
	rv = e->server ?
		ngtcp2_conn_server_new(&e->conn, &dcid, &scid, &path,
				       hd->version, &cb, &settings, &params,
				       NULL, e) :
		ngtcp2_conn_client_new(&e->conn, &dcid, &scid, &path,
				       NGTCP2_PROTO_VER_V1, &cb, &settings,
				       &params, NULL, e);
	if (rv) {
		fprintf(stderr, "%s: ngtcp2_conn_*_new: %s\n", e->name,
			ngtcp2_strerror(rv));
		return -1;
	}
	if (!e->server) {	/* bind refuses a session without a pointer */
		rv = qo_conn_bind(e->qc, e->conn, e->tls);
		result(rv == -EINVAL && !gnutls_session_get_ptr(e->tls),
		       "bind-needs-session-ptr",
		       "qo_conn_bind() without a session pointer returned %d", rv);
	}
	/* the session pointer is the application's, as ngtcp2 wants it */
	e->ref.get_conn = get_conn;
	e->ref.user_data = e;
	gnutls_session_set_ptr(e->tls, &e->ref);
	rv = qo_conn_bind(e->qc, e->conn, e->tls);
	if (rv) {
		fprintf(stderr, "%s: qo_conn_bind: %s\n", e->name, strerror(-rv));
		return -1;
	}
	if (gnutls_session_get_ptr(e->tls) != &e->ref) {
		fprintf(stderr, "%s: qo_conn_bind() took the session pointer\n",
			e->name);
		return -1;
	}
	return 0;
}

/* Every datagram goes through qo_conn_tx_cmsg() and qo_conn_tx_done() */
static void ep_send(struct ep *e, uint8_t *pkt, size_t len,
		    const ngtcp2_addr *to)
{
	union {
		char buf[QO_TX_CMSG_SPACE(1)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = pkt, .iov_len = len };
	struct msghdr msg = {
		.msg_name = to->addr, .msg_namelen = to->addrlen,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = 0,
	};
	ssize_t n;
	int nrec;

	nrec = qo_conn_tx_cmsg(e->qc, pkt, len, 0, &msg, sizeof(ctl.buf));
	if (nrec < 0) {
		e->refused++;
		return;		/* zeroed: not sent, ngtcp2 sends again */
	}
	if (nrec > 0)
		e->with_records++;
	if (!msg.msg_controllen)
		msg.msg_control = NULL;
	do
		n = sendmsg(e->fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	qo_conn_tx_done(e->qc, pkt, len, n < 0 ? errno : 0);
	if (n < 0)
		e->send_errors++;
	else
		e->dgrams_tx++;
}

static int ep_write(struct ep *e)
{
	ngtcp2_tstamp ts = now_ns();
	ngtcp2_path_storage ps;
	ngtcp2_pkt_info pi;

	if (!e->conn || e->closed || e->draining)
		return 0;
	/* 4. before writing the connection's packets */
	qo_conn_write_begin(e->qc);
	ngtcp2_path_storage_zero(&ps);
	for (;;) {
		ngtcp2_vec v = { 0 };
		ngtcp2_ssize n, ndata = -1;
		uint32_t flags = 0;
		int64_t sid = -1;
		size_t nv = 0;

		if (e->out_pending) {
			sid = e->sid;
			v.base = (uint8_t *)e->out + e->out_off;
			v.len = e->out_len - e->out_off;
			nv = 1;
			flags = NGTCP2_WRITE_STREAM_FLAG_FIN;
		}
		n = ngtcp2_conn_writev_stream(e->conn, &ps.path, &pi, e->buf,
					      sizeof(e->buf), &ndata, flags,
					      sid, &v, nv, ts);
		if (n < 0) {
			if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED ||
			    n == NGTCP2_ERR_STREAM_SHUT_WR)
				break;
			fprintf(stderr, "%s: ngtcp2_conn_writev_stream: %s\n",
				e->name, ngtcp2_strerror((int)n));
			return -1;
		}
		if (ndata >= 0) {
			e->out_off += (size_t)ndata;
			if (e->out_off == e->out_len)
				e->out_pending = false;
		}
		if (!n)
			break;
		ep_send(e, e->buf, (size_t)n, &ps.path.remote);
	}
	ngtcp2_conn_update_pkt_tx_time(e->conn, ts);
	return 0;
}

static int ep_close(struct ep *e)
{
	ngtcp2_path_storage ps;
	ngtcp2_pkt_info pi;
	ngtcp2_ccerr err;
	ngtcp2_ssize n;

	ngtcp2_ccerr_default(&err);
	ngtcp2_path_storage_zero(&ps);
	qo_conn_write_begin(e->qc);
	n = ngtcp2_conn_write_connection_close(e->conn, &ps.path, &pi, e->buf,
					       sizeof(e->buf), &err, now_ns());
	if (n <= 0)
		return -1;
	ep_send(e, e->buf, (size_t)n, &ps.path.remote);
	e->closed = true;
	return 0;
}

static int ep_read(struct ep *e, unsigned int mode,
		   gnutls_certificate_credentials_t cred)
{
	for (;;) {
		struct sockaddr_in from;
		union {
			char buf[QO_CMSG_SPACE];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = e->buf, .iov_len = sizeof(e->buf) };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		ngtcp2_path path = {
			.local = { (ngtcp2_sockaddr *)&e->local, sizeof(e->local) },
			.remote = { (ngtcp2_sockaddr *)&from, sizeof(from) },
		};
		ngtcp2_pkt_info pi = { 0 };
		struct qo_rx rx;
		size_t off, seg, i;
		ssize_t n;
		int rv;

		n = recvmsg(e->fd, &msg, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		e->dgrams_rx++;
		/* 3. the kernel's records of the datagram */
		qo_rx_parse(&rx, &msg, (size_t)n);
		if (e->server && !e->conn) {
			ngtcp2_pkt_hd hd;

			if (ngtcp2_accept(&hd, e->buf, (size_t)n) ||
			    ep_connect(e, mode, cred, &from, &hd))
				return -1;
		}
		if (!e->conn || e->draining)
			continue;
		for (off = 0, i = 0; off < (size_t)n; off += seg, i++) {
			seg = (size_t)n - off < rx.gso_size ?
				(size_t)n - off : rx.gso_size;
			rv = qo_conn_read_pkt(e->qc, &path, &pi, e->buf + off,
					      seg, qo_rx_decrypted(&rx, i),
					      now_ns());
			if (rv == NGTCP2_ERR_DRAINING || rv == NGTCP2_ERR_CLOSING) {
				e->draining = true;
				break;
			}
			if (rv) {
				fprintf(stderr, "%s: ngtcp2_conn_read_pkt: %s\n",
					e->name, ngtcp2_strerror(rv));
				return -1;
			}
		}
	}
}

static int ep_expiry(struct ep *e)
{
	ngtcp2_tstamp now = now_ns();
	int rv;

	if (!e->conn || e->closed || e->draining ||
	    ngtcp2_conn_get_expiry(e->conn) > now)
		return 0;
	rv = ngtcp2_conn_handle_expiry(e->conn, now);
	if (rv) {
		fprintf(stderr, "%s: ngtcp2_conn_handle_expiry: %s\n", e->name,
			ngtcp2_strerror(rv));
		return -1;
	}
	return 0;
}

static void check_connection(unsigned int mode)
{
	static const char ping[] = "ping", pong[] = "pong";
	gnutls_certificate_credentials_t scred, ccred;
	struct ep *cli = calloc(1, sizeof(*cli)), *srv = calloc(1, sizeof(*srv));
	ngtcp2_tstamp deadline = now_ns() + 5 * NGTCP2_SECONDS;
	struct quic_ulp_conn_info info;
	struct qo_stats cst = { 0 }, sst = { 0 };
	bool failed = false;
	int rv;

	if (!cli || !srv || gnutls_certificate_allocate_credentials(&scred) ||
	    gnutls_certificate_allocate_credentials(&ccred) ||
	    make_cert(scred)) {
		result(false, "connection", "setting up GnuTLS failed");
		return;
	}
	cli->name = "client";
	srv->name = "server";
	srv->server = true;
	cli->fd = udp_socket(&cli->local);
	srv->fd = udp_socket(&srv->local);
	/* 1. per socket */
	if (qo_attach(cli->fd, mode) != mode || qo_attach(srv->fd, mode) != mode) {
		result(false, "connection", "qo_attach() changed its mind");
		return;
	}
	cli->sid = -1;
	srv->sid = -1;
	if (ep_connect(cli, mode, ccred, &srv->local, NULL)) {
		result(false, "connection", "the client could not start");
		return;
	}
	while (!failed && now_ns() < deadline && !srv->draining) {
		struct pollfd p[2] = {
			{ .fd = cli->fd, .events = POLLIN },
			{ .fd = srv->fd, .events = POLLIN },
		};

		if (cli->sid < 0 && ngtcp2_conn_get_handshake_completed(cli->conn)) {
			if (ngtcp2_conn_open_bidi_stream(cli->conn, &cli->sid, NULL))
				break;
			cli->out = ping;
			cli->out_len = 4;
			cli->out_pending = true;
		}
		if (srv->in_fin && !srv->out) {
			srv->out = pong;
			srv->out_len = 4;
			srv->out_pending = true;
		}
		if (cli->in_fin && !cli->closed && ep_close(cli))
			break;
		failed = ep_write(cli) || ep_write(srv);
		if (failed)
			break;
		poll(p, 2, 5);
		failed = ep_read(cli, mode, scred) || ep_read(srv, mode, scred) ||
			 ep_expiry(cli) || ep_expiry(srv);
	}

	result(!failed && cli->completed == 1 && srv->completed == 1,
	       "handshake", "%s; handshake_completed called %u and %u times",
	       failed ? "an endpoint failed (see stderr)" : "no error",
	       cli->completed, srv->completed);
	result(srv->in_fin && srv->in_len == 4 && !memcmp(srv->in, ping, 4) &&
	       cli->in_fin && cli->in_len == 4 && !memcmp(cli->in, pong, 4),
	       "stream-data", "the server got %zu bytes%s, the client %zu%s",
	       srv->in_len, srv->in_fin ? " and FIN" : "", cli->in_len,
	       cli->in_fin ? " and FIN" : "");
	result(srv->draining, "close", "the server did not see the client's "
	       "CONNECTION_CLOSE");
	result(cli->new_cids + srv->new_cids > 0, "callbacks-chained",
	       "the application's get_new_connection_id was never called");
	result(qo_conn_handle(cli->qc) != qo_conn_handle(srv->qc), "handles",
	       "two connections share handle %u", qo_conn_handle(cli->qc));
	result(!cli->refused && !srv->refused && !cli->send_errors &&
	       !srv->send_errors, "tx-path", "refused %lu + %lu, failed "
	       "sends %lu + %lu", cli->refused, srv->refused, cli->send_errors,
	       srv->send_errors);

	if (srv->qc)
		qo_conn_stats(srv->qc, &sst);
	qo_conn_stats(cli->qc, &cst);
	if (mode) {
		skip("fallback", "this kernel has the quic ULP");
	} else {
		/* Without the ULP nothing was left for the kernel ... */
		result(!cli->with_records && !srv->with_records,
		       "fallback-no-records", "%lu + %lu datagrams carried "
		       "QUIC_ULP_TX_INFO", cli->with_records, srv->with_records);
		/* ... every 1-RTT packet was protected in userspace ... */
		result(cst.tx_user && cst.rx_user && sst.tx_user && sst.rx_user &&
		       !cst.tx_kernel && !cst.rx_kernel && !sst.tx_kernel &&
		       !sst.rx_kernel && !cst.mode && !sst.mode &&
		       !cst.tx_user_late && !sst.rx_user_late,
		       "fallback-userspace-crypto",
		       "client tx %llu/%llu rx %llu/%llu, server tx %llu/%llu "
		       "rx %llu/%llu (userspace/kernel), modes %u %u",
		       (unsigned long long)cst.tx_user,
		       (unsigned long long)cst.tx_kernel,
		       (unsigned long long)cst.rx_user,
		       (unsigned long long)cst.rx_kernel,
		       (unsigned long long)sst.tx_user,
		       (unsigned long long)sst.tx_kernel,
		       (unsigned long long)sst.rx_user,
		       (unsigned long long)sst.rx_kernel, cst.mode, sst.mode);
		/* ... and the kernel knows nothing of the connection */
		rv = qo_conn_info(cli->qc, &info);
		result(rv == -ENOENT, "fallback-conn-info",
		       "qo_conn_info() returned %d, not -ENOENT", rv);
	}
	result(!cst.tx_mismatch && !cst.tx_unsent && !sst.tx_mismatch &&
	       !sst.tx_unsent && !cst.rx_refused && !sst.rx_refused,
	       "stats-clean", "tx_mismatch %llu %llu, tx_unsent %llu %llu, "
	       "rx_refused %llu %llu",
	       (unsigned long long)cst.tx_mismatch,
	       (unsigned long long)sst.tx_mismatch,
	       (unsigned long long)cst.tx_unsent,
	       (unsigned long long)sst.tx_unsent,
	       (unsigned long long)cst.rx_refused,
	       (unsigned long long)sst.rx_refused);

	/* 7. after the last packet, before the session goes */
	for (struct ep *e = cli; e; e = e == cli ? srv : NULL) {
		qo_conn_del(e->qc);
		ngtcp2_conn_del(e->conn);
		if (e->tls)
			gnutls_deinit(e->tls);
		close(e->fd);
	}
	gnutls_certificate_free_credentials(scred);
	gnutls_certificate_free_credentials(ccred);
	free(cli);
	free(srv);
}

int main(int argc, char **argv)
{
	char version[32];
	struct sockaddr_in a, b;
	int fd, fd2;
	unsigned int mode;

	if (argc > 2)
		prefix = argv[2];
	snprintf(version, sizeof(version), "%d.%d.%d", QO_VERSION_MAJOR,
		 QO_VERSION_MINOR, QO_VERSION_PATCH);
	printf("# quic_offload %s (QO_VERSION_NUMBER %d), ngtcp2 %s, GnuTLS %s\n",
	       version, QO_VERSION_NUMBER, ngtcp2_version(0)->version_str,
	       gnutls_check_version(NULL));
	result(argc > 1 && !strcmp(argv[1], version), "version",
	       "the header says %s, the package %s", version,
	       argc > 1 ? argv[1] : "(not given)");

	fd = udp_socket(&a);
	fd2 = udp_socket(&b);
	mode = check_attach(fd, fd2);
	check_rx_parse();
	check_events();
	check_tx_cmsg(fd);
	check_connection(mode);
	close(fd);
	close(fd2);
	return failures > 100 ? 100 : failures;
}
