/*
 * fuzz_conf.c -- libFuzzer target for the configuration file parser: the
 * input is the file, given to conf_load() through a memfd (the parser
 * reads by path, so the whole reader runs: line length, comments, quotes,
 * every key type).  Checked: a failure names the file and a line of it;
 * a success keeps lists within CONF_MAX_LIST; and round trip: every key
 * the file set, written back ("key = \"text\"", [host]:port, numbers,
 * seconds), loads into the very same struct conf.
 */
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define AT(c, k, t)	((t)((char *)(c) + (k)->off))
#define LIST(k)		((k)->type == CONF_STRLIST || (k)->type == CONF_LISTEN || \
			    (k)->type == CONF_PORTS)
#define COUNT(c, k)	(LIST(k) ? *(int *)((char *)(c) + (k)->countoff) : 1)

static int	 fd = -1;
static char	 path[64];

static int
load(struct conf *c, const void *p, size_t n, char *err, size_t errlen)
{
	if (ftruncate(fd, 0) == -1 || pwrite(fd, p, n, 0) != (ssize_t)n)
		abort();
	conf_init(c);
	return conf_load(c, path, err, errlen);
}

/* One key's value(s) as lines that set it; -1 if too long for a line. */
static int
put(FILE *f, const struct conf *c, const struct conf_key *k)
{
	const char	*s;
	int		 i, n = COUNT(c, k);

	if (k->type == CONF_PORTS || n == 0) {
		fprintf(f, "%s =", k->name);
		for (i = 0; k->type == CONF_PORTS && i < n; i++)
			fprintf(f, " %d", AT(c, k, int *)[i]);
		return fputc('\n', f), 0;
	}
	if (k->type == CONF_DURATION || k->type == CONF_UINT)
		return fprintf(f, "%s = %lld\n", k->name,
		    *AT(c, k, long long *)), 0;
	for (i = 0; i < n; i++) {
		if (k->type == CONF_LISTEN) {
			fprintf(f, "%s = [%s]:%u\n", k->name,
			    AT(c, k, struct conf_listen *)[i].host,
			    AT(c, k, struct conf_listen *)[i].port);
			continue;
		}
		s = k->type == CONF_STR ? *AT(c, k, char **) :
		    AT(c, k, char **)[i];
		if (strlen(s) > 1900)
			return -1;
		fprintf(f, "%s = \"", k->name);
		for (; *s; s++)
			fprintf(f, "%s%c", *s == '"' || *s == '\\' ? "\\" : "",
			    *s);
		fputs("\"\n", f);
	}
	return 0;
}

static void
same(const struct conf *a, const struct conf *b, const struct conf_key *k)
{
	int	 i, n = COUNT(a, k);

	if (COUNT(a, k) != COUNT(b, k))
		abort();
	if (k->type == CONF_DURATION || k->type == CONF_UINT)
		n = *AT(a, k, long long *) != *AT(b, k, long long *);
	else if (k->type == CONF_STR)
		n = strcmp(*AT(a, k, char **), *AT(b, k, char **)) != 0;
	else if (k->type == CONF_PORTS)
		n = memcmp(AT(a, k, int *), AT(b, k, int *), n * sizeof(int));
	else
		for (i = 0, n = 0 * i; i < COUNT(a, k); i++)
			n |= k->type == CONF_LISTEN ? memcmp(&AT(a, k,
			    struct conf_listen *)[i], &AT(b, k,
			    struct conf_listen *)[i], sizeof(struct conf_listen)) :
			    strcmp(AT(a, k, char **)[i], AT(b, k, char **)[i]);
	if (n != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 a, b;
	char		 err[1024], *text = NULL;
	size_t		 len = 0, i, lines = 1;
	FILE		*f;
	int		 ok = 0;

	if (size > 1 << 16)
		return 0;
	if (fd == -1) {
		if ((fd = memfd_create("fuzz_conf", MFD_CLOEXEC)) == -1)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (load(&a, data, size, err, sizeof(err)) == -1) {
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (strncmp(err, path, strlen(path)) != 0 ||
		    (err[strlen(path)] == ':' && (size_t)atol(err +
		    strlen(path) + 1) > lines))
			abort();
		conf_free(&a);
		return 0;
	}
	for (i = 0; conf_keys[i].name; i++)
		if ((COUNT(&a, &conf_keys[i]) < 0 ||
		    COUNT(&a, &conf_keys[i]) > CONF_MAX_LIST))
			abort();
	if ((f = open_memstream(&text, &len)) == NULL)
		abort();
	for (i = 0; conf_keys[i].name && ok == 0; i++)
		if (CONF_BIT_ISSET(&a, i))
			ok = put(f, &a, &conf_keys[i]);
	fclose(f);
	if (ok == 0) {
		if (load(&b, text, len, err, sizeof(err)) == -1) {
			fprintf(stderr, "reload: %s\n%s", err, text);
			abort();
		}
		for (i = 0; conf_keys[i].name; i++)
			same(&a, &b, &conf_keys[i]);
		if (memcmp(a.set, b.set, sizeof(a.set)) != 0)
			abort();
		conf_free(&b);
	}
	free(text);
	conf_free(&a);
	return 0;
}
