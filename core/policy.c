/*
 * policy.c -- see policy.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "db.h"
#include "policy.h"
#include "target.h"
#include "xmalloc.h"

struct last {
	int		 found;
	int		 port;		/* 0: any port */
	const int	*ports;		/* or only these (nports) */
	int		 nports;
	int		 first;		/* stop at the first run found */
	int64_t		 id, finished, any_finished;
	char		 verdict[32];
};

static int
port_in(const int *ports, int n, int port)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

/* The newest finished run (on the port(s) asked about) decides;
 * any_finished is the time of the newest finished run of any verdict. */
static int
last_cb(const struct probe *p, void *arg)
{
	struct last	*l = arg;

	if (p->finished == 0 || p->verdict == NULL)
		return 0;
	if (l->port != 0 && p->port != l->port)
		return 0;
	if (l->ports != NULL && !port_in(l->ports, l->nports, p->port))
		return 0;
	if (p->finished > l->any_finished)
		l->any_finished = p->finished;
	if (l->found)
		return 0;
	l->found = 1;
	l->id = p->id;
	l->finished = p->finished;
	orbl_strlcpy(l->verdict, p->verdict, sizeof(l->verdict));
	return l->first;
}

static int
conclusive(const char *v)
{
	return strcmp(v, "tempfail") && strcmp(v, "unreachable") &&
	    strcmp(v, "timeout");
}

int
policy_port_public(const struct conf *c, int port)
{
	return port_in(c->probe_ports, c->nprobe_ports, port);
}

int
policy_recent_verdict(const struct conf *c, struct db *db, const char *addr,
    int port, int64_t now, struct policy_submit *out)
{
	struct last	 last;
	int64_t		 stands;

	memset(&last, 0, sizeof(last));
	last.port = port;
	last.first = 1;
	/* Every run of addr, newest first, up to the first on port: a
	 * window of the newest runs on any port would let runs on other
	 * ports push this port's verdict out of sight. */
	if (db_probe_foreach_addr(db, addr, 0, last_cb, &last) == -1)
		return -1;
	if (!last.found)
		return 0;
	/* A conclusive verdict stands for retest_interval; an inconclusive
	 * one for tempfail_retry (resubmitting cannot hammer a server). */
	stands = conclusive(last.verdict) ? c->retest_interval :
	    c->tempfail_retry;
	if (now - last.finished >= stands)
		return 0;
	out->last_probe = last.id;
	out->last_finished = last.finished;
	orbl_strlcpy(out->last_verdict, last.verdict,
	    sizeof(out->last_verdict));
	return 1;
}

int
policy_submit(const struct conf *c, struct db *db, const char *text,
    int port, const char *submitter, const char *client, const char *actor,
    int flags, int64_t now, struct policy_submit *out, char *err,
    size_t errlen)
{
	struct addr	 a;
	int64_t		 n;
	int		 force = (flags & POLICY_FORCE) != 0;

	memset(out, 0, sizeof(*out));
	if (target_check(c, text, &a, err, errlen) == -1)
		return POLICY_REFUSED;
	if (port < 1 || port > 65535) {
		snprintf(err, errlen, "port %d: out of range", port);
		return POLICY_REFUSED;
	}
	if (!(flags & POLICY_OPERATOR) && !policy_port_public(c, port)) {
		snprintf(err, errlen, "port %d is not one that orbl tests "
		    "(ports: %s)", port, policy_ports_text(c));
		return POLICY_REFUSED;
	}
	addr_format_ip(&a, out->addr, sizeof(out->addr));
	if (db_submission_count_since(db, submitter, now - 3600, &n) == -1) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		return POLICY_ERROR;
	}
	if (!force && n >= c->submit_limit) {
		snprintf(err, errlen, "%s submitted %lld servers in the last "
		    "hour (the limit is %lld): try again later", submitter ?
		    submitter : "this submitter", (long long)n, c->submit_limit);
		return POLICY_LIMITED;
	}
	if (!force) {
		switch (policy_recent_verdict(c, db, out->addr, port, now,
		    out)) {
		case -1:
			snprintf(err, errlen, "%s", db_errmsg(db));
			return POLICY_ERROR;
		case 1:
			return POLICY_OK;	/* not queued: it stands */
		}
	}
	if (db_submission_add(db, out->addr, port, submitter, client, actor,
	    &out->submission_id) == -1) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		return POLICY_ERROR;
	}
	out->queued = 1;
	return POLICY_OK;
}

const char *
policy_ports_text(const struct conf *c)
{
	static char	 buf[CONF_MAX_LIST * 7];
	size_t		 n = 0;
	int		 i;

	buf[0] = '\0';
	for (i = 0; i < c->nprobe_ports && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%d",
		    i ? ", " : "", c->probe_ports[i]);
	return buf;
}

/* The network of a for the politeness limit (prefix_len4/6). */
void
policy_politeness_net(const struct conf *c, const struct addr *a,
    struct addr *net)
{
	int	 len = a->family == 4 ? (int)c->prefix_len4 :
	    (int)c->prefix_len6;
	int	 max = a->family == 4 ? 32 : 128, i;

	*net = *a;
	if (len < 0 || len > max)
		len = max;
	net->prefix = (uint8_t)len;
	for (i = len; i < max; i++)
		net->a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

int
policy_politeness(const struct conf *c, struct db *db, const char *addr,
    int64_t now)
{
	struct addr	 a, net;
	char		 err[128];
	int64_t		 n;

	if (addr_parse(addr, &a, err, sizeof(err)) == -1)
		return 0;
	policy_politeness_net(c, &a, &net);
	if (db_probe_count_net_since(db, &net, now - 3600, &n) == -1)
		return -1;
	return n >= c->prefix_limit ? 1 : 0;
}

int
policy_contact_ok(const char *s)
{
	const char	*at = strrchr(s, '@');
	size_t		 n = strlen(s);

	if (n == 0 || n > POLICY_CONTACT_MAX || at == NULL || at == s ||
	    at[1] == '\0' || strchr(at + 1, '.') == NULL ||
	    at[strlen(at) - 1] == '.')
		return 0;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s) || *s == '<' || *s == '>' ||
		    *s == '"' || *s == '\\' || *s == ',' || *s == ';')
			return 0;
	return 1;
}

static int
probe_listing_cb(const struct listing *l, void *arg)
{
	int	*probe = arg;

	*probe = !l->exclude && l->source && strcmp(l->source, "probe") == 0;
	return 0;
}

/* policy_delist_request's decision, inside its transaction. */
static int
request_tx(const struct conf *c, struct db *db, const struct addr *a,
    const char *contact, const char *note, const char *actor, int64_t now,
    struct policy_request *out, char *err, size_t errlen)
{
	struct last	 last;
	int		 ports[POLICY_PORTS_MAX], nports = 0, probe_listed = 0;

	/* Only a listing made by a test can be removed by a re-test: no
	 * test for an address that is not listed that way (it would only
	 * spend politeness on a server nobody needs tested). */
	if (db_evidence_ports(db, out->addr, ports, POLICY_PORTS_MAX,
	    &nports) == -1 || (nports == 0 &&
	    db_listing_get(db, a, probe_listing_cb, &probe_listed) == -1)) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		return POLICY_ERROR;
	}
	if (nports == 0 && !probe_listed) {
		snprintf(err, errlen, "%s is not listed by a relay test: a "
		    "re-test cannot change its listing (if orbl lists it, the "
		    "entry is the operator's: the lookup says why)", out->addr);
		return POLICY_REFUSED;
	}
	/* One re-test per address per retest_interval, counted from the
	 * runs on the evidence's ports only: a run somebody else asked for
	 * on another port does not delay the owner.  A request inside it
	 * is taken, and waits. */
	memset(&last, 0, sizeof(last));
	if (nports > 0) {
		last.ports = ports;
		last.nports = nports;
	}
	/* All runs: the last one on the evidence's ports may be older than
	 * any number of runs on other ports. */
	if (db_probe_foreach_addr(db, out->addr, 0, last_cb, &last) == -1) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		return POLICY_ERROR;
	}
	if (last.any_finished + c->retest_interval > now)
		out->not_before = last.any_finished + c->retest_interval;
	if (db_request_add(db, out->addr, contact, note, out->not_before,
	    (int)c->request_contact_limit, actor, &out->id,
	    &out->existing) == -1) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		/* The contact cap is a limit, the rest database trouble. */
		return strstr(err, "open requests") ? POLICY_LIMITED :
		    POLICY_ERROR;
	}
	if (out->existing)
		out->not_before = 0;
	return POLICY_OK;
}

int
policy_delist_request(const struct conf *c, struct db *db, const char *text,
    const char *contact, const char *note, const char *actor, int64_t now,
    struct policy_request *out, char *err, size_t errlen)
{
	struct addr	 a;
	char		 why[128];
	int		 rc;

	memset(out, 0, sizeof(*out));
	if (!policy_contact_ok(contact)) {
		snprintf(err, errlen, "%s: not a mail address", contact);
		return POLICY_REFUSED;
	}
	if (note && strlen(note) > POLICY_NOTE_MAX) {
		snprintf(err, errlen, "the note is longer than %d characters",
		    POLICY_NOTE_MAX);
		return POLICY_REFUSED;
	}
	if (addr_parse(text, &a, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s", why);
		return POLICY_REFUSED;
	}
	if (!addr_is_single(&a)) {
		snprintf(err, errlen, "%s: give one address, not a range",
		    text);
		return POLICY_REFUSED;
	}
	addr_format_ip(&a, out->addr, sizeof(out->addr));
	/* The check and the insert in one transaction: a re-test that
	 * delists the address meanwhile cannot slip between them. */
	if (db_begin(db) == -1) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		return POLICY_ERROR;
	}
	rc = request_tx(c, db, &a, contact, note, actor, now, out, err,
	    errlen);
	if (rc == POLICY_OK && db_commit(db) == 0)
		return POLICY_OK;
	if (rc == POLICY_OK) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		rc = POLICY_ERROR;
	}
	db_rollback(db);
	return rc;
}

struct open_req {
	int64_t	 ids[64];
	int	 n;
};

static int
open_req_cb(const struct delist_request *r, void *arg)
{
	struct open_req	*o = arg;

	if (o->n < 64 && (strcmp(r->state, "pending") == 0 ||
	    strcmp(r->state, "retesting") == 0))
		o->ids[o->n++] = r->id;
	return 0;
}

int
policy_operator_remove(struct db *db, const struct addr *net,
    const char *actor, const char *why, int64_t *answered, int max,
    int *nanswered)
{
	struct open_req	 o;
	char		 cidr[ADDR_STRLEN], decision[400];
	int		 i, rc;

	*nanswered = 0;
	memset(&o, 0, sizeof(o));
	addr_format(net, cidr, sizeof(cidr));
	if (db_begin(db) == -1)
		return -1;
	if ((rc = db_listing_remove(db, net, actor, why)) != 0 ||
	    (rc = db_request_foreach(db, NULL, cidr, open_req_cb, &o)) != 0) {
		db_rollback(db);
		return rc;
	}
	snprintf(decision, sizeof(decision), "removed by the operator (%s): "
	    "%s", actor, why);
	for (i = 0; i < o.n; i++) {
		if (db_request_set(db, o.ids[i], "delisted", 0, 0, decision,
		    actor) != 0) {
			db_rollback(db);
			return -1;
		}
		if (*nanswered < max)
			answered[(*nanswered)++] = o.ids[i];
	}
	if (db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	return 0;
}
