// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers of the quic ULP selftests; see quic_common.h.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>

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

socklen_t quic_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					  sizeof(struct sockaddr_in6);
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
				    next_pn, QUIC_ULP_VERSION_1);
}

int quic_set_key_version(int fd, bool rx, uint32_t conn, uint16_t cipher,
			 const uint8_t *secret, uint32_t key_updates,
			 uint64_t next_pn, uint32_t version)
{
	struct quic_ulp_key key = {
		.conn = conn,
		.cipher = cipher,
		.secret_len = quic_ref_secret_len(cipher),
		.key_updates = key_updates,
		.version = version,
		.next_pn = next_pn,
	};
	int r;

	memcpy(key.secret, secret, key.secret_len);
	r = ret(setsockopt(fd, SOL_UDP, rx ? QUIC_ULP_RX_KEY : QUIC_ULP_TX_KEY,
			   &key, sizeof(key)));
	memset(&key, 0, sizeof(key));
	return r;
}

int quic_cid(int fd, bool add, uint32_t conn, uint8_t dir, const uint8_t *id,
	     uint8_t len, const struct sockaddr_storage *peer)
{
	struct quic_ulp_cid cid = { .conn = conn, .dir = dir, .len = len };

	memcpy(cid.id, id, len);
	if (peer)
		memcpy(&cid.peer, peer, sizeof(cid.peer));
	return ret(setsockopt(fd, SOL_UDP, add ? QUIC_ULP_ADD_CID : QUIC_ULP_DEL_CID,
			      &cid, sizeof(cid)));
}

int quic_del_conn(int fd, uint32_t conn)
{
	return ret(setsockopt(fd, SOL_UDP, QUIC_ULP_DEL_CONN, &conn, sizeof(conn)));
}

int quic_discard_old(int fd, uint32_t conn, uint32_t dir)
{
	struct quic_ulp_discard d = { .conn = conn, .dir = dir };

	return ret(setsockopt(fd, SOL_UDP, QUIC_ULP_DISCARD_OLD_KEY, &d, sizeof(d)));
}

int quic_conn_info(int fd, uint32_t conn, struct quic_ulp_conn_info *info)
{
	socklen_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	info->conn = conn;
	return ret(getsockopt(fd, SOL_UDP, QUIC_ULP_CONN_INFO, info, &len));
}

int quic_conn_info_len(int fd, uint32_t conn, void *buf, socklen_t *len)
{
	memcpy(buf, &conn, sizeof(conn));
	return ret(getsockopt(fd, SOL_UDP, QUIC_ULP_CONN_INFO, buf, len));
}

long long quic_counter(const char *name)
{
	char line[128], key[64];
	long long val = -1, v;
	FILE *f = fopen("/proc/net/quic_ulp_stat", "r");

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

int quic_seal(struct quic_ref_key *key, const uint8_t *plain, size_t len,
	      size_t dcid_len, uint64_t pn, uint8_t *out)
{
	memcpy(out, plain, len);
	return quic_ref_protect(key, out, len, dcid_len, pn);
}

double quic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

bool quic_long_run(void)
{
	const char *v = getenv("QUIC_SELFTEST_LONG");

	return v && *v && strcmp(v, "0");
}

int quic_env_int(const char *name, int def, int long_def)
{
	const char *v = getenv(name);

	if (v && *v)
		return atoi(v);
	return quic_long_run() ? long_def : def;
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

ssize_t quic_sendmsg(int fd, const struct quic_tx_req *req)
{
	struct iovec iov = { .iov_base = (void *)req->buf, .iov_len = req->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t room = CMSG_SPACE(sizeof(uint16_t)) +
		      req->ntx * CMSG_SPACE(req->tx_len), off = 0;
	uint8_t *control = calloc(1, room);
	struct cmsghdr *cm;
	unsigned int i;
	ssize_t n;
	int err;

	if (!control)
		return -1;
	if (req->to) {
		msg.msg_name = (void *)req->to;
		msg.msg_namelen = quic_addr_len(req->to);
	}
	if (req->gso) {
		cm = (struct cmsghdr *)control;
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		memcpy(CMSG_DATA(cm), &req->gso, sizeof(req->gso));
		off += CMSG_SPACE(sizeof(uint16_t));
	}
	for (i = 0; i < req->ntx; i++) {
		cm = (struct cmsghdr *)(control + off);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = QUIC_ULP_TX_INFO;
		cm->cmsg_len = CMSG_LEN(req->tx_len);
		if (req->tx_len)
			memcpy(CMSG_DATA(cm), req->tx, req->tx_len);
		off += CMSG_SPACE(req->tx_len);
	}
	if (off) {
		msg.msg_control = control;
		msg.msg_controllen = off;
	}
	n = sendmsg(fd, &msg, req->flags);
	err = errno;
	free(control);
	errno = err;
	return n;
}

ssize_t quic_send(int fd, const void *buf, size_t len, uint16_t gso,
		  const struct sockaddr_storage *to)
{
	struct quic_tx_req req = {
		.buf = buf, .len = len, .gso = gso, .to = to,
	};

	return quic_sendmsg(fd, &req);
}

ssize_t quic_send_tx(int fd, const void *buf, size_t len, uint16_t gso,
		     const struct sockaddr_storage *to,
		     const struct quic_ulp_tx_info *recs, unsigned int n)
{
	struct quic_tx_req req = {
		.buf = buf, .len = len, .gso = gso, .to = to,
		.tx = recs, .tx_len = n * sizeof(*recs), .ntx = n ? 1 : 0,
	};

	return quic_sendmsg(fd, &req);
}

#define SYNC_MAGIC	"QUIC-SELFTEST-SYNC"
#define SYNC_LEN	40

int quic_sync(int from, const struct sockaddr_storage *to, int rcv, int ms,
	      uint8_t *first, size_t room, ssize_t *first_len)
{
	static unsigned int seq;
	struct pollfd pfd = { .fd = rcv, .events = POLLIN };
	uint8_t marker[SYNC_LEN] = { 0xff };
	unsigned int id = __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED);
	pid_t pid = getpid();
	int count = 0, err;
	uint8_t *buf;
	ssize_t n;

	/* 0xff: a long header, which no ULP protects or unprotects */
	memcpy(marker + 1, SYNC_MAGIC, sizeof(SYNC_MAGIC) - 1);
	memcpy(marker + 24, &pid, sizeof(pid));
	memcpy(marker + 28, &id, sizeof(id));
	buf = malloc(65536);
	if (!buf)
		return -1;
	if (first_len)
		*first_len = -1;
	if (to ? sendto(from, marker, sizeof(marker), 0,
			(const struct sockaddr *)to, quic_addr_len(to)) < 0 :
		 send(from, marker, sizeof(marker), 0) < 0)
		goto fail;
	for (;;) {
		err = poll(&pfd, 1, ms);
		if (err <= 0) {
			if (!err)
				errno = ETIMEDOUT;
			goto fail;
		}
		n = recv(rcv, buf, 65536, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN)
				continue;
			goto fail;
		}
		if (n == sizeof(marker) && !memcmp(buf, marker, sizeof(marker)))
			break;
		if (!count++ && first) {
			memcpy(first, buf, (size_t)n < room ? (size_t)n : room);
			if (first_len)
				*first_len = n;
		}
	}
	/* And whatever overtook the marker on its way */
	while (recv(rcv, buf, 65536, MSG_DONTWAIT) >= 0)
		count++;
	free(buf);
	return count;
fail:
	err = errno;
	free(buf);
	errno = err;
	return -1;
}

long long quic_sk_drops(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS] = {};
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) ||
	    len <= SK_MEMINFO_DROPS * sizeof(uint32_t))
		return -1;
	return mem[SK_MEMINFO_DROPS];
}

long long quic_sysctl_get(const char *name)
{
	char path[256], val[32] = {}, *end;
	long long v;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, val, sizeof(val) - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	errno = 0;
	v = strtoll(val, &end, 10);
	if (errno || end == val)
		return -EINVAL;
	return v;
}

int quic_sysctl_set(const char *name, long long val)
{
	char path[256], buf[32];
	int fd, n, len;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	len = snprintf(buf, sizeof(buf), "%lld\n", val);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : n == len ? 0 : -EIO;
}

static int ethtool(bool peer, const char *dev, struct ethtool_value *ev)
{
	int fd = peer ? quic_peer_socket(AF_INET, SOCK_DGRAM, 0) :
			socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = {};
	int err;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)ev;
	/* SIOCETHTOOL acts in the namespace of the socket it is made on */
	err = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
	close(fd);
	return err;
}

int quic_ethtool_set(bool peer, const char *dev, uint32_t cmd, uint32_t val)
{
	struct ethtool_value ev = { .cmd = cmd, .data = val };

	return ethtool(peer, dev, &ev);
}

int quic_ethtool_get(bool peer, const char *dev, uint32_t cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	int err = ethtool(peer, dev, &ev);

	return err ? err : !!ev.data;
}
