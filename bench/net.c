// SPDX-License-Identifier: GPL-2.0
/*
 * The network: quic_common.c's two namespaces joined by veth, with RPS on
 * the receiving end so that its softirq runs on the receiver's CPU; the
 * sockets of a case; counters of the peer namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define SOCK_BUF	(16 << 20)

static int peer_ns = -1, self_ns = -1;

int bench_net_setup(void)
{
	char cmd[256], path[64];

	if (quic_topo_setup())
		return -1;
	snprintf(path, sizeof(path), "/run/netns/quic-peer-%d", getpid());
	peer_ns = open(path, O_RDONLY);
	self_ns = open("/proc/self/ns/net", O_RDONLY);
	if (peer_ns < 0 || self_ns < 0)
		return -1;
	/* The receiving veth's softirq on the receiver's CPU (RPS) */
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec quic-peer-%d sh -c 'echo %x > /sys/class/net/veth1/queues/rx-0/rps_cpus'",
		 getpid(), 1u << BENCH_RECEIVER_CPU);
	if (sysconf(_SC_NPROCESSORS_ONLN) > BENCH_RECEIVER_CPU && system(cmd))
		fprintf(stderr, "quic_bench: cannot set RPS on veth1\n");
	return 0;
}

void bench_net_cleanup(void)
{
	quic_topo_cleanup();
}

int in_peer_ns(void (*fn)(void *), void *arg)
{
	if (setns(peer_ns, CLONE_NEWNET))
		return -1;
	fn(arg);
	return setns(self_ns, CLONE_NEWNET);
}

static void sock_bufs(int fd)
{
	int size = SOCK_BUF, one = 1;

	/* FORCE: past net.core.[rw]mem_max, as root */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	quic_set_timeout(fd, 50);
}

int bench_net_open(struct bench_net *n)
{
	n->tx = quic_udp_socket(AF_INET, false, &n->tx_addr, &n->tx_addr_len);
	n->rx = quic_udp_socket(AF_INET, true, &n->rx_addr, &n->rx_addr_len);
	if (n->tx < 0 || n->rx < 0) {
		bench_net_close(n);
		return -1;
	}
	sock_bufs(n->tx);
	sock_bufs(n->rx);
	return 0;
}

void bench_net_close(struct bench_net *n)
{
	if (n->tx >= 0)
		close(n->tx);
	if (n->rx >= 0)
		close(n->rx);
	n->tx = n->rx = -1;
}

struct counter_read {
	const char *file, *prefix, *name;
	long long val;
};

/* /proc/net/snmp has a header line of names, then a line of values */
static void read_snmp(void *arg)
{
	struct counter_read *r = arg;
	char names[1024], vals[1024], *n, *v, *sn, *sv;
	size_t plen = strlen(r->prefix);
	FILE *f = fopen(r->file, "r");

	r->val = -1;
	if (!f)
		return;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, r->prefix, plen))
			continue;
		n = strtok_r(names + plen, " \n", &sn);
		v = strtok_r(vals + plen, " \n", &sv);
		for (; n && v; n = strtok_r(NULL, " \n", &sn),
			       v = strtok_r(NULL, " \n", &sv))
			if (!strcmp(n, r->name))
				r->val = atoll(v);
	}
	fclose(f);
}

long long peer_udp_counter(const char *name)
{
	struct counter_read r = { "/proc/thread-self/net/snmp", "Udp:", name, -1 };

	if (in_peer_ns(read_snmp, &r))
		return -1;
	return r.val;
}

long long peer_udp_drops(void)
{
	return peer_udp_counter("RcvbufErrors") + peer_udp_counter("InErrors");
}

static void read_quic(void *arg)
{
	struct counter_read *r = arg;

	r->val = quic_counter(r->name);
}

long long peer_quic_counter(const char *name)
{
	struct counter_read r = { NULL, NULL, name, -1 };

	if (in_peer_ns(read_quic, &r))
		return -1;
	return r.val;
}

ssize_t bench_send(int fd, const void *buf, size_t len, unsigned int gso,
		   const struct sockaddr_storage *to, socklen_t to_len,
		   int flags, const struct quic_ulp_tx_info *recs, unsigned int nrec)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t)) +
			 CMSG_SPACE(BENCH_MAX_BATCH * sizeof(struct quic_ulp_tx_info))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = (void *)to, .msg_namelen = to_len,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf,
	};
	uint16_t seg = gso;
	struct cmsghdr *cm;

	memset(&control, 0, sizeof(control));
	cm = (struct cmsghdr *)control.buf;
	if (gso && len > gso) {
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
		msg.msg_controllen += CMSG_SPACE(sizeof(seg));
		cm = (struct cmsghdr *)(control.buf + msg.msg_controllen);
	}
	if (nrec) {
		/* The kernel is to protect these: one record per segment */
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = QUIC_ULP_TX_INFO;
		cm->cmsg_len = CMSG_LEN(nrec * sizeof(*recs));
		memcpy(CMSG_DATA(cm), recs, nrec * sizeof(*recs));
		msg.msg_controllen += CMSG_SPACE(nrec * sizeof(*recs));
	}
	if (!msg.msg_controllen)
		msg.msg_control = NULL;
	return sendmsg(fd, &msg, flags);
}
