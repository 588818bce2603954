/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * QUIC 1-RTT packet protection offload for UDP sockets: the "quic" UDP ULP.
 *
 * A userspace QUIC stack attaches the ULP to a UDP socket with
 * setsockopt(fd, SOL_UDP, UDP_ULP, "quic", 5), then hands the kernel the
 * 1-RTT traffic secrets of each connection and the connection IDs it
 * receives on. The kernel protects a short-header packet the stack sends
 * only when the sendmsg() names it in a QUIC_ULP_TX_INFO control message (the
 * connection, the full packet number, the key generation); such a send
 * either goes out protected or fails with an errno, and nothing is sent.
 * On receive it unprotects the packets of the connection IDs it knows and
 * says so in a QUIC_ULP_RX_INFO control message. See
 * Documentation/networking/quic.rst.
 */
#ifndef _UAPI_LINUX_QUIC_H
#define _UAPI_LINUX_QUIC_H

#include <linux/types.h>
#include <linux/socket.h>

#define QUIC_ULP_NAME		"quic"

/* Socket options, level SOL_UDP, once the ULP is attached. */
#define QUIC_ULP_TX_KEY		200	/* set: struct quic_ulp_key */
#define QUIC_ULP_RX_KEY		201	/* set: struct quic_ulp_key */
#define QUIC_ULP_ADD_CID		202	/* set: struct quic_ulp_cid */
#define QUIC_ULP_DEL_CID		203	/* set: struct quic_ulp_cid */
#define QUIC_ULP_DEL_CONN		204	/* set: __u32 connection handle */
#define QUIC_ULP_DISCARD_OLD_KEY	205	/* set: struct quic_ulp_discard */
#define QUIC_ULP_CONN_INFO		206	/* get: struct quic_ulp_conn_info */

/* Control messages, level SOL_UDP. */
#define QUIC_ULP_RX_INFO		207	/* recvmsg(): struct quic_ulp_rx_info[] */
#define QUIC_ULP_TX_INFO		208	/* sendmsg(): struct quic_ulp_tx_info[] */

/* Cipher suites, by their TLS 1.3 code points (RFC 8446, RFC 9001). */
#define QUIC_ULP_CIPHER_AES_128_GCM_SHA256		0x1301
#define QUIC_ULP_CIPHER_AES_256_GCM_SHA384		0x1302
#define QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256	0x1303
#define QUIC_ULP_CIPHER_AES_128_CCM_SHA256		0x1304

/* QUIC versions whose packet protection the ULP knows (RFC 9000, 9369) */
#define QUIC_ULP_VERSION_1		0x00000001
#define QUIC_ULP_VERSION_2		0x6b3343cf

#define QUIC_ULP_MAX_SECRET_LEN	48	/* SHA-384 */
#define QUIC_ULP_MAX_CID_LEN	20	/* RFC 9000, section 17.2 */
#define QUIC_ULP_TAG_LEN		16	/* every QUIC AEAD has a 16-byte tag */
#define QUIC_ULP_MAX_PN		((1ULL << 62) - 1)

/* Directions, for struct quic_ulp_cid and struct quic_ulp_discard. */
#define QUIC_ULP_DIR_TX		1	/* packets this socket sends */
#define QUIC_ULP_DIR_RX		2	/* packets this socket receives */

/**
 * struct quic_ulp_key - 1-RTT packet protection for one direction of a connection
 * @conn: connection handle chosen by the application, unique per socket;
 *	the connection is created by its first key
 * @cipher: one of the QUIC_ULP_CIPHER_* suites; a connection keeps the one
 *	its first key gave, in both directions
 * @secret_len: length of @secret: 32 for SHA-256 suites, 48 for SHA-384
 * @flags: QUIC_ULP_KEY_DEVICE or zero
 * @key_updates: number of key updates (RFC 9001, section 6) that happened
 *	in this direction before this call: the key generation of the keys
 *	installed. The kernel derives that many generations from @secret
 *	with the "quic ku" label. At most QUIC_ULP_MAX_KEY_UPDATES.
 * @version: QUIC_ULP_VERSION_1 or QUIC_ULP_VERSION_2, which derive keys with
 *	different labels; fixed per connection like @cipher
 * @next_pn: the smallest packet number the kernel may use with these keys.
 *	Transmit: every lower number counts as already sealed with the
 *	installed generation (by userspace, before the installation), so
 *	the kernel refuses to seal one again. Receive: one more than the
 *	largest packet number received so far (0 if none); it anchors
 *	packet number recovery, and packets below it of the other Key Phase
 *	belong to the previous generation.
 * @secret: the 1-RTT traffic secret the TLS handshake produced (the
 *	client or server application traffic secret) for generation 0;
 *	header protection, AEAD key and IV are derived from it as RFC 9001,
 *	section 5.1 says
 *
 * Keys are installed once per direction: a second QUIC_ULP_TX_KEY or
 * QUIC_ULP_RX_KEY for the same connection fails with EEXIST. Key updates are
 * followed from then on (see struct quic_ulp_tx_info and struct quic_ulp_rx_info).
 */
struct quic_ulp_key {
	__u32	conn;
	__u16	cipher;
	__u8	secret_len;
	__u8	flags;
	__u32	key_updates;
	__u32	version;
	__u64	next_pn;
	__u8	secret[QUIC_ULP_MAX_SECRET_LEN];
};

#define QUIC_ULP_MAX_KEY_UPDATES	65535

/* The kernel may hand this direction's packet protection to a network
 * device that offers it (Documentation/networking/quic-offload.rst); the
 * software path remains for whatever the device cannot do. A flag of the
 * first key of a direction; a kernel without device support ignores it.
 */
#define QUIC_ULP_KEY_DEVICE		0x01

/**
 * struct quic_ulp_cid - a connection ID of a connection
 * @conn: connection handle (see struct quic_ulp_key); the connection must exist
 * @dir: QUIC_ULP_DIR_RX for an ID of ours, which the peer puts in the packets
 *	it sends us: received short-header packets are matched to their
 *	connection by it. QUIC_ULP_DIR_TX for an ID of the peer's, with its
 *	Stateless Reset Token: the kernel never uses it to send (the
 *	sender names the connection, see struct quic_ulp_tx_info), it only keeps
 *	the token.
 * @len: length of @id, 0 to QUIC_ULP_MAX_CID_LEN
 * @flags: QUIC_ULP_CID_RESET_TOKEN or zero
 * @id: the connection ID; bytes past @len must be zero
 * @reset_token: with QUIC_ULP_CID_RESET_TOKEN, for a QUIC_ULP_DIR_TX ID: the
 *	peer's Stateless Reset Token for it (RFC 9000, section 10.3). A
 *	received packet of the connection that ends with it is delivered
 *	untouched for the application to recognise the reset, instead of
 *	failing authentication. Must be zero otherwise.
 * @reserved: must be zero; it makes the padding before @peer explicit,
 *	so that the structure is laid out alike on 32- and 64-bit ABIs
 * @peer: for a zero-length QUIC_ULP_DIR_RX ID, the peer's address (struct
 *	sockaddr_in or struct sockaddr_in6) that identifies the connection
 *	instead; on a connected socket it may be left AF_UNSPEC to mean the
 *	connected peer. Must be AF_UNSPEC (all zero) otherwise.
 *
 * A connection can have up to QUIC_ULP_MAX_CIDS IDs in each direction (less if
 * the net.quic_ulp.max_cids sysctl says so); removing the last one leaves
 * the connection (and its keys) in place. Receive IDs are the socket's
 * own choice: one may not be a prefix of another one on the socket
 * (EEXIST), since short headers do not carry the ID's length. Transmit IDs
 * are per connection and need only be unique within it. QUIC_ULP_DEL_CID takes
 * the same structure; @conn must match.
 */
struct quic_ulp_cid {
	__u32	conn;
	__u8	dir;
	__u8	len;
	__u16	flags;
	__u8	id[QUIC_ULP_MAX_CID_LEN];
	__u8	reset_token[16];
	__u32	reserved;
	struct __kernel_sockaddr_storage peer;
};

#define QUIC_ULP_CID_RESET_TOKEN	0x0001
#define QUIC_ULP_MAX_CIDS		256

/**
 * struct quic_ulp_discard - discard the previous generation of keys
 * @conn: connection handle
 * @dir: QUIC_ULP_DIR_TX, QUIC_ULP_DIR_RX or both (QUIC_ULP_DIR_TX | QUIC_ULP_DIR_RX)
 *
 * After a key update the kernel keeps the previous keys so that packets
 * reordered across the update still decrypt (RFC 9001, section 6.5), and,
 * on Tx, so that a packet the application built before its update but
 * sends after it can still be sealed with the generation it names. They go
 * at the next key update, or when the application discards them with
 * this option, typically three PTOs after the update. From then on a send
 * that names the previous generation fails with EKEYREJECTED.
 */
struct quic_ulp_discard {
	__u32	conn;
	__u32	dir;
};

/**
 * struct quic_ulp_tx_info - how the kernel is to protect one packet being sent
 * @pn: the packet's full packet number, at most QUIC_ULP_MAX_PN; the AEAD
 *	nonce is made from it. It must be above every packet number sealed
 *	before with the same key generation of the connection on this
 *	socket (else EEXIST: the kernel never reuses a nonce), and its low
 *	bits must be what the header's Packet Number field holds.
 * @conn: the connection handle (see struct quic_ulp_key)
 * @key_gen: the key generation to seal with: the number of key updates
 *	before it, as in struct quic_ulp_key. The current generation; the next
 *	one, which makes it current (the application initiated a key
 *	update: the packet number must then be above every number sealed
 *	with the current one); or the previous one while it is kept, for a
 *	packet numbered below every packet of the current generation. The
 *	header's Key Phase bit must be @key_gen & 1.
 * @dcid_len: length of the Destination Connection ID in the packet's
 *	short header, 0 to QUIC_ULP_MAX_CID_LEN
 * @reserved: must be zero
 *
 * A sendmsg() whose datagram the kernel is to protect carries one
 * QUIC_ULP_TX_INFO control message (level SOL_UDP) with one record per
 * UDP_SEGMENT segment, in order, or one record for a datagram without
 * segmentation. Each segment is one short-header (1-RTT) packet, written
 * in plaintext with its header unprotected and QUIC_ULP_TAG_LEN bytes left at
 * its end for the AEAD tag. The kernel seals each packet in place and
 * applies header protection (RFC 9001, section 5). Either every packet is
 * protected and the datagram is sent, or sendmsg() fails with one of the
 * errnos Documentation/networking/quic.rst lists and nothing is sent. A
 * sendmsg() without the message is sent as written.
 */
struct quic_ulp_tx_info {
	__u64	pn;
	__u32	conn;
	__u32	key_gen;
	__u8	dcid_len;
	__u8	reserved[7];
};

/**
 * struct quic_ulp_dir_info - state and counters of one direction
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
 * @flags: QUIC_ULP_INFO_* flags
 * @cids: connection IDs of this direction
 * @refused: sends of this connection refused (Tx)
 */
struct quic_ulp_dir_info {
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
	__u64	refused;
};

#define QUIC_ULP_INFO_KEY		0x01	/* keys installed */
#define QUIC_ULP_INFO_OLD_KEY	0x02	/* previous keys still held */
#define QUIC_ULP_INFO_NEXT_KEY	0x04	/* next keys ready */
#define QUIC_ULP_INFO_LIMIT		0x08	/* AEAD limit reached: see quic.rst */

/**
 * struct quic_ulp_conn_info - what getsockopt(QUIC_ULP_CONN_INFO) returns
 * @conn: in: the connection handle to read
 * @cipher: the connection's cipher suite
 * @reserved: zero
 * @tx: the Tx direction
 * @rx: the Rx direction
 *
 * The structure may grow at its end: the kernel fills as much of it as
 * the caller's length allows (at least up to @reserved) and returns the
 * length it filled. No key material is ever returned.
 */
struct quic_ulp_conn_info {
	__u32	conn;
	__u16	cipher;
	__u16	reserved;
	struct quic_ulp_dir_info tx;
	struct quic_ulp_dir_info rx;
};

/**
 * struct quic_ulp_rx_info - what the kernel did with one received packet
 * @pn: the full packet number, for a decrypted packet
 * @conn: the connection handle, for a decrypted packet
 * @status: QUIC_ULP_RX_DECRYPTED or QUIC_ULP_RX_NONE
 * @flags: QUIC_ULP_RX_* flags, for a decrypted packet
 * @auth_failures: for a decrypted packet, how many packets of its
 *	connection failed authentication (and were dropped) since the last
 *	record that reported them, at most 65535: what the application
 *	needs to apply RFC 9001, section 6.6 to the packets it decrypts
 *	itself
 *
 * recvmsg() returns an array of these in a QUIC_ULP_RX_INFO control message,
 * one per UDP segment of the datagram (one, unless UDP_GRO coalesced
 * several), when the ULP decrypted at least one of them. A decrypted
 * packet keeps its length: its header is unprotected, its payload is
 * plaintext, and the QUIC_ULP_TAG_LEN bytes that held the verified AEAD tag
 * hold a copy of its record, where the kernel keeps it until recvmsg().
 * A segment with another status is exactly as it arrived: its last 16
 * bytes are whatever the sender put there, so only the control message
 * says whether a segment was decrypted. Room for 64 records
 * (CMSG_SPACE(64 * sizeof(struct quic_ulp_rx_info))) holds any datagram;
 * with less, recvmsg() sets MSG_CTRUNC, and the decrypted packets of the
 * datagram are lost to the application.
 */
struct quic_ulp_rx_info {
	__u64	pn;
	__u32	conn;
	__u8	status;
	__u8	flags;
	__u16	auth_failures;
};

#define QUIC_ULP_RX_NONE		0	/* not decrypted: as it arrived */
#define QUIC_ULP_RX_DECRYPTED	1	/* authenticated and decrypted */

#define QUIC_ULP_RX_KEY_PHASE	0x01	/* the packet's Key Phase bit */
#define QUIC_ULP_RX_KEY_UPDATE	0x02	/* this packet started a new key phase */
#define QUIC_ULP_RX_OLD_KEY		0x04	/* decrypted with the previous keys */

/*
 * Events, on the error queue of a socket with IP_RECVERR (or IPV6_RECVERR)
 * set: recvmsg(MSG_ERRQUEUE) returns an IP_RECVERR (or IPV6_RECVERR)
 * control message, a struct sock_extended_err with ee_origin
 * SO_EE_ORIGIN_UDP_ULP, ee_type one of these, ee_info the connection
 * handle.
 *
 * QUIC_ULP_EV_INTEGRITY_LIMIT: ee_errno EKEYEXPIRED; the connection's
 * packets failed authentication as often as RFC 9001, section 6.6 allows.
 * The kernel drops its packets from now on and the application must close
 * it (AEAD_LIMIT_REACHED).
 */
#define QUIC_ULP_EV_INTEGRITY_LIMIT	1

/*
 * sock_diag: in the INET_DIAG_ULP_INFO nest of a UDP socket with the ULP,
 * after INET_ULP_INFO_NAME ("quic"), an INET_ULP_INFO_QUIC nest of these.
 * The reply has it when the request asks for INET_DIAG_INFO.
 */
enum {
	QUIC_ULP_DIAG_UNSPEC,
	QUIC_ULP_DIAG_CONNS,		/* u32: connections of the socket */
	__QUIC_ULP_DIAG_MAX,
};

#define QUIC_ULP_DIAG_MAX	(__QUIC_ULP_DIAG_MAX - 1)

#endif /* _UAPI_LINUX_QUIC_H */
