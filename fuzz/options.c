// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the checks of the socket options' structures in
 * net/quic/packet.c, built as the kernel builds it: quic_ulp_key_check()
 * (QUIC_ULP_TX_KEY, QUIC_ULP_RX_KEY), quic_ulp_cid_check() (QUIC_ULP_ADD_CID,
 * QUIC_ULP_DEL_CID) and quic_ulp_tx_info_check() (a QUIC_ULP_TX_INFO record of
 * sendmsg()).
 *
 * The model is the uAPI's documentation (include/uapi/linux/quic.h) read
 * field by field, with the secret lengths of RFC 8446's suites. Half the
 * inputs fill the structures byte for byte; the other half steer each
 * field to its edges (the suites and versions, the limits and one past
 * them, a single stray byte in the zeros that must follow a secret or an
 * ID), so that both answers are reached for every rule. The kernel's
 * answer must be the model's, every time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "input.h"

static void fail(const char *what, int got, int want)
{
	fprintf(stderr, "options: %s: kernel says %d, the uAPI %d\n", what,
		got, want);
	abort();
}

static bool model_zero(const u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* The hash of each TLS 1.3 suite QUIC uses (RFC 8446, B.4) */
static unsigned int model_secret_len(u16 suite)
{
	switch (suite) {
	case QUIC_ULP_CIPHER_AES_128_GCM_SHA256:
	case QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256:
	case QUIC_ULP_CIPHER_AES_128_CCM_SHA256:
		return 32;
	case QUIC_ULP_CIPHER_AES_256_GCM_SHA384:
		return 48;
	default:
		return 0;
	}
}

/* A value near one of the edges, or anything */
static u64 take_edge(struct input *in, u64 edge, unsigned int bytes)
{
	switch (take(in, 1) % 4) {
	case 0:
		return edge;
	case 1:
		return edge + 1;
	case 2:
		return edge ? edge - 1 : 0;
	default:
		return take(in, bytes);
	}
}

/* Zeros from @from on, or a stray byte somewhere */
static void take_tail(struct input *in, u8 *p, size_t size, size_t from)
{
	if (from < size)
		memset(p + from, 0, size - from);
	if (take(in, 1) % 3 == 0)
		p[take_below(in, size)] = take(in, 1) | 1;
}

static void steer_key(struct input *in, struct quic_ulp_key *key)
{
	static const u16 suites[] = {
		QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
		QUIC_ULP_CIPHER_AES_256_GCM_SHA384,
		QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
		QUIC_ULP_CIPHER_AES_128_CCM_SHA256,
	};
	unsigned int i;

	key->cipher = suites[take_below(in, 4)];
	key->secret_len = model_secret_len(key->cipher);
	if (take(in, 1) % 4 == 0)
		key->secret_len = take(in, 1);
	key->flags = take(in, 1) % 4 ? 0 : take(in, 1);
	key->key_updates = take_edge(in, QUIC_ULP_MAX_KEY_UPDATES, 4);
	key->version = take(in, 1) & 1 ? QUIC_ULP_VERSION_1 : QUIC_ULP_VERSION_2;
	key->next_pn = take_edge(in, QUIC_ULP_MAX_PN, 8);
	for (i = 0; i < key->secret_len && i < sizeof(key->secret); i++)
		key->secret[i] = take(in, 1);
	take_tail(in, key->secret, sizeof(key->secret), key->secret_len);
}

static void check_key(const struct quic_ulp_key *key)
{
	unsigned int secret_len = model_secret_len(key->cipher);
	bool valid;
	int got;

	/* The caller looked the suite up: unknown ones never get here */
	if (!secret_len)
		return;
	valid = key->secret_len == secret_len &&
		!(key->flags & ~QUIC_ULP_KEY_DEVICE) &&
		key->key_updates <= QUIC_ULP_MAX_KEY_UPDATES &&
		key->next_pn <= QUIC_ULP_MAX_PN &&
		model_zero(key->secret + secret_len,
			   sizeof(key->secret) - secret_len);
	got = quic_ulp_key_check(key, secret_len);
	if (got != (valid ? 0 : -EINVAL))
		fail("struct quic_ulp_key", got, valid ? 0 : -EINVAL);
}

static void steer_cid(struct input *in, struct quic_ulp_cid *cid)
{
	unsigned int i;

	cid->dir = take_below(in, 4);
	cid->len = take_below(in, QUIC_ULP_MAX_CID_LEN + 2);
	if (take(in, 1) % 8 == 0)
		cid->len = take(in, 1);
	cid->flags = take(in, 1) % 3 ? take(in, 1) % 2 : take(in, 2);
	cid->reserved = take(in, 1) % 4 ? 0 : take(in, 4);
	for (i = 0; i < cid->len && i < sizeof(cid->id); i++)
		cid->id[i] = take(in, 1);
	take_tail(in, cid->id, sizeof(cid->id), cid->len);
	memset(cid->reset_token, 0, sizeof(cid->reset_token));
	if (take(in, 1) & 1)
		for (i = 0; i < sizeof(cid->reset_token); i++)
			cid->reset_token[i] = take(in, 1);
	memset(&cid->peer, 0, sizeof(cid->peer));
	if (take(in, 1) % 3 == 0)
		((u8 *)&cid->peer)[take_below(in, sizeof(cid->peer))] = 1;
}

static void check_cid(const struct quic_ulp_cid *cid, bool add)
{
	bool token = cid->flags & QUIC_ULP_CID_RESET_TOKEN;
	bool valid;
	int got;

	valid = (cid->dir == QUIC_ULP_DIR_TX || cid->dir == QUIC_ULP_DIR_RX) &&
		cid->len <= QUIC_ULP_MAX_CID_LEN &&
		!(cid->flags & ~QUIC_ULP_CID_RESET_TOKEN) && !cid->reserved &&
		model_zero(cid->id + cid->len, sizeof(cid->id) - cid->len) &&
		/* a token: only for an ID of the peer's, when it is added */
		(token ? cid->dir == QUIC_ULP_DIR_TX && add :
			 model_zero(cid->reset_token,
				    sizeof(cid->reset_token))) &&
		/* the peer's address only identifies a zero-length ID of
		 * ours: the peer's IDs only hold tokens
		 */
		((cid->dir == QUIC_ULP_DIR_RX && !cid->len) ||
		 model_zero((const u8 *)&cid->peer, sizeof(cid->peer)));
	got = quic_ulp_cid_check(cid, add);
	if (got != (valid ? 0 : -EINVAL))
		fail(add ? "struct quic_ulp_cid (add)" : "struct quic_ulp_cid (del)",
		     got, valid ? 0 : -EINVAL);
}

/* A QUIC_ULP_TX_INFO record: only what needs neither packet nor connection */
static void check_tx_info(const struct quic_ulp_tx_info *tx)
{
	bool valid = tx->pn <= QUIC_ULP_MAX_PN &&
		     tx->dcid_len <= QUIC_ULP_MAX_CID_LEN &&
		     model_zero(tx->reserved, sizeof(tx->reserved));
	int got = quic_ulp_tx_info_check(tx);

	if (got != (valid ? 0 : -EINVAL))
		fail("struct quic_ulp_tx_info", got, valid ? 0 : -EINVAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct quic_ulp_tx_info tx;
	struct quic_ulp_key key;
	struct quic_ulp_cid cid;
	unsigned int mode = take(&in, 1);
	size_t n;

	if (mode & 1) {
		memset(&key, 0, sizeof(key));
		memset(&cid, 0, sizeof(cid));
		steer_key(&in, &key);
		steer_cid(&in, &cid);
	} else {
		/* Byte for byte, the way userspace hands them over */
		memset(&key, 0, sizeof(key));
		memset(&cid, 0, sizeof(cid));
		n = in.left < sizeof(key) ? in.left : sizeof(key);
		memcpy(&key, in.p, n);
		n = in.left < sizeof(cid) ? in.left : sizeof(cid);
		memcpy(&cid, in.p, n);
	}
	check_key(&key);
	check_cid(&cid, mode & 2);

	n = in.left < sizeof(tx) ? in.left : sizeof(tx);
	memset(&tx, 0, sizeof(tx));
	memcpy(&tx, in.p, n);
	if (mode & 4) {
		/* Mostly well formed, one field off now and then */
		tx.pn &= mode & 8 ? ~0ULL : QUIC_ULP_MAX_PN;
		tx.dcid_len %= mode & 16 ? 256 : QUIC_ULP_MAX_CID_LEN + 1;
		if (!(mode & 32))
			memset(tx.reserved, 0, sizeof(tx.reserved));
	}
	check_tx_info(&tx);
	return 0;
}
