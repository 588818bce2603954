// SPDX-License-Identifier: GPL-2.0
/*
 * qo-client: download one URL path over HTTP/3 (ngtcp2, nghttp3, GnuTLS),
 * with QUIC packet protection offloaded to the kernel when it can.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gnutls/crypto.h>

#include "common.h"

static struct {
	struct common_opts co;
	const char *host, *port, *path, *output;
	const char *session_file;	/* resume from it, save tickets to it */
	uint32_t version;		/* of the first Initial */
	size_t scid_len;		/* of our connection IDs */
	bool sha256;
	uint64_t offload_after;	/* body bytes before offloading */
	unsigned int mode;
	FILE *out;
	gnutls_hash_hd_t hash;
	int64_t stream;
	int status;
	bool done;
	struct conn c;
} cli = { .co.offload = QO_TX | QO_RX, .path = "/", .stream = -1,
	  .version = NGTCP2_PROTO_VER_V1, .scid_len = SCID_LEN };

static int ready(struct conn *c)
{
	char authority[300];
	nghttp3_nv nv[5] = {
		{ (uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0 },
		{ (uint8_t *)":scheme", (uint8_t *)"https", 7, 5, 0 },
		{ (uint8_t *)":authority", (uint8_t *)authority, 10, 0, 0 },
		{ (uint8_t *)":path", (uint8_t *)cli.path, 5, strlen(cli.path), 0 },
		{ (uint8_t *)"user-agent", (uint8_t *)"qo-client", 10, 9, 0 },
	};

	nv[2].valuelen = (size_t)snprintf(authority, sizeof(authority),
					  strchr(cli.host, ':') ? "[%s]:%s" :
					  "%s:%s", cli.host, cli.port);
	if (nv[2].valuelen >= sizeof(authority) ||
	    ngtcp2_conn_open_bidi_stream(c->q, &cli.stream, NULL) ||
	    nghttp3_conn_submit_request(c->h3, cli.stream, nv, 5, NULL, NULL))
		return -1;
	c->t_begin = now_ns();
	return 0;
}

static int recv_header(nghttp3_conn *h3, int64_t id, int32_t token,
		       nghttp3_rcbuf *name, nghttp3_rcbuf *value, uint8_t flags,
		       void *user, void *stream_user)
{
	nghttp3_vec v = nghttp3_rcbuf_get_buf(value);

	(void)h3; (void)name; (void)flags; (void)user; (void)stream_user;
	if (id == cli.stream && token == NGHTTP3_QPACK_TOKEN__STATUS &&
	    v.len == 3)
		cli.status = atoi((const char *)v.base);
	return 0;
}

static int recv_data(nghttp3_conn *h3, int64_t id, const uint8_t *data,
		     size_t len, void *user, void *stream_user)
{
	struct conn *c = user;

	(void)h3; (void)stream_user;
	if (cli.out && fwrite(data, 1, len, cli.out) != len)
		return NGHTTP3_ERR_CALLBACK_FAILURE;
	if (cli.hash)
		gnutls_hash(cli.hash, data, len);
	c->body += len;
	if (cli.offload_after && c->body >= cli.offload_after) {
		qo_conn_set_mode(c->qo, cli.mode);
		cli.offload_after = 0;
	}
	h3_extend(c, id, len);
	conn_key_update_tick(c, len);
	return 0;
}

static int stream_close(nghttp3_conn *h3, int64_t id, uint64_t code,
			void *user, void *stream_user)
{
	struct conn *c = user;

	(void)h3; (void)code; (void)stream_user;
	if (id == cli.stream) {
		c->t_end = now_ns();
		cli.done = true;
	}
	return 0;
}

static nghttp3_callbacks h3cb;
static const struct conn_ops ops = { .ready = ready, .h3 = &h3cb };

static void on_readable(struct conn *c)
{
	static uint8_t buf[RXBUF_SIZE];
	struct sockaddr_storage from;
	ngtcp2_addr remote = { .addr = (ngtcp2_sockaddr *)&from };
	socklen_t fromlen;
	struct qo_rx rx;
	size_t off, i, len;
	ssize_t n;
	int k;

	for (k = 0; k < 64 && !c->closed; k++) {
		n = udp_recv(c->fd, buf, sizeof(buf), &from, &fromlen, &rx);
		if (n < 0)
			perror("recvmsg");
		if (n <= 0)
			return;
		remote.addrlen = fromlen;
		c->rx_dgrams++;
		for (off = 0, i = 0; off < (size_t)n && !c->closed;
		     off += rx.gso_size, i++) {
			len = (size_t)n - off;
			if (len > rx.gso_size)
				len = rx.gso_size;
			conn_read(c, &remote, buf + off, len,
				  qo_rx_decrypted(&rx, i));
		}
	}
}

/* POLLERR: the kernel's events for our connection */
static void on_error(struct conn *c)
{
	struct qo_event ev[16];
	int n, i;

	n = udp_events(c->fd, ev, 16);
	for (i = 0; i < n; i++)
		if (ev[i].type == QUIC_ULP_EV_INTEGRITY_LIMIT &&
		    ev[i].conn == qo_conn_handle(c->qo))
			conn_aead_limit(c);
}

static void run(struct conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct timespec tmo;
	uint64_t now, expiry;

	conn_write(c);
	while (!c->closed && !cli.done) {
		expiry = ngtcp2_conn_get_expiry(c->q);
		now = now_ns();
		expiry = expiry > now ? expiry - now : 0;
		tmo.tv_sec = (time_t)(expiry / NGTCP2_SECONDS);
		tmo.tv_nsec = (long)(expiry % NGTCP2_SECONDS);
		if (ppoll(&pfd, 1, &tmo, NULL) < 0 && errno != EINTR)
			break;
		if (pfd.revents & POLLERR)
			on_error(c);
		if (pfd.revents & POLLIN)
			on_readable(c);
		if (c->closed)
			break;
		if (ngtcp2_conn_get_expiry(c->q) <= now_ns())
			conn_timer(c);
		else
			conn_write(c);
	}
	if (cli.done) {
		ngtcp2_ccerr_set_application_error(&c->err,
						   NGHTTP3_H3_NO_ERROR, NULL, 0);
		conn_close(c);
	}
}

/*
 * A session ticket arrived: save the session for a later run to resume.
 * The session pointer is the application's ngtcp2_crypto_conn_ref, as in
 * ngtcp2's own examples; that the library leaves it alone is what this
 * hook relies on.
 */
static int ticket_received(gnutls_session_t s, unsigned int htype,
			   unsigned int when, unsigned int incoming,
			   const gnutls_datum_t *msg)
{
	ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(s);
	struct conn *c = ref->user_data;
	char tmp[PATH_MAX];
	gnutls_datum_t data;
	int fd, ok;

	(void)htype; (void)when; (void)incoming; (void)msg;
	if (c != &cli.c) {	/* the library must have left it alone */
		fprintf(stderr, "the session pointer is not ours\n");
		return -1;
	}
	if (gnutls_session_get_data2(s, &data))
		return 0;
	/* It holds the resumption secret: for our eyes only, and whole or
	 * not at all
	 */
	snprintf(tmp, sizeof(tmp), "%s.tmp", cli.session_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, data.data, data.size) == (ssize_t)data.size;
	if (fd >= 0 && close(fd))
		ok = 0;
	if (!ok || rename(tmp, cli.session_file)) {
		perror(cli.session_file);
		unlink(tmp);
	} else if (!quiet) {
		fprintf(stderr, "session ticket saved to %s\n",
			cli.session_file);
	}
	gnutls_free(data.data);
	return 0;
}

/* Resume the session saved in cli.session_file, when there is one. */
static int session_resume(gnutls_session_t tls)
{
	uint8_t buf[16384];
	gnutls_datum_t data = { buf, 0 };
	FILE *f = fopen(cli.session_file, "r");
	size_t n;

	gnutls_handshake_set_hook_function(tls,
		GNUTLS_HANDSHAKE_NEW_SESSION_TICKET, GNUTLS_HOOK_POST,
		ticket_received);
	if (!f) {
		if (errno == ENOENT)
			return 0;
		perror(cli.session_file);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (!n || n == sizeof(buf))
		return -1;
	data.size = (unsigned int)n;
	if (gnutls_session_set_data(tls, data.data, data.size))
		return -1;
	if (!quiet)
		fprintf(stderr, "resuming the session in %s\n",
			cli.session_file);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: qo-client [options] HOST PORT [PATH]\n"
		"  -o, --output=FILE         write the body to FILE\n"
		"  --sha256                  print the body's SHA-256\n"
		"  --key-update=SIZE         initiate a key update after every\n"
		"                            SIZE bytes of body received\n"
		"  --offload-after=SIZE      offload only once SIZE bytes of\n"
		"                            body arrived (tests a late switch-on)\n"
		"  --session-file=FILE       resume the TLS session saved in FILE;\n"
		"                            save session tickets to it\n"
		"  --version=HEX             QUIC version of the first packet\n"
		"                            (1, or 6b3343cf: version 2)\n"
		"  --scid-len=N              bytes of our connection IDs (0-20;\n"
		"                            0: the kernel finds us by address)\n"
		COMMON_OPTS_HELP);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'O' },
		{ "sha256", no_argument, NULL, 's' },
		{ "key-update", required_argument, NULL, 'u' },
		{ "offload-after", required_argument, NULL, 'a' },
		{ "session-file", required_argument, NULL, 'S' },
		{ "version", required_argument, NULL, 'V' },
		{ "scid-len", required_argument, NULL, 'L' },
		{ "offload", required_argument, NULL, 'x' },
		{ "offload-device", required_argument, NULL, 'x' },
		{ "keylog", required_argument, NULL, 'x' },
		{ "ciphers", required_argument, NULL, 'x' },
		{ "preferred-versions", required_argument, NULL, 'x' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	struct sockaddr_storage local;
	socklen_t locallen = sizeof(local);
	gnutls_certificate_credentials_t cred;
	struct in6_addr a6;
	struct conn *c = &cli.c;
	ngtcp2_path path;
	ngtcp2_cid dcid, scid;
	uint8_t digest[32];
	char digest_hex[65];
	gnutls_session_t tls;
	int ch, i, fd;

	while ((ch = getopt_long(argc, argv, "o:qh", lo, &i)) != -1) {
		switch (ch) {
		case 'o': case 'O':
			cli.output = optarg;
			break;
		case 's':
			cli.sha256 = true;
			break;
		case 'u':
			if (parse_size(optarg, &cli.c.ku_every))
				usage();
			break;
		case 'a':
			if (parse_size(optarg, &cli.offload_after))
				usage();
			break;
		case 'S':
			cli.session_file = optarg;
			break;
		case 'L': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);

			if (*end || n > NGTCP2_MAX_CIDLEN)
				usage();
			cli.scid_len = n;
			break;
		}
		case 'V': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 16);

			if (*end || (v != NGTCP2_PROTO_VER_V1 &&
				     v != NGTCP2_PROTO_VER_V2))
				usage();
			cli.version = (uint32_t)v;
			break;
		}
		case 'x':
			if (common_opt(&cli.co, lo[i].name, optarg))
				usage();
			break;
		case 'q':
			quiet = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		usage();
	cli.host = argv[optind];
	cli.port = argv[optind + 1];
	if (argc - optind == 3)
		cli.path = argv[optind + 2];

	if (getaddrinfo(cli.host, cli.port, &hints, &ai)) {
		fprintf(stderr, "cannot resolve %s %s\n", cli.host, cli.port);
		return 1;
	}
	fd = udp_open(ai->ai_addr, ai->ai_addrlen, false);
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&local, &locallen)) {
		perror("socket");
		return 1;
	}
	cli.mode = qo_attach(fd, cli.co.offload);
	path.local.addr = (ngtcp2_sockaddr *)&local;
	path.local.addrlen = locallen;
	path.remote.addr = ai->ai_addr;
	path.remote.addrlen = ai->ai_addrlen;
	path.user_data = NULL;

	if (cli.output) {
		cli.out = fopen(cli.output, "w");
		if (!cli.out) {
			perror(cli.output);
			return 1;
		}
	}
	if (cli.sha256 && gnutls_hash_init(&cli.hash, GNUTLS_DIG_SHA256))
		return 1;
	h3_callbacks_init(&h3cb);
	h3cb.recv_header = recv_header;
	h3cb.recv_data = recv_data;
	h3cb.stream_close = stream_close;

	dcid.datalen = 18;
	scid.datalen = cli.scid_len;
	gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, dcid.datalen);
	if (scid.datalen)
		gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, scid.datalen);
	if (gnutls_certificate_allocate_credentials(&cred))
		return 1;
	tls = tls_session(&cli.co, false, cred,
			  inet_pton(AF_INET, cli.host, &a6) == 1 ||
			  inet_pton(AF_INET6, cli.host, &a6) == 1 ?
			  NULL : cli.host);	/* not verified: an example */
	c->connected = true;
	if (tls && cli.session_file && session_resume(tls)) {
		fprintf(stderr, "%s: not a saved session\n", cli.session_file);
		return 1;
	}
	if (!tls || conn_init(c, &ops, fd, cli.offload_after ? 0 : cli.mode,
			      tls, &path, &dcid, &scid,
			      NULL, cli.version)) {
		fprintf(stderr, "cannot set up the connection\n");
		return 1;
	}
	freeaddrinfo(ai);

	run(c);

	if (!c->t_end)
		c->t_end = now_ns();
	conn_summary(c, "client");
	printf("client: status %d%s\n", cli.status,
	       cli.done ? "" : " (incomplete)");
	if (cli.hash) {
		gnutls_hash_deinit(cli.hash, digest);
		hex(digest_hex, digest, sizeof(digest));
		printf("sha256 %s\n", digest_hex);
	}
	conn_free(c);
	gnutls_certificate_free_credentials(cred);
	if (cli.out && fclose(cli.out)) {
		perror(cli.output);
		return 1;
	}
	close(fd);
	return cli.done && cli.status == 200 ? 0 : 1;
}
