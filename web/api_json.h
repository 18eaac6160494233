/*
 * api_json.h -- the documents of orbl-web's JSON API (api.c, and the
 * errors of server.c), built with jansson from the same readings the HTML
 * pages show (view.h) and the results of the actions (action.h).  Keys
 * and their order are the API's (docs/WEB.md); times are Unix seconds,
 * an absent value (NULL, or a time, ID or count of 0 where the API says
 * so) is null.  Text that is not UTF-8 (a hostile server's reply, say)
 * has U+FFFD in place of each bad byte, as esc_json writes it.
 *
 * Pure: no I/O, no logging.  Each builder returns a new document (the
 * caller's reference) or NULL when jansson ran out of memory (the caller
 * answers 500).  base is web_base_url, for the URLs in a document.
 */
#ifndef ORBL_WEB_API_JSON_H
#define ORBL_WEB_API_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct view;
struct view_probe;
struct policy_submit;
struct policy_request;
struct action_remove;
struct lookup;
struct dnsbl_check;

/* {"error", "status"} */
json_t	*api_json_error(const char *msg, int status);
/* GET /api/v1/status */
json_t	*api_json_status(const char *version, uint32_t serial);
/* A probe; full: with its transcript and tests. */
json_t	*api_json_probe(const struct view_probe *, int full);
/* GET /api/v1/lookup: a view_lookup; contact: the operator's mailbox
 * (advice.h). */
json_t	*api_json_lookup(const struct view *, const char *base,
	    const char *contact);
/*
 * GET /api/v1/check: addr, orbl's own answer lk under zone (NULL: the
 * database failed, own_err says why) and the other lists' (dc, NULL:
 * none): {"address","listed","listed_in","answered","lists":[{"zone",
 * "source","server","listed","codes","txt","error","ms"}],"lookup"}:
 * a row as orblctl check --json writes it (codes also of an error, TXT
 * only when listed), with its source ("orbl": the database, "dns").
 */
json_t	*api_json_check(const char *addr, const struct lookup *lk,
	    const char *zone, const char *own_err,
	    const struct dnsbl_check *dc, const char *base);
/* POST /api/v1/submissions: what policy_submit did with addr:port. */
json_t	*api_json_submitted(const struct policy_submit *, int port,
	    const char *base);
/* GET /api/v1/submissions/ID: a view_submission. */
json_t	*api_json_submission(const struct view *, const char *base);
/* POST /api/v1/delist-requests */
json_t	*api_json_delisted(const struct policy_request *,
	    const char *base);
/* GET /api/v1/delist-requests/ID: a view_request (waiting: at now). */
json_t	*api_json_request(const struct view *, int64_t now);
/* POST /api/v1/admin/remove */
json_t	*api_json_removed(const struct action_remove *);

/*
 * doc as the text of an answer: compact (no spaces), a newline at the
 * end, and with esc_json's escapes (esc.h): < > & DEL U+2028 U+2029 as
 * \u escapes, so the text is safe inside HTML and script too, and every
 * control character as a lower-case \u escape but \n \r \t.  A new
 * string (free) of *len bytes, or NULL (out of memory, or doc NULL).
 */
char	*api_json_dump(const json_t *doc, size_t *len);

#endif
