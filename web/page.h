/*
 * page.h -- the pieces the HTML pages share (page.c: the frame, the
 * forms, submissions and requests; page_lookup.c: the lookup page and the
 * evidence of a probe, which the request page shows too).  Every piece of
 * text from the database or the visitor goes through out_html.
 */
#ifndef ORBL_WEB_PAGE_H
#define ORBL_WEB_PAGE_H

struct wreq;
struct view_probe;

/* The page up to <main>; refresh > 0: reload every refresh seconds. */
void	 page_begin(struct wreq *, const char *title, int refresh);
/* The rest, and send it with code. */
void	 page_end(struct wreq *, int code);
/* An href value (escaped): web_base_url + path. */
void	 page_href(struct wreq *, const char *path);
/* A probe's evidence: verdict, the relayed test (replies, arrival,
 * Received chain), the table of tests, the transcript. */
void	 page_probe(struct wreq *, const struct view_probe *, int heading);

#endif
