/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the quic ULP selftests share: a two-namespace topology joined by
 * veth, sockets on either side, the ULP's socket options, sending with
 * QUIC_ULP_TX_INFO records, building plaintext 1-RTT packets the way a QUIC
 * stack hands them to the kernel, and checking that nothing reached a
 * socket.
 */
#ifndef QUIC_COMMON_H
#define QUIC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>		/* struct timespec, for <linux/errqueue.h> */
#include <linux/errqueue.h>
#include <linux/quic.h>
#include <linux/udp.h>

#include "quic_ref.h"

#ifndef SOL_UDP
#define SOL_UDP		17
#endif
#ifndef UDP_CORK
#define UDP_CORK	1
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif
#ifndef UDP_GRO
#define UDP_GRO		104
#endif
/* Headers of a kernel without the series (the host's, say) lack these */
#ifndef UDP_ULP
#define UDP_ULP		105
#endif
#ifndef SO_EE_ORIGIN_UDP_ULP
#define SO_EE_ORIGIN_UDP_ULP	7
#endif

/* The smallest short-header packet header protection can sample */
#define QUIC_MIN_PKT(dcid_len)	(1 + (dcid_len) + 4 + QUIC_ULP_TAG_LEN)

/* The tests run in a namespace of their own ("local"), talking over veth
 * to another one ("peer"); both exist for the whole run of a program.
 */
int quic_topo_setup(void);
void quic_topo_cleanup(void);

/* main() of a test program that needs them: runs the harness (@run, the
 * program's test_harness_run) between the two, or skips when they cannot
 * be made.
 */
int quic_topo_main(int argc, char **argv, int (*run)(int, char **));

/* A UDP socket of @family bound to the local or peer address (port 0 picks
 * one); @addr gets the address it is bound to.
 */
int quic_udp_socket(int family, bool peer, struct sockaddr_storage *addr,
		    socklen_t *addr_len);
/* socket() in the peer namespace */
int quic_peer_socket(int family, int type, int protocol);
void quic_set_timeout(int fd, int ms);
socklen_t quic_addr_len(const struct sockaddr_storage *ss);

/* The ULP's options, returning 0 or -errno */
int quic_attach(int fd);
int quic_set_key(int fd, bool rx, uint32_t conn, uint16_t cipher,
		 const uint8_t *secret, uint32_t key_updates, uint64_t next_pn);
int quic_set_key_version(int fd, bool rx, uint32_t conn, uint16_t cipher,
			 const uint8_t *secret, uint32_t key_updates,
			 uint64_t next_pn, uint32_t version);
int quic_cid(int fd, bool add, uint32_t conn, uint8_t dir, const uint8_t *id,
	     uint8_t len, const struct sockaddr_storage *peer);
int quic_del_conn(int fd, uint32_t conn);
int quic_discard_old(int fd, uint32_t conn, uint32_t dir);
int quic_conn_info(int fd, uint32_t conn, struct quic_ulp_conn_info *info);
/* QUIC_ULP_CONN_INFO into @len bytes at @buf (which the caller zeroes and
 * names the connection in); @len gets what the kernel returned
 */
int quic_conn_info_len(int fd, uint32_t conn, void *buf, socklen_t *len);
/* A counter of /proc/net/quic_ulp_stat (of the caller's namespace), or -1 */
long long quic_counter(const char *name);

/* A plaintext short-header packet with its tag space, @len bytes in all;
 * the payload is a pattern of @seed. Returns the header length.
 */
size_t quic_build(uint8_t *pkt, size_t len, const uint8_t *dcid,
		  size_t dcid_len, uint64_t pn, unsigned int pn_len,
		  bool key_phase, uint8_t seed);
/* What the kernel must put on the wire for the plaintext @plain: @plain
 * protected by the reference with @key and packet number @pn, in @out.
 * 0 or the reference's -errno.
 */
int quic_seal(struct quic_ref_key *key, const uint8_t *plain, size_t len,
	      size_t dcid_len, uint64_t pn, uint8_t *out);
void quic_random(void *buf, size_t len);
/* CLOCK_MONOTONIC in seconds: deadlines that sleeping late cannot stretch */
double quic_now(void);

/*
 * By default the programs with a long mode (quic_fuzz, quic_race,
 * quic_scale, quic_limits) run shorter versions of their long tests, in
 * iterations and seconds, short enough for CI; QUIC_SELFTEST_LONG=1 in the
 * environment runs them in full. quic_long_run() says which; a variable
 * of a program's own (FUZZ_SECONDS, ...) overrides either:
 * quic_env_int() returns it when set, else @long_def in a long run, else
 * @def.
 */
bool quic_long_run(void);
int quic_env_int(const char *name, int def, int long_def);

/* One QUIC_ULP_TX_INFO record */
static inline struct quic_ulp_tx_info quic_tx_rec(uint32_t conn, uint64_t pn,
						  uint32_t key_gen,
					      uint8_t dcid_len)
{
	struct quic_ulp_tx_info rec = {
		.pn = pn, .conn = conn, .key_gen = key_gen,
		.dcid_len = dcid_len,
	};

	return rec;
}

/* sendmsg() of @len bytes in UDP_SEGMENT segments of @gso (0: none),
 * without QUIC_ULP_TX_INFO: the kernel sends it as written
 */
ssize_t quic_send(int fd, const void *buf, size_t len, uint16_t gso,
		  const struct sockaddr_storage *to);
/* The same with a QUIC_ULP_TX_INFO control message of the @n records at
 * @recs (one per segment): the kernel is to protect every packet
 */
ssize_t quic_send_tx(int fd, const void *buf, size_t len, uint16_t gso,
		     const struct sockaddr_storage *to,
		     const struct quic_ulp_tx_info *recs, unsigned int n);

/*
 * Any sendmsg() the tests make, malformed ones included: @ntx QUIC_ULP_TX_INFO
 * control messages (0, 1 or 2), each carrying the @tx_len bytes at @tx
 * (the records, or anything else), after a UDP_SEGMENT one when @gso is
 * not 0; sendmsg() @flags.
 */
struct quic_tx_req {
	const void *buf;
	size_t len;
	uint16_t gso;
	const struct sockaddr_storage *to;
	const void *tx;
	size_t tx_len;
	unsigned int ntx;
	int flags;
};

ssize_t quic_sendmsg(int fd, const struct quic_tx_req *req);

/*
 * Proof that nothing went from one socket to another: a marker datagram
 * (a long header, which no ULP touches) is sent from @from to @to (NULL:
 * @from's connected peer) as written, then @rcv reads until it arrives,
 * with a timeout of @ms for each datagram. Datagrams on one path arrive in
 * the order they were sent, so whatever @from sent before reached @rcv
 * before the marker. Returns how many datagrams came before it (0: none),
 * or -1 (errno set) when the marker did not come. @first, when not NULL,
 * gets up to @room bytes of the first of those and @first_len its length.
 */
int quic_sync(int from, const struct sockaddr_storage *to, int rcv, int ms,
	      uint8_t *first, size_t room, ssize_t *first_len);

/* Datagrams @fd's socket dropped (sk_drops, from SO_MEMINFO), or -1 */
long long quic_sk_drops(int fd);

/* sysctl @name ("net/quic_ulp/max_connections") of the caller's network
 * namespace: its value, or -errno
 */
long long quic_sysctl_get(const char *name);
int quic_sysctl_set(const char *name, long long val);

/* A legacy ethtool flag (ETHTOOL_SGRO, ETHTOOL_STXCSUM, ...) of device
 * @dev in the local or peer namespace: 0 or -errno. quic_ethtool_get()
 * reads one (ETHTOOL_GGRO, ...): 0 or 1, or -errno.
 */
int quic_ethtool_set(bool peer, const char *dev, uint32_t cmd, uint32_t val);
int quic_ethtool_get(bool peer, const char *dev, uint32_t cmd);

#endif /* QUIC_COMMON_H */
