/*
 * cmd_zone.c -- export the list as a DNS master zone file (NSD, Knot, BIND).
 *
 * The records below the apex come from core/zone_render.c, the code
 * orbl-dnsd's AXFR and IXFR send (how ranges become wildcards and what
 * RFC 4592 asks of them is explained there).  This file writes the text:
 * the header (SOA, NS, and the A/AAAA of the NS names inside the zone,
 * which orbl-dnsd answers from the `ns` key) and each rendered record as
 * a line, the TXT quoted and split in 255-byte strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"
#include "db.h"
#include "fmt.h"
#include "progress.h"
#include "xmalloc.h"
#include "zone_render.h"

_Static_assert(sizeof(CTL_EXCLUDED_TXT) == sizeof(ZR_EXCLUDED_TXT),
    "the zone's \"not listed\" TXT is the renderer's");

struct zw {
	FILE		*f;
	struct zr	*zr;
	struct progress	*pg;
	size_t		 nload;		/* entries read */
	size_t		 nrecords;	/* records written */
	int		 bad;		/* an entry zr_add refused */
};

static int
zw_load_cb(const struct listing *l, void *arg)
{
	struct zw	*w = arg;

	w->nload++;
	progress_step(w->pg, w->nload, w->nload);
	if (zr_add(w->zr, &l->net, l->exclude, l->code, l->reason) == -1)
		w->bad++;
	return 0;
}

/* One record as a line: "name A 127.0.0.x" or "name TXT "..." "..."". */
static int
zw_emit(const struct zr_rr *rr, void *arg)
{
	struct zw	*w = arg;
	char		 line[ZR_LABELS_MAX * 4 + 5 * ZR_TXT_MAX + 64];
	char		 code[32];
	size_t		 o = 0, i, l;
	unsigned char	 c;
	int		 k;

	for (k = 0; k < rr->nlabels; k++) {
		l = strlen(rr->label[k]);
		if (k > 0)
			line[o++] = '.';
		memcpy(line + o, rr->label[k], l);
		o += l;
	}
	if (rr->type == ZR_TYPE_A) {
		o += (size_t)snprintf(line + o, sizeof(line) - o, " A %s\n",
		    fmt_code(rr->a, code, sizeof(code)));
	} else {
		memcpy(line + o, " TXT \"", 6);
		o += 6;
		for (i = 0; i < rr->txtlen && i < ZR_TXT_MAX; i++) {
			c = (unsigned char)rr->txt[i];
			if (i > 0 && i % 255 == 0) {
				memcpy(line + o, "\" \"", 3);
				o += 3;
			}
			if (c == '"' || c == '\\') {
				line[o++] = '\\';
				line[o++] = (char)c;
			} else if (c < 0x20 || c >= 0x7f)
				o += (size_t)snprintf(line + o,
				    sizeof(line) - o, "\\%03u", c);
			else
				line[o++] = (char)c;
		}
		line[o++] = '"';
		line[o++] = '\n';
	}
	fwrite(line, 1, o, w->f);
	w->nrecords++;
	progress_step(w->pg, w->nrecords, 0);
	return 0;
}

static void
fqdn(char *buf, size_t len, const char *name, const char *dflt,
    const char *zone)
{
	if (name == NULL || *name == '\0')
		snprintf(buf, len, "%s.%s.", dflt, zone);
	else
		snprintf(buf, len, "%s%s", name,
		    name[strlen(name) - 1] == '.' ? "" : ".");
}

/* The NAME of an `ns` value "NAME [ADDR...]" (empty: none). */
static void
ns_name(const char *v, char *buf, size_t len)
{
	size_t	 n;

	v += strspn(v, " \t");
	n = strcspn(v, " \t");
	snprintf(buf, len, "%.*s", (int)n, v);
}

/* Is the fully qualified name fq the zone's apex or below it? */
static int
in_zone(const char *fq, const char *zone)
{
	size_t	 fl = strlen(fq), zl = strlen(zone);

	if (zl > 0 && zone[zl - 1] == '.')
		zl--;
	if (fl < zl + 1 || strncasecmp(fq + fl - zl - 1, zone, zl) != 0)
		return 0;
	return fl == zl + 1 || fq[fl - zl - 2] == '.';
}

/*
 * The addresses of the `ns` names inside the zone, as orbl-dnsd answers
 * them (the first value for a name wins).  Returns 0, or -1 on a bad
 * address.
 */
static int
put_ns_hosts(FILE *f, const struct conf *c, const char *zone)
{
	char		 name[300], other[300], fq[300], *copy, *p, *word;
	char		 ip[ADDR_STRLEN], err[128];
	struct addr	 a;
	int		 i, j, dup;

	for (i = 0; i < c->nns; i++) {
		ns_name(c->ns[i], name, sizeof(name));
		for (j = 0, dup = 0; j < i && !dup; j++) {
			ns_name(c->ns[j], other, sizeof(other));
			dup = strcasecmp(name, other) == 0;
		}
		if (dup || *name == '\0')
			continue;
		fqdn(fq, sizeof(fq), name, "ns", zone);
		copy = xstrdup(c->ns[i]);
		p = copy;
		word = strsep(&p, " \t");	/* the name */
		while (word != NULL && (word = strsep(&p, " \t")) != NULL) {
			if (*word == '\0')
				continue;
			if (addr_parse(word, &a, err, sizeof(err)) == -1 ||
			    !addr_is_single(&a)) {
				ctl_err("ns %s: '%s' is not an IPv4 or IPv6 "
				    "address", name, word);
				free(copy);
				return -1;
			}
			if (in_zone(fq, zone))
				fprintf(f, "%s %s %s\n", fq, a.family == 4 ?
				    "A" : "AAAA", addr_format_ip(&a, ip,
				    sizeof(ip)));
		}
		free(copy);
	}
	return 0;
}

int
zone_export(struct ctl *ctl, struct db *db, const char *zone, FILE *f,
    struct progress *pg, uint64_t total)
{
	const struct conf	*c = &ctl->conf;
	struct zw		 w;
	char			 mname[300], rname[300], ns[300], name[300];
	char			 t[32];
	uint8_t			 none[ZR_TOPS];
	uint32_t		 serial;
	size_t			 iv4, iv6;
	int			 i, rc;

	memset(&w, 0, sizeof(w));
	w.f = f;
	w.pg = pg;
	w.zr = zr_new(c->default_reason);
	progress_phase(pg, "reading the list", "entries", total, 0, 0);
	if (db_serial(db, &serial) == -1 ||
	    db_listing_foreach(db, DB_ACTIVE, ctl->now, zw_load_cb, &w) != 0) {
		ctl_err("%s", db_errmsg(db));
		zr_free(w.zr);
		return -1;
	}
	if (w.bad > 0) {
		ctl_err("%d malformed entries in the database", w.bad);
		zr_free(w.zr);
		return -1;
	}
	/* The first render sorts the entries into answer intervals: a
	 * render of no top at all does that while "reading the list". */
	memset(none, 0, sizeof(none));
	zr_render(w.zr, none, zw_emit, &w);

	if (c->soa_mname[0] == '\0' && c->nns > 0)
		ns_name(c->ns[0], name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%s", c->soa_mname);
	fqdn(mname, sizeof(mname), name, "ns", zone);
	fqdn(rname, sizeof(rname), c->soa_rname, "hostmaster", zone);
	fprintf(f, "; orbl zone export: %s, serial %u, %s\n", zone, serial,
	    fmt_time_iso(ctl->now, t, sizeof(t)));
	fprintf(f, "$ORIGIN %s.\n$TTL %lld\n", zone, c->ttl);
	fprintf(f, "@ SOA %s %s %u %lld %lld %lld %lld\n", mname, rname, serial,
	    c->soa_refresh, c->soa_retry, c->soa_expire, c->neg_ttl);
	for (i = 0; i < c->nns; i++) {
		ns_name(c->ns[i], name, sizeof(name));
		fqdn(ns, sizeof(ns), name, "ns", zone);
		fprintf(f, "@ NS %s\n", ns);
	}
	if (c->nns == 0) {
		fqdn(ns, sizeof(ns), NULL, "ns", zone);
		fprintf(f, "@ NS %s\n", ns);
	}
	if (put_ns_hosts(f, c, zone) == -1) {
		zr_free(w.zr);
		return -1;
	}
	/* A fresh line: the first frame of the new phase is not padded
	 * over the longer one of the last. */
	progress_clear(pg);
	progress_phase(pg, "writing the zone", "records", 0, 0, 0);
	rc = zr_render(w.zr, NULL, zw_emit, &w);
	zr_counts(w.zr, NULL, &iv4, &iv6);
	fprintf(f, "; %zu records for %zu IPv4 and %zu IPv6 answer ranges\n",
	    w.nrecords, iv4, iv6);
	zr_free(w.zr);
	if (rc != 0 || ferror(f)) {
		ctl_err("write error");
		return -1;
	}
	return 0;
}
