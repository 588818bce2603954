/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/quic-ulp.yaml */
/* YNL-GEN kernel header */
/* To regenerate run: tools/net/ynl/ynl-regen.sh */

#ifndef _LINUX_QUIC_ULP_GEN_H
#define _LINUX_QUIC_ULP_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/quic_ulp.h>

int quic_ulp_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info);
int quic_ulp_nl_conn_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int quic_ulp_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int quic_ulp_nl_dev_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int quic_ulp_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	QUIC_ULP_NLGRP_EVENTS,
};

extern struct genl_family quic_ulp_nl_family;

#endif /* _LINUX_QUIC_ULP_GEN_H */
