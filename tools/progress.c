/*
 * progress.c -- the one-line progress meter of orblctl (progress.h).
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "progress.h"

/* The meter whose line is on the screen, for progress_hide(). */
static struct progress	*onscreen;

int
progress_wanted(int off)
{
	const char	*e;

	if (off)
		return 0;
	if ((e = getenv("ORBL_NO_PROGRESS")) != NULL && *e != '\0' &&
	    strcmp(e, "0") != 0)
		return 0;
	return isatty(STDERR_FILENO);
}

void
progress_init(struct progress *pg, int on)
{
	struct winsize	 ws;

	memset(pg, 0, sizeof(pg[0]));
	pg->on = on;
	pg->width = 80;
	if (on && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0)
		pg->width = ws.ws_col;
	pg->unit = "";
	pg->every = pg->countdown = PROGRESS_EVERY;
}

void
progress_phase(struct progress *pg, const char *label, const char *unit,
    uint64_t total, uint64_t end, unsigned int every)
{
	snprintf(pg->label, sizeof(pg->label), "%s", label);
	pg->unit = unit;
	pg->total = total;
	pg->end = end;
	pg->every = pg->countdown = every ? every : PROGRESS_EVERY;
	pg->tlast = 0;
	pg->t0 = pg->on ? clock_mono_usec() : 0;
}

void
progress_poll(struct progress *pg, uint64_t done, uint64_t pos)
{
	struct progress_stat	 st;
	char			 line[PROGRESS_LINE_MAX];
	int64_t			 now;

	pg->countdown = pg->every;
	if (!pg->on)
		return;
	now = clock_mono_usec();
	if (pg->tlast != 0 && now - pg->tlast < PROGRESS_INTERVAL_MS * 1000)
		return;
	st.done = done;
	st.total = pg->total;
	st.pos = pos;
	st.end = pg->end;
	st.elapsed_us = now - pg->t0;
	progress_draw(pg, progress_format(line, sizeof(line), pg->label,
	    pg->unit, &st));
}

int
progress_due(struct progress *pg)
{
	return pg->on && (pg->tlast == 0 ||
	    clock_mono_usec() - pg->tlast >= PROGRESS_INTERVAL_MS * 1000);
}

/* All of buf to stderr; a terminal that fails ends the meter. */
static void
put(struct progress *pg, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(STDERR_FILENO, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			pg->on = 0;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

void
progress_draw(struct progress *pg, const char *text)
{
	char		 out[1 + PROGRESS_LINE_MAX * 2];
	size_t		 n = 0, cols = 0, max, pad;
	unsigned char	 ch;

	if (!pg->on)
		return;
	/* One column short of the width: a full line would wrap on some
	 * terminals, and "\r" then redraws only the second row. */
	max = pg->width > 1 ? (size_t)pg->width - 1 : 1;
	if (max > PROGRESS_LINE_MAX - 1)
		max = PROGRESS_LINE_MAX - 1;
	out[n++] = '\r';
	for (; (ch = (unsigned char)*text) != '\0'; text++) {
		/* UTF-8 continuation bytes take no column of their own. */
		if ((ch & 0xc0) != 0x80) {
			if (cols == max)
				break;
			cols++;
		}
		/* A file name must not move the cursor or set modes. */
		out[n++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		if (n >= sizeof(out) - PROGRESS_LINE_MAX)
			break;
	}
	/* Blank what is left of a longer line before. */
	for (pad = cols; pad < pg->shown && n < sizeof(out); pad++)
		out[n++] = ' ';
	put(pg, out, n);
	pg->shown = cols;
	pg->tlast = clock_mono_usec();
	onscreen = pg->shown > 0 ? pg : NULL;
}

void
progress_clear(struct progress *pg)
{
	char	 out[2 + PROGRESS_LINE_MAX];
	size_t	 n = 0;

	if (!pg->on || pg->shown == 0)
		return;
	out[n++] = '\r';
	while (pg->shown > 0 && n < sizeof(out) - 1) {
		out[n++] = ' ';
		pg->shown--;
	}
	out[n++] = '\r';
	put(pg, out, n);
	pg->shown = 0;
	if (onscreen == pg)
		onscreen = NULL;
}

void
progress_hide(void)
{
	if (onscreen != NULL)
		progress_clear(onscreen);
}

/* --- formatting (pure) --------------------------------------------------- */

/* Append to buf (its length in *n) what fits. */
static void
app(char *buf, size_t len, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
app(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	if (*n + 1 >= len)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (r < 0)
		buf[*n] = '\0';
	else if ((size_t)r >= len - *n)
		*n = len - 1;
	else
		*n += (size_t)r;
}

char *
progress_si(double v, char *buf, size_t len)
{
	static const char	 sfx[] = "kMGTPEZY";
	int			 i = -1;

	if (!(v >= 0))		/* also NaN */
		v = 0;
	if (v < 999.5) {
		snprintf(buf, len, "%.0f", v);
		return buf;
	}
	/* Divide while the rounded value would show four digits. */
	while (v >= 999.5 && i < (int)sizeof(sfx) - 2) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, v < 9.95 ? "%.1f%c" : "%.0f%c", v, sfx[i]);
	return buf;
}

char *
progress_eta(int64_t us, char *buf, size_t len)
{
	int64_t	 s, m;

	if (us < 0)
		us = 0;
	/* Rounded up: "0s" only when nothing is left. */
	s = us / 1000000 + (us % 1000000 != 0);
	if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", s / 60,
		    s % 60);
	else {
		m = s / 60 + (s % 60 != 0);
		if (m / 60 > 99)
			snprintf(buf, len, ">99h");
		else
			snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m",
			    m / 60, m % 60);
	}
	return buf;
}

char *
progress_format(char *buf, size_t len, const char *label, const char *unit,
    const struct progress_stat *st)
{
	char		 r[32];
	uint64_t	 p, e;
	double		 left;
	int64_t		 us;
	size_t		 n = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	app(buf, len, &n, "%s: %" PRIu64, label, st->done);
	if (st->total > 0)
		app(buf, len, &n, " of %" PRIu64, st->total);
	app(buf, len, &n, " %s", unit);
	/* How far along: by the units, else by the other measure. */
	p = st->total > 0 ? st->done : st->pos;
	e = st->total > 0 ? st->total : st->end;
	if (e > 0)
		app(buf, len, &n, ", %u%%", p >= e ? 100u :
		    (unsigned int)((unsigned __int128)p * 100 / e));
	if (st->elapsed_us <= 0)
		return buf;
	app(buf, len, &n, ", %s %s/s", progress_si((double)st->done * 1e6 /
	    (double)st->elapsed_us, r, sizeof(r)), unit);
	if (e > 0 && p > 0 && p < e) {
		/* What is left at the pace so far. */
		left = (double)st->elapsed_us * ((double)(e - p) / (double)p);
		if (left >= 9.2e18)
			us = INT64_MAX;
		else if ((double)(us = (int64_t)left) < left)
			us++;	/* up: a moment left is not "0s" */
		app(buf, len, &n, ", ETA %s", progress_eta(us, r, sizeof(r)));
	}
	return buf;
}

char *
progress_pending(char *buf, size_t len, size_t width,
    const char *const *names, int npending, int total)
{
	static const char	 head[] = "waiting for: ";
	char			 tail[64], more[32];
	size_t			 room, used, nl;
	int			 i, k;

	if (len == 0)
		return buf;
	snprintf(tail, sizeof(tail), " (%d of %d)", npending, total);
	room = len - 1;
	if (width > 0 && width < room)
		room = width;
	if (npending <= 0) {
		snprintf(buf, len, "%snone%s", head, tail);
		return buf;
	}
	/* The most names that fit with "+N more" for the rest (all of
	 * them need no "+N more"). */
	for (k = npending; k >= 0; k--) {
		used = sizeof(head) - 1 + strlen(tail);
		for (i = 0; i < k; i++)
			used += (i ? 2 : 0) + strlen(names[i]);
		if (k < npending) {
			snprintf(more, sizeof(more), "%s+%d more", k ? ", " :
			    "", npending - k);
			used += strlen(more);
		}
		if (used <= room)
			break;
	}
	if (k < 0)
		k = 0;		/* even "+N more" is too wide: cut below */
	buf[0] = '\0';
	nl = 0;
	app(buf, len, &nl, "%s", head);
	for (i = 0; i < k; i++)
		app(buf, len, &nl, "%s%s", i ? ", " : "", names[i]);
	if (k < npending)
		app(buf, len, &nl, "%s+%d more", k ? ", " : "", npending - k);
	app(buf, len, &nl, "%s", tail);
	return buf;
}
