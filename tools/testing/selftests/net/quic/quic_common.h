/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the quic ULP selftests share: a two-namespace topology joined by
 * veth, sockets on either side, the ULP's socket options, and building
 * plaintext 1-RTT packets the way a QUIC stack hands them to the kernel.
 */
#ifndef QUIC_COMMON_H
#define QUIC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/quic.h>
#include <linux/udp.h>

#include "quic_ref.h"

#ifndef SOL_UDP
#define SOL_UDP		17
#endif

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
int quic_conn_info(int fd, uint32_t conn, struct quic_conn_info *info);
/* A counter of /proc/net/quic_stat, or -1 */
long long quic_counter(const char *name);

/* A plaintext short-header packet with its tag space, @len bytes in all;
 * the payload is a pattern of @seed. Returns the header length.
 */
size_t quic_build(uint8_t *pkt, size_t len, const uint8_t *dcid,
		  size_t dcid_len, uint64_t pn, unsigned int pn_len,
		  bool key_phase, uint8_t seed);
void quic_random(void *buf, size_t len);
/* CLOCK_MONOTONIC in seconds: deadlines that sleeping late cannot stretch */
double quic_now(void);

/* sendmsg() of @len bytes in UDP_SEGMENT segments of @gso (0: none) */
ssize_t quic_send(int fd, const void *buf, size_t len, uint16_t gso,
		  const struct sockaddr_storage *to);

#endif /* QUIC_COMMON_H */
