// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the parsing of the QUIC_ULP_RX_INFO control message in
 * userspace: qo_rx_parse() of userspace-example/quic_offload.c, built from
 * that file. It is what every adopter of the library runs on each
 * datagram; the kernel side that writes the message is quic_ulp_recv_cmsg().
 *
 * The input builds a control buffer of up to four messages (UDP_GRO,
 * QUIC_ULP_RX_INFO, others; at other levels too), each with a length that is
 * right or made up, the buffer cut short or flagged MSG_CTRUNC, and a
 * datagram length. The buffer is allocated to its exact size, so that
 * AddressSanitizer reports any read past it. Checked:
 *  - no read outside the buffer, whatever the lengths say;
 *  - records are taken only when they describe the datagram: one per
 *    segment of the UDP_GRO size, never more than QO_MAX_SEGS, never
 *    from a truncated buffer; and they are the bytes of a QUIC_ULP_RX_INFO
 *    message that lies inside the buffer;
 *  - a buffer laid out as the kernel writes it (put_cmsg(): UDP_GRO, then
 *    one record per segment) gives exactly its records back.
 *
 * The bytes left after that build a second buffer, as recvmsg(MSG_ERRQUEUE)
 * fills it, for qo_event_parse(), which walks messages the same way:
 * IP_RECVERR and IPV6_RECVERR messages (and others), holding a struct
 * sock_extended_err of the ULP's origin or another one, lengths right or
 * made up, the buffer cut short. Checked: no read outside the buffer; an
 * event only from a message inside the buffer, at the right level and
 * type, of the ULP's origin; and a well-formed buffer holding one gives it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <linux/errqueue.h>

#include "quic_offload.h"
#include "input.h"

#define MAX_MSGS	4
#define BUF_MAX		(MAX_MSGS * CMSG_SPACE(QO_MAX_SEGS * 16 + 64))

static void fail(const char *what)
{
	fprintf(stderr, "rx_cmsg: %s\n", what);
	abort();
}

struct built {
	unsigned char buf[BUF_MAX];
	size_t len;
};

/* Append one message whose header says @claimed bytes */
static void put(struct built *b, int level, int type, const void *data,
		size_t n, size_t claimed)
{
	struct cmsghdr h = { .cmsg_len = claimed, .cmsg_level = level,
			     .cmsg_type = type };

	if (b->len + CMSG_SPACE(n) > sizeof(b->buf))
		return;
	memset(b->buf + b->len, 0, CMSG_SPACE(n));
	memcpy(b->buf + b->len, &h, sizeof(h));
	memcpy(b->buf + b->len + CMSG_LEN(0), data, n);
	b->len += CMSG_SPACE(n);
}

/* As the kernel lays it out: UDP_GRO, then QUIC_ULP_RX_INFO */
static size_t kernel_like(struct input *in, struct built *b, size_t *len)
{
	struct quic_ulp_rx_info info[QO_MAX_SEGS];
	int gso = 1 + take_below(in, 1500);
	size_t nseg = 1 + take_below(in, QO_MAX_SEGS), i;

	*len = (nseg - 1) * gso + 1 + take_below(in, gso);
	for (i = 0; i < nseg; i++) {
		memset(&info[i], 0, sizeof(info[i]));
		info[i].status = take(in, 1) & 1;
		info[i].pn = take(in, 8) & QUIC_ULP_MAX_PN;
		info[i].conn = take(in, 4);
		info[i].flags = take(in, 1) & 7;
		info[i].auth_failures = take(in, 2);
	}
	put(b, SOL_UDP, UDP_GRO, &gso, sizeof(gso), CMSG_LEN(sizeof(gso)));
	put(b, SOL_UDP, QUIC_ULP_RX_INFO, info, nseg * sizeof(info[0]),
	    CMSG_LEN(nseg * sizeof(info[0])));
	return nseg;
}

static void made_up(struct input *in, struct built *b, size_t *len)
{
	static const int levels[] = { SOL_UDP, SOL_UDP, SOL_SOCKET, IPPROTO_IP };
	static const int types[] = { UDP_GRO, QUIC_ULP_RX_INFO, QUIC_ULP_RX_INFO, 1 };
	unsigned char data[QO_MAX_SEGS * 16 + 64];
	unsigned int nmsg = take_below(in, MAX_MSGS + 1), k;
	size_t n, claimed, i;

	*len = take_below(in, 70000);
	for (k = 0; k < nmsg; k++) {
		int level = levels[take_below(in, 4)];
		int type = types[take_below(in, 4)];

		n = take_below(in, sizeof(data) + 1);
		for (i = 0; i < n; i++)
			data[i] = take(in, 1);
		claimed = CMSG_LEN(n);
		if (take(in, 1) % 4 == 0)
			claimed = take(in, 2);
		put(b, level, type, data, n, claimed);
	}
}

/* Is @rec the start of a QUIC_ULP_RX_INFO message's data, the message
 * inside the buffer and as long as the records at least?
 */
static bool from_a_message(const unsigned char *control, size_t controllen,
			   const void *rec, size_t n)
{
	struct cmsghdr h;
	size_t p;

	for (p = 0; p + sizeof(h) <= controllen; p += CMSG_ALIGN(1)) {
		memcpy(&h, control + p, sizeof(h));
		if (h.cmsg_level == SOL_UDP && h.cmsg_type == QUIC_ULP_RX_INFO &&
		    h.cmsg_len >= CMSG_LEN(n) && h.cmsg_len <= controllen - p &&
		    !memcmp(control + p + CMSG_LEN(0), rec, n))
			return true;
	}
	return false;
}

/* Is @ev the event of an error queue message inside the buffer? */
static bool event_inside(const unsigned char *control, size_t controllen,
			 const struct qo_event *ev)
{
	struct sock_extended_err ee;
	struct cmsghdr h;
	size_t p;

	for (p = 0; p + sizeof(h) <= controllen; p += CMSG_ALIGN(1)) {
		memcpy(&h, control + p, sizeof(h));
		if (!((h.cmsg_level == SOL_IP && h.cmsg_type == IP_RECVERR) ||
		      (h.cmsg_level == SOL_IPV6 &&
		       h.cmsg_type == IPV6_RECVERR)) ||
		    h.cmsg_len < CMSG_LEN(sizeof(ee)) ||
		    h.cmsg_len > controllen - p)
			continue;
		memcpy(&ee, control + p + CMSG_LEN(0), sizeof(ee));
		if (ee.ee_origin == SO_EE_ORIGIN_UDP_ULP &&
		    ee.ee_info == ev->conn && ee.ee_type == ev->type &&
		    (int)ee.ee_errno == ev->err)
			return true;
	}
	return false;
}

/* The error queue: up to three messages from what the input has left */
static void events(struct input *in)
{
	static const int where[][2] = {
		{ SOL_IP, IP_RECVERR }, { SOL_IPV6, IPV6_RECVERR },
		{ SOL_UDP, QUIC_ULP_RX_INFO }, { SOL_IP, 1 },
	};
	static struct built b;
	struct sock_extended_err ee;
	unsigned char data[sizeof(ee) + 28], *control;
	unsigned int nmsg = take_below(in, 4), k, w;
	struct msghdr msg = {};
	struct qo_event ev;
	bool well_formed = true, one = false;
	size_t n, claimed;

	memset(&b, 0, sizeof(b));
	for (k = 0; k < nmsg; k++) {
		w = take_below(in, 4);
		memset(&ee, 0, sizeof(ee));
		ee.ee_errno = take(in, 1) % 2 ? EKEYEXPIRED : take(in, 4);
		ee.ee_origin = take(in, 1) % 2 ? SO_EE_ORIGIN_UDP_ULP :
			       take(in, 1);
		ee.ee_type = take(in, 1);
		ee.ee_code = take(in, 1);
		ee.ee_info = take(in, 4);
		ee.ee_data = take(in, 4);
		memset(data, 0, sizeof(data));
		memcpy(data, &ee, sizeof(ee));
		n = take(in, 1) % 4 ? sizeof(data) : take_below(in, sizeof(data));
		claimed = CMSG_LEN(n);
		if (take(in, 1) % 4 == 0) {
			claimed = take(in, 2);
			well_formed = false;
		}
		if (w < 2 && n >= sizeof(ee) &&
		    ee.ee_origin == SO_EE_ORIGIN_UDP_ULP)
			one = true;
		put(&b, where[w][0], where[w][1], data, n, claimed);
	}
	msg.msg_controllen = b.len;
	if (take(in, 1) % 4 == 0 && b.len) {
		msg.msg_controllen -= take_below(in, b.len + 1);
		well_formed = false;
	}
	control = malloc(msg.msg_controllen ? msg.msg_controllen : 1);
	if (!control)
		return;
	memcpy(control, b.buf, msg.msg_controllen);
	msg.msg_control = msg.msg_controllen ? control : NULL;
	memset(&ev, 0xa5, sizeof(ev));
	if (qo_event_parse(&msg, &ev)) {
		if (!event_inside(control, msg.msg_controllen, &ev))
			fail("an event not from a message inside the buffer");
	} else if (well_formed && one) {
		fail("the event of a well-formed buffer was not found");
	}
	free(control);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	static struct built b;
	struct msghdr msg = {};
	struct qo_rx rx;
	unsigned char *control;
	size_t len, nseg = 0, i;
	unsigned int mode = take(&in, 1);

	memset(&b, 0, sizeof(b));
	if (mode & 1)
		nseg = kernel_like(&in, &b, &len);
	else
		made_up(&in, &b, &len);
	msg.msg_controllen = b.len;
	if (mode & 2 && b.len)
		msg.msg_controllen -= take_below(&in, b.len + 1);
	if (mode & 4)
		msg.msg_flags = MSG_CTRUNC;
	/* Exactly the buffer's size, for ASan to see any read past it */
	control = malloc(msg.msg_controllen ? msg.msg_controllen : 1);
	if (!control)
		return 0;
	memcpy(control, b.buf, msg.msg_controllen);
	msg.msg_control = msg.msg_controllen ? control : NULL;

	memset(&rx, 0xa5, sizeof(rx));
	qo_rx_parse(&rx, &msg, len);

	if (rx.n > QO_MAX_SEGS)
		fail("more records than QO_MAX_SEGS");
	if (rx.n) {
		if (msg.msg_flags & MSG_CTRUNC)
			fail("records taken from a truncated buffer");
		if (!rx.gso_size ||
		    rx.n != (len + rx.gso_size - 1) / rx.gso_size)
			fail("records do not match the datagram's segments");
		if (!from_a_message(control, msg.msg_controllen, rx.info,
				    rx.n * sizeof(rx.info[0])))
			fail("records not from a message inside the buffer");
	}
	for (i = 0; i < rx.n; i++)
		if (!!qo_rx_decrypted(&rx, i) !=
		    (rx.info[i].status == QUIC_ULP_RX_DECRYPTED))
			fail("qo_rx_decrypted() disagrees with the record");
	if (qo_rx_decrypted(&rx, rx.n))
		fail("a record past the last segment");

	/* As the kernel writes it: every record back */
	if ((mode & 7) == 1 && rx.n != nseg)
		fail("the kernel's records were not all taken");
	free(control);

	events(&in);
	return 0;
}
