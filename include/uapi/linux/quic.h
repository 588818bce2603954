/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * QUIC 1-RTT packet protection offload for UDP sockets: the "quic" UDP ULP.
 *
 * A userspace QUIC stack attaches the ULP to a UDP socket with
 * setsockopt(fd, SOL_UDP, UDP_ULP, "quic", 5), then hands the kernel the
 * 1-RTT traffic secrets and connection IDs of each connection. From then on
 * the kernel protects the short-header packets the stack sends in plaintext
 * and unprotects the ones it receives. See Documentation/networking/quic.rst.
 */
#ifndef _UAPI_LINUX_QUIC_H
#define _UAPI_LINUX_QUIC_H

#include <linux/types.h>
#include <linux/socket.h>

#define QUIC_ULP_NAME		"quic"

/* Socket options, level SOL_UDP, once the ULP is attached. */
#define QUIC_TX_KEY		200	/* set: struct quic_key */
#define QUIC_RX_KEY		201	/* set: struct quic_key */
#define QUIC_ADD_CID		202	/* set: struct quic_cid */
#define QUIC_DEL_CID		203	/* set: struct quic_cid */
#define QUIC_DEL_CONN		204	/* set: __u32 connection handle */
#define QUIC_DISCARD_OLD_KEY	205	/* set: struct quic_discard */
#define QUIC_CONN_INFO		206	/* get: struct quic_conn_info */

/* Control message, level SOL_UDP, on receive: struct quic_rx_info[]. */
#define QUIC_RX_INFO		207

/* Cipher suites, by their TLS 1.3 code points (RFC 8446, RFC 9001). */
#define QUIC_CIPHER_AES_128_GCM_SHA256		0x1301
#define QUIC_CIPHER_AES_256_GCM_SHA384		0x1302
#define QUIC_CIPHER_CHACHA20_POLY1305_SHA256	0x1303
#define QUIC_CIPHER_AES_128_CCM_SHA256		0x1304

/* QUIC versions whose packet protection the ULP knows (RFC 9000, 9369) */
#define QUIC_VERSION_1		0x00000001
#define QUIC_VERSION_2		0x6b3343cf

#define QUIC_MAX_SECRET_LEN	48	/* SHA-384 */
#define QUIC_MAX_CID_LEN	20	/* RFC 9000, section 17.2 */
#define QUIC_TAG_LEN		16	/* every QUIC AEAD has a 16-byte tag */
#define QUIC_MAX_PN		((1ULL << 62) - 1)

/* Directions, for struct quic_cid and struct quic_discard. */
#define QUIC_DIR_TX		1	/* packets this socket sends */
#define QUIC_DIR_RX		2	/* packets this socket receives */

/**
 * struct quic_key - 1-RTT packet protection for one direction of a connection
 * @conn: connection handle chosen by the application, unique per socket;
 *	the connection is created by its first key
 * @cipher: one of the QUIC_CIPHER_* suites; a connection keeps the one
 *	its first key gave, in both directions
 * @secret_len: length of @secret: 32 for SHA-256 suites, 48 for SHA-384
 * @flags: must be zero
 * @key_updates: number of key updates (RFC 9001, section 6) that happened
 *	in this direction before this call. The kernel derives that many
 *	generations from @secret with the "quic ku" label, keeping the one
 *	before last as the previous keys; the Key Phase of the installed
 *	keys is @key_updates & 1. At most QUIC_MAX_KEY_UPDATES.
 * @version: QUIC_VERSION_1 or QUIC_VERSION_2, which derive keys with
 *	different labels; fixed per connection like @cipher
 * @next_pn: the smallest packet number the next packet in this direction
 *	can carry (for receive: one more than the largest packet number
 *	received so far, 0 if none). It anchors packet number recovery.
 * @secret: the 1-RTT traffic secret the TLS handshake produced (the
 *	client or server application traffic secret); header protection,
 *	AEAD key and IV are derived from it as RFC 9001, section 5.1 says
 *
 * Setting a key for a direction that already has one replaces it, with
 * its packet number state; a failed call leaves the previous state intact.
 */
struct quic_key {
	__u32	conn;
	__u16	cipher;
	__u8	secret_len;
	__u8	flags;
	__u32	key_updates;
	__u32	version;
	__u64	next_pn;
	__u8	secret[QUIC_MAX_SECRET_LEN];
};

#define QUIC_MAX_KEY_UPDATES	65535

/**
 * struct quic_cid - a connection ID mapped to a connection
 * @conn: connection handle (see struct quic_key); the connection must exist
 * @dir: QUIC_DIR_TX for an ID of the peer's, which this socket puts in the
 *	packets it sends; QUIC_DIR_RX for an ID of ours, found in the packets
 *	it receives
 * @len: length of @id, 0 to QUIC_MAX_CID_LEN
 * @flags: QUIC_CID_RESET_TOKEN or zero
 * @id: the connection ID; bytes past @len must be zero
 * @reset_token: with QUIC_CID_RESET_TOKEN, for a QUIC_DIR_TX ID: the
 *	peer's Stateless Reset Token for it (RFC 9000, section 10.3). A
 *	received packet of the connection that ends with it is delivered
 *	untouched for the application to recognise the reset, instead of
 *	failing authentication. Must be zero otherwise.
 * @reserved: must be zero; it makes the padding before @peer explicit,
 *	so that the structure is laid out alike on 32- and 64-bit ABIs
 * @peer: for a zero-length ID, the peer's address (struct sockaddr_in or
 *	struct sockaddr_in6) that identifies the connection instead; on a
 *	connected socket it may be left AF_UNSPEC to mean the connected peer.
 *	Must be AF_UNSPEC (all zero) for other IDs.
 *
 * A connection can have up to QUIC_MAX_CIDS IDs in each direction;
 * removing the last one leaves the connection (and its keys) in place.
 * An ID may not be a prefix of another one of the same direction on the
 * socket (-EEXIST): short headers do not carry the ID's length.
 * QUIC_DEL_CID takes the same structure; @conn must match.
 */
struct quic_cid {
	__u32	conn;
	__u8	dir;
	__u8	len;
	__u16	flags;
	__u8	id[QUIC_MAX_CID_LEN];
	__u8	reset_token[16];
	__u32	reserved;
	struct __kernel_sockaddr_storage peer;
};

#define QUIC_CID_RESET_TOKEN	0x0001
#define QUIC_MAX_CIDS		256

/**
 * struct quic_discard - discard the previous generation of keys
 * @conn: connection handle
 * @dir: QUIC_DIR_TX, QUIC_DIR_RX or both (QUIC_DIR_TX | QUIC_DIR_RX)
 *
 * After a key update the kernel keeps the previous keys so that packets
 * reordered across the update still decrypt (RFC 9001, section 6.5), and,
 * on Tx, so that a packet the application built before its update but
 * sends after it goes out with the keys its Key Phase bit names. They go
 * at the next key update, or when the application discards them with
 * this option, typically three PTOs after the update.
 */
struct quic_discard {
	__u32	conn;
	__u32	dir;
};

/**
 * struct quic_dir_info - state and counters of one direction
 * @largest_pn: largest packet number protected (Tx) or authenticated (Rx);
 *	(__u64)-1 when there was none
 * @packets: packets protected (Tx) or authenticated (Rx)
 * @bytes: bytes of those packets, headers and tag included
 * @auth_failures: received packets that failed authentication (Rx)
 * @old_key_packets: packets protected (Tx) or authenticated (Rx) with the
 *	previous generation of keys after a key update
 * @key_packets: packets protected or authenticated with the current keys,
 *	which RFC 9001, section 6.6 limits
 * @key_updates: key updates so far (the current generation)
 * @key_phase: Key Phase bit of the current keys
 * @flags: QUIC_INFO_* flags
 * @cids: connection IDs of this direction
 */
struct quic_dir_info {
	__u64	largest_pn;
	__u64	packets;
	__u64	bytes;
	__u64	auth_failures;
	__u64	old_key_packets;
	__u64	key_packets;
	__u32	key_updates;
	__u8	key_phase;
	__u8	flags;
	__u16	cids;
};

#define QUIC_INFO_KEY		0x01	/* keys installed */
#define QUIC_INFO_OLD_KEY	0x02	/* previous keys still held */
#define QUIC_INFO_NEXT_KEY	0x04	/* next keys ready */
#define QUIC_INFO_LIMIT		0x08	/* AEAD limit reached: see quic.rst */

/**
 * struct quic_conn_info - what getsockopt(QUIC_CONN_INFO) returns
 * @conn: in: the connection handle to read
 * @cipher: the connection's cipher suite
 * @reserved: zero
 * @tx: the Tx direction
 * @rx: the Rx direction
 *
 * No key material is ever returned.
 */
struct quic_conn_info {
	__u32	conn;
	__u16	cipher;
	__u16	reserved;
	struct quic_dir_info tx;
	struct quic_dir_info rx;
};

/**
 * struct quic_rx_info - what the kernel did with one received packet
 * @pn: the full packet number, for a decrypted packet
 * @conn: the connection handle, for a decrypted packet
 * @status: QUIC_RX_DECRYPTED or QUIC_RX_NONE
 * @flags: QUIC_RX_* flags, for a decrypted packet
 * @reserved: zero
 *
 * recvmsg() returns an array of these in a QUIC_RX_INFO control message,
 * one per UDP segment of the datagram (one, unless UDP_GRO coalesced
 * several), when the ULP decrypted at least one of them. A decrypted
 * packet keeps its length: its header is unprotected, its payload is
 * plaintext and the 16 bytes that held the AEAD tag hold this structure.
 * A segment with another status is exactly as it arrived: its last 16
 * bytes are whatever the sender put there, so only the control message
 * says whether a segment was decrypted. Room for 64 records
 * (CMSG_SPACE(64 * sizeof(struct quic_rx_info))) holds any datagram;
 * with less, recvmsg() sets MSG_CTRUNC and the application must treat
 * every segment as not decrypted.
 */
struct quic_rx_info {
	__u64	pn;
	__u32	conn;
	__u8	status;
	__u8	flags;
	__u16	reserved;
};

#define QUIC_RX_NONE		0	/* not ours: untouched */
#define QUIC_RX_DECRYPTED	1	/* authenticated and decrypted */

#define QUIC_RX_KEY_PHASE	0x01	/* the packet's Key Phase bit */
#define QUIC_RX_KEY_UPDATE	0x02	/* this packet started a new key phase */
#define QUIC_RX_OLD_KEY		0x04	/* decrypted with the previous keys */

#endif /* _UAPI_LINUX_QUIC_H */
