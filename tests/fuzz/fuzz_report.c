/*
 * fuzz_report.c -- libFuzzer target for the spam report parser
 * (probe/report.c: what a stranger's mail to the report mailbox makes
 * orbl-prober read).  The whole input is a report, read with the
 * connecting address and a trusted network chosen by its first byte; it
 * is read again with every hop trusted.  Checked: the status is one of
 * the five; a candidate is a single address that addr_parse takes, its
 * hop lies inside the walk, and the walk's counts add up (every hop above
 * the candidate was skipped, and counted once); with everything trusted
 * no candidate is found and the same hops are walked; every string is
 * terminated within its buffer.  The whole input is also one Received
 * value for report_hop_parse, and keys for the hourly counters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "report.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const peers[] = {
	"192.0.2.7", "198.51.100.5", "2001:db8::25", "127.0.0.1", NULL
};
static const char *const nets[] = {
	"198.51.100.0/24", "2001:db8::/32", "10.0.0.0/8", "0.0.0.0/32"
};

static void
terminated(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
}

static void
check(const struct report *r)
{
	struct addr	 a;
	char		 err[128];

	terminated(r->addr, sizeof(r->addr));
	terminated(r->by, sizeof(r->by));
	if (r->nhops < 0 || r->nhops > REPORT_HOPS_MAX || r->trusted < 0 ||
	    r->noaddr < 0)
		abort();
	switch (r->status) {
	case REPORT_FOUND:
		if (addr_parse(r->addr, &a, err, sizeof(err)) == -1 ||
		    !addr_is_single(&a) || r->hop < 1 || r->hop != r->nhops ||
		    r->trusted + r->noaddr != r->hop - 1 ||
		    r->where == REPORT_NONE)
			abort();
		break;
	case REPORT_ALL_TRUSTED:
	case REPORT_NO_RECEIVED:
		if (r->addr[0] != '\0' || r->hop != 0 ||
		    r->trusted + r->noaddr != r->nhops ||
		    (r->status == REPORT_NO_RECEIVED) != (r->nhops == 0) ||
		    r->where == REPORT_NONE)
			abort();
		break;
	case REPORT_NO_SAMPLE:
	case REPORT_ENCODED:
		if (r->nhops != 0 || r->addr[0] != '\0' ||
		    r->where != REPORT_NONE)
			abort();
		break;
	default:
		abort();
	}
	if (report_status_text(r->status) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_limit_entry	 e[4];
	struct report_limit		 l;
	struct report_trust		 t;
	struct report_hop		 h;
	struct report			 r, all;
	struct addr			 net[2];
	char				 err[128], key[64];
	int				 i, sel, rc;

	if (size > 1 << 20)
		return 0;
	sel = size > 0 ? data[0] : 0;
	if (addr_parse(nets[sel & 3], &net[0], err, sizeof(err)) == -1)
		abort();
	t.peer = peers[(sel >> 2) % 5];
	t.nets = net;
	t.nnets = (sel & 0x20) ? 1 : 0;
	report_parse((const char *)data, size, &t, &r);
	check(&r);

	/* Everything trusted: the same walk, no candidate. */
	if (addr_parse("0.0.0.0/0", &net[0], err, sizeof(err)) == -1 ||
	    addr_parse("::/0", &net[1], err, sizeof(err)) == -1)
		abort();
	t.nnets = 2;
	report_parse((const char *)data, size, &t, &all);
	check(&all);
	if (all.status == REPORT_FOUND || all.where != r.where ||
	    (r.status != REPORT_FOUND && all.nhops != r.nhops) ||
	    all.nhops < r.nhops)
		abort();

	rc = report_hop_parse((const char *)data, size, &h);
	terminated(h.addr, sizeof(h.addr));
	terminated(h.by, sizeof(h.by));
	if (h.nnames < 0 || h.nnames > REPORT_NAMES ||
	    (rc == 0) != (h.addr[0] != '\0') || (rc == 0 && !h.has_from))
		abort();
	for (i = 0; i < h.nnames; i++) {
		terminated(h.names[i], sizeof(h.names[i]));
		if (h.names[i][0] == '\0')
			abort();
	}

	/* Keys from the input, at most 4 live. */
	memset(e, 0, sizeof(e));
	report_limit_init(&l, e, 4);
	for (i = 0; i + 8 <= (int)size && i < 512; i += 8) {
		memcpy(key, data + i, 8);
		key[8] = '\0';
		report_limit_add(&l, key, data[i] % 8 * 1000);
		if (l.used > 4 || report_limit_count(&l, key,
		    data[i] % 8 * 1000) < 1)
			abort();
	}
	return 0;
}
