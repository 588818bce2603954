// SPDX-License-Identifier: GPL-2.0
/*
 * ulp_emu.so: a userspace stand-in for the kernel's "quic" UDP ULP, for
 * testing the offload path of quic_offload on a kernel that lacks it:
 *
 *	LD_PRELOAD=build/ulp_emu.so build/qo-client ...
 *
 * It interposes setsockopt(), getsockopt(), sendmsg() and recvmsg() and
 * does what include/uapi/linux/quic.h says, with the reference packet
 * protection of tools/testing/selftests/net/quic/quic_ref.c. It is a model
 * of the uAPI as read by its user, not of the kernel code: single thread,
 * no locking, linear lookups. ULP_EMU_LOG=1 logs every uAPI call.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <linux/quic.h>

#include "quic_ref.h"

#ifndef UDP_ULP
#define UDP_ULP 105
#endif
#define MAX_FDS		1024
#define MAX_CIDS	32
#define BUF_SIZE	(1 << 17)

struct edir {
	bool has, has_next, has_old;
	struct quic_ref_key cur, next, old;	/* next/old: Rx only */
	uint64_t largest;	/* QUIC_REF_PN_NONE: none yet */
	uint64_t first_cur;	/* Rx: first packet number of @cur */
	struct quic_dir_info info;
};

struct ecid {
	uint8_t dir, len;
	uint8_t id[QUIC_MAX_CID_LEN];
};

struct econn {
	struct econn *next;
	int fd;
	uint32_t handle;
	uint16_t cipher;
	struct edir tx, rx;
	struct ecid cids[MAX_CIDS];
	int ncids;
};

static bool attached[MAX_FDS];
static struct econn *conns;
static int logging = -1;
static uint8_t buf[BUF_SIZE];

static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);

static void init(void)
{
	if (real_sendmsg)
		return;
	real_sendmsg = dlsym(RTLD_NEXT, "sendmsg");
	real_recvmsg = dlsym(RTLD_NEXT, "recvmsg");
	real_setsockopt = dlsym(RTLD_NEXT, "setsockopt");
	real_getsockopt = dlsym(RTLD_NEXT, "getsockopt");
	logging = getenv("ULP_EMU_LOG") != NULL;
}

#define LOG(...) do { if (logging) fprintf(stderr, "ulp_emu: " __VA_ARGS__); } while (0)

static bool is_attached(int fd)
{
	return fd >= 0 && fd < MAX_FDS && attached[fd];
}

static struct econn *conn_get(int fd, uint32_t handle)
{
	struct econn *c;

	for (c = conns; c; c = c->next)
		if (c->fd == fd && c->handle == handle)
			return c;
	return NULL;
}

static void dir_free(struct edir *d)
{
	quic_ref_key_free(&d->cur);
	quic_ref_key_free(&d->next);
	quic_ref_key_free(&d->old);
	memset(d, 0, sizeof(*d));
}

/* The connection and CID length whose @dir ID starts @pkt + 1. */
static struct econn *conn_by_cid(int fd, uint8_t dir, const uint8_t *pkt,
				 size_t len, size_t *cidlen)
{
	struct econn *c;
	int i;

	for (c = conns; c; c = c->next) {
		if (c->fd != fd)
			continue;
		for (i = 0; i < c->ncids; i++) {
			const struct ecid *e = &c->cids[i];

			if (e->dir == dir && 1 + (size_t)e->len <= len &&
			    !memcmp(pkt + 1, e->id, e->len)) {
				*cidlen = e->len;
				return c;
			}
		}
	}
	return NULL;
}

/* setsockopt */

static int set_key(int fd, const struct quic_key *k, bool tx)
{
	struct econn *c = conn_get(fd, k->conn);
	struct edir d = { 0 }, *dst;
	uint32_t i;

	if (k->flags || k->reserved || k->key_updates > QUIC_MAX_KEY_UPDATES ||
	    k->next_pn > QUIC_MAX_PN ||
	    k->secret_len != quic_ref_secret_len(k->cipher) ||
	    (c && c->cipher != k->cipher))
		return -EINVAL;
	if (quic_ref_key_init(&d.cur, k->cipher, k->secret, k->secret_len))
		return -EINVAL;
	for (i = 0; i < k->key_updates; i++)
		if (quic_ref_key_update(&d.cur)) {
			dir_free(&d);
			return -EIO;
		}
	d.has = true;
	d.largest = k->next_pn ? k->next_pn - 1 : QUIC_REF_PN_NONE;
	d.first_cur = k->next_pn;
	d.info.largest_pn = d.largest;
	d.info.key_updates = k->key_updates;
	d.info.key_phase = k->key_updates & 1;
	d.info.flags = QUIC_INFO_KEY;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			dir_free(&d);
			return -ENOMEM;
		}
		c->fd = fd;
		c->handle = k->conn;
		c->cipher = k->cipher;
		c->next = conns;
		conns = c;
	}
	dst = tx ? &c->tx : &c->rx;
	dir_free(dst);
	*dst = d;
	LOG("%s key conn %u cipher 0x%04x key_updates %u next_pn %llu\n",
	    tx ? "Tx" : "Rx", k->conn, k->cipher, k->key_updates,
	    (unsigned long long)k->next_pn);
	return 0;
}

/* Is @q's ID already mapped, by any connection on @fd? */
static bool cid_taken(int fd, const struct quic_cid *q)
{
	struct econn *c;
	int i;

	for (c = conns; c; c = c->next)
		for (i = 0; c->fd == fd && i < c->ncids; i++)
			if (c->cids[i].dir == q->dir &&
			    c->cids[i].len == q->len &&
			    !memcmp(c->cids[i].id, q->id, q->len))
				return true;
	return false;
}

static int cid_op(int fd, const struct quic_cid *q, bool add)
{
	struct econn *c = conn_get(fd, q->conn);
	int i;

	if (!c || (q->dir != QUIC_DIR_TX && q->dir != QUIC_DIR_RX) ||
	    q->len > QUIC_MAX_CID_LEN || q->flags || !q->len)
		return !c ? -ENOENT : q->len ? -EINVAL : -EOPNOTSUPP;
	for (i = 0; i < c->ncids; i++)
		if (c->cids[i].dir == q->dir && c->cids[i].len == q->len &&
		    !memcmp(c->cids[i].id, q->id, q->len))
			break;
	LOG("%s %s cid conn %u len %u\n", add ? "add" : "del",
	    q->dir == QUIC_DIR_TX ? "Tx" : "Rx", q->conn, q->len);
	if (!add) {
		if (i == c->ncids)
			return -ENOENT;
		c->cids[i] = c->cids[--c->ncids];
		(q->dir == QUIC_DIR_TX ? &c->tx : &c->rx)->info.cids--;
		return 0;
	}
	if (cid_taken(fd, q))
		return -EEXIST;
	if (c->ncids == MAX_CIDS)
		return -ENOSPC;
	c->cids[c->ncids].dir = q->dir;
	c->cids[c->ncids].len = q->len;
	memcpy(c->cids[c->ncids++].id, q->id, q->len);
	(q->dir == QUIC_DIR_TX ? &c->tx : &c->rx)->info.cids++;
	return 0;
}

static int del_conn(int fd, uint32_t handle)
{
	struct econn **p, *c;

	for (p = &conns; (c = *p); p = &c->next)
		if (c->fd == fd && c->handle == handle) {
			*p = c->next;
			dir_free(&c->tx);
			dir_free(&c->rx);
			free(c);
			LOG("del conn %u\n", handle);
			return 0;
		}
	return -ENOENT;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	const struct quic_discard *dis = val;
	struct econn *c;
	int err;

	init();
	if (level != SOL_UDP || name < UDP_ULP || name > QUIC_CONN_INFO ||
	    (name != UDP_ULP && !is_attached(fd)))
		return real_setsockopt(fd, level, name, val, len);
	switch (name) {
	case UDP_ULP:
		if (fd < 0 || fd >= MAX_FDS || len != sizeof(QUIC_ULP_NAME) ||
		    memcmp(val, QUIC_ULP_NAME, len))
			err = -ENOENT;
		else if (attached[fd])
			err = -EEXIST;
		else
			attached[fd] = true, err = 0;
		break;
	case QUIC_TX_KEY:
	case QUIC_RX_KEY:
		err = len != sizeof(struct quic_key) ? -EINVAL :
			set_key(fd, val, name == QUIC_TX_KEY);
		break;
	case QUIC_ADD_CID:
	case QUIC_DEL_CID:
		err = len != sizeof(struct quic_cid) ? -EINVAL :
			cid_op(fd, val, name == QUIC_ADD_CID);
		break;
	case QUIC_DEL_CONN:
		err = len != sizeof(uint32_t) ? -EINVAL :
			del_conn(fd, *(const uint32_t *)val);
		break;
	case QUIC_DISCARD_OLD_KEY:
		c = len == sizeof(*dis) ? conn_get(fd, dis->conn) : NULL;
		err = c ? 0 : -ENOENT;
		if (c && (dis->dir & QUIC_DIR_RX) && c->rx.has_old) {
			quic_ref_key_free(&c->rx.old);
			c->rx.has_old = false;
			c->rx.info.flags &= ~QUIC_INFO_OLD_KEY;
			LOG("discard old Rx key conn %u\n", dis->conn);
		}
		break;
	default:
		err = -ENOPROTOOPT;
	}
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct quic_conn_info *ci = val;
	struct econn *c;

	init();
	if (level != SOL_UDP || name != QUIC_CONN_INFO || !is_attached(fd))
		return real_getsockopt(fd, level, name, val, len);
	c = *len >= sizeof(*ci) ? conn_get(fd, ci->conn) : NULL;
	if (!c) {
		errno = ENOENT;
		return -1;
	}
	ci->cipher = c->cipher;
	ci->reserved = 0;
	ci->tx = c->tx.info;
	ci->rx = c->rx.info;
	*len = sizeof(*ci);
	return 0;
}

/* sendmsg: protect each segment whose DCID is a Tx ID */

static int protect(int fd, uint8_t *pkt, size_t len)
{
	struct econn *c;
	struct edir *d;
	size_t cidlen;
	unsigned int pnlen, i;
	uint64_t trunc = 0, pn;

	if (pkt[0] & 0x80)
		return 0;
	c = conn_by_cid(fd, QUIC_DIR_TX, pkt, len, &cidlen);
	if (!c || !c->tx.has)
		return 0;
	d = &c->tx;
	pnlen = (pkt[0] & 3) + 1;
	if (len < 1 + cidlen + pnlen)
		return -EINVAL;
	for (i = 0; i < pnlen; i++)
		trunc = trunc << 8 | pkt[1 + cidlen + i];
	pn = quic_ref_pn_decode(d->largest, trunc, pnlen);
	if (!!(pkt[0] & QUIC_REF_KEY_PHASE) != quic_ref_key_phase(&d->cur)) {
		if (quic_ref_key_update(&d->cur))
			return -EIO;
		d->info.key_updates++;
		d->info.key_phase ^= 1;
		d->info.key_packets = 0;
		LOG("Tx key update conn %u at pn %llu\n", c->handle,
		    (unsigned long long)pn);
	}
	if (quic_ref_protect(&d->cur, pkt, len, cidlen, pn))
		return -EINVAL;	/* never send it in plaintext */
	if (d->largest == QUIC_REF_PN_NONE || pn > d->largest)
		d->largest = pn;
	d->info.largest_pn = d->largest;
	d->info.packets++;
	d->info.key_packets++;
	d->info.bytes += len;
	return 0;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct msghdr m = *msg;
	struct iovec iov;
	struct cmsghdr *cm;
	size_t len = 0, gso = 0, off, n;
	uint16_t seg;
	int err;

	init();
	if (!is_attached(fd) || !conns)
		return real_sendmsg(fd, msg, flags);
	for (n = 0; n < msg->msg_iovlen; n++) {
		if (len + msg->msg_iov[n].iov_len > BUF_SIZE) {
			errno = EMSGSIZE;
			return -1;
		}
		memcpy(buf + len, msg->msg_iov[n].iov_base,
		       msg->msg_iov[n].iov_len);
		len += msg->msg_iov[n].iov_len;
	}
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_SEGMENT) {
			memcpy(&seg, CMSG_DATA(cm), sizeof(seg));
			gso = seg;
		}
	if (!gso || gso > len)
		gso = len;
	for (off = 0; off < len; off += gso) {
		err = protect(fd, buf + off, len - off < gso ? len - off : gso);
		if (err) {
			errno = -err;
			return -1;
		}
	}
	iov.iov_base = buf;
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	return real_sendmsg(fd, &m, flags);
}

/* recvmsg: unprotect each segment whose DCID is an Rx ID */

/* 1: decrypted, 0: not ours, -1: drop it */
static int unprotect(int fd, uint8_t *pkt, size_t len, struct quic_rx_info *ri)
{
	uint8_t copy[1 + QUIC_MAX_CID_LEN + 4];
	struct quic_ref_key *k;
	struct quic_ref_rx r;
	struct econn *c;
	struct edir *d;
	size_t cidlen;
	bool update = false;

	if (pkt[0] & 0x80)
		return 0;
	c = conn_by_cid(fd, QUIC_DIR_RX, pkt, len, &cidlen);
	if (!c || !c->rx.has)
		return 0;
	d = &c->rx;
	memcpy(copy, pkt, sizeof(copy) < len ? sizeof(copy) : len);
	if (quic_ref_unprotect_header(&d->cur, pkt, len, cidlen, d->largest,
				      &r)) {
		memcpy(pkt, copy, sizeof(copy) < len ? sizeof(copy) : len);
		return 0;	/* too short to sample: not ours to judge */
	}
	k = &d->cur;
	if (r.key_phase != quic_ref_key_phase(&d->cur)) {
		if (r.pn < d->first_cur) {
			k = d->has_old ? &d->old : NULL;
		} else {
			if (!d->has_next &&
			    !quic_ref_key_init_next(&d->next, &d->cur))
				d->has_next = true;
			k = d->has_next ? &d->next : NULL;
			update = true;
		}
	}
	if (!k || quic_ref_open_payload(k, pkt, &r)) {
		d->info.auth_failures++;
		LOG("Rx auth failure conn %u pn %llu\n", c->handle,
		    (unsigned long long)r.pn);
		return -1;
	}
	if (update) {
		quic_ref_key_free(&d->old);
		d->old = d->cur;
		d->cur = d->next;
		memset(&d->next, 0, sizeof(d->next));
		d->has_old = true;
		d->has_next = false;
		d->first_cur = r.pn;
		d->info.key_updates++;
		d->info.key_phase ^= 1;
		d->info.key_packets = 0;
		d->info.flags |= QUIC_INFO_OLD_KEY;
		LOG("Rx key update conn %u at pn %llu\n", c->handle,
		    (unsigned long long)r.pn);
	} else if (k == &d->cur && r.pn < d->first_cur) {
		d->first_cur = r.pn;
	}
	if (d->largest == QUIC_REF_PN_NONE || r.pn > d->largest)
		d->largest = r.pn;
	d->info.largest_pn = d->largest;
	d->info.packets++;
	d->info.bytes += len;
	if (k == &d->old)
		d->info.old_key_packets++;
	else
		d->info.key_packets++;
	memset(ri, 0, sizeof(*ri));
	ri->pn = r.pn;
	ri->conn = c->handle;
	ri->status = QUIC_RX_DECRYPTED;
	ri->flags = (r.key_phase ? QUIC_RX_KEY_PHASE : 0) |
		    (update ? QUIC_RX_KEY_UPDATE : 0) |
		    (k == &d->old ? QUIC_RX_OLD_KEY : 0);
	memcpy(pkt + len - QUIC_TAG_LEN, ri, sizeof(*ri));
	return 1;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct quic_rx_info ri[64];
	size_t cap = msg->msg_controllen, used, gso, off, seglen, n, nseg;
	socklen_t namelen = msg->msg_namelen;
	struct cmsghdr *cm;
	ssize_t len;
	int gro, rv, any;

	init();
	if (!is_attached(fd) || !conns || msg->msg_iovlen != 1)
		return real_recvmsg(fd, msg, flags);
again:
	msg->msg_controllen = cap;
	msg->msg_namelen = namelen;
	len = real_recvmsg(fd, msg, flags);
	if (len <= 0)
		return len;
	gso = (size_t)len;
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm))
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
			memcpy(&gro, CMSG_DATA(cm), sizeof(gro));
			gso = (size_t)gro;
		}
	n = (size_t)len;
	any = 0;
	for (off = 0, nseg = 0; off < n;) {
		uint8_t *p = (uint8_t *)msg->msg_iov[0].iov_base + off;

		seglen = n - off < gso ? n - off : gso;
		rv = nseg < 64 ? unprotect(fd, p, seglen, &ri[nseg]) : 0;
		if (rv < 0) {	/* drop the segment */
			memmove(p, p + seglen, n - off - seglen);
			n -= seglen;
			continue;
		}
		if (rv == 0 && nseg < 64) {
			memset(&ri[nseg], 0, sizeof(ri[0]));
			ri[nseg].status = QUIC_RX_NONE;
		}
		any |= rv;
		off += seglen;
		nseg++;
	}
	if (!n)
		goto again;
	if (any) {
		used = CMSG_ALIGN(msg->msg_controllen);
		if (nseg > 64 ||
		    used + CMSG_SPACE(nseg * sizeof(ri[0])) > cap) {
			msg->msg_flags |= MSG_CTRUNC;
		} else {
			cm = (struct cmsghdr *)((char *)msg->msg_control + used);
			memset(cm, 0, CMSG_SPACE(nseg * sizeof(ri[0])));
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = QUIC_RX_INFO;
			cm->cmsg_len = CMSG_LEN(nseg * sizeof(ri[0]));
			memcpy(CMSG_DATA(cm), ri, nseg * sizeof(ri[0]));
			msg->msg_controllen = used +
				CMSG_SPACE(nseg * sizeof(ri[0]));
		}
	}
	return (ssize_t)n;
}
