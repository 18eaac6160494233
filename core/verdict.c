/*
 * verdict.c -- see verdict.h.
 */
#include <string.h>

#include "verdict.h"

#define VERDICT_NAME(e, s) s,
static const char *const verdict_names[] = { VERDICTS(VERDICT_NAME) };
#undef VERDICT_NAME

const char *
verdict_name(enum verdict v)
{
	if ((unsigned)v >= VERDICT_COUNT)
		return "none";
	return verdict_names[v];
}

int
verdict_parse(const char *s)
{
	int	 i;

	for (i = 0; i < VERDICT_COUNT; i++)
		if (strcmp(s, verdict_names[i]) == 0)
			return i;
	return -1;
}
