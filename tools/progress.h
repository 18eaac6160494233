/*
 * progress.h -- a one-line progress meter for orblctl's long verbs
 * (import, export, check), on stderr and only on a terminal.
 *
 * The rules: stderr only, and only when it is a terminal (never in
 * stdout, a file, a pipe or a JSON document); --no-progress or
 * ORBL_NO_PROGRESS turns it off; one line, redrawn with "\r" and blanked
 * at the end, so what stays on the screen is exactly what the verb prints
 * without it.  The first news is drawn at once, later ones at most every
 * PROGRESS_INTERVAL_MS (by the monotonic clock).
 *
 * The cost of a step is one decrement and a test: the clock is read only
 * every `every' steps (progress_step), never per line.
 *
 * progress_format(), progress_si(), progress_eta() and progress_pending()
 * are pure: no clock, no I/O (tests/unit/test_progress.c).
 */
#ifndef ORBL_PROGRESS_H
#define ORBL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#define PROGRESS_INTERVAL_MS	250	/* at most 4 redraws a second */
#define PROGRESS_EVERY		1024	/* steps between clock reads */
#define PROGRESS_LINE_MAX	512

/* What one frame says. */
struct progress_stat {
	uint64_t	 done;		/* units done */
	uint64_t	 total;		/* units in all; 0: unknown */
	/* With total unknown, how far along by another measure (bytes of a
	 * file read): pos of end; end 0: unknown too. */
	uint64_t	 pos, end;
	int64_t		 elapsed_us;	/* since the phase began; <= 0: no
					 * rate, no ETA */
};

struct progress {
	int		 on;		/* drawing at all */
	int		 width;		/* terminal columns */
	size_t		 shown;		/* columns of the line on screen, 0:
					 * none */
	char		 label[128];	/* "reading FILE" */
	const char	*unit;		/* "lines" */
	uint64_t	 total, end;
	int64_t		 t0;		/* us, monotonic: the phase began */
	int64_t		 tlast;		/* us: last drawn; 0: not yet */
	unsigned int	 every, countdown;
};

/*
 * Should a meter be drawn: not turned off (off: --no-progress), not by
 * ORBL_NO_PROGRESS (set, not empty and not "0"), and stderr a terminal.
 */
int	 progress_wanted(int off);
/* A meter, drawing only when on (progress_wanted() and what the verb
 * adds, e.g. its output is not that terminal). */
void	 progress_init(struct progress *, int on);
/*
 * A new phase: label (control bytes shown as '?'), its unit, total units
 * (0: unknown) or, with total 0, the end of the other measure (0:
 * unknown); the clock is read every `every' steps (0: PROGRESS_EVERY).
 * The first frame of a phase is drawn at its first clock read.
 */
void	 progress_phase(struct progress *, const char *label,
	    const char *unit, uint64_t total, uint64_t end,
	    unsigned int every);
/* Read the clock; draw done (and pos) if a frame is due. */
void	 progress_poll(struct progress *, uint64_t done, uint64_t pos);

/* One step: the counter test every call, progress_poll every `every'. */
static inline void
progress_step(struct progress *pg, uint64_t done, uint64_t pos)
{
	if (--pg->countdown == 0)
		progress_poll(pg, done, pos);
}

/* For a verb that draws its own text (check): is a frame due now? */
int	 progress_due(struct progress *);
/* Draw text (cut to the terminal's width) as the line now. */
void	 progress_draw(struct progress *, const char *text);
/* Blank the line (before other output on stderr, and at the end); the
 * next frame draws it again. */
void	 progress_clear(struct progress *);
/* The same for whatever meter is on the screen (ctl_err: an error line
 * never starts inside a progress line). */
void	 progress_hide(void);

/* --- formatting (pure) --------------------------------------------------- */

/*
 * "reading big.txt: 120000 lines, 62%, 410k lines/s, ETA 2s" or, with a
 * total, "exporting: 5000 of 200000 lines, 2%, ..."; the percentage,
 * rate and ETA are left out when not known.  Returns buf.
 */
char	*progress_format(char *buf, size_t len, const char *label,
	    const char *unit, const struct progress_stat *);
/* v with three significant digits at most and an SI suffix: "950",
 * "9.5k", "410k", "1.2M" ... "18E"; returns buf. */
char	*progress_si(double v, char *buf, size_t len);
/* Time left, rounded up to a second: "5s", "2m05s", "1h02m", ">99h";
 * returns buf. */
char	*progress_eta(int64_t us, char *buf, size_t len);
/*
 * "waiting for: zen.example, bl.example (2 of 7)": the names of the
 * npending of total still pending, as many as fit in width columns, the
 * rest as "+N more".  Returns buf.
 */
char	*progress_pending(char *buf, size_t len, size_t width,
	    const char *const *names, int npending, int total);

#endif
