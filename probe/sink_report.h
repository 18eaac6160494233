/*
 * sink_report.h -- what orbl-prober does with mail to the sink's report
 * and self-test mailboxes (sink.h, enum sink_box): a report's sample
 * names the relay to test (report.h), a self-test asks for a test of the
 * server that sent it; either way the address goes through
 * policy_submit, like any other submission, on port 25, with the
 * envelope sender as the submitter ("mail:" + sender).  The answer is the
 * reply to the message's final ".", one line:
 *
 *   250 2.0.0 submission 123 for 192.0.2.7 queued: BASE/submission/123
 *   250 2.0.0 192.0.2.7 was tested 2025-01-06 10:00 UTC (verdict closed):
 *       that result stands: BASE/lookup?ip=192.0.2.7   (one line)
 *   554 5.6.0 nothing taken: no Received chain in the sample
 *   550 5.7.1 nothing taken from Received field 2: 10.1.2.3 is in a
 *       private range (10.0.0.0/8): not probed unless ...   (one line)
 *   550 5.7.1 nothing taken: a@example.org sent 10 reports in the last
 *       hour (the limit is 10): try again later           (one line)
 *
 * BASE is web_base_url ("" gives a relative link).  Reports and
 * self-tests are limited to report_limit an hour per envelope sender and
 * per connecting address, counted in memory (a bounded table).
 */
#ifndef ORBL_SINK_REPORT_H
#define ORBL_SINK_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct db;
struct sink_message;
struct sink_report;

/* conf is borrowed for the reporter's life.  NULL + err: a bad
 * report_trust entry. */
struct sink_report *sink_report_new(const struct conf *, char *err,
	    size_t errlen);
void	 sink_report_free(struct sink_report *);
/*
 * One message for SINK_BOX_REPORT or SINK_BOX_SELFTEST: the reply goes to
 * m->reply.  Returns 0, or -1 when the database could not take the
 * submission now (a lock: the sink answers 451 and the sender tries
 * again; nothing was counted).
 */
int	 sink_report_handle(struct sink_report *, struct db *,
	    const struct sink_message *m, int64_t now);

#endif
