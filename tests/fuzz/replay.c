/*
 * replay.c -- run a fuzz target's corpus without libFuzzer (any compiler,
 * sanitizers optional), printing TAP: one test per input file.
 *
 * Arguments: files or directories of inputs.  Without arguments: the
 * directory $ORBL_CORPUS_DIR, else tests/fuzz/corpus/NAME (relative to
 * the current directory) where this program is named replay_NAME.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	 LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

#define INPUT_MAX	(1024 * 1024)

struct files {
	char	**v;
	size_t	  n, cap;
};

static void
files_add(struct files *f, const char *path)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		if ((f->v = realloc(f->v, f->cap * sizeof(*f->v))) == NULL) {
			perror("realloc");
			exit(1);
		}
	}
	if ((f->v[f->n++] = strdup(path)) == NULL) {
		perror("strdup");
		exit(1);
	}
}

static void
files_free(struct files *f)
{
	size_t	 i;

	for (i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add path (a file, or the regular files of a directory, sorted). */
static int
collect(struct files *f, const char *path)
{
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;
	char		 buf[4096];
	size_t		 first = f->n;

	if (stat(path, &sb) == -1) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		files_add(f, path);
		return 0;
	}
	if ((d = opendir(path)) == NULL) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "%s/%s", path, de->d_name);
		if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode))
			files_add(f, buf);
	}
	closedir(d);
	if (f->n - first > 1)
		qsort(f->v + first, f->n - first, sizeof(*f->v), cmp_str);
	return 0;
}

static int
run_one(const char *path)
{
	FILE		*fp;
	struct stat	 sb;
	uint8_t		*buf;
	size_t		 n;

	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	if (fstat(fileno(fp), &sb) == -1 || sb.st_size > INPUT_MAX) {
		fclose(fp);
		return -1;
	}
	/* Exactly the input's size, so ASan sees any read past its end. */
	n = (size_t)sb.st_size;
	if ((buf = malloc(n ? n : 1)) == NULL) {
		fclose(fp);
		return -1;
	}
	if (fread(buf, 1, n, fp) != n) {
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	struct files	 f = { NULL, 0, 0 };
	const char	*base, *env;
	char		 dir[4096];
	size_t		 i;
	int		 fails = 0, k;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (k = 1; k < argc; k++)
			if (collect(&f, argv[k]) == -1) {
				files_free(&f);
				return 1;
			}
	} else {
		if ((env = getenv("ORBL_CORPUS_DIR")) != NULL && *env)
			snprintf(dir, sizeof(dir), "%s", env);
		else {
			base = strrchr(argv[0], '/');
			base = base ? base + 1 : argv[0];
			if (strncmp(base, "replay_", 7) == 0)
				base += 7;
			snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", base);
		}
		if (collect(&f, dir) == -1) {
			files_free(&f);
			return 1;
		}
	}
	if (f.n == 0) {
		printf("1..0 # SKIP no corpus files\n");
		return 0;
	}
	printf("1..%zu\n", f.n);
	fflush(stdout);
	for (i = 0; i < f.n; i++) {
		/* A crash kills the process: the harness sees the plan
		 * unfinished, and the last "# running" line names the file. */
		printf("# running %s\n", f.v[i]);
		fflush(stdout);
		if (run_one(f.v[i]) == -1) {
			printf("not ok %zu - %s (unreadable)\n", i + 1, f.v[i]);
			fails++;
		} else
			printf("ok %zu - %s\n", i + 1, f.v[i]);
		fflush(stdout);
	}
	files_free(&f);
	return fails ? 1 : 0;
}
