// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/quic-ulp.yaml */
/* YNL-GEN kernel source */
/* To regenerate run: tools/net/ynl/ynl-regen.sh */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/quic_ulp.h>

/* QUIC_ULP_CMD_CONN_GET - dump */
static const struct nla_policy quic_ulp_conn_get_nl_policy[QUIC_ULP_A_CONN_SOCK_INO + 1] = {
	[QUIC_ULP_A_CONN_SOCK_INO] = { .type = NLA_UINT, },
};

/* QUIC_ULP_CMD_DEV_GET - do */
static const struct nla_policy quic_ulp_dev_get_nl_policy[QUIC_ULP_A_DEV_IFINDEX + 1] = {
	[QUIC_ULP_A_DEV_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* QUIC_ULP_CMD_DEV_SET - do */
static const struct nla_policy quic_ulp_dev_set_nl_policy[QUIC_ULP_A_DEV_ENABLED + 1] = {
	[QUIC_ULP_A_DEV_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[QUIC_ULP_A_DEV_ENABLED] = NLA_POLICY_MAX(NLA_U32, 3),
};

/* Ops table for quic_ulp */
static const struct genl_split_ops quic_ulp_nl_ops[] = {
	{
		.cmd	= QUIC_ULP_CMD_STATS_GET,
		.doit	= quic_ulp_nl_stats_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= QUIC_ULP_CMD_CONN_GET,
		.dumpit		= quic_ulp_nl_conn_get_dumpit,
		.policy		= quic_ulp_conn_get_nl_policy,
		.maxattr	= QUIC_ULP_A_CONN_SOCK_INO,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= QUIC_ULP_CMD_DEV_GET,
		.doit		= quic_ulp_nl_dev_get_doit,
		.policy		= quic_ulp_dev_get_nl_policy,
		.maxattr	= QUIC_ULP_A_DEV_IFINDEX,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= QUIC_ULP_CMD_DEV_GET,
		.dumpit	= quic_ulp_nl_dev_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= QUIC_ULP_CMD_DEV_SET,
		.doit		= quic_ulp_nl_dev_set_doit,
		.policy		= quic_ulp_dev_set_nl_policy,
		.maxattr	= QUIC_ULP_A_DEV_ENABLED,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group quic_ulp_nl_mcgrps[] = {
	[QUIC_ULP_NLGRP_EVENTS] = { "events", },
};

struct genl_family quic_ulp_nl_family __ro_after_init = {
	.name		= QUIC_ULP_FAMILY_NAME,
	.version	= QUIC_ULP_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= quic_ulp_nl_ops,
	.n_split_ops	= ARRAY_SIZE(quic_ulp_nl_ops),
	.mcgrps		= quic_ulp_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(quic_ulp_nl_mcgrps),
};
