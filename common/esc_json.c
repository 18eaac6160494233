/*
 * esc_json.c -- text to a jansson string (esc_json.h).
 */
#include <stdlib.h>

#include "esc.h"
#include "esc_json.h"

json_t *
esc_json_string(const char *s)
{
	json_t	*j;
	char	*d;
	size_t	 n;

	if (s == NULL)
		return json_null();
	if (esc_utf8_valid(s))
		return json_string(s);
	if ((d = esc_utf8_repair(s, &n)) == NULL)
		return NULL;
	j = json_stringn(d, n);
	free(d);
	return j;
}
