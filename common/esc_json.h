/*
 * esc_json.h -- text to a jansson string, whatever its bytes.
 */
#ifndef ORBL_ESC_JSON_H
#define ORBL_ESC_JSON_H

#include <jansson.h>

/*
 * s as a JSON string: json null for NULL, and a byte that does not start
 * valid UTF-8 (jansson takes nothing else) becomes U+FFFD.  NULL when out
 * of memory.
 */
json_t	*esc_json_string(const char *s);

#endif
