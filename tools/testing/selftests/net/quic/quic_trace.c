// SPDX-License-Identifier: GPL-2.0
/*
 * The quic ULP's tracepoints, trace system "quic_ulp": every decision the
 * kernel takes about a connection that the application cannot see from
 * its own calls alone shows as one event, with the right fields:
 *
 *   quic_ulp_tx_refused          skaddr conn known err
 *   quic_ulp_rx_auth_failed      skaddr conn pn key_updates failures
 *   quic_ulp_key_update          skaddr conn dir key_updates pn
 *   quic_ulp_old_keys_discarded  skaddr conn dir key_updates
 *   quic_ulp_limit_reached       skaddr conn dir key_updates packets
 *
 * Each test records into a trace instance of its own (instances/
 * quic_selftest_<pid>), whose buffer nothing else reads or clears, with
 * the events enabled there only and filtered to the test's process and
 * connection handles; it makes the kernel take each decision, then reads
 * the instance's trace and counts the events of its socket exactly (the
 * socket's skaddr comes from a probe: a send naming a connection that does
 * not exist, made first). The values are read from the events' text, the
 * name=value pairs their TP_printk writes; the format files must list
 * every field with its size and signedness, so that a renamed or resized
 * field fails here.
 *
 * The AEAD limits take about three million packets each: those two tests
 * run with QUIC_SELFTEST_LONG=1 (or QUIC_LIMITS_FULL=1, as quic_limits)
 * and are skipped otherwise; the format of their event is checked always.
 *
 * Without tracefs (a kernel without CONFIG_FTRACE) the program is skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

#define CIPHER		QUIC_ULP_CIPHER_AES_128_GCM_SHA256
#define LIMIT_CIPHER	QUIC_ULP_CIPHER_AES_128_CCM_SHA256
#define LIMIT		2965820ULL	/* 2^21.5: both limits of AES-128-CCM */
#define CID_LEN		8
#define PN_LEN		4
#define PKT_LEN		48
#define BATCH		64		/* packets per UDP_SEGMENT send */
#define SLACK		4096
#define NGEN		4U		/* key generations the tests use */
#define NHANDLES	16		/* connection handles of a test */
#define PROBE		0		/* the handle that is never created */
#define TIMEOUT_MS	3000

#define EV_TX_REFUSED	"quic_ulp_tx_refused"
#define EV_RX_AUTH	"quic_ulp_rx_auth_failed"
#define EV_KEY_UPDATE	"quic_ulp_key_update"
#define EV_DISCARDED	"quic_ulp_old_keys_discarded"
#define EV_LIMIT	"quic_ulp_limit_reached"

static const char * const events[] = {
	EV_TX_REFUSED, EV_RX_AUTH, EV_KEY_UPDATE, EV_DISCARDED, EV_LIMIT,
};

#define DIR_TX		1
#define DIR_RX		2

/* --- tracefs ------------------------------------------------------------ */

static char tracefs[64];
static const char *mounted[2];	/* what main() mounted, to unmount */

static bool exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !access(path, F_OK);
}

static bool use_tracefs(const char *dir)
{
	if (!exists(dir, "trace"))
		return false;
	snprintf(tracefs, sizeof(tracefs), "%s", dir);
	return true;
}

/* tracefs where it is, or mounted where it goes: 0, or -1 without it */
static int tracefs_find(void)
{
	if (use_tracefs("/sys/kernel/tracing"))
		return 0;
	if (!mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		mounted[0] = "/sys/kernel/tracing";
		if (use_tracefs("/sys/kernel/tracing"))
			return 0;
	}
	if (use_tracefs("/sys/kernel/debug/tracing"))
		return 0;
	if (!mount("nodev", "/sys/kernel/debug", "debugfs", 0, NULL)) {
		mounted[1] = "/sys/kernel/debug";
		if (use_tracefs("/sys/kernel/debug/tracing"))
			return 0;
	}
	return -1;
}

static void tracefs_release(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mounted); i++)
		if (mounted[i])
			umount2(mounted[i], MNT_DETACH);
}

static int write_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	err = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return err;
}

/* The whole of a file, NUL-terminated; NULL (errno set) if unreadable */
static char *read_all(const char *path)
{
	size_t len = 0, room = 65536;
	char *buf = malloc(room), *bigger;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (room - len < 4096) {
			room *= 2;
			bigger = realloc(buf, room);
			if (!bigger)
				goto fail;
			buf = bigger;
		}
		n = read(fd, buf + len, room - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	n = errno;
	free(buf);
	if (fd >= 0)
		close(fd);
	errno = n;
	return NULL;
}

/* Instances of this program's tests that lost their teardown (a test
 * killed, or failed in its setup): those whose process is gone
 */
static void sweep_instances(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;
	int pid;

	snprintf(dir, sizeof(dir), "%s/instances", tracefs);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (sscanf(de->d_name, "quic_selftest_%d", &pid) == 1 &&
		    pid > 0 && kill(pid, 0) && errno == ESRCH) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			rmdir(path);
		}
	closedir(d);
}

/* --- events as the trace file shows them -------------------------------- */

#define TEV_FIELDS	12

struct tev {
	char name[48];
	bool ours;		/* of the fixture's ULP socket */
	unsigned int nfields;
	char key[TEV_FIELDS][24];
	char val[TEV_FIELDS][72];
};

struct tlog {
	struct tev *ev;		/* the events after the probe, in order */
	unsigned int n;
	char skaddr[72];	/* the fixture's ULP socket */
};

/* "<task>-<pid> [cpu] flags ts: quic_ulp_x: a=1 b=2", into @e */
static bool parse_line(const char *line, struct tev *e)
{
	const char *p = strstr(line, ": quic_ulp_"), *end;
	size_t n;

	if (!p)
		return false;
	p += 2;
	end = strchr(p, ':');
	if (!end || (size_t)(end - p) >= sizeof(e->name))
		return false;
	memset(e, 0, sizeof(*e));
	memcpy(e->name, p, end - p);
	for (p = end + 1; *p && e->nfields < TEV_FIELDS; p = end) {
		const char *eq;

		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, " \t\n");
		eq = memchr(p, '=', end - p);
		if (!eq)
			continue;
		n = eq - p;
		if (!n || n >= sizeof(e->key[0]))
			continue;
		memcpy(e->key[e->nfields], p, n);
		n = end - eq - 1;
		/* "a=1, b=2" */
		if (n && eq[n] == ',')
			n--;
		if (n >= sizeof(e->val[0]))
			n = sizeof(e->val[0]) - 1;
		memcpy(e->val[e->nfields], eq + 1, n);
		e->nfields++;
	}
	return true;
}

static const char *tev_str(const struct tev *e, const char *key)
{
	unsigned int i;

	for (i = 0; i < e->nfields; i++)
		if (!strcmp(e->key[i], key))
			return e->val[i];
	return NULL;
}

/* A field's value as a number: decimal or 0x hex, or true/false for a
 * bool, tx/rx for a direction
 */
static bool tev_num(const struct tev *e, const char *key, long long *v)
{
	const char *s = tev_str(e, key);
	char *end;

	if (!s || !*s)
		return false;
	if (!strcasecmp(s, "true") || !strcasecmp(s, "tx")) {
		*v = !strcasecmp(s, "true") ? 1 : DIR_TX;
		return true;
	}
	if (!strcasecmp(s, "false") || !strcasecmp(s, "rx")) {
		*v = !strcasecmp(s, "false") ? 0 : DIR_RX;
		return true;
	}
	errno = 0;
	if (*s == '-')
		*v = strtoll(s, &end, 0);
	else
		*v = (long long)strtoull(s, &end, 0);
	return !errno && !*end;
}

static unsigned int count(const struct tlog *log, const char *name, bool ours)
{
	unsigned int i, n = 0;

	for (i = 0; i < log->n; i++)
		if (log->ev[i].ours == ours && !strcmp(log->ev[i].name, name))
			n++;
	return n;
}

/* The @i-th @name event of the fixture's socket (or of any other one) */
static const struct tev *nth(const struct tlog *log, const char *name,
			     unsigned int i, bool ours)
{
	unsigned int k;

	for (k = 0; k < log->n; k++)
		if (log->ev[k].ours == ours && !strcmp(log->ev[k].name, name) &&
		    !i--)
			return &log->ev[k];
	return NULL;
}

static void tlog_free(struct tlog *log)
{
	free(log->ev);
	memset(log, 0, sizeof(*log));
}

/* --- the fixture -------------------------------------------------------- */

struct tr_test {
	int family;
	char inst[PATH_MAX];	/* the trace instance */
	bool have_inst;
	int ulp, peer;
	struct sockaddr_storage local, remote;
	socklen_t local_len, remote_len;
	uint32_t base;		/* handles base .. base + NHANDLES - 1 */
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	uint8_t cid[CID_LEN];
	struct quic_ref_key key[NGEN];	/* the generations of @secret */
};

static uint32_t handle(const struct tr_test *t, unsigned int i)
{
	return t->base + i;
}

static void inst_path(const struct tr_test *t, char *path, size_t len,
		      const char *event, const char *file)
{
	if (event)
		snprintf(path, len, "%s/events/quic_ulp/%s/%s", t->inst, event,
			 file);
	else
		snprintf(path, len, "%s/%s", t->inst, file);
}

static int event_set(const struct tr_test *t, const char *event,
		     const char *file, const char *val)
{
	char path[PATH_MAX + 128];

	inst_path(t, path, sizeof(path), event, file);
	return write_str(path, val);
}

static void enable(struct __test_metadata *_metadata, struct tr_test *t,
		   const char *event, bool on)
{
	ASSERT_EQ(event_set(t, event, "enable", on ? "1" : "0"), 0)
		TH_LOG("cannot %s %s in %s", on ? "enable" : "disable", event,
		       t->inst);
}

/* Packet @pn of the fixture's shape, for generation @gen of @conn, sent
 * from the ULP socket to @to with its record: what sendmsg() returns
 */
static ssize_t ulp_send(struct tr_test *t, uint32_t conn, uint32_t gen,
			uint64_t pn, const struct sockaddr_storage *to)
{
	struct quic_ulp_tx_info rec = quic_tx_rec(conn, pn, gen, CID_LEN);
	uint8_t pkt[PKT_LEN];

	quic_build(pkt, PKT_LEN, t->cid, CID_LEN, pn, PN_LEN, gen & 1,
		   (uint8_t)pn);
	return quic_send_tx(t->ulp, pkt, PKT_LEN, 0, to, &rec, 1);
}

/* A send that is refused with @err */
static void tx_refused(struct __test_metadata *_metadata, struct tr_test *t,
		       uint32_t conn, uint32_t gen, uint64_t pn, int err)
{
	errno = 0;
	ASSERT_EQ(ulp_send(t, conn, gen, pn, &t->remote), -1);
	ASSERT_EQ(errno, err) TH_LOG("%s, not %s", strerror(errno),
				     strerror(err));
}

/* A send that goes out, sealed with generation @gen of the secret */
static void tx_good(struct __test_metadata *_metadata, struct tr_test *t,
		    uint32_t conn, uint32_t gen, uint64_t pn)
{
	uint8_t plain[PKT_LEN], want[PKT_LEN], got[PKT_LEN + 1];

	ASSERT_LT(gen, NGEN);
	ASSERT_EQ(ulp_send(t, conn, gen, pn, &t->remote), PKT_LEN)
		TH_LOG("packet %llu, generation %u: %s",
		       (unsigned long long)pn, gen, strerror(errno));
	quic_build(plain, PKT_LEN, t->cid, CID_LEN, pn, PN_LEN, gen & 1,
		   (uint8_t)pn);
	ASSERT_EQ(quic_seal(&t->key[gen], plain, PKT_LEN, CID_LEN, pn, want),
		  0);
	ASSERT_EQ(recv(t->peer, got, sizeof(got), 0), PKT_LEN);
	EXPECT_EQ(memcmp(got, want, PKT_LEN), 0)
		TH_LOG("packet %llu is not sealed with generation %u",
		       (unsigned long long)pn, gen);
}

/* Packet @pn, sealed by the peer with generation @gen for the ID @cid;
 * @forge spoils a bit of its tag
 */
static void peer_send(struct __test_metadata *_metadata, struct tr_test *t,
		      const uint8_t *cid, uint32_t gen, uint64_t pn, bool forge)
{
	uint8_t plain[PKT_LEN], wire[PKT_LEN];

	ASSERT_LT(gen, NGEN);
	quic_build(plain, PKT_LEN, cid, CID_LEN, pn, PN_LEN, gen & 1,
		   (uint8_t)pn);
	ASSERT_EQ(quic_seal(&t->key[gen], plain, PKT_LEN, CID_LEN, pn, wire),
		  0);
	if (forge)
		wire[PKT_LEN - 1] ^= 0x01;
	ASSERT_EQ(send(t->peer, wire, PKT_LEN, 0), PKT_LEN);
}

/* The next datagram at the ULP socket, and its record: status
 * QUIC_ULP_RX_NONE when it has none
 */
static void ulp_recv(struct __test_metadata *_metadata, struct tr_test *t,
		     struct quic_ulp_rx_info *rec)
{
	char control[CMSG_SPACE(BATCH * sizeof(*rec)) + CMSG_SPACE(sizeof(int))];
	uint8_t buf[PKT_LEN + 1];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;
	int nrec = 0;

	memset(rec, 0, sizeof(*rec));
	ASSERT_EQ(recvmsg(t->ulp, &msg, 0), PKT_LEN);
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_UDP ||
		    cm->cmsg_type != QUIC_ULP_RX_INFO)
			continue;
		nrec = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(*rec);
		memcpy(rec, CMSG_DATA(cm), sizeof(*rec));
	}
	ASSERT_LE(nrec, 1);
}

/* A good packet from the peer, decrypted, after @failures forgeries */
static void rx_good(struct __test_metadata *_metadata, struct tr_test *t,
		    uint32_t conn, uint32_t gen, uint64_t pn, uint16_t failures,
		    uint8_t flags)
{
	struct quic_ulp_rx_info rec;

	peer_send(_metadata, t, t->cid, gen, pn, false);
	ulp_recv(_metadata, t, &rec);
	ASSERT_EQ(rec.status, QUIC_ULP_RX_DECRYPTED)
		TH_LOG("packet %llu of generation %u", (unsigned long long)pn,
		       gen);
	EXPECT_EQ(rec.conn, conn);
	EXPECT_EQ(rec.pn, pn);
	EXPECT_EQ(rec.auth_failures, failures);
	EXPECT_EQ(rec.flags, flags);
}

/* The kernel derives the next Rx keys in the background: wait for them,
 * for up to 30 s by the clock
 */
static void wait_next_key(struct __test_metadata *_metadata,
			  struct tr_test *t, uint32_t conn)
{
	struct quic_ulp_conn_info info;
	double end = quic_now() + 30;

	for (;;) {
		ASSERT_EQ(quic_conn_info(t->ulp, conn, &info), 0);
		if ((info.rx.flags & QUIC_ULP_INFO_NEXT_KEY) || quic_now() > end)
			break;
		usleep(2000);
	}
	ASSERT_TRUE(info.rx.flags & QUIC_ULP_INFO_NEXT_KEY);
}

/* Keys of the fixture's secret for connection @conn: Tx, Rx or both,
 * and with Rx the fixture's ID
 */
static void add_conn(struct __test_metadata *_metadata, struct tr_test *t,
		     uint32_t conn, bool tx, bool rx)
{
	if (tx)
		ASSERT_EQ(quic_set_key(t->ulp, false, conn, CIPHER, t->secret,
				       0, 0), 0);
	if (rx) {
		ASSERT_EQ(quic_set_key(t->ulp, true, conn, CIPHER, t->secret,
				       0, 0), 0);
		ASSERT_EQ(quic_cid(t->ulp, true, conn, QUIC_ULP_DIR_RX, t->cid,
				   CID_LEN, NULL), 0);
	}
}

/* Dump the socket's events into the log, to see what went wrong */
static void dump(struct __test_metadata *_metadata, const struct tlog *log)
{
	char line[512];
	unsigned int i, k;
	size_t off;

	TH_LOG("events of skaddr %s after the probe:", log->skaddr);
	for (i = 0; i < log->n; i++) {
		const struct tev *e = &log->ev[i];

		off = snprintf(line, sizeof(line), "%s%s:", e->ours ? "" : "(other) ",
			       e->name);
		for (k = 0; k < e->nfields && off < sizeof(line); k++)
			off += snprintf(line + off, sizeof(line) - off, " %s=%s",
					e->key[k], e->val[k]);
		TH_LOG("  %s", line);
	}
}

/*
 * The instance's trace: the events after the probe, the fixture socket's
 * marked. Every event written must still be in the buffer.
 */
static void collect(struct __test_metadata *_metadata, struct tr_test *t,
		    struct tlog *log)
{
	unsigned long long in_buffer = 0, written = 0;
	bool header = false, probed = false;
	char path[PATH_MAX + 128], *buf, *line, *save;
	struct tev e;
	long long v;
	size_t room = 0;

	memset(log, 0, sizeof(*log));
	inst_path(t, path, sizeof(path), NULL, "trace");
	buf = read_all(path);
	ASSERT_NE(buf, NULL) TH_LOG("%s: %s", path, strerror(errno));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *h = strstr(line, "entries-in-buffer/entries-written:");

		if (line[0] == '#') {
			if (h && sscanf(h, "entries-in-buffer/entries-written: %llu/%llu",
					&in_buffer, &written) == 2)
				header = true;
			continue;
		}
		if (!parse_line(line, &e))
			continue;
		if (!probed) {
			/* The probe: the socket's first event */
			if (strcmp(e.name, EV_TX_REFUSED) ||
			    !tev_num(&e, "conn", &v) ||
			    v != handle(t, PROBE) || !tev_str(&e, "skaddr"))
				continue;
			snprintf(log->skaddr, sizeof(log->skaddr), "%s",
				 tev_str(&e, "skaddr"));
			probed = true;
			continue;
		}
		e.ours = tev_str(&e, "skaddr") &&
			 !strcmp(tev_str(&e, "skaddr"), log->skaddr);
		if (log->n == room) {
			struct tev *more;

			room = room ? 2 * room : 64;
			more = realloc(log->ev, room * sizeof(*more));
			ASSERT_NE(more, NULL);
			log->ev = more;
		}
		log->ev[log->n++] = e;
	}
	free(buf);
	ASSERT_TRUE(header) TH_LOG("no entries-in-buffer/entries-written line");
	ASSERT_EQ(in_buffer, written) TH_LOG("the trace instance lost events");
	ASSERT_TRUE(probed)
		TH_LOG("no %s event with conn=%u and a skaddr for the probe",
		       EV_TX_REFUSED, handle(t, PROBE));
}

/* Exactly these numbers of each event of the socket, nothing else */
static void expect_counts(struct __test_metadata *_metadata,
			  const struct tlog *log, unsigned int refused,
			  unsigned int auth, unsigned int update,
			  unsigned int discarded, unsigned int limit)
{
	const unsigned int want[] = { refused, auth, update, discarded, limit };
	unsigned int i, total = 0;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(events); i++) {
		if (count(log, events[i], true) != want[i]) {
			TH_LOG("%u %s events, not %u",
			       count(log, events[i], true), events[i], want[i]);
			ok = false;
		}
		total += want[i];
	}
	for (i = 0; i < log->n; i++)
		total -= log->ev[i].ours;
	if (total) {
		TH_LOG("events of the socket that are none of the five");
		ok = false;
	}
	if (!ok)
		dump(_metadata, log);
	ASSERT_TRUE(ok);
}

static void expect_num(struct __test_metadata *_metadata,
		       const struct tev *e, const char *key, long long want)
{
	long long v = 0;

	ASSERT_TRUE(tev_num(e, key, &v))
		TH_LOG("%s: no numeric field %s (%s)", e->name, key,
		       tev_str(e, key) ?: "absent");
	EXPECT_EQ(v, want)
		TH_LOG("%s: %s=%s, not %lld", e->name, key, tev_str(e, key),
		       want);
}

static void expect_refused(struct __test_metadata *_metadata,
			   const struct tlog *log, unsigned int i,
			   uint32_t conn, bool known, int err)
{
	const struct tev *e = nth(log, EV_TX_REFUSED, i, true);

	ASSERT_NE(e, NULL);
	expect_num(_metadata, e, "conn", conn);
	expect_num(_metadata, e, "known", known);
	expect_num(_metadata, e, "err", err);
}

static void expect_auth(struct __test_metadata *_metadata,
			const struct tlog *log, unsigned int i, uint32_t conn,
			uint64_t pn, uint32_t key_updates, uint64_t failures)
{
	const struct tev *e = nth(log, EV_RX_AUTH, i, true);

	ASSERT_NE(e, NULL);
	expect_num(_metadata, e, "conn", conn);
	expect_num(_metadata, e, "pn", pn);
	expect_num(_metadata, e, "key_updates", key_updates);
	expect_num(_metadata, e, "failures", failures);
}

static void expect_update(struct __test_metadata *_metadata,
			  const struct tlog *log, unsigned int i, uint32_t conn,
			  int dir, uint32_t key_updates, uint64_t pn)
{
	const struct tev *e = nth(log, EV_KEY_UPDATE, i, true);

	ASSERT_NE(e, NULL);
	expect_num(_metadata, e, "conn", conn);
	expect_num(_metadata, e, "dir", dir);
	expect_num(_metadata, e, "key_updates", key_updates);
	expect_num(_metadata, e, "pn", pn);
}

static void expect_discarded(struct __test_metadata *_metadata,
			     const struct tlog *log, unsigned int i,
			     uint32_t conn, int dir, uint32_t key_updates)
{
	const struct tev *e = nth(log, EV_DISCARDED, i, true);

	ASSERT_NE(e, NULL);
	expect_num(_metadata, e, "conn", conn);
	expect_num(_metadata, e, "dir", dir);
	expect_num(_metadata, e, "key_updates", key_updates);
}

static void expect_limit(struct __test_metadata *_metadata,
			 const struct tlog *log, unsigned int i, uint32_t conn,
			 int dir, uint32_t key_updates, uint64_t packets)
{
	const struct tev *e = nth(log, EV_LIMIT, i, true);

	ASSERT_NE(e, NULL);
	expect_num(_metadata, e, "conn", conn);
	expect_num(_metadata, e, "dir", dir);
	expect_num(_metadata, e, "key_updates", key_updates);
	expect_num(_metadata, e, "packets", packets);
}

FIXTURE(trace)
{
	struct tr_test t;
};

FIXTURE_VARIANT(trace)
{
	int family;
};

FIXTURE_VARIANT_ADD(trace, ipv4)
{
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(trace, ipv6)
{
	.family = AF_INET6,
};

FIXTURE_SETUP(trace)
{
	struct tr_test *t = &self->t;
	char filter[256];
	unsigned int i;

	t->ulp = -1;
	t->peer = -1;
	t->family = variant->family;
	/* Handles nobody else uses, kept clear of 0 and of wrapping */
	quic_random(&t->base, sizeof(t->base));
	t->base = 0x10000000 + t->base % 0xd0000000;
	quic_random(t->secret, sizeof(t->secret));
	quic_random(t->cid, sizeof(t->cid));
	for (i = 0; i < NGEN; i++)
		ASSERT_EQ(quic_ref_key_init_gen(&t->key[i], QUIC_ULP_VERSION_1,
						CIPHER, t->secret,
						quic_ref_secret_len(CIPHER), i),
			  0);

	t->ulp = quic_udp_socket(t->family, false, &t->local, &t->local_len);
	ASSERT_GE(t->ulp, 0);
	t->peer = quic_udp_socket(t->family, true, &t->remote, &t->remote_len);
	ASSERT_GE(t->peer, 0);
	quic_set_timeout(t->ulp, TIMEOUT_MS);
	quic_set_timeout(t->peer, TIMEOUT_MS);
	ASSERT_EQ(connect(t->peer, (struct sockaddr *)&t->local, t->local_len),
		  0);
	/* Loads the module, and with it its events */
	ASSERT_EQ(quic_attach(t->ulp), 0);

	snprintf(t->inst, sizeof(t->inst), "%s/instances/quic_selftest_%d",
		 tracefs, getpid());
	ASSERT_EQ(mkdir(t->inst, 0750), 0)
		TH_LOG("mkdir %s: %s", t->inst, strerror(errno));
	t->have_inst = true;
	ASSERT_TRUE(exists(t->inst, "events/quic_ulp"))
		TH_LOG("no quic_ulp events in %s", t->inst);
	/* Events of several CPUs (sends, softirqs) in the order they were
	 * taken; setting the clock empties the buffer, so it comes first
	 */
	ASSERT_EQ(event_set(t, NULL, "trace_clock", "global"), 0);
	ASSERT_EQ(event_set(t, NULL, "tracing_on", "1"), 0);
	/* This process (sends, socket options) or these connections (what
	 * softirqs receive), not the other programs' sockets
	 */
	snprintf(filter, sizeof(filter),
		 "common_pid == %d || (conn >= %u && conn <= %u)", getpid(),
		 handle(t, 0), handle(t, NHANDLES - 1));
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		ASSERT_EQ(event_set(t, events[i], "filter", filter), 0)
			TH_LOG("filter %s: %s", events[i], filter);
		enable(_metadata, t, events[i], true);
	}

	/* The probe, whose event gives the socket's skaddr */
	tx_refused(_metadata, t, handle(t, PROBE), 0, 0, ENOENT);
}

FIXTURE_TEARDOWN(trace)
{
	struct tr_test *t = &self->t;
	unsigned int i;

	if (t->have_inst) {
		event_set(t, NULL, "events/enable", "0");
		if (rmdir(t->inst))
			TH_LOG("rmdir %s: %s", t->inst, strerror(errno));
	}
	for (i = 0; i < NGEN; i++)
		quic_ref_key_free(&t->key[i]);
	if (t->ulp >= 0)
		close(t->ulp);
	if (t->peer >= 0)
		close(t->peer);
}

/* --- formats ------------------------------------------------------------ */

struct field_spec {
	const char *name;
	unsigned int size;	/* 0: a pointer's */
	int is_signed;
};

static const struct event_spec {
	const char *event;
	struct field_spec fields[6];
} specs[] = {
	{ EV_TX_REFUSED, {
		{ "skaddr", 0, 0 }, { "conn", 4, 0 }, { "known", 1, 0 },
		{ "err", 4, 1 },
	} },
	{ EV_RX_AUTH, {
		{ "skaddr", 0, 0 }, { "conn", 4, 0 }, { "pn", 8, 0 },
		{ "key_updates", 4, 0 }, { "failures", 8, 0 },
	} },
	{ EV_KEY_UPDATE, {
		{ "skaddr", 0, 0 }, { "conn", 4, 0 }, { "dir", 1, 0 },
		{ "key_updates", 4, 0 }, { "pn", 8, 0 },
	} },
	{ EV_DISCARDED, {
		{ "skaddr", 0, 0 }, { "conn", 4, 0 }, { "dir", 1, 0 },
		{ "key_updates", 4, 0 },
	} },
	{ EV_LIMIT, {
		{ "skaddr", 0, 0 }, { "conn", 4, 0 }, { "dir", 1, 0 },
		{ "key_updates", 4, 0 }, { "packets", 8, 0 },
	} },
};

/*
 * Field @name of a format file ("\tfield:u32 conn;\toffset:16;\tsize:4;
 * \tsigned:0;"): its size and signedness. false if it has none.
 */
static bool format_field(const char *fmt, const char *name,
			 unsigned int *size, int *is_signed)
{
	const char *line, *next, *decl, *semi, *p;
	size_t n = strlen(name);

	for (line = fmt; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			next++;
		decl = strstr(line, "field:");
		if (!decl || (next && decl > next))
			continue;
		semi = strchr(decl, ';');
		if (!semi || (next && semi > next))
			continue;
		/* the name is the declaration's last word, arrays aside */
		for (p = semi; p > decl && p[-1] != ' ' && p[-1] != '*'; p--)
			;
		if ((size_t)(semi - p) < n || strncmp(p, name, n) ||
		    (p[n] != ';' && p[n] != '['))
			continue;
		p = strstr(semi, "size:");
		if (!p || (next && p > next) || sscanf(p, "size:%u", size) != 1)
			return false;
		p = strstr(semi, "signed:");
		if (!p || (next && p > next) ||
		    sscanf(p, "signed:%d", is_signed) != 1)
			return false;
		return true;
	}
	return false;
}

/* Every field there with its size, and in the text as name= */
TEST_F(trace, format)
{
	struct tr_test *t = &self->t;
	char path[PATH_MAX + 128], want[40];
	const struct field_spec *f;
	unsigned int i, k, size;
	const char *print;
	int is_signed;
	char *fmt;

	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		inst_path(t, path, sizeof(path), specs[i].event, "format");
		fmt = read_all(path);
		ASSERT_NE(fmt, NULL) TH_LOG("%s: %s", path, strerror(errno));
		print = strstr(fmt, "print fmt:");
		EXPECT_NE(print, NULL) TH_LOG("%s: no print fmt", path);
		for (k = 0; k < ARRAY_SIZE(specs[i].fields); k++) {
			f = &specs[i].fields[k];
			if (!f->name)
				break;
			if (!format_field(fmt, f->name, &size, &is_signed)) {
				EXPECT_TRUE(false)
					TH_LOG("%s: no field %s", specs[i].event,
					       f->name);
				continue;
			}
			EXPECT_EQ(size, f->size ?: sizeof(void *))
				TH_LOG("%s: %s has size %u", specs[i].event,
				       f->name, size);
			EXPECT_EQ(is_signed, f->is_signed)
				TH_LOG("%s: %s has signed:%d", specs[i].event,
				       f->name, is_signed);
			snprintf(want, sizeof(want), "%s=", f->name);
			if (print)
				EXPECT_NE(strstr(print, want), NULL)
					TH_LOG("%s: print fmt without %s",
					       specs[i].event, want);
		}
		free(fmt);
	}
}

/* --- quic_ulp_tx_refused ------------------------------------------------ */

/* Connections that do not exist, or no longer: known=0, the handle named.
 * Another socket's refusal is its own skaddr's.
 */
TEST_F(trace, tx_refused_unknown_conn)
{
	struct tr_test *t = &self->t;
	struct sockaddr_storage addr;
	const struct tev *e;
	socklen_t addr_len;
	struct tlog log;
	int other, ulp;

	tx_refused(_metadata, t, handle(t, 1), 0, 0, ENOENT);
	add_conn(_metadata, t, handle(t, 2), true, false);
	tx_good(_metadata, t, handle(t, 2), 0, 0);
	ASSERT_EQ(quic_del_conn(t->ulp, handle(t, 2)), 0);
	tx_refused(_metadata, t, handle(t, 2), 0, 1, ENOENT);

	other = quic_udp_socket(t->family, false, &addr, &addr_len);
	ASSERT_GE(other, 0);
	ASSERT_EQ(quic_attach(other), 0);
	ulp = t->ulp;
	t->ulp = other;
	tx_refused(_metadata, t, handle(t, 3), 0, 0, ENOENT);
	t->ulp = ulp;
	close(other);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 2, 0, 0, 0, 0);
	expect_refused(_metadata, &log, 0, handle(t, 1), false, -ENOENT);
	expect_refused(_metadata, &log, 1, handle(t, 2), false, -ENOENT);
	ASSERT_EQ(count(&log, EV_TX_REFUSED, false), 1U);
	e = nth(&log, EV_TX_REFUSED, 0, false);
	expect_num(_metadata, e, "conn", handle(t, 3));
	expect_num(_metadata, e, "known", 0);
	expect_num(_metadata, e, "err", -ENOENT);
	ASSERT_NE(tev_str(e, "skaddr"), NULL);
	EXPECT_STRNE(tev_str(e, "skaddr"), log.skaddr);
	tlog_free(&log);
}

/* A connection with Rx keys only: known, -ENOKEY */
TEST_F(trace, tx_refused_no_key)
{
	struct tr_test *t = &self->t;
	struct tlog log;

	add_conn(_metadata, t, handle(t, 1), false, true);
	tx_refused(_metadata, t, handle(t, 1), 0, 0, ENOKEY);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 1, 0, 0, 0, 0);
	expect_refused(_metadata, &log, 0, handle(t, 1), true, -ENOKEY);
	tlog_free(&log);
}

/* A packet number sealed before, or below one: -EEXIST; good sends are
 * not events
 */
TEST_F(trace, tx_refused_pn_reused)
{
	struct tr_test *t = &self->t;
	struct tlog log;

	add_conn(_metadata, t, handle(t, 1), true, false);
	tx_good(_metadata, t, handle(t, 1), 0, 7);
	tx_refused(_metadata, t, handle(t, 1), 0, 7, EEXIST);
	tx_refused(_metadata, t, handle(t, 1), 0, 3, EEXIST);
	tx_good(_metadata, t, handle(t, 1), 0, 8);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 2, 0, 0, 0, 0);
	expect_refused(_metadata, &log, 0, handle(t, 1), true, -EEXIST);
	expect_refused(_metadata, &log, 1, handle(t, 1), true, -EEXIST);
	tlog_free(&log);
}

/* A generation skipped, and one discarded: -EKEYREJECTED */
TEST_F(trace, tx_refused_key_rejected)
{
	struct tr_test *t = &self->t;
	struct tlog log;

	add_conn(_metadata, t, handle(t, 1), true, false);
	tx_good(_metadata, t, handle(t, 1), 0, 0);
	tx_refused(_metadata, t, handle(t, 1), 2, 1, EKEYREJECTED);
	tx_good(_metadata, t, handle(t, 1), 1, 2);
	ASSERT_EQ(quic_discard_old(t->ulp, handle(t, 1), QUIC_ULP_DIR_TX), 0);
	tx_refused(_metadata, t, handle(t, 1), 0, 1, EKEYREJECTED);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 2, 0, 1, 1, 0);
	expect_refused(_metadata, &log, 0, handle(t, 1), true, -EKEYREJECTED);
	expect_refused(_metadata, &log, 1, handle(t, 1), true, -EKEYREJECTED);
	expect_update(_metadata, &log, 0, handle(t, 1), DIR_TX, 1, 2);
	expect_discarded(_metadata, &log, 0, handle(t, 1), DIR_TX, 0);
	tlog_free(&log);
}

/* A QUIC_ULP_TX_INFO that holds no whole record: -EINVAL, no handle */
TEST_F(trace, tx_refused_bad_request)
{
	struct tr_test *t = &self->t;
	struct quic_ulp_tx_info rec = quic_tx_rec(handle(t, 1), 0, 0, CID_LEN);
	uint8_t pkt[PKT_LEN];
	struct quic_tx_req req = {
		.buf = pkt, .len = PKT_LEN, .to = &t->remote,
		.tx = &rec, .tx_len = 5, .ntx = 1,
	};
	struct tlog log;

	add_conn(_metadata, t, handle(t, 1), true, false);
	quic_build(pkt, PKT_LEN, t->cid, CID_LEN, 0, PN_LEN, false, 0);
	errno = 0;
	ASSERT_EQ(quic_sendmsg(t->ulp, &req), -1);
	ASSERT_EQ(errno, EINVAL);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 1, 0, 0, 0, 0);
	expect_refused(_metadata, &log, 0, 0, false, -EINVAL);
	tlog_free(&log);
}

/* Events are recorded while enabled only */
TEST_F(trace, disabled_not_recorded)
{
	struct tr_test *t = &self->t;
	struct tlog log;

	enable(_metadata, t, EV_TX_REFUSED, false);
	tx_refused(_metadata, t, handle(t, 1), 0, 0, ENOENT);
	enable(_metadata, t, EV_TX_REFUSED, true);
	tx_refused(_metadata, t, handle(t, 2), 0, 0, ENOENT);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 1, 0, 0, 0, 0);
	expect_refused(_metadata, &log, 0, handle(t, 2), false, -ENOENT);
	tlog_free(&log);
}

/* --- quic_ulp_rx_auth_failed -------------------------------------------- */

/*
 * Forged tags of a connection's packets: one event each, with the packet
 * number, the generation tried (the current one, the next one for a
 * Key Phase flip, the previous one for a late packet) and the count so
 * far. A forgery for an ID nobody has is not a connection's: no event.
 */
TEST_F(trace, rx_auth_failed)
{
	struct tr_test *t = &self->t;
	uint32_t c = handle(t, 1);
	uint8_t other[CID_LEN];
	struct quic_ulp_rx_info rec;
	struct tlog log;

	add_conn(_metadata, t, c, false, true);
	wait_next_key(_metadata, t, c);

	peer_send(_metadata, t, t->cid, 0, 5, true);
	rx_good(_metadata, t, c, 0, 6, 1, 0);
	peer_send(_metadata, t, t->cid, 0, 7, true);
	peer_send(_metadata, t, t->cid, 0, 8, true);
	rx_good(_metadata, t, c, 0, 9, 2, 0);

	memcpy(other, t->cid, CID_LEN);
	other[0] ^= 0xff;
	peer_send(_metadata, t, other, 0, 10, true);
	ulp_recv(_metadata, t, &rec);
	EXPECT_EQ(rec.status, QUIC_ULP_RX_NONE);

	/* The other Key Phase, forged: the next keys fail, none rotate */
	peer_send(_metadata, t, t->cid, 1, 10, true);
	rx_good(_metadata, t, c, 0, 11, 1, 0);

	/* A real update, then a late forgery and a current one */
	rx_good(_metadata, t, c, 1, 12, 0,
		QUIC_ULP_RX_KEY_PHASE | QUIC_ULP_RX_KEY_UPDATE);
	peer_send(_metadata, t, t->cid, 0, 4, true);
	peer_send(_metadata, t, t->cid, 1, 13, true);
	rx_good(_metadata, t, c, 1, 14, 2, QUIC_ULP_RX_KEY_PHASE);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 0, 6, 1, 0, 0);
	expect_auth(_metadata, &log, 0, c, 5, 0, 1);
	expect_auth(_metadata, &log, 1, c, 7, 0, 2);
	expect_auth(_metadata, &log, 2, c, 8, 0, 3);
	expect_auth(_metadata, &log, 3, c, 10, 1, 4);
	expect_auth(_metadata, &log, 4, c, 4, 0, 5);
	expect_auth(_metadata, &log, 5, c, 13, 1, 6);
	expect_update(_metadata, &log, 0, c, DIR_RX, 1, 12);
	tlog_free(&log);
}

/* --- quic_ulp_key_update ------------------------------------------------ */

/* The application names the next generation three times: an event each,
 * with the first packet of the generation; a late packet of the previous
 * generation is none
 */
TEST_F(trace, tx_key_update)
{
	struct tr_test *t = &self->t;
	uint32_t c = handle(t, 2);
	struct tlog log;

	add_conn(_metadata, t, c, true, false);
	tx_good(_metadata, t, c, 0, 0);
	tx_good(_metadata, t, c, 0, 3);
	tx_good(_metadata, t, c, 1, 5);
	tx_good(_metadata, t, c, 0, 4);
	tx_good(_metadata, t, c, 1, 6);
	tx_good(_metadata, t, c, 2, 10);
	tx_good(_metadata, t, c, 3, 20);
	tx_good(_metadata, t, c, 3, 21);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 0, 0, 3, 0, 0);
	expect_update(_metadata, &log, 0, c, DIR_TX, 1, 5);
	expect_update(_metadata, &log, 1, c, DIR_TX, 2, 10);
	expect_update(_metadata, &log, 2, c, DIR_TX, 3, 20);
	tlog_free(&log);
}

/* The peer updates three times: an event each, with the packet that
 * opened the new phase; a reordered packet of the previous phase is none
 */
TEST_F(trace, rx_key_update)
{
	struct tr_test *t = &self->t;
	uint32_t c = handle(t, 3);
	const uint8_t update = QUIC_ULP_RX_KEY_UPDATE;
	const uint8_t phase = QUIC_ULP_RX_KEY_PHASE;
	struct tlog log;

	add_conn(_metadata, t, c, false, true);
	rx_good(_metadata, t, c, 0, 0, 0, 0);
	rx_good(_metadata, t, c, 0, 2, 0, 0);
	wait_next_key(_metadata, t, c);
	rx_good(_metadata, t, c, 1, 5, 0, phase | update);
	rx_good(_metadata, t, c, 0, 3, 0, QUIC_ULP_RX_OLD_KEY);
	rx_good(_metadata, t, c, 1, 6, 0, phase);
	wait_next_key(_metadata, t, c);
	rx_good(_metadata, t, c, 2, 10, 0, update);
	wait_next_key(_metadata, t, c);
	rx_good(_metadata, t, c, 3, 20, 0, phase | update);
	rx_good(_metadata, t, c, 3, 21, 0, phase);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 0, 0, 3, 0, 0);
	expect_update(_metadata, &log, 0, c, DIR_RX, 1, 5);
	expect_update(_metadata, &log, 1, c, DIR_RX, 2, 10);
	expect_update(_metadata, &log, 2, c, DIR_RX, 3, 20);
	tlog_free(&log);
}

/* --- quic_ulp_old_keys_discarded ---------------------------------------- */

/*
 * QUIC_ULP_DISCARD_OLD_KEY: an event per direction that held previous
 * keys, with their generation; none for a direction without any.
 */
TEST_F(trace, old_keys_discarded)
{
	struct tr_test *t = &self->t;
	uint32_t c = handle(t, 4);
	const struct tev *e;
	struct tlog log;
	long long dir;

	add_conn(_metadata, t, c, true, true);
	tx_good(_metadata, t, c, 0, 0);
	tx_good(_metadata, t, c, 1, 1);
	rx_good(_metadata, t, c, 0, 0, 0, 0);
	wait_next_key(_metadata, t, c);
	rx_good(_metadata, t, c, 1, 1, 0,
		QUIC_ULP_RX_KEY_PHASE | QUIC_ULP_RX_KEY_UPDATE);

	ASSERT_EQ(quic_discard_old(t->ulp, c, QUIC_ULP_DIR_TX), 0);
	/* nothing left to discard */
	ASSERT_EQ(quic_discard_old(t->ulp, c, QUIC_ULP_DIR_TX), 0);
	ASSERT_EQ(quic_discard_old(t->ulp, c, QUIC_ULP_DIR_RX), 0);

	tx_good(_metadata, t, c, 2, 2);
	wait_next_key(_metadata, t, c);
	rx_good(_metadata, t, c, 2, 2, 0, QUIC_ULP_RX_KEY_UPDATE);
	ASSERT_EQ(quic_discard_old(t->ulp, c,
				   QUIC_ULP_DIR_TX | QUIC_ULP_DIR_RX), 0);
	tx_good(_metadata, t, c, 2, 3);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 0, 0, 4, 4, 0);
	expect_update(_metadata, &log, 0, c, DIR_TX, 1, 1);
	expect_update(_metadata, &log, 1, c, DIR_RX, 1, 1);
	expect_update(_metadata, &log, 2, c, DIR_TX, 2, 2);
	expect_update(_metadata, &log, 3, c, DIR_RX, 2, 2);
	expect_discarded(_metadata, &log, 0, c, DIR_TX, 0);
	expect_discarded(_metadata, &log, 1, c, DIR_RX, 0);
	/* both directions in one call: one event each, in either order */
	e = nth(&log, EV_DISCARDED, 2, true);
	ASSERT_TRUE(tev_num(e, "dir", &dir));
	ASSERT_TRUE(dir == DIR_TX || dir == DIR_RX);
	expect_discarded(_metadata, &log, 2, c, dir, 1);
	expect_discarded(_metadata, &log, 3, c,
			 dir == DIR_TX ? DIR_RX : DIR_TX, 1);
	tlog_free(&log);
}

/* --- quic_ulp_limit_reached --------------------------------------------- */

static bool full_run(void)
{
	const char *v = getenv("QUIC_LIMITS_FULL");

	if (v && *v)
		return strcmp(v, "0");
	return quic_long_run();
}

/* The limit tests' connection: AES-128-CCM, whose limits are smallest */
static void limit_conn(struct __test_metadata *_metadata, struct tr_test *t,
		       uint32_t conn, bool rx, struct quic_ref_key *key)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	size_t len = quic_ref_secret_len(LIMIT_CIPHER);

	quic_random(secret, len);
	ASSERT_EQ(quic_ref_key_init(key, LIMIT_CIPHER, secret, len), 0);
	ASSERT_EQ(quic_set_key(t->ulp, rx, conn, LIMIT_CIPHER, secret, 0, 0),
		  0);
	if (rx)
		ASSERT_EQ(quic_cid(t->ulp, true, conn, QUIC_ULP_DIR_RX, t->cid,
				   CID_LEN, NULL), 0);
	memset(secret, 0, sizeof(secret));
}

/*
 * The confidentiality limit: the send after the last packet the keys may
 * seal is refused with -EKEYEXPIRED, and the limit is an event, once;
 * the next generation is an update like any other.
 */
TEST_F_TIMEOUT(trace, limit_tx, 1700)
{
	struct tr_test *t = &self->t;
	uint8_t batch[BATCH * PKT_LEN];
	struct quic_ulp_tx_info recs[BATCH];
	struct sockaddr_storage sink;
	uint32_t c = handle(t, 5);
	struct quic_ref_key key;
	socklen_t sink_len;
	struct tlog log;
	uint64_t pn = 0;
	size_t n, i;
	int fd;

	if (!full_run())
		SKIP(return, "about 3 million packets: QUIC_SELFTEST_LONG=1 runs it");
	if (t->family != AF_INET)
		SKIP(return, "the limits are the same over IPv6");
	/* A port of the peer's nobody listens on */
	fd = quic_udp_socket(t->family, true, &sink, &sink_len);
	ASSERT_GE(fd, 0);
	close(fd);
	limit_conn(_metadata, t, c, false, &key);

	while (pn < LIMIT) {
		n = LIMIT - pn < BATCH ? LIMIT - pn : BATCH;
		for (i = 0; i < n; i++) {
			quic_build(batch + i * PKT_LEN, PKT_LEN, t->cid, CID_LEN,
				   pn + i, PN_LEN, false, (uint8_t)i);
			recs[i] = quic_tx_rec(c, pn + i, 0, CID_LEN);
		}
		ASSERT_EQ(quic_send_tx(t->ulp, batch, n * PKT_LEN,
				       n > 1 ? PKT_LEN : 0, &sink, recs, n),
			  (ssize_t)(n * PKT_LEN))
			TH_LOG("packet %llu: %s", (unsigned long long)pn,
			       strerror(errno));
		pn += n;
	}
	errno = 0;
	EXPECT_EQ(ulp_send(t, c, 0, pn, &sink), -1);
	EXPECT_EQ(errno, EKEYEXPIRED);
	EXPECT_EQ(ulp_send(t, c, 1, pn + 1, &sink), PKT_LEN);
	quic_ref_key_free(&key);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 1, 0, 1, 0, 1);
	expect_limit(_metadata, &log, 0, c, DIR_TX, 0, LIMIT);
	expect_refused(_metadata, &log, 0, c, true, -EKEYEXPIRED);
	expect_update(_metadata, &log, 0, c, DIR_TX, 1, pn + 1);
	tlog_free(&log);
}

static uint64_t rx_failures(struct __test_metadata *_metadata,
			    struct tr_test *t, uint32_t conn, bool settle)
{
	struct quic_ulp_conn_info info;

	/* Once a marker sent after them arrived, every forgery was seen */
	if (settle)
		EXPECT_EQ(quic_sync(t->peer, NULL, t->ulp, TIMEOUT_MS, NULL, 0,
				    NULL), 0);
	EXPECT_EQ(quic_conn_info(t->ulp, conn, &info), 0);
	return info.rx.auth_failures;
}

/*
 * The integrity limit: the forgery that reaches it is an event, once;
 * what comes after it is dropped without another. Its failures are not
 * traced here (millions of them): that event is disabled.
 */
TEST_F_TIMEOUT(trace, limit_rx, 1700)
{
	struct tr_test *t = &self->t;
	uint8_t batch[BATCH * PKT_LEN];
	uint32_t c = handle(t, 6);
	struct quic_ref_key key;
	uint64_t have;
	struct tlog log;
	int one = 1;
	size_t n, i;

	if (!full_run())
		SKIP(return, "about 3 million packets: QUIC_SELFTEST_LONG=1 runs it");
	if (t->family != AF_INET)
		SKIP(return, "the limits are the same over IPv6");
	enable(_metadata, t, EV_RX_AUTH, false);
	limit_conn(_metadata, t, c, true, &key);
	ASSERT_EQ(setsockopt(t->ulp, SOL_UDP, UDP_GRO, &one, sizeof(one)), 0);

	/* Packets 1 to 64, a bit of each tag flipped, over and over */
	for (i = 0; i < BATCH; i++) {
		quic_build(batch + i * PKT_LEN, PKT_LEN, t->cid, CID_LEN, 1 + i,
			   PN_LEN, false, (uint8_t)i);
		ASSERT_EQ(quic_ref_protect(&key, batch + i * PKT_LEN, PKT_LEN,
					   CID_LEN, 1 + i), 0);
		batch[(i + 1) * PKT_LEN - 1] ^= 0x01;
	}
	for (;;) {
		have = rx_failures(_metadata, t, c, false);
		if (have + SLACK >= LIMIT)
			have = rx_failures(_metadata, t, c, true);
		ASSERT_LE(have, LIMIT);
		if (have == LIMIT)
			break;
		n = LIMIT - have < BATCH ? LIMIT - have : BATCH;
		ASSERT_EQ(quic_send(t->peer, batch, n * PKT_LEN,
				    n > 1 ? PKT_LEN : 0, NULL),
			  (ssize_t)(n * PKT_LEN));
	}
	/* More of them, past the limit */
	ASSERT_EQ(quic_send(t->peer, batch, sizeof(batch), PKT_LEN, NULL),
		  (ssize_t)sizeof(batch));
	EXPECT_EQ(quic_sync(t->peer, NULL, t->ulp, TIMEOUT_MS, NULL, 0, NULL),
		  0);
	quic_ref_key_free(&key);

	collect(_metadata, t, &log);
	expect_counts(_metadata, &log, 0, 0, 0, 0, 1);
	expect_limit(_metadata, &log, 0, c, DIR_RX, 0, LIMIT);
	tlog_free(&log);
}

int main(int argc, char **argv)
{
	int ret;

	if (tracefs_find())
		ksft_exit_skip("no tracefs (a kernel without CONFIG_FTRACE?)\n");
	if (!exists(tracefs, "instances") || !exists(tracefs, "events")) {
		tracefs_release();
		ksft_exit_skip("tracefs at %s has no instances or no events\n",
			       tracefs);
	}
	ret = quic_topo_main(argc, argv, test_harness_run);
	sweep_instances();
	tracefs_release();
	return ret;
}
