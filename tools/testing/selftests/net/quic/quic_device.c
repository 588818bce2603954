// SPDX-License-Identifier: GPL-2.0
/*
 * Packet protection in a network device (CONFIG_QUIC_ULP_DEVICE), on the
 * netdevsim model: a connection whose key carries QUIC_ULP_KEY_DEVICE may
 * have its 1-RTT packets sealed (Tx) and opened (Rx) by a device that
 * offers it (net_device.quic_ulp), the software path keeping whatever the device
 * cannot do. Whatever path a packet takes, what reaches the other side
 * must be exactly what the OpenSSL reference makes of it: sealed once,
 * never in the clear, never twice.
 *
 * Each test builds its own topology: namespace A (the test process, the
 * ULP sockets) with netdevsim port a0, namespace B (plain UDP sockets, the
 * reference) with port b0, the two ports linked; beside them a veth pair
 * vA-vB, a path without the offload. IPv4 and IPv6 on both. The model's
 * knobs and counters are in debugfs, netdevsim/netdevsim<ID>/ports/0/quic.
 *
 *   tx_offload          Tx: singles and UDP_SEGMENT batches; every datagram
 *                       unprotects once under the reference; QuicTxDevice,
 *                       the model's tx_packets and the software counters
 *                       add up to the packets sent
 *   rx_offload          Rx: the reference seals in B; every packet reaches
 *                       the ULP socket decrypted; QuicRxDevice and the
 *                       model's rx_packets grow once the context is up
 *   tx_key_updates,     100 key updates, packets of the old generation
 *   rx_key_updates      in flight across each one
 *   ctx_slots           max_ctx=1: the second connection waits in software
 *                       for the first one's slot
 *   feature_toggle,     a0's directions disabled and enabled again under
 *                       traffic (the quic-ulp family's dev-set)
 *   rx_feature_off
 *   device_removal      the netdevsim device goes away under a sender whose
 *                       route then moves to veth
 *   route_change        the peer's route moves to veth and back
 *   tx_fail_key_add,    the model refuses keys: software it is, until it
 *                       takes them again
 *   rx_fail_key_add
 *   cipher_not_claimed, the device is never asked for what it does not
 *   no_device_flag,     offer or the connection did not allow
 *   dirs
 *   checker             B's checker catches a packet in the clear, sealed
 *                       with other keys or sealed twice
 *
 * Variants: each cipher suite, IPv4 (unconnected socket, 8-byte DCID) and
 * IPv6 (connected, 20-byte DCID). A suite the model does not claim by
 * default is skipped; so is everything without netdevsim, its quic model
 * or the kernel's device counters.
 *
 * QUIC_DEV_UPDATES in the environment sets the number of key updates
 * (default 100).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/quic_ulp.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

#define A		0
#define B		1

/* A's Tx sockets are bound to an address on lo, which outlives a0 */
#define A_LO_V4		"10.72.0.1"
#define A_LO_V6		"fd72::1"
#define A_NSIM_V4	"10.72.1.1"
#define B_NSIM_V4	"10.72.1.2"
#define A_VETH_V4	"10.72.2.1"
#define B_VETH_V4	"10.72.2.2"
#define A_NSIM_V6	"fd72:1::1"
#define B_NSIM_V6	"fd72:1::2"
#define A_VETH_V6	"fd72:2::1"
#define B_VETH_V6	"fd72:2::2"

#define NSIM_BUS	"/sys/bus/netdevsim"
#define NSIM_DEBUGFS	"/sys/kernel/debug/netdevsim"
#define FEATURE		"quic-hw-offload"

#define MAX_GEN		128	/* key generations a test goes through */
#define ENT_CAP		131072U	/* packet numbers a connection uses: 2^17 */
#define MAX_CONN	3
#define RECV_MS		3000
#define DEVICE_MS	10000	/* for a context to come up */
#define DGRAM_MAX	65536

/* Counters of /proc/net/quic_ulp_stat the device path adds */
enum {
	C_TX_DEV, C_TX_FALLBACK, C_TX_DROPS, C_SW_NOCTX, C_SW_ROUTE,
	C_SW_KEY, C_SW_SHAPE, C_RX_DEV, C_RX_MISMATCH, C_RX_SWOFF,
	C_CTX_ADDED, C_CTX_FAILED, C_CTX_REMOVED, C_CTX_CURR,
	C_KEYS_ADDED, C_KEYS_FAILED, C_KEYS_REMOVED, NCTR
};

static const char *const ctr_name[NCTR] = {
	"QuicTxDevice", "QuicTxDevFallback", "QuicTxDevDrops",
	"QuicTxSwNoCtx", "QuicTxSwRoute", "QuicTxSwKey", "QuicTxSwShape",
	"QuicRxDevice", "QuicRxDevMismatch", "QuicRxSwOffloaded",
	"QuicDevCtxAdded", "QuicDevCtxFailed", "QuicDevCtxRemoved",
	"QuicDevCtxCurr", "QuicDevKeysAdded", "QuicDevKeysFailed",
	"QuicDevKeysRemoved",
};

struct ctrs {
	long long v[NCTR];
};

/* The model's counters of port a0 */
struct mstat {
	long long tx, rx, tx_drops, rx_passed, ctx;
};

struct topo {
	char ns[2][40];
	int nsfd[2];
	int init_fd;
	unsigned int id[2];	/* netdevsim device ids */
	bool alive[2];		/* the device exists */
	int if_nsim[2];		/* a0 in A, b0 in B */
	int if_veth[2];		/* vA in A, vB in B */
	char dbg[2][128];	/* debugfs quic directory of each port */
};

/* What the sender did with one packet number of a Tx connection */
enum { ENT_FREE, ENT_SENDING, ENT_SENT, ENT_FAILED };

struct ent {
	uint16_t len;
	uint8_t pn_len;
	uint8_t state;		/* atomic: sender writes, checker reads */
	uint16_t gen;
	uint16_t seen;		/* checker only */
	int ifindex;		/* checker only: where it arrived */
};

/* A Tx connection of the ULP socket in A, and what B knows of it */
struct txconn {
	uint32_t id;
	size_t slen;
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	uint8_t dcid[QUIC_REF_MAX_CID_LEN];
	uint8_t dcid_len;
	uint64_t next_pn;	/* sender */
	uint32_t gen;		/* sender: current generation */
	struct ent *ent;	/* by packet number */
	struct quic_ref_key *keys;	/* checker: generation by generation */
	uint32_t nkeys;
	uint64_t largest;	/* checker: largest packet number seen */
};

/* An Rx connection of the ULP socket in A, sealed by B */
struct rxconn {
	uint32_t id;
	size_t slen;
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	uint8_t cid[QUIC_REF_MAX_CID_LEN];
	struct quic_ref_key *keys;
	uint32_t nkeys;
	uint64_t next_pn;
	uint32_t gen;
};

/* B's verdicts on what it received; counts are atomic */
struct checker {
	long long good, bad, dup, on_nsim, on_veth;
	char first[320];
	uint8_t tmp[DGRAM_MAX], exp[DGRAM_MAX];
};

struct world;

/* A sender and a receiver thread on one Tx connection */
struct traffic {
	struct world *w;
	struct txconn *c;
	pthread_t snd, rcv;
	bool running;
	int stop_snd, stop_rcv;
	long long ok, fail;
	int first_errno;
};

struct world {
	struct topo t;
	uint16_t cipher;
	uint32_t cbit;
	int family;
	bool connected;
	uint8_t cid_len;
	/* Tx: ULP socket in A, its sink in B */
	int ulp, sink;
	struct sockaddr_storage sink_addr;
	struct txconn tx[MAX_CONN];
	int ntx;
	struct checker ck;
	/* Rx: ULP socket in A, its source in B */
	int rulp, src;
	struct rxconn rx[MAX_CONN];
	int nrx;
	struct traffic tr;
	int sw_kind;		/* how a0's offload is switched: SWITCH_* */
	uint8_t buf[DGRAM_MAX], plain[DGRAM_MAX];
};

/* ---- shell, sysfs, debugfs ---- */

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return r == -1 || !WIFEXITED(r) || WEXITSTATUS(r) ? -1 : 0;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(s))
		err = -EIO;
	close(fd);
	return err;
}

static int ip_batch(const char *ns, const char *cmds)
{
	char cmd[128];
	FILE *f;
	int r;

	snprintf(cmd, sizeof(cmd), "ip -n %s -b -", ns);
	f = popen(cmd, "w");
	if (!f)
		return -1;
	fputs(cmds, f);
	r = pclose(f);
	return r == -1 || !WIFEXITED(r) || WEXITSTATUS(r) ? -1 : 0;
}

static long long dbg_get(struct world *w, int port, const char *name)
{
	char path[192], val[64] = {}, *end;
	long long v;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", w->t.dbg[port], name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, val, sizeof(val) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	errno = 0;
	v = strtoll(val, &end, 0);
	return errno || end == val ? -1 : v;
}

static int dbg_set(struct world *w, int port, const char *name, long long v)
{
	char path[192], val[32];

	snprintf(path, sizeof(path), "%s/%s", w->t.dbg[port], name);
	snprintf(val, sizeof(val), "%lld\n", v);
	return write_str(path, val);
}

static void mstat_read(struct world *w, struct mstat *m)
{
	m->tx = dbg_get(w, A, "tx_packets");
	m->rx = dbg_get(w, A, "rx_packets");
	m->tx_drops = dbg_get(w, A, "tx_drops");
	m->rx_passed = dbg_get(w, A, "rx_passed");
	m->ctx = dbg_get(w, A, "ctx_count");
}

static void ctrs_read(struct ctrs *c)
{
	char line[128], key[64];
	long long v;
	FILE *f;
	int i;

	for (i = 0; i < NCTR; i++)
		c->v[i] = -1;
	f = fopen("/proc/net/quic_ulp_stat", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld", key, &v) != 2)
			continue;
		for (i = 0; i < NCTR; i++)
			if (!strcmp(key, ctr_name[i]))
				c->v[i] = v;
	}
	fclose(f);
}

static long long ctr(int i)
{
	struct ctrs c;

	ctrs_read(&c);
	return c.v[i];
}

static long long sw_sum(const struct ctrs *c)
{
	return c->v[C_SW_NOCTX] + c->v[C_SW_ROUTE] + c->v[C_SW_KEY] +
	       c->v[C_SW_SHAPE];
}

/* The counters that moved since @before, for failure messages */
static const char *ctrs_diff(const struct ctrs *before)
{
	static char s[768];
	struct ctrs now;
	size_t off = 0;
	int i;

	ctrs_read(&now);
	s[0] = 0;
	for (i = 0; i < NCTR && off < sizeof(s) - 64; i++)
		if (now.v[i] != before->v[i])
			off += snprintf(s + off, sizeof(s) - off, " %s%+lld",
					ctr_name[i], now.v[i] - before->v[i]);
	return off ? s : " (no device counter moved)";
}

static void msleep(int ms)
{
	usleep(ms * 1000);
}

/* ---- topology ---- */

static int find_new_if(char *name, size_t len)
{
	double end = quic_now() + 5;

	do {
		struct if_nameindex *ifs = if_nameindex(), *i;

		for (i = ifs; i && i->if_index; i++) {
			if (!strcmp(i->if_name, "lo"))
				continue;
			snprintf(name, len, "%s", i->if_name);
			if_freenameindex(ifs);
			return 0;
		}
		if (ifs)
			if_freenameindex(ifs);
		msleep(20);
	} while (quic_now() < end);
	return -1;
}

static void topo_cleanup(struct topo *t)
{
	char id[16];
	int i;

	if (t->init_fd >= 0 && setns(t->init_fd, CLONE_NEWNET))
		return;
	for (i = 0; i < 2; i++) {
		if (!t->alive[i])
			continue;
		snprintf(id, sizeof(id), "%u", t->id[i]);
		write_str(NSIM_BUS "/del_device", id);
		t->alive[i] = false;
	}
	for (i = 0; i < 2; i++) {
		if (t->nsfd[i] >= 0)
			close(t->nsfd[i]);
		t->nsfd[i] = -1;
		if (t->ns[i][0])
			sh("ip netns del %s 2>/dev/null", t->ns[i]);
		t->ns[i][0] = 0;
	}
	if (t->init_fd >= 0)
		close(t->init_fd);
	t->init_fd = -1;
}

static int rp_filter_off(const char *dev)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter",
		 dev);
	return write_str(path, "0\n");
}

/* 0: up, in A; 1: skip (@why says why); -1: failed (@why says where) */
static int topo_setup(struct topo *t, char *why, size_t len)
{
	static const char *const port[2] = { "a0", "b0" };
	char name[IF_NAMESIZE], buf[128];
	unsigned int base;
	int i, err;

	memset(t, 0, sizeof(*t));
	t->nsfd[0] = -1;
	t->nsfd[1] = -1;
	t->init_fd = -1;
	if (access(NSIM_BUS "/new_device", W_OK)) {
		snprintf(why, len, "no netdevsim (%s/new_device)", NSIM_BUS);
		return 1;
	}
	if (access(NSIM_DEBUGFS, F_OK)) {
		snprintf(why, len, "no netdevsim debugfs at %s", NSIM_DEBUGFS);
		return 1;
	}
	t->init_fd = open("/proc/self/ns/net", O_RDONLY);
	if (t->init_fd < 0)
		goto fail_errno;
	for (i = 0; i < 2; i++) {
		char path[80];

		snprintf(t->ns[i], sizeof(t->ns[i]), "qdev%c-%d", 'A' + i,
			 getpid());
		if (sh("ip netns add %s", t->ns[i])) {
			t->ns[i][0] = 0;
			snprintf(why, len, "ip netns add failed");
			goto fail;
		}
		snprintf(path, sizeof(path), "/run/netns/%s", t->ns[i]);
		t->nsfd[i] = open(path, O_RDONLY);
		if (t->nsfd[i] < 0)
			goto fail_errno;
	}

	/* Each port is born in the namespace of the writer of new_device */
	base = 30000 + (unsigned int)(getpid() % 100000) * 2;
	for (i = 0; i < 2; i++) {
		if (setns(t->nsfd[i], CLONE_NEWNET))
			goto fail_errno;
		t->id[i] = base + i;
		snprintf(buf, sizeof(buf), "%u 1", t->id[i]);
		err = write_str(NSIM_BUS "/new_device", buf);
		if (err) {
			snprintf(why, len, "new_device %s: %s", buf,
				 strerror(-err));
			goto fail;
		}
		t->alive[i] = true;
		if (find_new_if(name, sizeof(name))) {
			snprintf(why, len, "netdevsim %u has no port",
				 t->id[i]);
			goto fail;
		}
		if (sh("ip link set dev %s name %s", name, port[i])) {
			snprintf(why, len, "cannot rename %s", name);
			goto fail;
		}
		t->if_nsim[i] = if_nametoindex(port[i]);
		snprintf(t->dbg[i], sizeof(t->dbg[i]),
			 NSIM_DEBUGFS "/netdevsim%u/ports/0/quic", t->id[i]);
	}
	if (setns(t->init_fd, CLONE_NEWNET))
		goto fail_errno;
	snprintf(buf, sizeof(buf), "%d:%d %d:%d", t->nsfd[A], t->if_nsim[A],
		 t->nsfd[B], t->if_nsim[B]);
	err = write_str(NSIM_BUS "/link_device", buf);
	if (err) {
		snprintf(why, len, "link_device %s: %s", buf, strerror(-err));
		goto fail;
	}

	snprintf(buf, sizeof(buf), "link add vA type veth peer name vB netns %s\n",
		 t->ns[B]);
	if (ip_batch(t->ns[A], buf) ||
	    ip_batch(t->ns[A],
		     "addr add " A_LO_V4 "/32 dev lo\n"
		     "addr add " A_LO_V6 "/128 dev lo\n"
		     "addr add " A_NSIM_V4 "/24 dev a0\n"
		     "addr add " A_NSIM_V6 "/64 dev a0 nodad\n"
		     "addr add " A_VETH_V4 "/24 dev vA\n"
		     "addr add " A_VETH_V6 "/64 dev vA nodad\n"
		     "link set lo up\n"
		     "link set a0 up\n"
		     "link set vA up\n") ||
	    ip_batch(t->ns[B],
		     "addr add " B_NSIM_V4 "/24 dev b0\n"
		     "addr add " B_NSIM_V6 "/64 dev b0 nodad\n"
		     "addr add " B_VETH_V4 "/24 dev vB\n"
		     "addr add " B_VETH_V6 "/64 dev vB nodad\n"
		     "link set lo up\n"
		     "link set b0 up\n"
		     "link set vB up\n")) {
		snprintf(why, len, "ip configuration failed");
		goto fail;
	}

	/* B takes packets for b0's address arriving on vB (route change) */
	for (i = 0; i < 2; i++) {
		if (setns(t->nsfd[i], CLONE_NEWNET))
			goto fail_errno;
		if (rp_filter_off("all") || rp_filter_off("default") ||
		    rp_filter_off(port[i]) || rp_filter_off(i ? "vB" : "vA"))
			goto fail_errno;
		t->if_veth[i] = if_nametoindex(i ? "vB" : "vA");
	}

	if (access(t->dbg[A], F_OK) || access(t->dbg[B], F_OK)) {
		snprintf(why, len, "netdevsim without the quic model (no %s)",
			 t->dbg[A]);
		topo_cleanup(t);
		return 1;
	}
	if (setns(t->nsfd[A], CLONE_NEWNET))
		goto fail_errno;
	return 0;

fail_errno:
	snprintf(why, len, "topology: %s", strerror(errno));
fail:
	topo_cleanup(t);
	return -1;
}

/*
 * Switching a0's offload on and off. The design has an ethtool feature,
 * quic-hw-offload; a kernel without it has the quic-ulp family's dev-set
 * (the directions enabled on the device) instead. Whichever a0 has.
 */
enum { SWITCH_NONE, SWITCH_ETHTOOL, SWITCH_NETLINK };

/* a0's quic-hw-offload: 1, 0, or -1 when ethtool does not know it */
static int ethtool_feature_get(void)
{
	char line[256];
	int v = -1;
	FILE *f = popen("ethtool -k a0 2>/dev/null", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");

		if (!strncmp(p, FEATURE ":", strlen(FEATURE ":")))
			v = !!strstr(p, ": on");
	}
	pclose(f);
	return v;
}

struct nlbuf {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[512];
};

static void nla_add(struct nlmsghdr *n, uint16_t type, const void *data,
		    size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Send @req on a generic netlink socket of the caller's namespace; the
 * reply, when there is one that is not an error, in @rsp. 0 or -errno.
 */
static int genl_talk(struct nlbuf *req, struct nlbuf *rsp)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC), err = -EIO;
	ssize_t n;

	if (fd < 0)
		return -errno;
	req->n.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->n.nlmsg_seq = 1;
	if (sendto(fd, req, req->n.nlmsg_len, 0, (struct sockaddr *)&nl,
		   sizeof(nl)) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		struct nlbuf got;
		struct nlmsghdr *h;

		n = recv(fd, &got, sizeof(got), 0);
		if (n < 0) {
			err = -errno;
			break;
		}
		h = &got.n;
		if (!NLMSG_OK(h, (size_t)n))
			break;
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			err = e->error;
			break;
		}
		if (rsp)
			memcpy(rsp, &got, (size_t)n < sizeof(*rsp) ? (size_t)n :
							   sizeof(*rsp));
	}
out:
	close(fd);
	return err;
}

/* Walk the attributes of the generic netlink message @m:
 * for (a = attr_first(m); attr_ok(a, m); a = attr_next(a))
 */
static inline struct nlattr *attr_first(struct nlbuf *m)
{
	return (struct nlattr *)m->attrs;
}

static inline bool attr_ok(const struct nlattr *a, const struct nlbuf *m)
{
	return (const char *)a + NLA_HDRLEN <= (const char *)m + m->n.nlmsg_len &&
	       a->nla_len >= NLA_HDRLEN;
}

static inline struct nlattr *attr_next(struct nlattr *a)
{
	return (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
}

static int quic_family(void)
{
	static int id;
	struct nlbuf req = {}, rsp = {};
	struct nlattr *a;

	if (id > 0)
		return id;
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = GENL_ID_CTRL;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	nla_add(&req.n, CTRL_ATTR_FAMILY_NAME, QUIC_ULP_FAMILY_NAME,
		sizeof(QUIC_ULP_FAMILY_NAME));
	if (genl_talk(&req, &rsp))
		return -1;
	for (a = attr_first(&rsp); attr_ok(a, &rsp); a = attr_next(a))
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(&id, (char *)a + NLA_HDRLEN, sizeof(uint16_t));
	return id > 0 ? id : -1;
}

/* dev-get of @ifindex: its enabled directions and contexts; 0 or -errno */
static int nl_dev_get(int ifindex, long long *enabled, long long *contexts)
{
	struct nlbuf req = {}, rsp = {};
	struct nlattr *a;
	int fam = quic_family(), err;
	uint32_t ifi = ifindex;

	if (fam < 0)
		return -ENOENT;
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = fam;
	req.g.cmd = QUIC_ULP_CMD_DEV_GET;
	req.g.version = QUIC_ULP_FAMILY_VERSION;
	nla_add(&req.n, QUIC_ULP_A_DEV_IFINDEX, &ifi, sizeof(ifi));
	err = genl_talk(&req, &rsp);
	if (err)
		return err;
	*enabled = *contexts = -1;
	for (a = attr_first(&rsp); attr_ok(a, &rsp); a = attr_next(a)) {
		uint64_t v = 0;

		if (a->nla_len == NLA_HDRLEN + 4) {
			uint32_t v32;

			memcpy(&v32, (char *)a + NLA_HDRLEN, 4);
			v = v32;
		} else if (a->nla_len == NLA_HDRLEN + 8) {
			memcpy(&v, (char *)a + NLA_HDRLEN, 8);
		}
		if (a->nla_type == QUIC_ULP_A_DEV_ENABLED)
			*enabled = v;
		if (a->nla_type == QUIC_ULP_A_DEV_CONTEXTS)
			*contexts = v;
	}
	return 0;
}

static int nl_dev_set(int ifindex, uint32_t enabled)
{
	struct nlbuf req = {};
	int fam = quic_family();
	uint32_t ifi = ifindex;

	if (fam < 0)
		return -ENOENT;
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = fam;
	req.g.cmd = QUIC_ULP_CMD_DEV_SET;
	req.g.version = QUIC_ULP_FAMILY_VERSION;
	nla_add(&req.n, QUIC_ULP_A_DEV_IFINDEX, &ifi, sizeof(ifi));
	nla_add(&req.n, QUIC_ULP_A_DEV_ENABLED, &enabled, sizeof(enabled));
	return genl_talk(&req, NULL);
}

/* How a0's offload is switched: SWITCH_* */
static int switch_kind(int ifindex)
{
	long long enabled, contexts;

	if (ethtool_feature_get() >= 0)
		return SWITCH_ETHTOOL;
	if (!nl_dev_get(ifindex, &enabled, &contexts))
		return SWITCH_NETLINK;
	return SWITCH_NONE;
}

/* a0's offload: 1 on, 0 off, 2 one direction only, -1 unknown */
static int feature_get(struct world *w)
{
	long long enabled, contexts;

	if (w->sw_kind == SWITCH_ETHTOOL)
		return ethtool_feature_get();
	if (nl_dev_get(w->t.if_nsim[A], &enabled, &contexts))
		return -1;
	return enabled == (QUIC_ULP_DIR_TX | QUIC_ULP_DIR_RX) ? 1 :
	       enabled ? 2 : 0;
}

static int feature_set(struct world *w, bool on)
{
	if (w->sw_kind == SWITCH_ETHTOOL)
		return sh("ethtool -K a0 " FEATURE " %s", on ? "on" : "off");
	if (w->sw_kind == SWITCH_NETLINK)
		return nl_dev_set(w->t.if_nsim[A], on ? QUIC_ULP_DIR_TX |
							QUIC_ULP_DIR_RX : 0);
	return -EOPNOTSUPP;
}

enum { ADDR_NSIM, ADDR_VETH, ADDR_LO };

static void addr_of(int family, int side, int which,
		    struct sockaddr_storage *ss)
{
	static const char *const v4[2][3] = {
		{ A_NSIM_V4, A_VETH_V4, A_LO_V4 },
		{ B_NSIM_V4, B_VETH_V4, B_NSIM_V4 } };
	static const char *const v6[2][3] = {
		{ A_NSIM_V6, A_VETH_V6, A_LO_V6 },
		{ B_NSIM_V6, B_VETH_V6, B_NSIM_V6 } };

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		inet_pton(AF_INET, v4[side][which], &sin->sin_addr);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, v6[side][which], &sin6->sin6_addr);
	}
}

/* Route B's netdevsim address through veth, or give it back to a0 */
static int route_via_veth(struct world *w, bool veth)
{
	if (w->family == AF_INET)
		return veth ? sh("ip -n %s route replace " B_NSIM_V4 "/32 via "
				 B_VETH_V4 " dev vA", w->t.ns[A]) :
			      sh("ip -n %s route del " B_NSIM_V4 "/32",
				 w->t.ns[A]);
	return veth ? sh("ip -n %s -6 route replace " B_NSIM_V6 "/128 via "
			 B_VETH_V6 " dev vA", w->t.ns[A]) :
		      sh("ip -n %s -6 route del " B_NSIM_V6 "/128", w->t.ns[A]);
}

/* A UDP socket in @side's namespace bound to its address @which */
static int udp_sock(struct world *w, int side, int which,
		    struct sockaddr_storage *ss)
{
	socklen_t len;
	int fd, err;

	if (setns(w->t.nsfd[side], CLONE_NEWNET))
		return -1;
	fd = socket(w->family, SOCK_DGRAM, 0);
	err = errno;
	if (setns(w->t.nsfd[A], CLONE_NEWNET)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd < 0) {
		errno = err;
		return -1;
	}
	addr_of(w->family, side, which, ss);
	len = quic_addr_len(ss);
	if (bind(fd, (struct sockaddr *)ss, len) ||
	    getsockname(fd, (struct sockaddr *)ss, &len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int set_key(int fd, bool rx, uint32_t conn, uint16_t cipher,
		   const uint8_t *secret, uint8_t flags)
{
	struct quic_ulp_key key = {
		.conn = conn,
		.cipher = cipher,
		.secret_len = quic_ref_secret_len(cipher),
		.flags = flags,
		.version = QUIC_ULP_VERSION_1,
	};
	int r;

	memcpy(key.secret, secret, key.secret_len);
	r = setsockopt(fd, SOL_UDP, rx ? QUIC_ULP_RX_KEY : QUIC_ULP_TX_KEY,
		       &key, sizeof(key)) ? -errno : 0;
	memset(&key, 0, sizeof(key));
	return r;
}

/* ---- Tx: the ULP socket in A sends, B checks ---- */

static void tx_init(struct __test_metadata *_metadata, struct world *w)
{
	struct sockaddr_storage ulp_addr;
	int one = 1, big = 8 << 20;

	w->ulp = udp_sock(w, A, ADDR_LO, &ulp_addr);
	ASSERT_GE(w->ulp, 0);
	w->sink = udp_sock(w, B, ADDR_NSIM, &w->sink_addr);
	ASSERT_GE(w->sink, 0);
	setsockopt(w->sink, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (w->family == AF_INET) {
		ASSERT_EQ(setsockopt(w->sink, IPPROTO_IP, IP_PKTINFO, &one,
				     sizeof(one)), 0);
	} else {
		ASSERT_EQ(setsockopt(w->sink, IPPROTO_IPV6, IPV6_RECVPKTINFO,
				     &one, sizeof(one)), 0);
	}
	if (w->connected)
		ASSERT_EQ(connect(w->ulp, (struct sockaddr *)&w->sink_addr,
				  quic_addr_len(&w->sink_addr)), 0);
	ASSERT_EQ(quic_attach(w->ulp), 0);
}

static struct txconn *tx_conn(struct __test_metadata *_metadata,
			      struct world *w, uint32_t id, uint8_t flags)
{
	struct txconn *c;

	if (w->ulp < 0)
		tx_init(_metadata, w);
	if (w->ntx >= MAX_CONN)
		return NULL;
	c = &w->tx[w->ntx++];
	c->id = id;
	c->slen = quic_ref_secret_len(w->cipher);
	c->dcid_len = w->cid_len;
	c->largest = QUIC_REF_PN_NONE;
	quic_random(c->secret, c->slen);
	quic_random(c->dcid, sizeof(c->dcid));
	c->ent = calloc(ENT_CAP, sizeof(*c->ent));
	c->keys = calloc(MAX_GEN, sizeof(*c->keys));
	if (!c->ent || !c->keys)
		return NULL;
	if (set_key(w->ulp, false, id, w->cipher, c->secret, flags))
		return NULL;
	return c;
}

/* Generation @gen of a connection's keys (the checker's, or B's) */
static struct quic_ref_key *gen_key(struct quic_ref_key *keys, uint32_t *n,
				    uint16_t cipher, const uint8_t *secret,
				    size_t slen, uint32_t gen)
{
	if (gen >= MAX_GEN)
		return NULL;
	while (*n <= gen) {
		int err = *n ? quic_ref_key_init_next(&keys[*n], &keys[*n - 1]) :
			       quic_ref_key_init(&keys[0], cipher, secret, slen);

		if (err)
			return NULL;
		(*n)++;
	}
	return &keys[gen];
}

static struct quic_ref_key *tx_key(struct world *w, struct txconn *c,
				   uint32_t gen)
{
	return gen_key(c->keys, &c->nkeys, w->cipher, c->secret, c->slen, gen);
}

/*
 * One datagram of @n packets numbered @pn0, @pn0 + @step, ..., all named
 * generation @gen, in segments of @seg bytes but the last, of @last: the
 * plaintext goes to the ULP with one record per packet. 0 or -errno.
 */
static int tx_send_at(struct world *w, struct txconn *c, uint64_t pn0, int n,
		      int step, uint32_t gen, size_t seg, size_t last,
		      unsigned int pn_len, uint8_t *buf)
{
	struct quic_ulp_tx_info recs[64];
	size_t total = seg * (n - 1) + last;
	uint64_t top = pn0 + (uint64_t)(n - 1) * step;
	ssize_t r;
	int i, err;

	if (n < 1 || n > 64 || top >= ENT_CAP || total > DGRAM_MAX)
		return -ERANGE;
	for (i = 0; i < n; i++) {
		uint64_t pn = pn0 + (uint64_t)i * step;
		size_t len = i == n - 1 ? last : seg;
		struct ent *e = &c->ent[pn];

		quic_build(buf + i * seg, len, c->dcid, c->dcid_len, pn,
			   pn_len, gen & 1, (uint8_t)pn);
		e->len = len;
		e->pn_len = pn_len;
		e->gen = gen;
		__atomic_store_n(&e->state, ENT_SENDING, __ATOMIC_RELEASE);
		recs[i] = quic_tx_rec(c->id, pn, gen, c->dcid_len);
	}
	r = quic_send_tx(w->ulp, buf, total, n > 1 ? seg : 0,
			 w->connected ? NULL : &w->sink_addr, recs, n);
	err = r == (ssize_t)total ? 0 : r < 0 ? -errno : -EIO;
	for (i = 0; i < n; i++)
		__atomic_store_n(&c->ent[pn0 + (uint64_t)i * step].state,
				 err ? ENT_FAILED : ENT_SENT, __ATOMIC_RELEASE);
	if (c->next_pn <= top)
		c->next_pn = top + 1;
	return err;
}

static int tx_single(struct world *w, struct txconn *c, uint32_t gen,
		     size_t len, unsigned int pn_len)
{
	return tx_send_at(w, c, c->next_pn, 1, 1, gen, len, len, pn_len,
			  w->buf);
}

static int tx_batch(struct world *w, struct txconn *c, int n, uint32_t gen,
		    size_t seg, size_t last, unsigned int pn_len)
{
	return tx_send_at(w, c, c->next_pn, n, 1, gen, seg, last, pn_len,
			  w->buf);
}

static void ck_bad(struct world *w, const char *fmt, ...)
{
	char msg[sizeof(w->ck.first)];
	va_list ap;

	if (__atomic_fetch_add(&w->ck.bad, 1, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(w->ck.first, msg, sizeof(msg));
}

/* One datagram B received at @ifindex: a packet of a Tx connection,
 * sealed exactly once with the generation it was sent with
 */
static void check_tx_pkt(struct world *w, const uint8_t *pkt, size_t n,
			 int ifindex)
{
	struct quic_ref_key *k0, *kg;
	struct txconn *c = NULL;
	struct quic_ref_rx rx;
	struct ent *e;
	int i, st;

	for (i = 0; i < w->ntx; i++)
		if (n > w->cid_len &&
		    !memcmp(pkt + 1, w->tx[i].dcid, w->cid_len))
			c = &w->tx[i];
	if (!c)
		return ck_bad(w, "a datagram of %zu bytes, first byte %#x, of no connection",
			      n, pkt[0]);
	memcpy(w->ck.tmp, pkt, n);
	k0 = tx_key(w, c, 0);
	if (!k0)
		return ck_bad(w, "reference keys failed");
	if (quic_ref_unprotect_header(k0, w->ck.tmp, n, c->dcid_len,
				      c->largest, &rx))
		return ck_bad(w, "conn %u: a datagram of %zu bytes is no short-header packet",
			      c->id, n);
	st = 0;
	if (rx.pn < ENT_CAP)
		st = __atomic_load_n(&c->ent[rx.pn].state, __ATOMIC_ACQUIRE);
	if (!st)
		return ck_bad(w,
			      "conn %u: %zu bytes with packet number %llu, never sent: not sealed (in the clear?) or sealed twice",
			      c->id, n, (unsigned long long)rx.pn);
	e = &c->ent[rx.pn];
	if (e->len != n || e->pn_len != rx.pn_len)
		return ck_bad(w,
			      "conn %u pn %llu: %zu bytes, pn field %u; sent %u bytes, pn field %u",
			      c->id, (unsigned long long)rx.pn, n, rx.pn_len,
			      e->len, e->pn_len);
	kg = tx_key(w, c, e->gen);
	if (!kg)
		return ck_bad(w, "reference keys failed");
	if (quic_ref_open_payload(kg, w->ck.tmp, &rx))
		return ck_bad(w,
			      "conn %u pn %llu (generation %u, %zu bytes) does not authenticate under the reference: in the clear, sealed twice or with other keys",
			      c->id, (unsigned long long)rx.pn, e->gen, n);
	quic_build(w->ck.exp, n, c->dcid, c->dcid_len, rx.pn, e->pn_len,
		   e->gen & 1, (uint8_t)rx.pn);
	if (memcmp(w->ck.tmp, w->ck.exp, n - QUIC_REF_TAG_LEN))
		return ck_bad(w, "conn %u pn %llu authenticates but is not the plaintext sent",
			      c->id, (unsigned long long)rx.pn);
	if (st == ENT_FAILED)
		return ck_bad(w, "conn %u pn %llu arrived though its sendmsg() failed",
			      c->id, (unsigned long long)rx.pn);
	if (++e->seen > 1) {
		__atomic_fetch_add(&w->ck.dup, 1, __ATOMIC_RELAXED);
		return ck_bad(w, "conn %u pn %llu arrived %u times",
			      c->id, (unsigned long long)rx.pn, e->seen);
	}
	e->ifindex = ifindex;
	if (c->largest == QUIC_REF_PN_NONE || rx.pn > c->largest)
		c->largest = rx.pn;
	__atomic_fetch_add(&w->ck.good, 1, __ATOMIC_RELAXED);
	if (ifindex == w->t.if_nsim[B])
		__atomic_fetch_add(&w->ck.on_nsim, 1, __ATOMIC_RELAXED);
	else if (ifindex == w->t.if_veth[B])
		__atomic_fetch_add(&w->ck.on_veth, 1, __ATOMIC_RELAXED);
}

/* One datagram from B's sink, checked: its length, or -1 */
static ssize_t sink_recv(struct world *w, uint8_t *buf, int ms)
{
	char control[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
		     CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct iovec iov = { .iov_base = buf, .iov_len = DGRAM_MAX };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct pollfd pfd = { .fd = w->sink, .events = POLLIN };
	struct cmsghdr *cm;
	int ifindex = 0;
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return -1;
	n = recvmsg(w->sink, &msg, MSG_DONTWAIT);
	if (n < 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			ifindex = pi.ipi_ifindex;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			ifindex = pi.ipi6_ifindex;
		}
	}
	check_tx_pkt(w, buf, n, ifindex);
	return n;
}

/* Receive and check up to @want datagrams: how many came */
static int drain(struct world *w, int want)
{
	int got = 0;

	while (got < want && sink_recv(w, w->plain, RECV_MS) >= 0)
		got++;
	return got;
}

/* Packets of @c sent from @from on whose fate is not @ok: not arrived,
 * arrived elsewhere than @ifindex (0: anywhere)
 */
static long long tx_not_arrived(struct txconn *c, uint64_t from, int ifindex)
{
	long long bad = 0;
	uint64_t pn;

	for (pn = from; pn < c->next_pn; pn++) {
		struct ent *e = &c->ent[pn];

		if (e->state != ENT_SENT)
			continue;
		if (e->seen != 1 || (ifindex && e->ifindex != ifindex))
			bad++;
	}
	return bad;
}

static long long tx_lost(struct txconn *c)
{
	long long lost = 0;
	uint64_t pn;

	for (pn = 0; pn < c->next_pn; pn++)
		if (c->ent[pn].state == ENT_SENT && !c->ent[pn].seen)
			lost++;
	return lost;
}

/* Send singles of generation @gen, each received and checked, until one
 * is counted as handed to the device; @ms at most. The packets sent.
 */
static int tx_until_device(struct __test_metadata *_metadata,
			   struct world *w, struct txconn *c, uint32_t gen,
			   int ms)
{
	double end = quic_now() + ms / 1000.0;
	long long before;
	int sent = 0;

	do {
		before = ctr(C_TX_DEV);
		EXPECT_EQ(tx_single(w, c, gen, 300 + sent % 700, 2), 0);
		sent++;
		EXPECT_EQ(drain(w, 1), 1);
		if (ctr(C_TX_DEV) > before)
			return sent;
		msleep(20);
	} while (quic_now() < end);
	return -sent;
}

#define ASSERT_CK(w) do { \
	struct world *__ckw = (w); \
	ASSERT_EQ(__atomic_load_n(&__ckw->ck.bad, __ATOMIC_RELAXED), 0) \
		TH_LOG("%s", __ckw->ck.first); \
} while (0)

#define TX_DEVICE_FMT "no Tx packet of conn %u generation %u handed to the device in %d ms (%d sent):%s"

#define ASSERT_TX_DEVICE(w, c, gen, before) do { \
	struct world *__txw = (w); \
	struct txconn *__txc = (c); \
	uint32_t __txg = (gen); \
	int __n = tx_until_device(_metadata, __txw, __txc, __txg, DEVICE_MS); \
	ASSERT_CK(__txw); \
	ASSERT_GT(__n, 0) \
		TH_LOG(TX_DEVICE_FMT, __txc->id, __txg, DEVICE_MS, -__n, \
		       ctrs_diff(before)); \
} while (0)

/* ---- threads ---- */

static void *sender(void *arg)
{
	struct traffic *tr = arg;
	struct txconn *c = tr->c;
	uint8_t *buf = malloc(DGRAM_MAX);
	unsigned int i = 0;
	int err;

	if (!buf)
		return NULL;
	while (!__atomic_load_n(&tr->stop_snd, __ATOMIC_ACQUIRE) &&
	       c->next_pn + 8 < ENT_CAP) {
		if (i++ % 2)
			err = tx_send_at(tr->w, c, c->next_pn, 1, 1, c->gen,
					 100 + i % 1200, 100 + i % 1200, 2, buf);
		else
			err = tx_send_at(tr->w, c, c->next_pn, 4, 1, c->gen,
					 700, 450, 2, buf);
		if (err) {
			tr->fail++;
			if (!tr->first_errno)
				tr->first_errno = -err;
			usleep(2000);
		} else {
			tr->ok++;
		}
		usleep(400);
	}
	free(buf);
	return NULL;
}

static void *receiver(void *arg)
{
	struct traffic *tr = arg;
	uint8_t *buf = malloc(DGRAM_MAX);

	if (!buf)
		return NULL;
	for (;;) {
		if (sink_recv(tr->w, buf, 300) >= 0)
			continue;
		if (__atomic_load_n(&tr->stop_rcv, __ATOMIC_ACQUIRE))
			break;
	}
	free(buf);
	return NULL;
}

static int traffic_start(struct world *w, struct txconn *c)
{
	struct traffic *tr = &w->tr;

	memset(tr, 0, sizeof(*tr));
	tr->w = w;
	tr->c = c;
	if (pthread_create(&tr->rcv, NULL, receiver, tr))
		return -1;
	if (pthread_create(&tr->snd, NULL, sender, tr)) {
		__atomic_store_n(&tr->stop_rcv, 1, __ATOMIC_RELEASE);
		pthread_join(tr->rcv, NULL);
		return -1;
	}
	tr->running = true;
	return 0;
}

static void traffic_stop(struct world *w)
{
	struct traffic *tr = &w->tr;

	if (!tr->running)
		return;
	__atomic_store_n(&tr->stop_snd, 1, __ATOMIC_RELEASE);
	pthread_join(tr->snd, NULL);
	__atomic_store_n(&tr->stop_rcv, 1, __ATOMIC_RELEASE);
	pthread_join(tr->rcv, NULL);
	tr->running = false;
}

/* ---- Rx: B seals with the reference, the ULP socket in A receives ---- */

static void rx_init(struct __test_metadata *_metadata, struct world *w)
{
	struct sockaddr_storage ulp_addr, src_addr;

	w->rulp = udp_sock(w, A, ADDR_NSIM, &ulp_addr);
	ASSERT_GE(w->rulp, 0);
	w->src = udp_sock(w, B, ADDR_NSIM, &src_addr);
	ASSERT_GE(w->src, 0);
	ASSERT_EQ(connect(w->src, (struct sockaddr *)&ulp_addr,
			  quic_addr_len(&ulp_addr)), 0);
	quic_set_timeout(w->rulp, RECV_MS);
	ASSERT_EQ(quic_attach(w->rulp), 0);
}

static struct rxconn *rx_conn(struct __test_metadata *_metadata,
			      struct world *w, uint32_t id, uint8_t flags)
{
	struct rxconn *c;

	if (w->rulp < 0)
		rx_init(_metadata, w);
	if (w->nrx >= MAX_CONN)
		return NULL;
	c = &w->rx[w->nrx++];
	c->id = id;
	c->slen = quic_ref_secret_len(w->cipher);
	quic_random(c->secret, c->slen);
	quic_random(c->cid, sizeof(c->cid));
	/* IDs of one socket: none may be a prefix of another */
	c->cid[0] = (uint8_t)id;
	c->keys = calloc(MAX_GEN, sizeof(*c->keys));
	if (!c->keys)
		return NULL;
	if (set_key(w->rulp, true, id, w->cipher, c->secret, flags) ||
	    quic_cid(w->rulp, true, id, QUIC_ULP_DIR_RX, c->cid, w->cid_len,
		     NULL))
		return NULL;
	return c;
}

static struct quic_ref_key *rx_key(struct world *w, struct rxconn *c,
				   uint32_t gen)
{
	return gen_key(c->keys, &c->nkeys, w->cipher, c->secret, c->slen, gen);
}

static void rx_plain(struct world *w, struct rxconn *c, uint8_t *p,
		     uint64_t pn, uint32_t gen, size_t len,
		     unsigned int pn_len)
{
	quic_build(p, len, c->cid, w->cid_len, pn, pn_len, gen & 1,
		   (uint8_t)(pn * 3));
}

/* B sends packet @pn of generation @gen, sealed by the reference;
 * @forge flips a bit of its ciphertext
 */
static void rx_send(struct __test_metadata *_metadata, struct world *w,
		    struct rxconn *c, uint64_t pn, uint32_t gen, size_t len,
		    unsigned int pn_len, bool forge)
{
	struct quic_ref_key *k = rx_key(w, c, gen);

	ASSERT_NE(k, NULL);
	rx_plain(w, c, w->buf, pn, gen, len, pn_len);
	ASSERT_EQ(quic_ref_protect(k, w->buf, len, w->cid_len, pn), 0);
	if (forge)
		w->buf[len / 2] ^= 0x10;
	ASSERT_EQ(send(w->src, w->buf, len, 0), (ssize_t)len);
	if (c->next_pn <= pn)
		c->next_pn = pn + 1;
}

/* B sends @n packets from c->next_pn in one UDP_SEGMENT datagram */
static void rx_send_gso(struct __test_metadata *_metadata, struct world *w,
			struct rxconn *c, int n, uint32_t gen, size_t seg,
			size_t last, unsigned int pn_len)
{
	struct quic_ref_key *k = rx_key(w, c, gen);
	size_t total = seg * (n - 1) + last;
	int i;

	ASSERT_NE(k, NULL);
	for (i = 0; i < n; i++) {
		size_t len = i == n - 1 ? last : seg;
		uint64_t pn = c->next_pn + i;

		rx_plain(w, c, w->buf + i * seg, pn, gen, len, pn_len);
		ASSERT_EQ(quic_ref_protect(k, w->buf + i * seg, len,
					   w->cid_len, pn), 0);
	}
	ASSERT_EQ(quic_send(w->src, w->buf, total, n > 1 ? seg : 0, NULL),
		  (ssize_t)total);
	c->next_pn += n;
}

/* The ULP socket's next datagram: packet @pn of @c, decrypted, with a
 * record of @flags and @failures
 */
static void rx_expect(struct __test_metadata *_metadata, struct world *w,
		      struct rxconn *c, uint64_t pn, uint32_t gen, size_t len,
		      unsigned int pn_len, uint8_t flags, uint16_t failures)
{
	char control[CMSG_SPACE(64 * sizeof(struct quic_ulp_rx_info))];
	struct iovec iov = { .iov_base = w->buf, .iov_len = DGRAM_MAX };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct quic_ulp_rx_info rec = {};
	struct cmsghdr *cm;
	int nrec = 0;
	ssize_t n;

	n = recvmsg(w->rulp, &msg, 0);
	ASSERT_EQ(n, (ssize_t)len)
		TH_LOG("conn %u pn %llu (generation %u) did not arrive: %s",
		       c->id, (unsigned long long)pn, gen,
		       n < 0 ? strerror(errno) : "wrong length");
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_UDP || cm->cmsg_type != QUIC_ULP_RX_INFO)
			continue;
		nrec = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(rec);
		if (nrec)
			memcpy(&rec, CMSG_DATA(cm), sizeof(rec));
	}
	ASSERT_EQ(nrec, 1)
		TH_LOG("conn %u pn %llu: no QUIC_ULP_RX_INFO record: not decrypted",
		       c->id, (unsigned long long)pn);
	ASSERT_EQ(rec.status, QUIC_ULP_RX_DECRYPTED);
	EXPECT_EQ(rec.pn, pn);
	EXPECT_EQ(rec.conn, c->id);
	EXPECT_EQ(rec.flags, flags)
		TH_LOG("conn %u pn %llu generation %u: flags %#x, want %#x",
		       c->id, (unsigned long long)pn, gen, rec.flags, flags);
	EXPECT_EQ(rec.auth_failures, failures);
	rx_plain(w, c, w->plain, pn, gen, len, pn_len);
	ASSERT_EQ(memcmp(w->buf, w->plain, len - QUIC_ULP_TAG_LEN), 0)
		TH_LOG("conn %u pn %llu: decrypted, but not to the plaintext sealed",
		       c->id, (unsigned long long)pn);
	EXPECT_EQ(memcmp(w->buf + len - QUIC_ULP_TAG_LEN, &rec, sizeof(rec)), 0);
}

static uint8_t phase(uint32_t gen)
{
	return gen & 1 ? QUIC_ULP_RX_KEY_PHASE : 0;
}

/* One packet each way of generation c->gen until the device authenticated
 * one; the packets sent, negative when it never did within @ms
 */
static int rx_until_device(struct __test_metadata *_metadata,
			   struct world *w, struct rxconn *c, int ms)
{
	double end = quic_now() + ms / 1000.0;
	long long before;
	int sent = 0;

	do {
		uint64_t pn = c->next_pn;
		size_t len = 200 + sent % 900;

		before = ctr(C_RX_DEV);
		rx_send(_metadata, w, c, pn, c->gen, len, 2, false);
		rx_expect(_metadata, w, c, pn, c->gen, len, 2, phase(c->gen), 0);
		sent++;
		if (ctr(C_RX_DEV) > before)
			return sent;
		msleep(20);
	} while (quic_now() < end);
	return -sent;
}

#define RX_DEVICE_FMT "no Rx packet of conn %u generation %u authenticated by the device in %d ms (%d sent):%s"

#define ASSERT_RX_DEVICE(w, c, before) do { \
	struct rxconn *__rxc = (c); \
	int __n = rx_until_device(_metadata, w, __rxc, DEVICE_MS); \
	ASSERT_GT(__n, 0) \
		TH_LOG(RX_DEVICE_FMT, __rxc->id, __rxc->gen, DEVICE_MS, -__n, \
		       ctrs_diff(before)); \
} while (0)

/* The kernel derives the next Rx keys from a work item */
static void wait_next_key(struct __test_metadata *_metadata, struct world *w,
			  uint32_t conn)
{
	struct quic_ulp_conn_info info;
	double end = quic_now() + 30;

	for (;;) {
		ASSERT_EQ(quic_conn_info(w->rulp, conn, &info), 0);
		if ((info.rx.flags & QUIC_ULP_INFO_NEXT_KEY) || quic_now() > end)
			break;
		usleep(2000);
	}
	ASSERT_TRUE(info.rx.flags & QUIC_ULP_INFO_NEXT_KEY);
}

/* Poll the model's ctx_count until it is @want, @ms at most */
static long long wait_ctx_count(struct world *w, long long want, int ms)
{
	double end = quic_now() + ms / 1000.0;
	long long v;

	while ((v = dbg_get(w, A, "ctx_count")) != want && quic_now() < end)
		msleep(20);
	return v;
}

static long long wait_ctr_above(int i, long long floor, int ms)
{
	double end = quic_now() + ms / 1000.0;
	long long v;

	while ((v = ctr(i)) <= floor && quic_now() < end)
		msleep(20);
	return v;
}

/* ---- the fixture ---- */

FIXTURE(dev)
{
	struct world *w;
};

FIXTURE_VARIANT(dev)
{
	uint16_t cipher;
	uint32_t cbit;		/* the model's bit of it */
	int family;
	bool connected;
	uint8_t cid_len;
	bool full;		/* every case by default, not only the suite's */
};

/* Cases of the device's machinery rather than of a suite run for two
 * variants (an AES one on IPv4, ChaCha20 on IPv6) by default, for all
 * with QUIC_SELFTEST_LONG=1: each takes ten seconds or more under
 * emulation. Tx, Rx and key updates run for every suite.
 * (struct _fixture_variant_dev is FIXTURE_VARIANT(dev).)
 */
static bool machinery_skip(const struct _fixture_variant_dev *variant)
{
	return !variant->full && !quic_long_run();
}

FIXTURE_VARIANT_ADD(dev, aes128gcm_v4)
{
	.cipher = QUIC_ULP_CIPHER_AES_128_GCM_SHA256, .cbit = 1 << 0,
	.family = AF_INET, .connected = false, .cid_len = 8, .full = true,
};

FIXTURE_VARIANT_ADD(dev, aes256gcm_v4)
{
	.cipher = QUIC_ULP_CIPHER_AES_256_GCM_SHA384, .cbit = 1 << 1,
	.family = AF_INET, .connected = false, .cid_len = 8,
};

FIXTURE_VARIANT_ADD(dev, chacha20_v4)
{
	.cipher = QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256, .cbit = 1 << 2,
	.family = AF_INET, .connected = false, .cid_len = 8,
};

FIXTURE_VARIANT_ADD(dev, aes128ccm_v4)
{
	.cipher = QUIC_ULP_CIPHER_AES_128_CCM_SHA256, .cbit = 1 << 3,
	.family = AF_INET, .connected = false, .cid_len = 8,
};

FIXTURE_VARIANT_ADD(dev, aes128gcm_v6)
{
	.cipher = QUIC_ULP_CIPHER_AES_128_GCM_SHA256, .cbit = 1 << 0,
	.family = AF_INET6, .connected = true, .cid_len = 20,
};

FIXTURE_VARIANT_ADD(dev, aes256gcm_v6)
{
	.cipher = QUIC_ULP_CIPHER_AES_256_GCM_SHA384, .cbit = 1 << 1,
	.family = AF_INET6, .connected = true, .cid_len = 20,
};

FIXTURE_VARIANT_ADD(dev, chacha20_v6)
{
	.cipher = QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256, .cbit = 1 << 2,
	.family = AF_INET6, .connected = true, .cid_len = 20, .full = true,
};

FIXTURE_VARIANT_ADD(dev, aes128ccm_v6)
{
	.cipher = QUIC_ULP_CIPHER_AES_128_CCM_SHA256, .cbit = 1 << 3,
	.family = AF_INET6, .connected = true, .cid_len = 20,
};

static void world_free(struct world *w)
{
	uint32_t g;
	int i;

	if (!w)
		return;
	traffic_stop(w);
	if (w->ulp >= 0)
		close(w->ulp);
	if (w->sink >= 0)
		close(w->sink);
	if (w->rulp >= 0)
		close(w->rulp);
	if (w->src >= 0)
		close(w->src);
	for (i = 0; i < w->ntx; i++) {
		for (g = 0; w->tx[i].keys && g < w->tx[i].nkeys; g++)
			quic_ref_key_free(&w->tx[i].keys[g]);
		free(w->tx[i].keys);
		free(w->tx[i].ent);
	}
	for (i = 0; i < w->nrx; i++) {
		for (g = 0; w->rx[i].keys && g < w->rx[i].nkeys; g++)
			quic_ref_key_free(&w->rx[i].keys[g]);
		free(w->rx[i].keys);
	}
	topo_cleanup(&w->t);
	free(w);
}

FIXTURE_SETUP(dev)
{
	struct world *w = calloc(1, sizeof(*w));
	char why[256] = "";
	struct ctrs c;
	long long ciphers;
	int r;

	ASSERT_NE(w, NULL);
	w->ulp = -1;
	w->sink = -1;
	w->rulp = -1;
	w->src = -1;
	w->cipher = variant->cipher;
	w->cbit = variant->cbit;
	w->family = variant->family;
	w->connected = variant->connected;
	w->cid_len = variant->cid_len;
	self->w = w;

	r = topo_setup(&w->t, why, sizeof(why));
	if (r > 0) {
		self->w = NULL;
		free(w);
		SKIP(return, "%s", why);
	}
	if (r < 0) {
		self->w = NULL;
		free(w);
		ASSERT_EQ(r, 0) TH_LOG("%s", why);
	}
	/* Setup does not get a teardown when it stops early: clean up here */
	ctrs_read(&c);
	ciphers = dbg_get(w, A, "ciphers");
	if (c.v[C_TX_DEV] < 0 || c.v[C_KEYS_REMOVED] < 0) {
		self->w = NULL;
		world_free(w);
		SKIP(return,
		     "no device counters in /proc/net/quic_ulp_stat: kernel without CONFIG_QUIC_ULP_DEVICE");
	}
	if (ciphers < 0 || !(ciphers & w->cbit)) {
		self->w = NULL;
		world_free(w);
		SKIP(return, "the model does not claim %s (ciphers %lld)",
		     quic_ref_cipher_name(w->cipher), ciphers);
	}
	w->sw_kind = switch_kind(w->t.if_nsim[A]);
	r = feature_get(w);
	if (r != 1 && feature_set(w, true)) {
		self->w = NULL;
		world_free(w);
		ASSERT_TRUE(false) TH_LOG("cannot switch a0's offload on (%s)",
					  r < 0 ? "no way to" : "refused");
	}
}

FIXTURE_TEARDOWN(dev)
{
	world_free(self->w);
	self->w = NULL;
}

static long long tx_sent(struct txconn *c)
{
	long long n = 0;
	uint64_t pn;

	for (pn = 0; pn < c->next_pn; pn++)
		n += c->ent[pn].state == ENT_SENT;
	return n;
}

/* Six singles and a batch of four of generation c->gen, each received and
 * checked: ten packets
 */
static int tx_pattern(struct __test_metadata *_metadata, struct world *w,
		      struct txconn *c)
{
	int i;

	for (i = 0; i < 6; i++) {
		EXPECT_EQ(tx_single(w, c, c->gen, 150 + i * 211, 1 + i % 4), 0);
		EXPECT_EQ(drain(w, 1), 1);
	}
	EXPECT_EQ(tx_batch(w, c, 4, c->gen, 1100, 350, 2), 0);
	EXPECT_EQ(drain(w, 4), 4);
	return 10;
}

static long long dgen(const struct ctrs *a, const struct ctrs *b, int i)
{
	return b->v[i] - a->v[i];
}

/*
 * Case 1. The first packets go out sealed in software while a work item
 * gives the connection a context; then every datagram of one connection,
 * one generation and a run of packet numbers is the device's to seal.
 */
TEST_F_TIMEOUT(dev, tx_offload, 300)
{
	static const struct {
		int n;
		size_t seg, last;
		unsigned int pn_len;
	} batches[] = {
		{ 2, 1000, 1000, 2 }, { 4, 1200, 300, 3 }, { 16, 1000, 777, 4 },
		{ 64, 1000, 500, 1 },
	};
	static const size_t sizes[] = { 0, 100, 555, 1200, 1350 };
	struct world *w = self->w;
	struct ctrs s0, s1, s2, s3;
	struct mstat m0, m1, m2, m3;
	long long phase2 = 0, dev;
	struct txconn *c;
	unsigned int i, round;
	uint64_t pn2;

	ctrs_read(&s0);
	mstat_read(w, &m0);
	c = tx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c, NULL);
	ASSERT_TX_DEVICE(w, c, 0, &s0);
	EXPECT_GE(dbg_get(w, A, "ctx_count"), 1);

	/* Context up: all of these are the device's */
	ctrs_read(&s1);
	mstat_read(w, &m1);
	pn2 = c->next_pn;
	for (round = 0; round < 2; round++) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			size_t len = sizes[i] ?: (size_t)QUIC_MIN_PKT(w->cid_len);

			ASSERT_EQ(tx_single(w, c, 0, len, 1 + (i + round) % 4), 0);
			ASSERT_EQ(drain(w, 1), 1);
			phase2++;
		}
		for (i = 0; i < ARRAY_SIZE(batches); i++) {
			ASSERT_EQ(tx_batch(w, c, batches[i].n, 0, batches[i].seg,
					   batches[i].last, batches[i].pn_len), 0);
			ASSERT_EQ(drain(w, batches[i].n), batches[i].n);
			phase2 += batches[i].n;
		}
	}
	ASSERT_CK(w);
	EXPECT_EQ(tx_not_arrived(c, pn2, w->t.if_nsim[B]), 0);
	ctrs_read(&s2);
	mstat_read(w, &m2);
	EXPECT_EQ(dgen(&s1, &s2, C_TX_DEV), phase2)
		TH_LOG("with the context up:%s", ctrs_diff(&s1));
	EXPECT_EQ(sw_sum(&s2) - sw_sum(&s1), 0);
	EXPECT_EQ(dgen(&s1, &s2, C_TX_FALLBACK), 0);
	EXPECT_EQ(dgen(&s1, &s2, C_TX_DROPS), 0);
	EXPECT_EQ(m2.tx - m1.tx, phase2)
		TH_LOG("the model's tx_packets moved by %lld for %lld packets",
		       m2.tx - m1.tx, phase2);
	EXPECT_EQ(m2.tx_drops - m1.tx_drops, 0);

	/* A gap in the packet numbers: not a run, software seals it */
	ASSERT_EQ(tx_send_at(w, c, c->next_pn, 4, 2, 0, 600, 600, 2, w->buf), 0);
	ASSERT_EQ(drain(w, 4), 4);
	ASSERT_CK(w);
	ctrs_read(&s3);
	mstat_read(w, &m3);
	EXPECT_EQ(dgen(&s2, &s3, C_SW_SHAPE), 4) TH_LOG("%s", ctrs_diff(&s2));
	EXPECT_EQ(dgen(&s2, &s3, C_TX_DEV), 0);

	/* The whole test: device + software = sent, model = device */
	dev = dgen(&s0, &s3, C_TX_DEV);
	EXPECT_EQ(dev + sw_sum(&s3) - sw_sum(&s0), tx_sent(c))
		TH_LOG("%lld sent:%s", tx_sent(c), ctrs_diff(&s0));
	EXPECT_EQ(m3.tx - m0.tx, dev - dgen(&s0, &s3, C_TX_FALLBACK));
	EXPECT_EQ(tx_lost(c), 0);
	EXPECT_GE(dgen(&s0, &s3, C_CTX_ADDED), 1);
	EXPECT_GE(s3.v[C_CTX_CURR], 1);
	EXPECT_GE(dgen(&s0, &s3, C_KEYS_ADDED), 2);
	EXPECT_GE(m3.ctx, 1);
}

/* B's checker itself: a packet in the clear, one sealed with other keys
 * and one sealed twice never pass for the packet sent
 */
TEST_F_TIMEOUT(dev, checker, 120)
{
	struct world *w = self->w;
	struct quic_ref_key *k1;
	struct txconn *c;
	uint64_t pn;

	if (machinery_skip(variant))
		SKIP(return, "QUIC_SELFTEST_LONG=1 runs it for this suite");

	c = tx_conn(_metadata, w, 1, 0);
	ASSERT_NE(c, NULL);
	ASSERT_EQ(tx_single(w, c, 0, 400, 2), 0);
	ASSERT_EQ(drain(w, 1), 1);
	ASSERT_CK(w);

	/* In the clear: written as the ULP would have been asked to seal it */
	pn = c->next_pn++;
	c->ent[pn].len = 400;
	c->ent[pn].pn_len = 2;
	c->ent[pn].state = ENT_SENT;
	quic_build(w->buf, 400, c->dcid, c->dcid_len, pn, 2, false, (uint8_t)pn);
	ASSERT_EQ(quic_send(w->ulp, w->buf, 400, 0,
			    w->connected ? NULL : &w->sink_addr), 400);
	ASSERT_EQ(drain(w, 1), 1);
	EXPECT_EQ(w->ck.bad, 1);

	/* Sealed with generation 1 where generation 0 was asked for */
	pn = c->next_pn++;
	c->ent[pn].len = 400;
	c->ent[pn].pn_len = 2;
	c->ent[pn].state = ENT_SENT;
	k1 = tx_key(w, c, 1);
	ASSERT_NE(k1, NULL);
	quic_build(w->buf, 400, c->dcid, c->dcid_len, pn, 2, false, (uint8_t)pn);
	ASSERT_EQ(quic_ref_protect(k1, w->buf, 400, c->dcid_len, pn), 0);
	ASSERT_EQ(quic_send(w->ulp, w->buf, 400, 0,
			    w->connected ? NULL : &w->sink_addr), 400);
	ASSERT_EQ(drain(w, 1), 1);
	EXPECT_EQ(w->ck.bad, 2);

	/* Sealed twice, the way a device sealing a sealed packet would */
	pn = c->next_pn++;
	c->ent[pn].len = 400;
	c->ent[pn].pn_len = 2;
	c->ent[pn].state = ENT_SENT;
	quic_build(w->buf, 400, c->dcid, c->dcid_len, pn, 2, false, (uint8_t)pn);
	ASSERT_EQ(quic_ref_protect(tx_key(w, c, 0), w->buf, 400, c->dcid_len,
				   pn), 0);
	w->buf[0] = (w->buf[0] & ~0x1f) | 0x01;	/* readable pn field */
	w->buf[1 + c->dcid_len] = pn >> 8;
	w->buf[2 + c->dcid_len] = pn;
	ASSERT_EQ(quic_ref_protect(tx_key(w, c, 0), w->buf, 400, c->dcid_len,
				   pn), 0);
	ASSERT_EQ(quic_send(w->ulp, w->buf, 400, 0,
			    w->connected ? NULL : &w->sink_addr), 400);
	ASSERT_EQ(drain(w, 1), 1);
	EXPECT_EQ(w->ck.bad, 3);
}

/* A datagram the ULP socket must get exactly as B sent it, no record */
static void rx_expect_raw(struct __test_metadata *_metadata, struct world *w,
			  const uint8_t *sent, size_t len)
{
	char control[CMSG_SPACE(64 * sizeof(struct quic_ulp_rx_info))];
	struct iovec iov = { .iov_base = w->plain, .iov_len = DGRAM_MAX };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;

	ASSERT_EQ(recvmsg(w->rulp, &msg, 0), (ssize_t)len);
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		EXPECT_FALSE(cm->cmsg_level == SOL_UDP &&
			     cm->cmsg_type == QUIC_ULP_RX_INFO);
	EXPECT_EQ(memcmp(w->plain, sent, len), 0);
}

/*
 * Case 2. The first packets are opened in software; one of them that came
 * through a0 gives the connection an Rx context; from then on the device
 * opens them, and the application cannot tell but by the counters.
 */
TEST_F_TIMEOUT(dev, rx_offload, 300)
{
	struct world *w = self->w;
	struct ctrs s0, s1, s2, s3;
	struct mstat m0, m1, m2, m3;
	long long phase2 = 0;
	uint8_t raw[200];
	struct rxconn *c;
	uint64_t pn;
	int i;

	ctrs_read(&s0);
	mstat_read(w, &m0);
	c = rx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c, NULL);
	ASSERT_RX_DEVICE(w, c, &s0);
	EXPECT_GE(dbg_get(w, A, "ctx_count"), 1);

	ctrs_read(&s1);
	mstat_read(w, &m1);
	for (i = 0; i < 24; i++) {
		size_t len = i % 6 ? (size_t)(100 + i * 53) :
				     (size_t)QUIC_MIN_PKT(w->cid_len);
		unsigned int pn_len = 1 + i % 4;

		pn = c->next_pn;
		rx_send(_metadata, w, c, pn, 0, len, pn_len, false);
		rx_expect(_metadata, w, c, pn, 0, len, pn_len, 0, 0);
		phase2++;
	}
	/* A UDP_SEGMENT batch from B: separate datagrams on the wire */
	pn = c->next_pn;
	rx_send_gso(_metadata, w, c, 8, 0, 900, 400, 2);
	for (i = 0; i < 8; i++)
		rx_expect(_metadata, w, c, pn + i, 0, i == 7 ? 400 : 900, 2, 0, 0);
	phase2 += 8;
	ctrs_read(&s2);
	mstat_read(w, &m2);
	EXPECT_EQ(dgen(&s1, &s2, C_RX_DEV), phase2)
		TH_LOG("with the context up:%s", ctrs_diff(&s1));
	EXPECT_EQ(dgen(&s1, &s2, C_RX_SWOFF), 0);
	EXPECT_EQ(dgen(&s1, &s2, C_RX_MISMATCH), 0);
	EXPECT_EQ(m2.rx - m1.rx, phase2)
		TH_LOG("the model's rx_packets moved by %lld for %lld packets",
		       m2.rx - m1.rx, phase2);

	/* Forged: the device leaves it, software drops it, and the next
	 * record says so
	 */
	pn = c->next_pn;
	rx_send(_metadata, w, c, pn, 0, 500, 2, true);
	rx_send(_metadata, w, c, pn + 1, 0, 500, 2, false);
	rx_expect(_metadata, w, c, pn + 1, 0, 500, 2, 0, 1);
	ctrs_read(&s3);
	EXPECT_EQ(dgen(&s2, &s3, C_RX_DEV), 1);

	/* A long header is nobody's: untouched */
	memset(raw, 0xa5, sizeof(raw));
	raw[0] = 0xc3;
	memcpy(raw + 6, c->cid, w->cid_len);
	ASSERT_EQ(send(w->src, raw, sizeof(raw), 0), (ssize_t)sizeof(raw));
	rx_expect_raw(_metadata, w, raw, sizeof(raw));

	ctrs_read(&s3);
	mstat_read(w, &m3);
	EXPECT_EQ(m3.rx - m0.rx, dgen(&s0, &s3, C_RX_DEV));
	EXPECT_EQ(dgen(&s0, &s3, C_RX_MISMATCH), 0);
	EXPECT_GE(dgen(&s0, &s3, C_CTX_ADDED), 1);
	EXPECT_GE(dgen(&s0, &s3, C_KEYS_ADDED), 1);
	EXPECT_GE(s3.v[C_CTX_CURR], 1);
}

static int updates(void)
{
	return quic_env_int("QUIC_DEV_UPDATES", 100, 100);
}

/*
 * Case 3, Tx. Each generation reaches the device (a packet of it is handed
 * over); then three packets of it in flight, the update (a packet naming
 * the next generation), a late one of the old generation, three of the
 * new one.
 */
TEST_F_TIMEOUT(dev, tx_key_updates, 900)
{
	struct world *w = self->w;
	struct quic_ulp_conn_info info;
	struct ctrs s0, s1;
	struct mstat m0, m1;
	struct txconn *c;
	uint32_t g, n = updates();
	long long dev;

	ctrs_read(&s0);
	mstat_read(w, &m0);
	c = tx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c, NULL);
	for (g = 0; g < n; g++) {
		uint64_t a;

		ASSERT_TX_DEVICE(w, c, g, &s0);
		a = c->next_pn;
		ASSERT_EQ(tx_send_at(w, c, a, 3, 1, g, 800, 800, 2, w->buf), 0);
		ASSERT_EQ(tx_send_at(w, c, a + 4, 1, 1, g + 1, 500, 500, 2,
				     w->buf), 0);
		ASSERT_EQ(tx_send_at(w, c, a + 3, 1, 1, g, 600, 600, 2, w->buf),
			  0);
		ASSERT_EQ(tx_send_at(w, c, a + 5, 3, 1, g + 1, 700, 300, 2,
				     w->buf), 0);
		ASSERT_EQ(drain(w, 8), 8) TH_LOG("generation %u", g);
		ASSERT_CK(w);
		c->gen = g + 1;
	}
	ASSERT_TX_DEVICE(w, c, n, &s0);
	ASSERT_EQ(quic_conn_info(w->ulp, c->id, &info), 0);
	EXPECT_EQ(info.tx.key_updates, n);
	ctrs_read(&s1);
	mstat_read(w, &m1);
	dev = dgen(&s0, &s1, C_TX_DEV);
	EXPECT_EQ(dev + sw_sum(&s1) - sw_sum(&s0), tx_sent(c))
		TH_LOG("%lld sent:%s", tx_sent(c), ctrs_diff(&s0));
	EXPECT_EQ(m1.tx - m0.tx, dev - dgen(&s0, &s1, C_TX_FALLBACK));
	EXPECT_EQ(dgen(&s0, &s1, C_TX_DROPS), 0);
	EXPECT_EQ(m1.tx_drops - m0.tx_drops, 0);
	EXPECT_EQ(tx_lost(c), 0);
	EXPECT_GE(dgen(&s0, &s1, C_KEYS_ADDED), n + 1);
}

/*
 * Case 3, Rx. Each generation reaches the device (it opens a packet of
 * it); then B sends a packet of it, the first of the next one (the peer's
 * key update), a late one of the old phase and another of the new one.
 */
TEST_F_TIMEOUT(dev, rx_key_updates, 900)
{
	struct world *w = self->w;
	struct quic_ulp_conn_info info;
	struct ctrs s0, s1;
	struct mstat m0, m1;
	struct rxconn *c;
	uint32_t g, n = updates();

	ctrs_read(&s0);
	mstat_read(w, &m0);
	c = rx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c, NULL);
	for (g = 0; g < n; g++) {
		uint64_t a;

		ASSERT_RX_DEVICE(w, c, &s0);
		wait_next_key(_metadata, w, c->id);
		a = c->next_pn;
		rx_send(_metadata, w, c, a, g, 400, 2, false);
		rx_send(_metadata, w, c, a + 2, g + 1, 500, 2, false);
		rx_send(_metadata, w, c, a + 1, g, 600, 2, false);
		rx_send(_metadata, w, c, a + 3, g + 1, 700, 2, false);
		rx_expect(_metadata, w, c, a, g, 400, 2, phase(g), 0);
		rx_expect(_metadata, w, c, a + 2, g + 1, 500, 2,
			  phase(g + 1) | QUIC_ULP_RX_KEY_UPDATE, 0);
		rx_expect(_metadata, w, c, a + 1, g, 600, 2,
			  phase(g) | QUIC_ULP_RX_OLD_KEY, 0);
		rx_expect(_metadata, w, c, a + 3, g + 1, 700, 2, phase(g + 1), 0);
		c->gen = g + 1;
	}
	ASSERT_RX_DEVICE(w, c, &s0);
	ASSERT_EQ(quic_conn_info(w->rulp, c->id, &info), 0);
	EXPECT_EQ(info.rx.key_updates, n);
	EXPECT_EQ(info.rx.auth_failures, 0ULL);
	ctrs_read(&s1);
	mstat_read(w, &m1);
	EXPECT_EQ(dgen(&s0, &s1, C_RX_MISMATCH), 0);
	EXPECT_EQ(m1.rx - m0.rx, dgen(&s0, &s1, C_RX_DEV))
		TH_LOG("%s", ctrs_diff(&s0));
}

/*
 * Case 4. One slot: the second connection is refused a context and stays
 * in software; when the first one goes, the second gets the slot.
 */
TEST_F_TIMEOUT(dev, ctx_slots, 300)
{
	struct world *w = self->w;
	struct txconn *c1, *c2;
	struct ctrs s0, s1, s2;
	double end;
	int sent = 0;

	if (machinery_skip(variant))
		SKIP(return, "QUIC_SELFTEST_LONG=1 runs it for this suite");

	ASSERT_EQ(dbg_set(w, A, "max_ctx", 1), 0);
	ctrs_read(&s0);
	c1 = tx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	c2 = tx_conn(_metadata, w, 2, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c1, NULL);
	ASSERT_NE(c2, NULL);
	ASSERT_TX_DEVICE(w, c1, 0, &s0);
	EXPECT_EQ(dbg_get(w, A, "ctx_count"), 1);

	ctrs_read(&s1);
	end = quic_now() + 5;
	do {
		ASSERT_EQ(tx_single(w, c2, 0, 400 + sent, 2), 0);
		ASSERT_EQ(drain(w, 1), 1);
		sent++;
		msleep(20);
	} while ((sent < 10 || ctr(C_CTX_FAILED) == s1.v[C_CTX_FAILED]) &&
		 quic_now() < end);
	ASSERT_CK(w);
	ctrs_read(&s2);
	EXPECT_GT(dgen(&s1, &s2, C_CTX_FAILED), 0)
		TH_LOG("the second connection was not refused:%s",
		       ctrs_diff(&s1));
	EXPECT_EQ(dgen(&s1, &s2, C_TX_DEV), 0)
		TH_LOG("packets of the second connection went to the device");
	EXPECT_EQ(sw_sum(&s2) - sw_sum(&s1), sent);
	EXPECT_EQ(dbg_get(w, A, "ctx_count"), 1);

	/* The first one goes: its slot is the second one's */
	ASSERT_EQ(quic_del_conn(w->ulp, 1), 0);
	EXPECT_GT(wait_ctr_above(C_CTX_REMOVED, s2.v[C_CTX_REMOVED], 5000),
		  s2.v[C_CTX_REMOVED])
		TH_LOG("QUIC_ULP_DEL_CONN left the context on the device");
	ASSERT_TX_DEVICE(w, c2, 0, &s2);
	EXPECT_EQ(dbg_get(w, A, "ctx_count"), 1);
	EXPECT_EQ(tx_lost(c1) + tx_lost(c2), 0);
	ASSERT_CK(w);
}

/*
 * Case 5. quic-hw-offload off takes the contexts away, packets still go
 * out sealed, by software; on again, the offload comes back. Then the
 * same toggling under a sender that does not wait for anything.
 */
#define TOGGLE_BACK_FMT "the offload did not come back under traffic in %d ms (offload %d, ctx_count %lld) since the last on:%s"
#define TOGGLE_FMT "toggling: %lld datagrams sent, %lld refused (first errno %d), %lld packets lost\n"

TEST_F_TIMEOUT(dev, feature_toggle, 300)
{
	struct world *w = self->w;
	struct ctrs s0, s1, s2, s3, s4;
	struct mstat m2, m3;
	struct txconn *c;
	long long dev, v;
	uint64_t pn;
	int i;

	if (machinery_skip(variant))
		SKIP(return, "QUIC_SELFTEST_LONG=1 runs it for this suite");

	ASSERT_NE(w->sw_kind, SWITCH_NONE)
		TH_LOG("neither ethtool's " FEATURE " nor quic-ulp dev-set on a0");
	ksft_print_msg("a0's offload switched with %s\n",
		       w->sw_kind == SWITCH_ETHTOOL ? "ethtool -K a0 " FEATURE :
						      "quic-ulp dev-set");
	ctrs_read(&s0);
	c = tx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c, NULL);
	ASSERT_TX_DEVICE(w, c, 0, &s0);

	ctrs_read(&s1);
	ASSERT_EQ(feature_set(w, false), 0);
	EXPECT_EQ(feature_get(w), 0);
	EXPECT_GT(wait_ctr_above(C_CTX_REMOVED, s1.v[C_CTX_REMOVED], 5000),
		  s1.v[C_CTX_REMOVED])
		TH_LOG("no context removed when the feature went off");
	EXPECT_EQ(wait_ctx_count(w, 0, 5000), 0);

	ctrs_read(&s2);
	mstat_read(w, &m2);
	pn = c->next_pn;
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(tx_single(w, c, 0, 200 + 97 * i, 2), 0);
		ASSERT_EQ(drain(w, 1), 1);
	}
	ASSERT_EQ(tx_batch(w, c, 8, 0, 1000, 600, 2), 0);
	ASSERT_EQ(drain(w, 8), 8);
	ASSERT_CK(w);
	ctrs_read(&s3);
	mstat_read(w, &m3);
	EXPECT_EQ(dgen(&s2, &s3, C_TX_DEV), 0)
		TH_LOG("packets handed to a device whose feature is off");
	EXPECT_EQ(m3.tx - m2.tx, 0);
	EXPECT_EQ(sw_sum(&s3) - sw_sum(&s2), 18) TH_LOG("%s", ctrs_diff(&s2));
	EXPECT_EQ(tx_not_arrived(c, pn, w->t.if_nsim[B]), 0);

	ASSERT_EQ(feature_set(w, true), 0);
	ASSERT_TX_DEVICE(w, c, 0, &s3);

	/* Under traffic */
	ctrs_read(&s4);
	ASSERT_EQ(traffic_start(w, c), 0);
	msleep(300);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(feature_set(w, false), 0);
		msleep(150);
		EXPECT_EQ(feature_set(w, true), 0);
		msleep(150);
	}
	ctrs_read(&s1);
	dev = s1.v[C_TX_DEV];
	v = wait_ctr_above(C_TX_DEV, dev, DEVICE_MS);
	traffic_stop(w);
	ASSERT_CK(w);
	EXPECT_GT(v, dev)
		TH_LOG(TOGGLE_BACK_FMT,
		       DEVICE_MS, feature_get(w), dbg_get(w, A, "ctx_count"),
		       ctrs_diff(&s1));
	EXPECT_GT(w->tr.ok, 0);
	EXPECT_GT(ctr(C_CTX_REMOVED), s4.v[C_CTX_REMOVED]);
	ksft_print_msg(TOGGLE_FMT,
		       w->tr.ok, w->tr.fail, w->tr.first_errno, tx_lost(c));
}

/* Case 5, Rx: off, the context goes and software opens every packet */
TEST_F_TIMEOUT(dev, rx_feature_off, 300)
{
	struct world *w = self->w;
	struct ctrs s0, s1, s2, s3;
	struct mstat m2, m3;
	struct rxconn *c;
	int i;

	if (machinery_skip(variant))
		SKIP(return, "QUIC_SELFTEST_LONG=1 runs it for this suite");

	ctrs_read(&s0);
	c = rx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c, NULL);
	ASSERT_RX_DEVICE(w, c, &s0);

	ctrs_read(&s1);
	ASSERT_EQ(feature_set(w, false), 0);
	EXPECT_GT(wait_ctr_above(C_CTX_REMOVED, s1.v[C_CTX_REMOVED], 5000),
		  s1.v[C_CTX_REMOVED])
		TH_LOG("no context removed when the feature went off");
	EXPECT_EQ(wait_ctx_count(w, 0, 5000), 0);
	ctrs_read(&s2);
	mstat_read(w, &m2);
	for (i = 0; i < 10; i++) {
		uint64_t pn = c->next_pn;

		rx_send(_metadata, w, c, pn, 0, 300 + i * 40, 2, false);
		rx_expect(_metadata, w, c, pn, 0, 300 + i * 40, 2, 0, 0);
	}
	ctrs_read(&s3);
	mstat_read(w, &m3);
	EXPECT_EQ(dgen(&s2, &s3, C_RX_DEV), 0);
	EXPECT_EQ(m3.rx - m2.rx, 0);

	ASSERT_EQ(feature_set(w, true), 0);
	ASSERT_RX_DEVICE(w, c, &s3);
}

/*
 * Case 5, removal: the netdevsim device of a0 is deleted under a running
 * sender; the route to B then goes through veth. Whatever arrives, on
 * either path, is sealed exactly once.
 */
#define REMOVAL_VETH_FMT "the sender's packets did not come back over veth (%lld sent, %lld refused, errno %d)"
#define REMOVAL_FMT "removal: %lld datagrams sent, %lld refused (first errno %d), %lld packets lost, %lld on veth\n"

TEST_F_TIMEOUT(dev, device_removal, 300)
{
	struct world *w = self->w;
	struct ctrs s0, s1, s2;
	struct txconn *c;
	long long dev_after, curr;
	double end;
	char id[16];

	if (machinery_skip(variant))
		SKIP(return, "QUIC_SELFTEST_LONG=1 runs it for this suite");

	ctrs_read(&s0);
	c = tx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c, NULL);
	ASSERT_TX_DEVICE(w, c, 0, &s0);

	ASSERT_EQ(traffic_start(w, c), 0);
	msleep(300);
	ctrs_read(&s1);
	snprintf(id, sizeof(id), "%u", w->t.id[A]);
	ASSERT_EQ(write_str(NSIM_BUS "/del_device", id), 0);
	w->t.alive[A] = false;
	EXPECT_EQ(route_via_veth(w, true), 0);
	msleep(200);
	dev_after = ctr(C_TX_DEV);
	end = quic_now() + 10;
	while (__atomic_load_n(&w->ck.on_veth, __ATOMIC_RELAXED) < 50 &&
	       quic_now() < end)
		msleep(50);
	msleep(200);
	traffic_stop(w);
	ctrs_read(&s2);
	ASSERT_CK(w);
	EXPECT_GE(w->ck.on_veth, 50)
		TH_LOG(REMOVAL_VETH_FMT,
		       w->tr.ok, w->tr.fail, w->tr.first_errno);
	EXPECT_EQ(s2.v[C_TX_DEV] - dev_after, 0)
		TH_LOG("packets handed to a device that is gone");
	EXPECT_GT(dgen(&s1, &s2, C_CTX_REMOVED), 0) TH_LOG("%s", ctrs_diff(&s1));
	end = quic_now() + 5;
	while ((curr = ctr(C_CTX_CURR)) != 0 && quic_now() < end)
		msleep(20);
	EXPECT_EQ(curr, 0);
	ksft_print_msg(REMOVAL_FMT,
		       w->tr.ok, w->tr.fail, w->tr.first_errno, tx_lost(c),
		       w->ck.on_veth);
}

/*
 * Case 6. The route to B moves to veth (no offload) and back: software
 * seals what goes through veth, the device what goes through a0. Then
 * the route flaps under a sender that does not wait.
 */
#define FLAP_FMT "flapping: %lld datagrams sent, %lld refused (first errno %d), %lld packets lost\n"

TEST_F_TIMEOUT(dev, route_change, 300)
{
	struct world *w = self->w;
	struct ctrs s0, s1, s2, s3, s4;
	struct mstat m1, m2;
	long long on_nsim, on_veth, n;
	struct txconn *c;
	uint64_t pn;
	int i;

	if (machinery_skip(variant))
		SKIP(return, "QUIC_SELFTEST_LONG=1 runs it for this suite");

	ctrs_read(&s0);
	c = tx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c, NULL);
	ASSERT_TX_DEVICE(w, c, 0, &s0);

	ctrs_read(&s1);
	pn = c->next_pn;
	n = tx_pattern(_metadata, w, c);
	ASSERT_CK(w);
	ctrs_read(&s2);
	EXPECT_EQ(tx_not_arrived(c, pn, w->t.if_nsim[B]), 0);
	EXPECT_EQ(dgen(&s1, &s2, C_TX_DEV), n);

	ASSERT_EQ(route_via_veth(w, true), 0);
	mstat_read(w, &m1);
	pn = c->next_pn;
	n = tx_pattern(_metadata, w, c);
	ASSERT_CK(w);
	ctrs_read(&s3);
	mstat_read(w, &m2);
	EXPECT_EQ(tx_not_arrived(c, pn, w->t.if_veth[B]), 0)
		TH_LOG("packets did not all arrive over veth");
	EXPECT_EQ(dgen(&s2, &s3, C_TX_DEV), 0)
		TH_LOG("handed to a0 while routed through vA:%s", ctrs_diff(&s2));
	EXPECT_GT(dgen(&s2, &s3, C_SW_ROUTE) + dgen(&s2, &s3, C_TX_FALLBACK), 0)
		TH_LOG("%s", ctrs_diff(&s2));
	EXPECT_EQ(dgen(&s2, &s3, C_TX_DEV) + sw_sum(&s3) - sw_sum(&s2), n);
	EXPECT_EQ(m2.tx - m1.tx, 0);

	ASSERT_EQ(route_via_veth(w, false), 0);
	ASSERT_TX_DEVICE(w, c, 0, &s3);
	ctrs_read(&s4);
	pn = c->next_pn;
	n = tx_pattern(_metadata, w, c);
	ASSERT_CK(w);
	EXPECT_EQ(tx_not_arrived(c, pn, w->t.if_nsim[B]), 0);
	EXPECT_EQ(ctr(C_TX_DEV) - s4.v[C_TX_DEV], n);

	/* Flapping under traffic */
	on_nsim = w->ck.on_nsim;
	on_veth = w->ck.on_veth;
	ASSERT_EQ(traffic_start(w, c), 0);
	for (i = 0; i < 6; i++) {
		msleep(150);
		EXPECT_EQ(route_via_veth(w, true), 0);
		msleep(150);
		EXPECT_EQ(route_via_veth(w, false), 0);
	}
	msleep(150);
	traffic_stop(w);
	ASSERT_CK(w);
	EXPECT_GT(w->ck.on_nsim, on_nsim);
	EXPECT_GT(w->ck.on_veth, on_veth);
	ksft_print_msg(FLAP_FMT,
		       w->tr.ok, w->tr.fail, w->tr.first_errno, tx_lost(c));
}

/*
 * Case 7, Tx. The model refuses every key: the connection stays in
 * software, and gets the device once the model takes keys again. Then
 * keys refused at key updates, with the context up.
 */
TEST_F_TIMEOUT(dev, tx_fail_key_add, 300)
{
	struct world *w = self->w;
	struct ctrs s0, s1, s2, s3;
	struct mstat m0, m1;
	struct txconn *c1, *c2;
	uint32_t g;
	double end;
	int sent = 0, i;

	if (machinery_skip(variant))
		SKIP(return, "QUIC_SELFTEST_LONG=1 runs it for this suite");

	ASSERT_EQ(dbg_set(w, A, "fail_key_add", 1000000), 0);
	ctrs_read(&s0);
	mstat_read(w, &m0);
	c1 = tx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c1, NULL);
	end = quic_now() + 5;
	do {
		ASSERT_EQ(tx_single(w, c1, 0, 300 + sent, 2), 0);
		ASSERT_EQ(drain(w, 1), 1);
		sent++;
		msleep(30);
	} while ((sent < 10 || ctr(C_KEYS_FAILED) == s0.v[C_KEYS_FAILED]) &&
		 quic_now() < end);
	ASSERT_CK(w);
	ctrs_read(&s1);
	mstat_read(w, &m1);
	EXPECT_GT(dgen(&s0, &s1, C_KEYS_FAILED), 0) TH_LOG("%s", ctrs_diff(&s0));
	EXPECT_EQ(dgen(&s0, &s1, C_TX_DEV), 0);
	EXPECT_EQ(m1.tx - m0.tx, 0);
	EXPECT_EQ(sw_sum(&s1) - sw_sum(&s0), sent);
	ksft_print_msg("keys refused: ctx_count %lld, QuicDevCtxCurr %lld\n",
		       dbg_get(w, A, "ctx_count"), ctr(C_CTX_CURR));

	/* The device takes keys again: the connection gets there */
	ASSERT_EQ(dbg_set(w, A, "fail_key_add", 0), 0);
	ASSERT_TX_DEVICE(w, c1, 0, &s1);

	/* Keys refused at key updates */
	c2 = tx_conn(_metadata, w, 2, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c2, NULL);
	ASSERT_TX_DEVICE(w, c2, 0, &s1);
	ctrs_read(&s2);
	ASSERT_EQ(dbg_set(w, A, "fail_key_add", 1000000), 0);
	for (g = 0; g < 4; g++) {
		for (i = 0; i < 3; i++) {
			ASSERT_EQ(tx_single(w, c2, g, 500 + i, 2), 0);
			ASSERT_EQ(drain(w, 1), 1);
		}
		ASSERT_EQ(tx_batch(w, c2, 3, g + 1, 700, 500, 2), 0);
		ASSERT_EQ(drain(w, 3), 3);
		c2->gen = g + 1;
		msleep(50);
	}
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(tx_single(w, c2, c2->gen, 900, 2), 0);
		ASSERT_EQ(drain(w, 1), 1);
	}
	ASSERT_CK(w);
	ctrs_read(&s3);
	EXPECT_GT(dgen(&s2, &s3, C_KEYS_FAILED), 0) TH_LOG("%s", ctrs_diff(&s2));
	EXPECT_EQ(tx_lost(c1) + tx_lost(c2), 0);
	EXPECT_EQ(dbg_set(w, A, "fail_key_add", 0), 0);
}

/* Case 7, Rx: keys refused, every packet opened in software */
TEST_F_TIMEOUT(dev, rx_fail_key_add, 300)
{
	struct world *w = self->w;
	struct ctrs s0, s1;
	struct mstat m0, m1;
	struct rxconn *c;
	double end;
	int sent = 0;

	if (machinery_skip(variant))
		SKIP(return, "QUIC_SELFTEST_LONG=1 runs it for this suite");

	ASSERT_EQ(dbg_set(w, A, "fail_key_add", 1000000), 0);
	ctrs_read(&s0);
	mstat_read(w, &m0);
	c = rx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c, NULL);
	end = quic_now() + 5;
	do {
		uint64_t pn = c->next_pn;

		rx_send(_metadata, w, c, pn, 0, 300 + sent, 2, false);
		rx_expect(_metadata, w, c, pn, 0, 300 + sent, 2, 0, 0);
		sent++;
		msleep(30);
	} while ((sent < 10 || ctr(C_KEYS_FAILED) == s0.v[C_KEYS_FAILED]) &&
		 quic_now() < end);
	ctrs_read(&s1);
	mstat_read(w, &m1);
	EXPECT_GT(dgen(&s0, &s1, C_KEYS_FAILED), 0) TH_LOG("%s", ctrs_diff(&s0));
	EXPECT_EQ(dgen(&s0, &s1, C_RX_DEV), 0);
	EXPECT_EQ(m1.rx - m0.rx, 0);
	ksft_print_msg("keys refused: ctx_count %lld, QuicDevCtxCurr %lld\n",
		       dbg_get(w, A, "ctx_count"), ctr(C_CTX_CURR));

	/* The device takes keys again: the connection gets there */
	ASSERT_EQ(dbg_set(w, A, "fail_key_add", 0), 0);
	ASSERT_RX_DEVICE(w, c, &s1);
}

/* Both directions of a connection, @n packets each, checked */
static void both_ways(struct __test_metadata *_metadata, struct world *w,
		      struct txconn *c, struct rxconn *r, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (c) {
			ASSERT_EQ(tx_single(w, c, 0, 300 + i * 50, 2), 0);
			ASSERT_EQ(drain(w, 1), 1);
		}
		if (r) {
			uint64_t pn = r->next_pn;

			rx_send(_metadata, w, r, pn, 0, 300 + i * 50, 2, false);
			rx_expect(_metadata, w, r, pn, 0, 300 + i * 50, 2, 0, 0);
		}
		msleep(20);
	}
	ASSERT_CK(w);
}

/* The device no longer claims the suite: it is never asked */
TEST_F_TIMEOUT(dev, cipher_not_claimed, 120)
{
	struct world *w = self->w;
	long long ciphers = dbg_get(w, A, "ciphers");
	struct ctrs s0, s1;
	struct mstat m0, m1;
	struct txconn *c;
	struct rxconn *r;

	if (machinery_skip(variant))
		SKIP(return, "QUIC_SELFTEST_LONG=1 runs it for this suite");

	ASSERT_EQ(dbg_set(w, A, "ciphers", ciphers & ~(long long)w->cbit), 0);
	ctrs_read(&s0);
	mstat_read(w, &m0);
	c = tx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	r = rx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c, NULL);
	ASSERT_NE(r, NULL);
	both_ways(_metadata, w, c, r, 15);
	ctrs_read(&s1);
	mstat_read(w, &m1);
	EXPECT_EQ(dgen(&s0, &s1, C_TX_DEV), 0);
	EXPECT_EQ(dgen(&s0, &s1, C_RX_DEV), 0);
	EXPECT_EQ(dgen(&s0, &s1, C_CTX_ADDED), 0) TH_LOG("%s", ctrs_diff(&s0));
	EXPECT_EQ(m1.ctx, 0);
	EXPECT_EQ(m1.tx - m0.tx, 0);
	EXPECT_EQ(m1.rx - m0.rx, 0);
	EXPECT_EQ(sw_sum(&s1) - sw_sum(&s0), 15);
}

/* Without QUIC_ULP_KEY_DEVICE the device is never involved, nor counted */
TEST_F_TIMEOUT(dev, no_device_flag, 120)
{
	struct world *w = self->w;
	struct ctrs s0, s1;
	struct mstat m0, m1;
	struct txconn *c;
	struct rxconn *r;

	if (machinery_skip(variant))
		SKIP(return, "QUIC_SELFTEST_LONG=1 runs it for this suite");

	ctrs_read(&s0);
	mstat_read(w, &m0);
	c = tx_conn(_metadata, w, 1, 0);
	r = rx_conn(_metadata, w, 1, 0);
	ASSERT_NE(c, NULL);
	ASSERT_NE(r, NULL);
	both_ways(_metadata, w, c, r, 15);
	ctrs_read(&s1);
	mstat_read(w, &m1);
	EXPECT_EQ(dgen(&s0, &s1, C_TX_DEV), 0);
	EXPECT_EQ(dgen(&s0, &s1, C_RX_DEV), 0);
	EXPECT_EQ(dgen(&s0, &s1, C_CTX_ADDED), 0) TH_LOG("%s", ctrs_diff(&s0));
	EXPECT_EQ(sw_sum(&s1) - sw_sum(&s0), 0);
	EXPECT_EQ(m1.ctx, 0);
	EXPECT_EQ(m1.tx - m0.tx, 0);
	EXPECT_EQ(m1.rx - m0.rx, 0);
}

/* A device that protects one direction only gets contexts of that one */
TEST_F_TIMEOUT(dev, dirs, 300)
{
	struct world *w = self->w;
	struct ctrs s0, s1, s2, s3, s4;
	struct txconn *c1, *c2;
	struct rxconn *r1, *r2;

	if (machinery_skip(variant))
		SKIP(return, "QUIC_SELFTEST_LONG=1 runs it for this suite");

	ASSERT_EQ(dbg_set(w, A, "dirs", QUIC_ULP_DIR_RX), 0);
	ctrs_read(&s0);
	c1 = tx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c1, NULL);
	both_ways(_metadata, w, c1, NULL, 15);
	ctrs_read(&s1);
	EXPECT_EQ(dgen(&s0, &s1, C_TX_DEV), 0);
	EXPECT_EQ(dgen(&s0, &s1, C_CTX_ADDED), 0)
		TH_LOG("a Tx context on an Rx-only device:%s", ctrs_diff(&s0));
	r1 = rx_conn(_metadata, w, 1, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(r1, NULL);
	ASSERT_RX_DEVICE(w, r1, &s1);

	ASSERT_EQ(dbg_set(w, A, "dirs", QUIC_ULP_DIR_TX), 0);
	ctrs_read(&s2);
	c2 = tx_conn(_metadata, w, 2, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(c2, NULL);
	ASSERT_TX_DEVICE(w, c2, 0, &s2);
	ctrs_read(&s3);
	r2 = rx_conn(_metadata, w, 2, QUIC_ULP_KEY_DEVICE);
	ASSERT_NE(r2, NULL);
	both_ways(_metadata, w, NULL, r2, 15);
	ctrs_read(&s4);
	EXPECT_EQ(dgen(&s3, &s4, C_RX_DEV), 0);
	EXPECT_EQ(dgen(&s3, &s4, C_CTX_ADDED), 0)
		TH_LOG("an Rx context on a Tx-only device:%s", ctrs_diff(&s3));
}

int main(int argc, char **argv)
{
	if (access(NSIM_BUS, F_OK))
		sh("modprobe -q netdevsim 2>/dev/null");
	sh("modprobe -q quic_ulp 2>/dev/null");
	if (access(NSIM_DEBUGFS, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	return test_harness_run(argc, argv);
}
