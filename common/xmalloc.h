/*
 * xmalloc.h -- allocation that cannot fail (fatal on OOM).  Control paths
 * only: the DNS query path allocates nothing.
 */
#ifndef ORBL_XMALLOC_H
#define ORBL_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* xstrdup, or NULL for NULL. */
char	*xstrdup_null(const char *);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* strlcpy/strlcat: glibc 2.36 lacks them. */
size_t	 orbl_strlcpy(char *, const char *, size_t);
size_t	 orbl_strlcat(char *, const char *, size_t);

#endif
