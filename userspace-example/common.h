/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the example client and server share: UDP with GSO and GRO, TLS
 * setup, and an HTTP/3 connection (ngtcp2 + nghttp3 + quic_offload).
 */
#ifndef COMMON_H
#define COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <nghttp3/nghttp3.h>

#include "quic_offload.h"

#define SCID_LEN	16
#define MAX_GSO_SEGS	64
#define TXBUF_SIZE	65000	/* bytes of one GSO send */
#define RXBUF_SIZE	65536

extern bool quiet;

/* Options both programs take. */
struct common_opts {
	unsigned int offload;	/* QO_TX | QO_RX, | QO_DEVICE */
	const char *keylog;
	const char *ciphers;	/* GnuTLS priority string for the ciphers */
};

int common_opt(struct common_opts *o, const char *name, const char *arg);
#define COMMON_OPTS_HELP \
	"  --offload=off|tx|rx|both  kernel packet protection (both)\n" \
	"  --offload-device=on|off   let the kernel hand it to a network\n" \
	"                            device that offers it (off)\n" \
	"  --keylog=FILE             append TLS secrets (NSS key log format)\n" \
	"  --ciphers=LIST            GnuTLS cipher list, e.g. +AES-128-GCM\n" \
	"  --preferred-versions=HEX[,HEX]  QUIC versions to prefer in\n" \
	"                            compatible version negotiation\n" \
	"  -q, --quiet               no progress messages\n"

uint64_t now_ns(void);
int parse_size(const char *s, uint64_t *v);
void hex(char *out, const uint8_t *p, size_t n);

/* A UDP socket bound (server) or connected (client) to @sa, with GRO. */
int udp_open(const struct sockaddr *sa, socklen_t len, bool server);

/* A TLS 1.3 session for QUIC with ALPN h3 (credentials: server only). */
gnutls_session_t tls_session(const struct common_opts *o, bool server,
			     gnutls_certificate_credentials_t cred,
			     const char *sni);

struct conn;

/* What a program adds to struct conn. */
struct conn_ops {
	/* The handshake completed and the HTTP/3 layer is up. */
	int (*ready)(struct conn *c);
	const nghttp3_callbacks *h3;
};

/* One QUIC connection carrying HTTP/3. */
struct conn {
	struct conn *next;
	const struct conn_ops *ops;
	void *user;			/* the program's */
	int fd;
	bool server, connected, closed;
	unsigned int retries;		/* client: Retry packets followed */
	bool aead_limit;		/* closed for the integrity limit */
	ngtcp2_conn *q;
	nghttp3_conn *h3;
	gnutls_session_t tls;
	ngtcp2_crypto_conn_ref ref;	/* the session pointer */
	struct qo_conn *qo;
	ngtcp2_ccerr err;
	ngtcp2_path_storage ps;		/* local and remote address */
	ngtcp2_cid odcid;		/* server: the client's first DCID */
	uint8_t route[4];		/* server: starts every SCID it issues */
	uint8_t txbuf[TXBUF_SIZE];

	/* counters */
	uint64_t tx_dgrams, tx_pkts, tx_bytes;
	uint64_t rx_dgrams, rx_pkts, rx_bytes;
	uint64_t body;			/* response body bytes */
	uint64_t t_begin, t_end;	/* the transfer, for the summary */

	/* initiate a key update after every ku_every bytes of body; with
	 * ku_after_peer, only once the peer has initiated one
	 */
	uint64_t ku_every, ku_since, ku_done, ku_hold;
	bool ku_after_peer;
	/* since when one is due (0: none), how often ngtcp2 refused it, and
	 * the longest it kept one waiting (ns): pacing, for the summary
	 */
	uint64_t ku_due, ku_refused, ku_wait_max;
};

/*
 * Create the QUIC connection: @dcid/@scid as ngtcp2_conn_*_new() wants them,
 * @odcid for a server (the client's first DCID), @version the one to use.
 */
int conn_init(struct conn *c, const struct conn_ops *ops, int fd,
	      unsigned int offload, gnutls_session_t tls,
	      const ngtcp2_path *path, const ngtcp2_cid *dcid,
	      const ngtcp2_cid *scid, const ngtcp2_cid *odcid,
	      uint32_t version);
void conn_free(struct conn *c);

/* Feed one UDP segment; then conn_write(). <0: the connection is gone. */
int conn_read(struct conn *c, const ngtcp2_addr *remote, const uint8_t *pkt,
	      size_t len, const struct quic_ulp_rx_info *info);
int conn_write(struct conn *c);
/* @n more bytes of body went through: initiate a key update if it is time */
void conn_key_update_tick(struct conn *c, uint64_t n);
int conn_timer(struct conn *c);		/* at ngtcp2_conn_get_expiry() */
void conn_close(struct conn *c);	/* send CONNECTION_CLOSE (err) */
/* The kernel reported the integrity limit: close with AEAD_LIMIT_REACHED */
void conn_aead_limit(struct conn *c);

/* Receive one datagram: its length, 0 if none, <0 on error. */
ssize_t udp_recv(int fd, uint8_t *buf, size_t cap,
		 struct sockaddr_storage *from, socklen_t *fromlen,
		 struct qo_rx *rx);

/*
 * poll() said POLLERR: the ULP's events from the error queue into @ev (up
 * to @max; returns how many), and any pending socket error, cleared.
 */
int udp_events(int fd, struct qo_event *ev, size_t max);

/* HTTP/3: the callbacks both need, and flow control credit. */
void h3_callbacks_init(nghttp3_callbacks *cb);
void h3_extend(struct conn *c, int64_t stream_id, size_t n);

/* The exit summary: @who names the connection. */
void conn_summary(struct conn *c, const char *who);

#endif /* COMMON_H */
