/*
 * verdict.h -- the words a probe run or a single test ends with.  They
 * are the interface: stored in the database, printed by orblctl, given
 * by the JSON API.  One X-macro, so the enum and the names cannot drift.
 */
#ifndef ORBL_VERDICT_H
#define ORBL_VERDICT_H

#define VERDICTS(X)							\
	X(VERDICT_NONE,		"none")					\
	X(VERDICT_CONFIRMED,	"confirmed")	/* test mail reached the sink */ \
	X(VERDICT_CLOSED,	"closed")	/* relay attempts rejected */	\
	X(VERDICT_REFUSED,	"refused")	/* 5xx banner */		\
	X(VERDICT_TEMPFAIL,	"tempfail")	/* 4xx: retry later */		\
	X(VERDICT_ACCEPTED,	"accepted-not-delivered")			\
	X(VERDICT_BOUNCED,	"bounced")	/* only a bounce came back */	\
	X(VERDICT_TIMEOUT,	"timeout")	/* tarpit, silent server */	\
	X(VERDICT_UNREACHABLE,	"unreachable")	/* no connection */		\
	X(VERDICT_PROTO,	"protocol-error")

#define VERDICT_ENUM(e, s) e,
enum verdict { VERDICTS(VERDICT_ENUM) VERDICT_COUNT };
#undef VERDICT_ENUM

const char	*verdict_name(enum verdict);
/* -1 if s is not a verdict word. */
int		 verdict_parse(const char *s);

#endif
