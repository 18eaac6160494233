/*
 * gen-dataset.c -- deterministic DNSBL benchmark data for `make bench`.
 *
 * From a seed, writes into a directory:
 *   bl.ip4set       rbldnsd ip4set data ($SOA, $NS, $TTL, a ":A:TXT" default
 *                   line, the single addresses, then the CIDR ranges); the
 *                   same file is imported into orbl with
 *                   `orblctl import bl.ip4set --format rbldnsd`
 *   queries.txt     "d.c.b.a.ZONE A|TXT" lines (dnsperf input, blast input)
 *   changes.ip4set  the update batch: addresses listed nowhere else, with
 *                   the code 127.0.0.3 (the reload test imports it)
 *   MANIFEST        key=value lines: parameters, counts, probe names
 * Same arguments and seed give byte-identical files.  Standalone: only libc.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TXT_DEFAULT	"Open relay, see http://bl.example.org/lookup?ip=$"

struct gen_opts {
	const char	*dir;
	const char	*zone;
	uint64_t	 seed;
	long		 ips, cidrs, queries, changes;
	int		 minpfx, maxpfx;
	double		 hit, cidrshare, txt;
	int		 ttl;
};

struct iv {
	uint32_t	 lo, hi;	/* inclusive */
};

/* xoshiro256** seeded by splitmix64: fast, and the same on every host. */
static uint64_t	 rs[4];

static uint64_t
rng_splitmix(uint64_t *x)
{
	uint64_t	 z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rng_seed(uint64_t seed)
{
	int	 i;

	for (i = 0; i < 4; i++)
		rs[i] = rng_splitmix(&seed);
}

static uint64_t
rng_next(void)
{
	uint64_t	 r, t;

	r = rs[1] * 5;
	r = ((r << 7) | (r >> 57)) * 9;
	t = rs[1] << 17;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = (rs[3] << 45) | (rs[3] >> 19);
	return r;
}

static uint32_t
rng_u32(void)
{
	return (uint32_t)(rng_next() >> 32);
}

/* Uniform in [0, 1). */
static double
rng_unit(void)
{
	return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static long
rng_below(long n)
{
	return (long)(rng_unit() * (double)n);
}

/* Globally routable enough: not 0/8, 10/8, 127/8, multicast and above,
 * CGN, link-local, RFC 1918, documentation or benchmark ranges. */
static int
ip_public(uint32_t x)
{
	unsigned	 a = x >> 24, b = (x >> 16) & 255, c = (x >> 8) & 255;

	if (a == 0 || a == 10 || a == 127 || a >= 224)
		return 0;
	if ((a == 100 && b >= 64 && b < 128) || (a == 169 && b == 254) ||
	    (a == 172 && b >= 16 && b < 32) || (a == 192 && b == 168))
		return 0;
	if ((a == 192 && b == 0 && (c == 0 || c == 2)) ||
	    (a == 198 && (b == 18 || b == 19)) ||
	    (a == 198 && b == 51 && c == 100) ||
	    (a == 203 && b == 0 && c == 113))
		return 0;
	return 1;
}

/* Open-addressing set of IPv4 addresses; 0 (never public) marks empty. */
struct ipset {
	uint32_t	*slot;
	size_t		 mask;
};

static void
ipset_init(struct ipset *s, size_t want)
{
	size_t	 n = 1024;

	while (n < want * 2)
		n <<= 1;
	if ((s->slot = calloc(n, sizeof(*s->slot))) == NULL) {
		perror("gen-dataset: calloc");
		exit(1);
	}
	s->mask = n - 1;
}

static size_t
ipset_pos(const struct ipset *s, uint32_t x)
{
	size_t	 i = (size_t)((x * 0x9e3779b1u) ^ (x >> 15)) & s->mask;

	while (s->slot[i] != 0 && s->slot[i] != x)
		i = (i + 1) & s->mask;
	return i;
}

static int
ipset_has(const struct ipset *s, uint32_t x)
{
	return s->slot[ipset_pos(s, x)] == x;
}

/* Returns 1 when added, 0 when it was there already. */
static int
ipset_add(struct ipset *s, uint32_t x)
{
	size_t	 i = ipset_pos(s, x);

	if (s->slot[i] == x)
		return 0;
	s->slot[i] = x;
	return 1;
}

static int
iv_cmp(const void *a, const void *b)
{
	const struct iv	*x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* Is x inside one of the n merged, sorted intervals? */
static int
iv_find(const struct iv *v, size_t n, uint32_t x)
{
	size_t	 lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].hi < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].lo <= x;
}

static FILE *
out_open(const char *dir, const char *name)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "gen-dataset: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static void
out_close(FILE *f, const char *name)
{
	if (ferror(f) || fclose(f) == EOF) {
		fprintf(stderr, "gen-dataset: writing %s failed\n", name);
		exit(1);
	}
}

static void
ip_print(FILE *f, uint32_t x)
{
	fprintf(f, "%u.%u.%u.%u", x >> 24, (x >> 16) & 255, (x >> 8) & 255,
	    x & 255);
}

static void
rev_print(FILE *f, uint32_t x, const char *zone)
{
	fprintf(f, "%u.%u.%u.%u.%s", x & 255, (x >> 8) & 255,
	    (x >> 16) & 255, x >> 24, zone);
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen-dataset -o DIR [-s seed] [-n ips] "
	    "[-m cidrs] [-q queries] [-c changes]\n"
	    "    [-H hit_ratio] [-C cidr_hit_share] [-T txt_ratio] "
	    "[-z zone] [-p minpfx:maxpfx]\n"
	    "defaults: seed 42, 1000000 ips, 10000 cidrs /16../31, "
	    "1000000 queries,\n"
	    "10000 changes, hits 0.10 (0.10 of them in cidrs), txt 0.05, "
	    "zone bl.example.org\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct gen_opts	 o = { NULL, "bl.example.org", 42, 1000000, 10000,
			    1000000, 10000, 16, 31, 0.10, 0.10, 0.05, 2100 };
	struct ipset	 set;
	struct iv	*cv, *mv;
	uint32_t	*singles, *cbase, *chg;
	uint8_t		*cpfx;
	size_t		 nm = 0;
	long		 i, hits = 0, chits = 0, ntxt = 0;
	unsigned long long covered = 0;
	FILE		*f;
	int		 ch;

	while ((ch = getopt(argc, argv, "C:c:H:hm:n:o:p:q:s:T:z:")) != -1) {
		switch (ch) {
		case 'C': o.cidrshare = atof(optarg); break;
		case 'c': o.changes = atol(optarg); break;
		case 'H': o.hit = atof(optarg); break;
		case 'm': o.cidrs = atol(optarg); break;
		case 'n': o.ips = atol(optarg); break;
		case 'o': o.dir = optarg; break;
		case 'p':
			if (sscanf(optarg, "%d:%d", &o.minpfx, &o.maxpfx) != 2)
				usage();
			break;
		case 'q': o.queries = atol(optarg); break;
		case 's': o.seed = strtoull(optarg, NULL, 10); break;
		case 'T': o.txt = atof(optarg); break;
		case 'z': o.zone = optarg; break;
		default: usage();
		}
	}
	if (o.dir == NULL || optind != argc || o.ips < 1 || o.cidrs < 0 ||
	    o.queries < 1 || o.changes < 1 || o.minpfx < 8 ||
	    o.maxpfx > 32 || o.minpfx > o.maxpfx ||
	    o.ips + o.changes > 100000000)
		usage();
	if (mkdir(o.dir, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "gen-dataset: %s: %s\n", o.dir, strerror(errno));
		return 1;
	}
	rng_seed(o.seed);
	ipset_init(&set, (size_t)(o.ips + o.changes));
	singles = calloc((size_t)o.ips, sizeof(*singles));
	chg = calloc((size_t)o.changes, sizeof(*chg));
	cbase = calloc((size_t)o.cidrs + 1, sizeof(*cbase));
	cpfx = calloc((size_t)o.cidrs + 1, 1);
	cv = calloc((size_t)o.cidrs + 1, sizeof(*cv));
	mv = calloc((size_t)o.cidrs + 1, sizeof(*mv));
	if (!singles || !chg || !cbase || !cpfx || !cv || !mv) {
		perror("gen-dataset: calloc");
		return 1;
	}

	/* Single addresses, unique, in generation order. */
	for (i = 0; i < o.ips; ) {
		uint32_t x = rng_u32();

		if (ip_public(x) && ipset_add(&set, x))
			singles[i++] = x;
	}
	/* Network-aligned ranges, unique (by base and length), public at
	 * both ends. */
	for (i = 0; i < o.cidrs; ) {
		int	 p = o.minpfx + (int)rng_below(o.maxpfx - o.minpfx + 1);
		uint32_t mask = p == 32 ? ~0u : ~(~0u >> p);
		uint32_t b = rng_u32() & mask;
		long	 j;

		if (!ip_public(b) || !ip_public(b | ~mask))
			continue;
		for (j = 0; j < i; j++)
			if (cbase[j] == b && cpfx[j] == p)
				break;
		if (j < i)
			continue;
		cbase[i] = b;
		cpfx[i] = (uint8_t)p;
		cv[i].lo = b;
		cv[i].hi = b | ~mask;
		i++;
	}
	qsort(cv, (size_t)o.cidrs, sizeof(*cv), iv_cmp);
	for (i = 0; i < o.cidrs; i++) {
		if (nm > 0 && (uint64_t)cv[i].lo <= (uint64_t)mv[nm - 1].hi + 1) {
			if (cv[i].hi > mv[nm - 1].hi)
				mv[nm - 1].hi = cv[i].hi;
		} else
			mv[nm++] = cv[i];
	}
	for (i = 0; i < (long)nm; i++)
		covered += (unsigned long long)(mv[i].hi - mv[i].lo) + 1;
	/* The update batch: listed nowhere yet, outside every range. */
	for (i = 0; i < o.changes; ) {
		uint32_t x = rng_u32();

		if (ip_public(x) && !iv_find(mv, nm, x) && ipset_add(&set, x))
			chg[i++] = x;
	}

	f = out_open(o.dir, "bl.ip4set");
	fprintf(f, "# gen-dataset seed=%llu ips=%ld cidrs=%ld\n",
	    (unsigned long long)o.seed, o.ips, o.cidrs);
	fprintf(f, "$SOA %d ns1.example.org. hostmaster.example.org. 1 3600 "
	    "600 604800 %d\n$NS %d ns1.example.org.\n$TTL %d\n:127.0.0.2:%s\n",
	    o.ttl, o.ttl, o.ttl, o.ttl, TXT_DEFAULT);
	for (i = 0; i < o.ips; i++) {
		ip_print(f, singles[i]);
		fputc('\n', f);
	}
	for (i = 0; i < o.cidrs; i++) {
		ip_print(f, cbase[i]);
		fprintf(f, "/%d\n", cpfx[i]);
	}
	out_close(f, "bl.ip4set");

	f = out_open(o.dir, "changes.ip4set");
	fprintf(f, "# gen-dataset update batch: %ld new listings\n"
	    ":127.0.0.3:Changed listing, see $\n", o.changes);
	for (i = 0; i < o.changes; i++) {
		ip_print(f, chg[i]);
		fputc('\n', f);
	}
	out_close(f, "changes.ip4set");

	f = out_open(o.dir, "queries.txt");
	for (i = 0; i < o.queries; i++) {
		uint32_t x;

		if (rng_unit() < o.hit) {
			hits++;
			if (o.cidrs > 0 && rng_unit() < o.cidrshare) {
				long k = rng_below(o.cidrs);
				uint32_t host = cpfx[k] == 32 ? 0 :
				    ~0u >> cpfx[k];

				x = cbase[k] | (rng_u32() & host);
				chits++;
			} else
				x = singles[rng_below(o.ips)];
		} else {
			do
				x = rng_u32();
			while (!ip_public(x) || ipset_has(&set, x) ||
			    iv_find(mv, nm, x));
		}
		rev_print(f, x, o.zone);
		if (rng_unit() < o.txt) {
			ntxt++;
			fputs(" TXT\n", f);
		} else
			fputs(" A\n", f);
	}
	out_close(f, "queries.txt");

	f = out_open(o.dir, "MANIFEST");
	fprintf(f, "seed=%llu\nips=%ld\ncidrs=%ld\nprefix=%d..%d\n"
	    "queries=%ld\nhits=%ld\ncidr_hits=%ld\ntxt=%ld\nchanges=%ld\n"
	    "covered_by_cidrs=%llu\nzone=%s\n", (unsigned long long)o.seed,
	    o.ips, o.cidrs, o.minpfx, o.maxpfx, o.queries, hits, chits, ntxt,
	    o.changes, covered, o.zone);
	fputs("listed_probe=", f);
	rev_print(f, singles[0], o.zone);
	fputs("\nchange_probe=", f);
	rev_print(f, chg[o.changes - 1], o.zone);
	fputc('\n', f);
	out_close(f, "MANIFEST");
	fprintf(stderr, "gen-dataset: %s: %ld ips, %ld cidrs, %ld queries "
	    "(%ld hits, %ld in cidrs, %ld TXT), %ld changes\n", o.dir, o.ips,
	    o.cidrs, o.queries, hits, chits, ntxt, o.changes);
	free(singles);
	free(chg);
	free(cbase);
	free(cpfx);
	free(cv);
	free(mv);
	free(set.slot);
	return 0;
}
