// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers of the quic ULP selftests; see quic_common.h.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../../kselftest.h"
#include "quic_common.h"

#define LOCAL_V4	"10.71.0.1"
#define PEER_V4		"10.71.0.2"
#define LOCAL_V6	"fd71::1"
#define PEER_V6		"fd71::2"

static int ns_local = -1, ns_peer = -1;
static char peer_name[64];

static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) ? -1 : 0;
}

int quic_topo_setup(void)
{
	char path[128];

	if (unshare(CLONE_NEWNET))
		return -1;
	ns_local = open("/proc/self/ns/net", O_RDONLY);
	snprintf(peer_name, sizeof(peer_name), "quic-peer-%d", getpid());
	snprintf(path, sizeof(path), "/run/netns/%s", peer_name);
	if (run("ip netns add %s", peer_name) ||
	    run("ip link set lo up") ||
	    run("ip link add veth0 type veth peer name veth1 netns %s", peer_name) ||
	    run("ip addr add " LOCAL_V4 "/24 dev veth0") ||
	    run("ip addr add " LOCAL_V6 "/64 dev veth0 nodad") ||
	    run("ip link set veth0 up") ||
	    run("ip -n %s link set lo up", peer_name) ||
	    run("ip -n %s addr add " PEER_V4 "/24 dev veth1", peer_name) ||
	    run("ip -n %s addr add " PEER_V6 "/64 dev veth1 nodad", peer_name) ||
	    run("ip -n %s link set veth1 up", peer_name))
		return -1;
	ns_peer = open(path, O_RDONLY);
	return ns_local < 0 || ns_peer < 0 ? -1 : 0;
}

void quic_topo_cleanup(void)
{
	if (peer_name[0])
		run("ip netns del %s", peer_name);
}

int quic_topo_main(int argc, char **argv, int (*run)(int, char **))
{
	int ret;

	if (quic_topo_setup()) {
		ksft_print_msg("cannot set up namespaces and veth\n");
		return KSFT_SKIP;
	}
	ret = run(argc, argv);
	quic_topo_cleanup();
	return ret;
}

int quic_peer_socket(int family, int type, int protocol)
{
	int fd;

	if (setns(ns_peer, CLONE_NEWNET))
		return -1;
	fd = socket(family, type, protocol);
	if (setns(ns_local, CLONE_NEWNET)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void fill_addr(int family, bool peer, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		inet_pton(AF_INET, peer ? PEER_V4 : LOCAL_V4, &sin->sin_addr);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, peer ? PEER_V6 : LOCAL_V6, &sin6->sin6_addr);
		*len = sizeof(*sin6);
	}
}

int quic_udp_socket(int family, bool peer, struct sockaddr_storage *addr,
		    socklen_t *addr_len)
{
	int fd = peer ? quic_peer_socket(family, SOCK_DGRAM, 0) :
			socket(family, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	fill_addr(family, peer, addr, addr_len);
	if (bind(fd, (struct sockaddr *)addr, *addr_len) ||
	    getsockname(fd, (struct sockaddr *)addr, addr_len)) {
		close(fd);
		return -1;
	}
	return fd;
}

void quic_set_timeout(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int ret(int r)
{
	return r ? -errno : 0;
}

int quic_attach(int fd)
{
	return ret(setsockopt(fd, SOL_UDP, UDP_ULP, QUIC_ULP_NAME,
			      sizeof(QUIC_ULP_NAME)));
}

int quic_set_key(int fd, bool rx, uint32_t conn, uint16_t cipher,
		 const uint8_t *secret, uint32_t key_updates, uint64_t next_pn)
{
	return quic_set_key_version(fd, rx, conn, cipher, secret, key_updates,
				    next_pn, QUIC_VERSION_1);
}

int quic_set_key_version(int fd, bool rx, uint32_t conn, uint16_t cipher,
			 const uint8_t *secret, uint32_t key_updates,
			 uint64_t next_pn, uint32_t version)
{
	struct quic_key key = {
		.conn = conn,
		.cipher = cipher,
		.secret_len = quic_ref_secret_len(cipher),
		.key_updates = key_updates,
		.version = version,
		.next_pn = next_pn,
	};
	int r;

	memcpy(key.secret, secret, key.secret_len);
	r = ret(setsockopt(fd, SOL_UDP, rx ? QUIC_RX_KEY : QUIC_TX_KEY,
			   &key, sizeof(key)));
	memset(&key, 0, sizeof(key));
	return r;
}

int quic_cid(int fd, bool add, uint32_t conn, uint8_t dir, const uint8_t *id,
	     uint8_t len, const struct sockaddr_storage *peer)
{
	struct quic_cid cid = { .conn = conn, .dir = dir, .len = len };

	memcpy(cid.id, id, len);
	if (peer)
		memcpy(&cid.peer, peer, sizeof(cid.peer));
	return ret(setsockopt(fd, SOL_UDP, add ? QUIC_ADD_CID : QUIC_DEL_CID,
			      &cid, sizeof(cid)));
}

int quic_del_conn(int fd, uint32_t conn)
{
	return ret(setsockopt(fd, SOL_UDP, QUIC_DEL_CONN, &conn, sizeof(conn)));
}

int quic_discard_old(int fd, uint32_t conn, uint32_t dir)
{
	struct quic_discard d = { .conn = conn, .dir = dir };

	return ret(setsockopt(fd, SOL_UDP, QUIC_DISCARD_OLD_KEY, &d, sizeof(d)));
}

int quic_conn_info(int fd, uint32_t conn, struct quic_conn_info *info)
{
	socklen_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	info->conn = conn;
	return ret(getsockopt(fd, SOL_UDP, QUIC_CONN_INFO, info, &len));
}

long long quic_counter(const char *name)
{
	char line[128], key[64];
	long long val = -1, v;
	FILE *f = fopen("/proc/net/quic_stat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", key, &v) == 2 && !strcmp(key, name))
			val = v;
	fclose(f);
	return val;
}

size_t quic_build(uint8_t *pkt, size_t len, const uint8_t *dcid,
		  size_t dcid_len, uint64_t pn, unsigned int pn_len,
		  bool key_phase, uint8_t seed)
{
	size_t hdr = quic_ref_short_header(pkt, dcid, dcid_len, pn, pn_len,
					   key_phase);
	size_t i;

	for (i = hdr; i < len - QUIC_REF_TAG_LEN; i++)
		pkt[i] = (uint8_t)(seed + i * 7);
	memset(pkt + len - QUIC_REF_TAG_LEN, 0, QUIC_REF_TAG_LEN);
	return hdr;
}

double quic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void quic_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = getrandom(p, len, 0);
		if (n <= 0)
			abort();
		p += n;
		len -= n;
	}
}

ssize_t quic_send(int fd, const void *buf, size_t len, uint16_t gso,
		  const struct sockaddr_storage *to)
{
	char control[CMSG_SPACE(sizeof(uint16_t))] = {};
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (to) {
		msg.msg_name = (void *)to;
		msg.msg_namelen = to->ss_family == AF_INET ?
				  sizeof(struct sockaddr_in) :
				  sizeof(struct sockaddr_in6);
	}
	if (gso) {
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		memcpy(CMSG_DATA(cm), &gso, sizeof(gso));
	}
	return sendmsg(fd, &msg, 0);
}
