// SPDX-License-Identifier: GPL-2.0
/*
 * Packet protection in network devices (Documentation/networking/
 * quic-offload.rst).
 *
 * A direction whose application allowed it (QUIC_ULP_KEY_DEVICE) is
 * offered to a device the data path found able to take it: the device
 * its packets are routed to (Tx) or arrived through (Rx). The work item
 * of the connection adds a context there and keeps the device's
 * generations in step with the direction's, one at a time; what the data
 * path may hand the device is published as a struct quic_dev_live under
 * RCU. Everything else stays in software, and so does every packet the
 * device could not take at the moment it was sent: at transmit, a
 * datagram that reaches another device, or names a context or generation
 * no longer published, is sealed in software there, or dropped if its
 * keys are gone. A generation or context leaves a device only after it
 * was withdrawn from the published set and a grace period passed.
 */

#include <crypto/aead.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/udp.h>
#include <net/dst.h>
#include <net/genetlink.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/quic_ulp_device.h>
#include <net/route.h>

#include "quic.h"
#include "netlink-gen.h"

/* Device operations run under it for reading; a device going away takes
 * it for writing, so that no context is added to it meanwhile
 */
static DECLARE_RWSEM(quic_dev_lock);
/* The directions on devices, for the notifier */
static LIST_HEAD(quic_dev_dirs);
static DEFINE_MUTEX(quic_dev_dirs_lock);
static atomic64_t quic_dev_ids;

/* A failed context or key is not tried again before this */
#define QUIC_DEV_RETRY		HZ
/* Rx: the device is resynchronised at most this often */
#define QUIC_DEV_RESYNC		(HZ / 10)

static u32 quic_dev_cipher_bit(u16 suite)
{
	switch (suite) {
	case QUIC_ULP_CIPHER_AES_128_GCM_SHA256:
		return QUIC_ULP_DEV_AES_128_GCM;
	case QUIC_ULP_CIPHER_AES_256_GCM_SHA384:
		return QUIC_ULP_DEV_AES_256_GCM;
	case QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256:
		return QUIC_ULP_DEV_CHACHA20_POLY1305;
	case QUIC_ULP_CIPHER_AES_128_CCM_SHA256:
		return QUIC_ULP_DEV_AES_128_CCM;
	}
	return 0;
}

static u8 quic_dev_dir_id(const struct quic_conn *conn,
			  const struct quic_dir *dir)
{
	return dir == &conn->tx ? QUIC_ULP_DIR_TX : QUIC_ULP_DIR_RX;
}

/* Any context: the device offers direction @d, and it is enabled */
static bool quic_dev_offers(const struct net_device *dev, u8 d)
{
	const struct quic_ulp_dev *q = dev ? READ_ONCE(dev->quic_ulp) : NULL;

	return q && READ_ONCE(q->enabled) & d;
}

/**
 * quic_ulp_dev_dir_init() - note what the first key says of devices
 * @dir: the direction, being keyed
 * @key: its first key
 *
 * Keeps the header protection key for a device when the application
 * allows one.
 */
void quic_ulp_dev_dir_init(struct quic_dir *dir, const struct quic_ulp_key *key)
{
	const struct quic_conn *conn = dir->conn;

	INIT_LIST_HEAD(&dir->dev.node);
	dir->dev.retry_at = jiffies;
	if (!(key->flags & QUIC_ULP_KEY_DEVICE))
		return;
	if (quic_ulp_hkdf_expand_label(conn->cipher, key->secret,
				       conn->labels->hp, dir->dev.hp_key,
				       conn->cipher->key_len))
		return;
	dir->dev.allowed = true;
}

/**
 * quic_ulp_dev_dir_clear() - forget what quic_ulp_dev_dir_init() kept
 * @dir: the direction, whose installation failed
 */
void quic_ulp_dev_dir_clear(struct quic_dir *dir)
{
	memzero_explicit(dir->dev.hp_key, sizeof(dir->dev.hp_key));
	dir->dev.allowed = false;
}

/**
 * quic_ulp_dev_dir_info() - what a direction's device did
 * @dir: the direction
 * @packets: packets its device protected or authenticated
 * @ifindex: the device it has a context on now, else left alone
 *
 * Return: false if its application did not allow a device.
 */
bool quic_ulp_dev_dir_info(struct quic_dir *dir, u64 *packets, int *ifindex)
{
	struct quic_dev_live *l;

	if (!dir->dev.allowed)
		return false;
	spin_lock_bh(&dir->lock);
	*packets = dir->dev.packets;
	spin_unlock_bh(&dir->lock);
	rcu_read_lock();
	l = rcu_dereference(dir->dev.live);
	if (l)
		*ifindex = READ_ONCE(l->dev->ifindex);
	rcu_read_unlock();
	return true;
}

/**
 * quic_ulp_dev_gen_keyed() - a slot was keyed for a generation
 * @gen: the slot
 * @key: its AEAD key, kept for the device when the direction may have one
 */
void quic_ulp_dev_gen_keyed(struct quic_gen *gen, const u8 *key)
{
	const struct quic_conn *conn = gen->dir->conn;

	if (gen->dir->dev.allowed)
		memcpy(gen->key, key, conn->cipher->key_len);
}

static bool quic_dev_in(const u32 *numbers, unsigned int n, u32 number)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (numbers[i] == number)
			return true;
	return false;
}

/* Whether the data path may hand packets of generation @number to @l */
static bool quic_dev_live_has(const struct quic_dev_live *l, u32 number)
{
	return quic_dev_in(l->number, l->n, number);
}

/* The data path found @dev able to take @dir: ask the work item */
static void quic_dev_want(struct quic_conn *conn, struct quic_dir *dir,
			  const struct net_device *dev)
{
	if (!quic_dev_offers(dev, quic_dev_dir_id(conn, dir)) ||
	    time_before(jiffies, READ_ONCE(dir->dev.retry_at)) ||
	    READ_ONCE(dir->dev.want_ifindex) == dev->ifindex)
		return;
	WRITE_ONCE(dir->dev.want_ifindex, dev->ifindex);
	quic_ulp_conn_schedule_keys(conn);
}

static void quic_dev_set_live(struct quic_dir *dir, struct quic_dev_live *l)
{
	struct quic_dev_live *old;

	old = rcu_replace_pointer(dir->dev.live, l, true);
	if (old)
		kfree_rcu(old, rcu);
}

/* Publish what the data path may hand the device: the generations on it */
static void quic_dev_publish(struct quic_dir *dir, const u32 *numbers,
			     unsigned int n)
{
	struct quic_dev_live *l;

	dir->dev.nkeys = n;
	l = kzalloc_obj(*l, GFP_KERNEL);
	/* Without it, software: always safe */
	if (l) {
		l->dev = dir->dev.dev;
		l->ctx_id = dir->dev.ctx->id;
		memcpy(l->number, numbers, n * sizeof(*numbers));
		l->n = n;
	}
	quic_dev_set_live(dir, l);
}

/* The generations on the device now, from the published set */
static unsigned int quic_dev_on(const struct quic_dir *dir, u32 *numbers)
{
	const struct quic_dev_live *l;

	l = rcu_dereference_protected(dir->dev.live,
				      lockdep_is_held(&quic_dev_lock));
	if (!l)
		return 0;
	memcpy(numbers, l->number, l->n * sizeof(*numbers));
	return l->n;
}

/* Take @dir off its device, unpublished a grace period before (no packet
 * can be on its way to the device with its id): the context goes with
 * all its keys
 */
static void quic_dev_remove(struct quic_conn *conn, struct quic_dir *dir)
{
	const struct quic_ulp_dev_ops *ops = dir->dev.dev->quic_ulp->ops;
	struct net *net = conn->qs->net;

	ops->ctx_del(dir->dev.dev, dir->dev.ctx);
	QUIC_ADD_STATS(net, QUIC_MIB_DEV_KEYS_REMOVED, dir->dev.nkeys);
	dir->dev.nkeys = 0;
	QUIC_INC_STATS(net, QUIC_MIB_DEV_CTX_REMOVED);
	QUIC_DEC_STATS(net, QUIC_MIB_DEV_CTX_CURR);

	mutex_lock(&quic_dev_dirs_lock);
	list_del_init(&dir->dev.node);
	mutex_unlock(&quic_dev_dirs_lock);
	netdev_put(dir->dev.dev, &dir->dev.tracker);
	dir->dev.dev = NULL;
	kfree_sensitive(dir->dev.ctx);
	dir->dev.ctx = NULL;
	kfree_sensitive(dir->dev.cids);
	dir->dev.cids = NULL;
	dir->dev.ncids = 0;
}

static void quic_dev_detach(struct quic_conn *conn, struct quic_dir *dir)
{
	if (!dir->dev.ctx)
		return;
	quic_dev_set_live(dir, NULL);
	synchronize_net();
	quic_dev_remove(conn, dir);
}

/* The receive IDs of @conn, as the socket has them now */
static int quic_dev_read_cids(struct quic_conn *conn, struct quic_cid_key **out,
			      unsigned int *n)
{
	struct quic_cid_entry *cid;
	struct quic_cid_key *keys;
	unsigned int i = 0;

	keys = kcalloc(QUIC_ULP_MAX_CIDS, sizeof(*keys), GFP_KERNEL);
	if (!keys)
		return -ENOMEM;
	rcu_read_lock();
	list_for_each_entry_rcu(cid, &conn->cid_list, conn_node) {
		if (cid->dir != QUIC_ULP_DIR_RX || !cid->key.len)
			continue;
		if (i == QUIC_ULP_MAX_CIDS)
			break;
		keys[i++] = cid->key;
	}
	rcu_read_unlock();
	*out = keys;
	*n = i;
	return 0;
}

static bool quic_dev_has_cid(const struct quic_cid_key *keys, unsigned int n,
			     const struct quic_cid_key *key)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (keys[i].len == key->len &&
		    !memcmp(keys[i].id, key->id, key->len))
			return true;
	return false;
}

/* Rx: give the device the connection's receive IDs, and only those. Each
 * change to them schedules this after it, so the list read here is never
 * older than the last change.
 */
static void quic_dev_sync_cids(struct quic_conn *conn, struct quic_dir *dir)
{
	const struct quic_ulp_dev_ops *ops = dir->dev.dev->quic_ulp->ops;
	struct quic_cid_key *now;
	unsigned int i, n;

	if (quic_dev_read_cids(conn, &now, &n))
		return;
	for (i = 0; i < dir->dev.ncids; i++)
		if (!quic_dev_has_cid(now, n, &dir->dev.cids[i]))
			ops->cid_del(dir->dev.dev, dir->dev.ctx,
				     dir->dev.cids[i].id, dir->dev.cids[i].len);
	for (i = 0; i < n; ) {
		if ((dir->dev.cids &&
		     quic_dev_has_cid(dir->dev.cids, dir->dev.ncids, &now[i])) ||
		    !ops->cid_add(dir->dev.dev, dir->dev.ctx, now[i].id,
				  now[i].len))
			i++;
		else
			/* Refused: its packets stay in software */
			now[i] = now[--n];
	}
	kfree_sensitive(dir->dev.cids);
	dir->dev.cids = now;
	dir->dev.ncids = n;
}

/* The generations the device should hold: Tx the current and next ones;
 * Rx one per Key Phase, the current one and the previous one while it is
 * kept, else the next. Held, so that their slots are not keyed anew.
 */
static unsigned int quic_dev_wanted(struct quic_dir *dir, bool rx,
				    struct quic_gen **gens)
{
	unsigned int n = 0;

	spin_lock_bh(&dir->lock);
	if (dir->cur)
		gens[n++] = dir->cur;
	if (rx && dir->old)
		gens[n++] = dir->old;
	else if (dir->next)
		gens[n++] = dir->next;
	for (unsigned int i = 0; i < n; i++)
		quic_ulp_gen_hold(gens[i]);
	spin_unlock_bh(&dir->lock);
	return n;
}

static bool quic_dev_wants(struct quic_gen **gens, unsigned int n, u32 number)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (gens[i]->number == number)
			return true;
	return false;
}

/* Bring the device's generations in step with the direction's: removals
 * first, so that an Rx context never holds two of one Key Phase
 */
static void quic_dev_sync_keys(struct quic_conn *conn, struct quic_dir *dir,
			       bool rx)
{
	const struct quic_ulp_dev_ops *ops = dir->dev.dev->quic_ulp->ops;
	u32 on[QUIC_GENS], keep[QUIC_GENS], gone[QUIC_GENS];
	unsigned int i, n, nkeep = 0, ngone = 0, nwant;
	struct quic_gen *want[QUIC_GENS];
	struct net *net = conn->qs->net;
	struct quic_ulp_dev_key key;

	nwant = quic_dev_wanted(dir, rx, want);
	n = quic_dev_on(dir, on);
	for (i = 0; i < n; i++) {
		if (quic_dev_wants(want, nwant, on[i]))
			keep[nkeep++] = on[i];
		else
			gone[ngone++] = on[i];
	}
	if (ngone) {
		quic_dev_publish(dir, keep, nkeep);
		synchronize_net();
		for (i = 0; i < ngone; i++)
			ops->key_del(dir->dev.dev, dir->dev.ctx, gone[i]);
		QUIC_ADD_STATS(net, QUIC_MIB_DEV_KEYS_REMOVED, ngone);
	}
	for (i = 0; i < nwant; i++) {
		struct quic_gen *gen = want[i];

		if (quic_dev_in(keep, nkeep, gen->number) ||
		    time_before(jiffies, READ_ONCE(dir->dev.retry_at)))
			continue;
		key.number = gen->number;
		memcpy(key.key, gen->key, sizeof(key.key));
		memcpy(key.iv, gen->iv, sizeof(key.iv));
		if (ops->key_add(dir->dev.dev, dir->dev.ctx, &key)) {
			/* Software meanwhile; asked again no sooner than this */
			WRITE_ONCE(dir->dev.retry_at, jiffies + QUIC_DEV_RETRY);
			QUIC_INC_STATS(net, QUIC_MIB_DEV_KEYS_FAILED);
		} else {
			keep[nkeep++] = gen->number;
			QUIC_INC_STATS(net, QUIC_MIB_DEV_KEYS_ADDED);
		}
	}
	memzero_explicit(&key, sizeof(key));
	if (ngone || nkeep != n - ngone)
		quic_dev_publish(dir, keep, nkeep);
	for (i = 0; i < nwant; i++)
		quic_ulp_gen_put(want[i]);
}

/* Whether @dev can take direction @d of @conn now */
static bool quic_dev_can(struct net_device *dev, const struct quic_conn *conn,
			 const struct quic_dir *dir, u8 d)
{
	struct quic_ulp_dev_caps caps = {};

	if (!quic_dev_offers(dev, d) || !netif_running(dev) ||
	    dev->reg_state != NETREG_REGISTERED)
		return false;
	dev->quic_ulp->ops->caps(dev, &caps);
	return caps.dirs & d &&
	       caps.ciphers & quic_dev_cipher_bit(conn->cipher->suite);
}

static void quic_dev_attach_failed(struct quic_conn *conn, struct quic_dir *dir)
{
	WRITE_ONCE(dir->dev.retry_at, jiffies + QUIC_DEV_RETRY);
	QUIC_INC_STATS(conn->qs->net, QUIC_MIB_DEV_CTX_FAILED);
}

/* Add a context for @dir to the device the data path asked for */
static void quic_dev_attach(struct quic_conn *conn, struct quic_dir *dir)
{
	u8 d = quic_dev_dir_id(conn, dir);
	struct quic_ulp_dev_ctx *ctx;
	netdevice_tracker tracker;
	struct net_device *dev;
	int ifindex;

	ifindex = xchg(&dir->dev.want_ifindex, 0);
	if (!ifindex || dir->dev.ctx || READ_ONCE(conn->dead))
		return;
	dev = netdev_get_by_index(conn->qs->net, ifindex, &tracker,
				  GFP_KERNEL);
	if (!dev)
		return;
	if (!quic_dev_can(dev, conn, dir, d))
		goto fail;
	ctx = kzalloc_obj(*ctx, GFP_KERNEL);
	if (!ctx)
		goto fail;
	ctx->id = atomic64_inc_return(&quic_dev_ids);
	ctx->dir = d;
	ctx->cipher = conn->cipher->suite;
	ctx->version = conn->labels->version;
	ctx->key_len = conn->cipher->key_len;
	memcpy(ctx->hp_key, dir->dev.hp_key, sizeof(ctx->hp_key));
	spin_lock_bh(&dir->lock);
	ctx->local_addr = dir->dev.want_addr;
	ctx->local_port = dir->dev.want_port;
	ctx->largest_pn = dir->largest_pn;
	ctx->have_pn = dir->have_pn;
	spin_unlock_bh(&dir->lock);
	if (dev->quic_ulp->ops->ctx_add(dev, ctx)) {
		kfree_sensitive(ctx);
		goto fail;
	}
	QUIC_INC_STATS(conn->qs->net, QUIC_MIB_DEV_CTX_ADDED);
	QUIC_INC_STATS(conn->qs->net, QUIC_MIB_DEV_CTX_CURR);
	dir->dev.ctx = ctx;
	dir->dev.dev = dev;
	dir->dev.tracker = tracker;
	mutex_lock(&quic_dev_dirs_lock);
	list_add_tail(&dir->dev.node, &quic_dev_dirs);
	mutex_unlock(&quic_dev_dirs_lock);
	return;
fail:
	quic_dev_attach_failed(conn, dir);
	netdev_put(dev, &tracker);
}

static void quic_dev_sync_dir(struct quic_conn *conn, struct quic_dir *dir,
			      bool rx)
{
	if (!dir->dev.allowed)
		return;
	if (READ_ONCE(conn->dead)) {
		quic_dev_detach(conn, dir);
		return;
	}
	if (!dir->dev.ctx)
		quic_dev_attach(conn, dir);
	if (!dir->dev.ctx)
		return;
	if (rx) {
		quic_dev_sync_cids(conn, dir);
		if (xchg(&dir->dev.resync, false)) {
			u64 largest;

			spin_lock_bh(&dir->lock);
			largest = dir->largest_pn;
			spin_unlock_bh(&dir->lock);
			dir->dev.dev->quic_ulp->ops->rx_resync(dir->dev.dev,
							       dir->dev.ctx,
							       largest);
		}
	}
	quic_dev_sync_keys(conn, dir, rx);
	/* A context the device took no key for only holds its slot */
	if (!dir->dev.nkeys) {
		quic_dev_detach(conn, dir);
		WRITE_ONCE(dir->dev.retry_at, jiffies + QUIC_DEV_RETRY);
	}
}

/**
 * quic_ulp_dev_sync() - bring a connection's device state in step
 * @conn: the connection, held
 *
 * From its work item, after the next generations were derived: adds the
 * contexts the data path asked for, the generations and receive IDs they
 * lack, and removes what they no longer need.
 */
void quic_ulp_dev_sync(struct quic_conn *conn)
{
	if (!conn->tx.dev.allowed && !conn->rx.dev.allowed)
		return;
	down_read(&quic_dev_lock);
	quic_dev_sync_dir(conn, &conn->tx, false);
	quic_dev_sync_dir(conn, &conn->rx, true);
	up_read(&quic_dev_lock);
}

/**
 * quic_ulp_dev_conn_free() - take a connection off its devices
 * @conn: the connection, which nothing references any more
 */
void quic_ulp_dev_conn_free(struct quic_conn *conn)
{
	if (conn->tx.dev.allowed || conn->rx.dev.allowed) {
		down_read(&quic_dev_lock);
		quic_dev_detach(conn, &conn->tx);
		quic_dev_detach(conn, &conn->rx);
		up_read(&quic_dev_lock);
	}
	memzero_explicit(conn->tx.dev.hp_key, sizeof(conn->tx.dev.hp_key));
	memzero_explicit(conn->rx.dev.hp_key, sizeof(conn->rx.dev.hp_key));
}

/* @dev goes down or away, or directions @dirs of it are disabled: every
 * context of them on it is unpublished, then after one grace period
 * removed
 */
static void quic_dev_evict(struct net_device *dev, u8 dirs)
{
	struct quic_dev_dir *d, *tmp;
	struct quic_dir *dir;
	LIST_HEAD(evicted);

	down_write(&quic_dev_lock);
	mutex_lock(&quic_dev_dirs_lock);
	list_for_each_entry_safe(d, tmp, &quic_dev_dirs, node) {
		dir = container_of(d, struct quic_dir, dev);
		if (d->dev != dev ||
		    !(quic_dev_dir_id(dir->conn, dir) & dirs))
			continue;
		quic_dev_set_live(dir, NULL);
		list_move_tail(&d->node, &evicted);
	}
	mutex_unlock(&quic_dev_dirs_lock);
	if (list_empty(&evicted))
		goto out;
	synchronize_net();
	list_for_each_entry_safe(d, tmp, &evicted, node) {
		dir = container_of(d, struct quic_dir, dev);
		quic_dev_remove(dir->conn, dir);
	}
out:
	up_write(&quic_dev_lock);
}

static int quic_dev_event(struct notifier_block *nb, unsigned long event,
			  void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (!dev->quic_ulp)
		return NOTIFY_DONE;
	switch (event) {
	case NETDEV_DOWN:
	case NETDEV_UNREGISTER:
		quic_dev_evict(dev, QUIC_ULP_DIR_TX | QUIC_ULP_DIR_RX);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block quic_dev_notifier = {
	.notifier_call	= quic_dev_event,
};

/* Only a datagram to one peer: a multicast or broadcast one is looped
 * back to local sockets before any device sees it
 */
static bool quic_dev_unicast(struct sk_buff *skb)
{
	/* (skb->protocol is not set yet: UDP built the IP header) */
	if (ip_hdr(skb)->version == 4)
		return !(skb_rtable(skb)->rt_flags &
			 (RTCF_BROADCAST | RTCF_MULTICAST));
#if IS_ENABLED(CONFIG_IPV6)
	if (ip_hdr(skb)->version == 6)
		return !ipv6_addr_is_multicast(&ipv6_hdr(skb)->daddr);
#endif
	return false;
}

/**
 * quic_ulp_dev_tx_take() - hand a datagram's packets to the device
 * @skb: the datagram, checked against its records
 * @conn: the connection of every record
 * @first: the first record
 * @nseg: how many packets, one per segment
 * @uniform: the records name one generation and Destination Connection
 *	ID length, and packet numbers following one by one from @first's
 *
 * Called before the generations are chosen. The datagram goes to the
 * device only when the device holds the generation @first names, the
 * datagram is routed to it and the device will sum it; its packets then
 * stay in the clear, with metadata naming the context, the generation
 * and the packet numbers.
 *
 * Return: true if the device will seal the packets, false if the caller
 * must.
 */
bool quic_ulp_dev_tx_take(struct sk_buff *skb, struct quic_conn *conn,
			  const struct quic_ulp_tx_info *first,
			  unsigned int nseg, bool uniform)
{
	struct quic_dir *dir = &conn->tx;
	struct net *net = conn->qs->net;
	struct dst_entry *dst = skb_dst(skb);
	struct quic_ulp_skb_ext *ext;
	struct quic_dev_live *l;
	u64 ctx_id;
	int field;

	if (!dir->dev.allowed)
		return false;
	rcu_read_lock();
	l = rcu_dereference(dir->dev.live);
	if (!l) {
		field = QUIC_MIB_TX_SW_NO_CTX;
		if (dst && !dst_xfrm(dst))
			quic_dev_want(conn, dir, dst->dev);
		goto software;
	}
	field = QUIC_MIB_TX_SW_ROUTE;
	if (!dst || dst_xfrm(dst) || dst->dev != l->dev ||
	    !quic_dev_unicast(skb))
		goto software;
	field = QUIC_MIB_TX_SW_SHAPE;
	if (!uniform || skb->ip_summed != CHECKSUM_PARTIAL)
		goto software;
	field = QUIC_MIB_TX_SW_KEY;
	if (!quic_dev_live_has(l, first->key_gen))
		goto software;
	ctx_id = l->ctx_id;
	rcu_read_unlock();

	field = QUIC_MIB_TX_SW_SHAPE;
	ext = skb_ext_add(skb, SKB_EXT_QUIC);
	if (!ext)
		goto count;
	memset(ext, 0, sizeof(*ext));
	ext->ctx_id = ctx_id;
	ext->pn = first->pn;
	ext->number = first->key_gen;
	ext->cookie = conn->cookie;
	ext->handle = conn->handle;
	ext->npkts = nseg;
	ext->dcid_len = first->dcid_len;
	/* Dropped, not sent, by a device reached without the socket */
	skb->decrypted = 1;
	QUIC_ADD_STATS(net, QUIC_MIB_TX_DEVICE, nseg);
	spin_lock_bh(&dir->lock);
	dir->dev.packets += nseg;
	spin_unlock_bh(&dir->lock);
	return true;

software:
	rcu_read_unlock();
count:
	QUIC_ADD_STATS(net, field, nseg);
	return false;
}

/* Seal what the device was to seal, in software, or drop it */
static struct sk_buff *quic_dev_fallback(struct sock *sk, struct sk_buff *skb,
					 const struct quic_ulp_skb_ext *ext)
{
	struct net *net = sock_net(sk);
	struct quic_conn *conn = NULL;
	struct quic_ulp_skb_ext copy;
	struct quic_sock *qs;
	struct sk_buff *nskb;
	int err = -ENOENT;
	unsigned int n;

	copy = *ext;
	rcu_read_lock();
	qs = udp_ulp_state(sk);
	if (qs)
		conn = quic_ulp_conn_get(qs, copy.handle);
	rcu_read_unlock();
	/* A handle the application reused names another connection */
	if (!conn || conn->cookie != copy.cookie)
		goto drop;
	/* Its pages may be another skb's too (a clone): seal a copy */
	if (skb_cloned(skb) || skb_has_shared_frag(skb)) {
		nskb = skb_copy(skb, GFP_ATOMIC);
		if (!nskb) {
			err = -ENOMEM;
			goto drop;
		}
		consume_skb(skb);
		skb = nskb;
	}
	err = quic_ulp_tx_seal_skb(skb, conn, copy.number, copy.pn,
				   copy.dcid_len, copy.npkts, &n);
	if (err)
		goto drop;
	quic_ulp_conn_put(conn);
	skb_ext_del(skb, SKB_EXT_QUIC);
	skb->decrypted = 0;
	QUIC_ADD_STATS(net, QUIC_MIB_TX_DEV_FALLBACK, n);
	return skb;

drop:
	if (conn)
		quic_ulp_conn_put(conn);
	QUIC_INC_STATS(net, QUIC_MIB_TX_DEV_DROPS);
	kfree_skb(skb);
	return NULL;
}

/* sk_validate_xmit_skb of a socket with the ULP: a datagram whose packets
 * the device was to seal goes to that device only if it still holds the
 * context and the generation
 */
static struct sk_buff *quic_dev_validate_xmit(struct sock *sk,
					      struct net_device *dev,
					      struct sk_buff *skb)
{
	struct quic_ulp_skb_ext *ext;
	struct quic_dev_live *l;
	struct quic_conn *conn;
	struct quic_sock *qs;
	bool ok = false;

	if (!skb->decrypted)
		return skb;
	ext = quic_ulp_skb_ext(skb);
	if (!ext || ext->flags & QUIC_ULP_SKB_DECRYPTED) {
		kfree_skb(skb);
		return NULL;
	}
	rcu_read_lock();
	qs = udp_ulp_state(sk);
	conn = qs ? xa_load(&qs->conns, ext->handle) : NULL;
	if (conn && conn->cookie == ext->cookie) {
		l = rcu_dereference(conn->tx.dev.live);
		ok = l && l->dev == dev && l->ctx_id == ext->ctx_id &&
		     quic_dev_live_has(l, ext->number);
	}
	rcu_read_unlock();
	/* The device sums the sealed bytes, or the stack would sum these */
	if (ok && skb->ip_summed == CHECKSUM_PARTIAL &&
	    can_checksum_protocol(netif_skb_features(skb), skb->protocol))
		return skb;
	return quic_dev_fallback(sk, skb, ext);
}

/**
 * quic_ulp_dev_rx_check() - whether to believe a device decrypted a packet
 * @skb: the datagram, whose first packet is being handled
 * @conn: the connection the packet's ID found
 * @pn: the packet number the direction recovers from the packet's header
 * @number: the generation the direction chooses for it
 *
 * Called for a datagram quic_ulp_skb_decrypted() says a device changed.
 *
 * Return: 0 if the device authenticated it, with the context of @conn's
 * receive direction, that packet number and generation; -EPROTO if
 * anything else: the packet, no longer what arrived, must be dropped.
 */
int quic_ulp_dev_rx_check(struct sk_buff *skb, struct quic_conn *conn,
			  u64 pn, u32 number)
{
	struct quic_ulp_skb_ext *ext = quic_ulp_skb_ext(skb);
	struct quic_dir *dir = &conn->rx;
	struct quic_dev_live *l;
	bool ok;

	if (!ext || !(ext->flags & QUIC_ULP_SKB_DECRYPTED)) {
		QUIC_INC_STATS(conn->qs->net, QUIC_MIB_RX_DEV_MISMATCH);
		return -EPROTO;
	}
	rcu_read_lock();
	l = rcu_dereference(dir->dev.live);
	ok = l && l->ctx_id == ext->ctx_id && ext->pn == pn &&
	     ext->number == number;
	rcu_read_unlock();
	if (!ok) {
		QUIC_INC_STATS(conn->qs->net, QUIC_MIB_RX_DEV_MISMATCH);
		return -EPROTO;
	}
	QUIC_INC_STATS(conn->qs->net, QUIC_MIB_RX_DEVICE);
	return 0;
}

/**
 * quic_ulp_dev_rx_software() - a packet authenticated in software
 * @skb: its datagram, in the softirq it arrived in; NULL after an
 *	asynchronous AEAD, when its device may be gone
 * @conn: its connection; its receive direction locked
 *
 * Offers the direction to the device the packet came through, or, if
 * it is on one already, has the device resynchronise its packet numbers
 * (at most every QUIC_DEV_RESYNC).
 */
void quic_ulp_dev_rx_software(struct sk_buff *skb, struct quic_conn *conn)
{
	struct quic_dir *dir = &conn->rx;
	struct net_device *dev;

	if (!dir->dev.allowed)
		return;
	if (rcu_access_pointer(dir->dev.live)) {
		QUIC_INC_STATS(conn->qs->net, QUIC_MIB_RX_SW_OFFLOADED);
		if (!dir->dev.resync &&
		    time_after_eq(jiffies, dir->dev.resync_at)) {
			dir->dev.resync_at = jiffies + QUIC_DEV_RESYNC;
			WRITE_ONCE(dir->dev.resync, true);
			quic_ulp_conn_schedule_keys(conn);
		}
		return;
	}
	if (!skb)
		return;
	dev = skb->dev;
	if (!quic_dev_offers(dev, QUIC_ULP_DIR_RX) ||
	    READ_ONCE(dir->dev.want_ifindex) == dev->ifindex)
		return;
#if IS_ENABLED(CONFIG_IPV6)
	if (ip_hdr(skb)->version == 6)
		dir->dev.want_addr = ipv6_hdr(skb)->daddr;
	else
#endif
		ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr, &dir->dev.want_addr);
	dir->dev.want_port = udp_hdr(skb)->dest;
	quic_dev_want(conn, dir, dev);
}

/**
 * quic_ulp_dev_sock_init() - a socket gets the ULP
 * @sk: the socket, locked
 */
void quic_ulp_dev_sock_init(struct sock *sk)
{
	/* Pairs with the load in sk_validate_xmit_skb() */
	smp_store_release(&sk->sk_validate_xmit_skb, quic_dev_validate_xmit);
}

/**
 * quic_ulp_dev_sock_release() - a socket loses the ULP
 * @sk: the socket
 *
 * Datagrams still queued for a device are dropped from now on if they
 * reach one that does not hold their context: nothing is left to seal
 * them in software.
 */
void quic_ulp_dev_sock_release(struct sock *sk)
{
	WRITE_ONCE(sk->sk_validate_xmit_skb, NULL);
}

/* Connection directions with a context on @dev */
static u64 quic_dev_contexts(const struct net_device *dev)
{
	struct quic_dev_dir *d;
	u64 n = 0;

	mutex_lock(&quic_dev_dirs_lock);
	list_for_each_entry(d, &quic_dev_dirs, node)
		n += d->dev == dev;
	mutex_unlock(&quic_dev_dirs_lock);
	return n;
}

static int quic_dev_fill(struct sk_buff *skb, struct net_device *dev,
			 const struct genl_info *info)
{
	struct quic_ulp_dev *q = dev->quic_ulp;
	struct quic_ulp_dev_caps caps = {};
	void *hdr;

	hdr = genlmsg_iput(skb, info);
	if (!hdr)
		return -EMSGSIZE;
	q->ops->caps(dev, &caps);
	if (nla_put_u32(skb, QUIC_ULP_A_DEV_IFINDEX, dev->ifindex) ||
	    nla_put_u32(skb, QUIC_ULP_A_DEV_CIPHERS, caps.ciphers) ||
	    nla_put_u32(skb, QUIC_ULP_A_DEV_DIRS, caps.dirs) ||
	    nla_put_u32(skb, QUIC_ULP_A_DEV_ENABLED, READ_ONCE(q->enabled)) ||
	    nla_put_uint(skb, QUIC_ULP_A_DEV_CONTEXTS,
			 quic_dev_contexts(dev))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* The device of the request's ifindex, held; it has QUIC offload */
static struct net_device *quic_dev_from_info(struct genl_info *info,
					     netdevice_tracker *tracker)
{
	struct net_device *dev;

	if (GENL_REQ_ATTR_CHECK(info, QUIC_ULP_A_DEV_IFINDEX))
		return ERR_PTR(-EINVAL);
	dev = netdev_get_by_index(genl_info_net(info),
				  nla_get_u32(info->attrs[QUIC_ULP_A_DEV_IFINDEX]),
				  tracker, GFP_KERNEL);
	if (!dev) {
		NL_SET_BAD_ATTR(info->extack,
				info->attrs[QUIC_ULP_A_DEV_IFINDEX]);
		return ERR_PTR(-ENODEV);
	}
	if (!dev->quic_ulp) {
		NL_SET_ERR_MSG(info->extack,
			       "device has no QUIC packet protection");
		netdev_put(dev, tracker);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return dev;
}

/* Operations are never called on a device being unregistered: its
 * notifier takes the lock for writing
 */
static bool quic_dev_usable(const struct net_device *dev)
{
	lockdep_assert_held(&quic_dev_lock);
	return READ_ONCE(dev->reg_state) == NETREG_REGISTERED;
}

int quic_ulp_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	netdevice_tracker tracker;
	struct net_device *dev;
	struct sk_buff *rsp;
	int err;

	dev = quic_dev_from_info(info, &tracker);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	err = -ENOMEM;
	rsp = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (rsp) {
		down_read(&quic_dev_lock);
		err = quic_dev_usable(dev) ? quic_dev_fill(rsp, dev, info) :
					     -ENODEV;
		up_read(&quic_dev_lock);
		if (err)
			nlmsg_free(rsp);
		else
			err = genlmsg_reply(rsp, info);
	}
	netdev_put(dev, &tracker);
	return err;
}

/* Where a dump of devices resumes */
struct quic_dev_dump {
	unsigned long	ifindex;
};

int quic_ulp_nl_dev_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct quic_dev_dump *ctx = (struct quic_dev_dump *)cb->ctx;
	struct net_device *dev;
	int err = 0;

	rtnl_lock();
	down_read(&quic_dev_lock);
	for_each_netdev_dump(sock_net(skb->sk), dev, ctx->ifindex) {
		if (!dev->quic_ulp || !quic_dev_usable(dev))
			continue;
		err = quic_dev_fill(skb, dev, info);
		if (err)
			break;
	}
	up_read(&quic_dev_lock);
	rtnl_unlock();
	return err == -EMSGSIZE && skb->len ? skb->len : err;
}

int quic_ulp_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct quic_ulp_dev_caps caps = {};
	netdevice_tracker tracker;
	struct net_device *dev;
	struct quic_ulp_dev *q;
	u32 enabled, off;

	if (GENL_REQ_ATTR_CHECK(info, QUIC_ULP_A_DEV_ENABLED))
		return -EINVAL;
	enabled = nla_get_u32(info->attrs[QUIC_ULP_A_DEV_ENABLED]);
	dev = quic_dev_from_info(info, &tracker);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	q = dev->quic_ulp;
	/* Serialised by the lock the eviction takes: no context is added
	 * in a direction once it reads as disabled
	 */
	down_write(&quic_dev_lock);
	if (!quic_dev_usable(dev)) {
		up_write(&quic_dev_lock);
		netdev_put(dev, &tracker);
		return -ENODEV;
	}
	q->ops->caps(dev, &caps);
	if (enabled & ~caps.dirs) {
		up_write(&quic_dev_lock);
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[QUIC_ULP_A_DEV_ENABLED],
				    "device cannot protect that direction");
		netdev_put(dev, &tracker);
		return -EOPNOTSUPP;
	}
	off = READ_ONCE(q->enabled) & ~enabled;
	WRITE_ONCE(q->enabled, enabled);
	up_write(&quic_dev_lock);
	if (off)
		quic_dev_evict(dev, off);
	netdev_put(dev, &tracker);
	return 0;
}

int quic_ulp_dev_init(void)
{
	return register_netdevice_notifier(&quic_dev_notifier);
}

void quic_ulp_dev_exit(void)
{
	unregister_netdevice_notifier(&quic_dev_notifier);
}
