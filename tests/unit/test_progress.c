/*
 * test_progress.c -- unit tests for tools/progress.c, orblctl's progress
 * meter: the pure formatting (rates with SI suffixes, the ETA rounded up,
 * percentages, unknown totals, numbers up to UINT64_MAX, the pending
 * lists of check cut to the width), and the drawing itself with stderr
 * on a pipe: "\r" frames cut to the terminal's width, control bytes
 * made harmless, a shorter frame blanking a longer one, the clear, the
 * clock read only every `every' steps and the redraw limit.  No clock
 * is asserted: the time of the last frame is set by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <math.h>
#include <unistd.h>
#include <cmocka.h>

#include "progress.h"

static void
test_si(void **state)
{
	char	 b[32];

	(void)state;
	assert_string_equal(progress_si(0, b, sizeof(b)), "0");
	assert_string_equal(progress_si(7.4, b, sizeof(b)), "7");
	assert_string_equal(progress_si(999, b, sizeof(b)), "999");
	assert_string_equal(progress_si(999.4, b, sizeof(b)), "999");
	/* Rounding up to four digits moves to the next suffix. */
	assert_string_equal(progress_si(999.5, b, sizeof(b)), "1.0k");
	assert_string_equal(progress_si(1000, b, sizeof(b)), "1.0k");
	assert_string_equal(progress_si(1500, b, sizeof(b)), "1.5k");
	assert_string_equal(progress_si(9940, b, sizeof(b)), "9.9k");
	assert_string_equal(progress_si(9960, b, sizeof(b)), "10k");
	assert_string_equal(progress_si(410000, b, sizeof(b)), "410k");
	assert_string_equal(progress_si(999499, b, sizeof(b)), "999k");
	assert_string_equal(progress_si(999500, b, sizeof(b)), "1.0M");
	assert_string_equal(progress_si(1.23e9, b, sizeof(b)), "1.2G");
	assert_string_equal(progress_si(4.5e15, b, sizeof(b)), "4.5P");
	assert_string_equal(progress_si(1.8e19, b, sizeof(b)), "18E");
	assert_string_equal(progress_si(1.8e25, b, sizeof(b)), "18Y");
	/* Past the last suffix the digits grow. */
	assert_string_equal(progress_si(1e30, b, sizeof(b)), "1000000Y");
	assert_string_equal(progress_si(-5, b, sizeof(b)), "0");
	assert_string_equal(progress_si(NAN, b, sizeof(b)), "0");
	/* The buffer bounds the text. */
	assert_string_equal(progress_si(410000, b, 3), "41");
}

static void
test_eta(void **state)
{
	char	 b[32];

	(void)state;
	assert_string_equal(progress_eta(0, b, sizeof(b)), "0s");
	assert_string_equal(progress_eta(-5, b, sizeof(b)), "0s");
	/* Up to the second: what is left never shows as nothing. */
	assert_string_equal(progress_eta(1, b, sizeof(b)), "1s");
	assert_string_equal(progress_eta(999999, b, sizeof(b)), "1s");
	assert_string_equal(progress_eta(1000000, b, sizeof(b)), "1s");
	assert_string_equal(progress_eta(1000001, b, sizeof(b)), "2s");
	assert_string_equal(progress_eta(59000000, b, sizeof(b)), "59s");
	assert_string_equal(progress_eta(59500000, b, sizeof(b)), "1m00s");
	assert_string_equal(progress_eta(61000000, b, sizeof(b)), "1m01s");
	assert_string_equal(progress_eta(3599000000LL, b, sizeof(b)),
	    "59m59s");
	assert_string_equal(progress_eta(3599500000LL, b, sizeof(b)),
	    "1h00m");
	/* Hours: minutes rounded up as well. */
	assert_string_equal(progress_eta(3601000000LL, b, sizeof(b)),
	    "1h01m");
	assert_string_equal(progress_eta(359940000000LL, b, sizeof(b)),
	    "99h59m");
	assert_string_equal(progress_eta(359941000000LL, b, sizeof(b)),
	    ">99h");
	assert_string_equal(progress_eta(INT64_MAX, b, sizeof(b)), ">99h");
}

static char *
fmt(char *b, size_t len, const char *label, const char *unit,
    uint64_t done, uint64_t total, uint64_t pos, uint64_t end,
    int64_t elapsed_us)
{
	struct progress_stat	 st;

	st.done = done;
	st.total = total;
	st.pos = pos;
	st.end = end;
	st.elapsed_us = elapsed_us;
	return progress_format(b, len, label, unit, &st);
}

static void
test_format(void **state)
{
	char	 b[PROGRESS_LINE_MAX];

	(void)state;
	/* Lines, with how far along by bytes of the file. */
	assert_string_equal(fmt(b, sizeof(b), "reading big.txt", "lines",
	    120000, 0, 62, 100, 292683),
	    "reading big.txt: 120000 lines, 62%, 410k lines/s, ETA 1s");
	/* A total of the same units. */
	assert_string_equal(fmt(b, sizeof(b), "exporting", "entries",
	    5000, 200000, 0, 0, 1000000),
	    "exporting: 5000 of 200000 entries, 2%, 5.0k entries/s, "
	    "ETA 39s");
	/* The total wins over the other measure. */
	assert_string_equal(fmt(b, sizeof(b), "x", "entries", 50, 100,
	    1, 1000, 1000000), "x: 50 of 100 entries, 50%, 50 entries/s, "
	    "ETA 1s");
	/* A long way to go. */
	assert_string_equal(fmt(b, sizeof(b), "x", "lines", 1000, 0,
	    1, 1000, 2000000), "x: 1000 lines, 0%, 500 lines/s, "
	    "ETA 33m18s");
	/* Unknown total (a pipe): no percentage, no ETA. */
	assert_string_equal(fmt(b, sizeof(b), "reading stdin", "lines",
	    3000, 0, 123456, 0, 2000000),
	    "reading stdin: 3000 lines, 1.5k lines/s");
	/* No time yet: no rate, no ETA. */
	assert_string_equal(fmt(b, sizeof(b), "x", "lines", 10, 20, 0, 0,
	    0), "x: 10 of 20 lines, 50%");
	assert_string_equal(fmt(b, sizeof(b), "x", "lines", 10, 0, 0, 0,
	    -3), "x: 10 lines");
	/* Nothing done: a rate of 0, no ETA to divide by. */
	assert_string_equal(fmt(b, sizeof(b), "x", "lines", 0, 20, 0, 0,
	    500000), "x: 0 of 20 lines, 0%, 0 lines/s");
	/* Done, or past a total that was an estimate: 100%, no ETA. */
	assert_string_equal(fmt(b, sizeof(b), "x", "lines", 20, 20, 0, 0,
	    1000000), "x: 20 of 20 lines, 100%, 20 lines/s");
	assert_string_equal(fmt(b, sizeof(b), "x", "lines", 25, 20, 0, 0,
	    1000000), "x: 25 of 20 lines, 100%, 25 lines/s");
	/* The percentage is floored: 100% only at the end. */
	assert_string_equal(fmt(b, sizeof(b), "x", "lines", 999, 1000, 0, 0,
	    0), "x: 999 of 1000 lines, 99%");
}

static void
test_format_huge(void **state)
{
	char	 b[PROGRESS_LINE_MAX];

	(void)state;
	assert_string_equal(fmt(b, sizeof(b), "x", "lines", UINT64_MAX,
	    UINT64_MAX, 0, 0, 1), "x: 18446744073709551615 of "
	    "18446744073709551615 lines, 100%, 18Y lines/s");
	/* No overflow in the percentage (exact) or the ETA, and a moment
	 * left still shows a second. */
	assert_string_equal(fmt(b, sizeof(b), "x", "lines", UINT64_MAX - 1,
	    UINT64_MAX, 0, 0, 1000000), "x: 18446744073709551614 of "
	    "18446744073709551615 lines, 99%, 18E lines/s, ETA 1s");
	assert_string_equal(fmt(b, sizeof(b), "x", "lines", 1, UINT64_MAX,
	    0, 0, 1000000), "x: 1 of 18446744073709551615 lines, 0%, "
	    "1 lines/s, ETA >99h");
	assert_string_equal(fmt(b, sizeof(b), "x", "lines", 7, 0,
	    (uint64_t)1 << 63, UINT64_MAX, INT64_MAX),
	    "x: 7 lines, 50%, 0 lines/s, ETA >99h");
	/* A short buffer: cut, terminated. */
	assert_string_equal(fmt(b, 12, "reading", "lines", 120000, 0, 0, 0,
	    1000000), "reading: 12");
	assert_string_equal(fmt(b, 1, "reading", "lines", 1, 0, 0, 0, 1),
	    "");
}

static void
test_pending(void **state)
{
	const char	*names[] = { "zen.example", "bl.example", "c.test" };
	char		 b[PROGRESS_LINE_MAX];

	(void)state;
	assert_string_equal(progress_pending(b, sizeof(b), 80, names, 2, 7),
	    "waiting for: zen.example, bl.example (2 of 7)");
	/* Exactly the width: all of them. */
	assert_string_equal(progress_pending(b, sizeof(b), 45, names, 2, 7),
	    "waiting for: zen.example, bl.example (2 of 7)");
	/* One short: the rest as "+N more". */
	assert_string_equal(progress_pending(b, sizeof(b), 44, names, 2, 7),
	    "waiting for: zen.example, +1 more (2 of 7)");
	assert_string_equal(progress_pending(b, sizeof(b), 41, names, 2, 7),
	    "waiting for: +2 more (2 of 7)");
	assert_string_equal(progress_pending(b, sizeof(b), 29, names, 2, 7),
	    "waiting for: +2 more (2 of 7)");
	/* Too narrow even for that: the line is cut when drawn. */
	assert_string_equal(progress_pending(b, sizeof(b), 10, names, 3, 3),
	    "waiting for: +3 more (3 of 3)");
	/* Width 0: no limit but the buffer. */
	assert_string_equal(progress_pending(b, sizeof(b), 0, names, 3, 64),
	    "waiting for: zen.example, bl.example, c.test (3 of 64)");
	assert_string_equal(progress_pending(b, 20, 0, names, 3, 3),
	    "waiting for: +3 mor");
	assert_string_equal(progress_pending(b, sizeof(b), 80, names, 0, 2),
	    "waiting for: none (0 of 2)");
}

/* Run fn with stderr on a pipe; what it wrote, NUL-terminated. */
static char *
capture(void (*fn)(struct progress *), struct progress *pg)
{
	static char	 out[4096];
	int		 p[2], save;
	ssize_t		 n;

	assert_int_equal(pipe(p), 0);
	save = dup(STDERR_FILENO);
	assert_true(save != -1);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	fn(pg);
	assert_int_equal(dup2(save, STDERR_FILENO), STDERR_FILENO);
	close(save);
	n = read(p[0], out, sizeof(out) - 1);
	if (n < 0)
		n = 0;
	out[n] = '\0';
	close(p[0]);
	return out;
}

static void
draw_long(struct progress *pg)
{
	progress_draw(pg, "abcdefghijklmnopqrstuvwxyz");
}

static void
draw_short(struct progress *pg)
{
	progress_draw(pg, "ab\x1b[2Jc\td\xc3\xa9" "efgh");
}

static void
draw_clear(struct progress *pg)
{
	progress_clear(pg);
}

static void
draw_hide(struct progress *pg)
{
	(void)pg;
	progress_hide();
}

static void
test_draw(void **state)
{
	struct progress	 pg;

	(void)state;
	progress_init(&pg, 1);
	pg.width = 21;
	/* Cut to one column short of the width. */
	assert_string_equal(capture(draw_long, &pg),
	    "\rabcdefghijklmnopqrst");
	assert_int_equal(pg.shown, 20);
	assert_true(pg.tlast != 0);
	/* Control bytes as '?'; a two-byte character is one column; the
	 * rest of the longer frame blanked. */
	assert_string_equal(capture(draw_short, &pg),
	    "\rab?[2Jc?d\xc3\xa9" "efgh" "      ");
	assert_int_equal(pg.shown, 14);
	assert_string_equal(capture(draw_clear, &pg),
	    "\r              \r");
	assert_int_equal(pg.shown, 0);
	/* Nothing on the screen: nothing to clear. */
	assert_string_equal(capture(draw_clear, &pg), "");
	/* ctl_err's hide clears whatever meter is drawn. */
	capture(draw_long, &pg);
	assert_string_equal(capture(draw_hide, &pg),
	    "\r                    \r");
	assert_string_equal(capture(draw_hide, &pg), "");

	/* Off: never a byte. */
	progress_init(&pg, 0);
	assert_string_equal(capture(draw_long, &pg), "");
	assert_string_equal(capture(draw_clear, &pg), "");
	assert_int_equal(pg.shown, 0);
}

static uint64_t	 nsteps;

/* Ten steps of a phase that reads the clock every 4. */
static void
steps(struct progress *pg)
{
	uint64_t	 i;

	for (i = 1; i <= nsteps; i++)
		progress_step(pg, i, i);
}

static void
test_steps(void **state)
{
	struct progress	 pg;
	const char	*pfx;
	char		*out;

	(void)state;
	progress_init(&pg, 1);
	pg.width = 200;
	progress_phase(&pg, "exporting", "entries", 100, 0, 4);
	/* Three steps: no clock read, nothing drawn. */
	nsteps = 3;
	assert_string_equal(capture(steps, &pg), "");
	/* The fourth reads the clock: the first frame of the phase is
	 * drawn at once. */
	progress_phase(&pg, "exporting", "entries", 100, 0, 4);
	pg.t0 -= 1000000;	/* began a second ago: a rate to show */
	nsteps = 4;
	out = capture(steps, &pg);
	pfx = "\rexporting: 4 of 100 entries, 4%, 4 entries/s, ETA 2";
	assert_memory_equal(out, pfx, strlen(pfx));
	assert_null(strchr(out + 1, '\r'));
	/* A frame drawn just now holds the next ones back (the time of the
	 * last frame set ahead, not waited for). */
	pg.tlast = INT64_MAX / 2;
	nsteps = 40;
	assert_string_equal(capture(steps, &pg), "");
	assert_int_equal(progress_due(&pg), 0);
	/* Long ago: due again. */
	pg.tlast = 1;
	assert_int_equal(progress_due(&pg), 1);
	/* A new phase draws its first frame at once. */
	progress_phase(&pg, "writing", "entries", 0, 0, 1);
	nsteps = 1;
	out = capture(steps, &pg);
	assert_memory_equal(out, "\rwriting: 1 entries", 19);
	/* Off: the steps still count down, nothing is drawn or due. */
	progress_init(&pg, 0);
	progress_phase(&pg, "x", "lines", 0, 0, 2);
	nsteps = 10;
	assert_string_equal(capture(steps, &pg), "");
	assert_int_equal(pg.countdown, 2);
	assert_int_equal(progress_due(&pg), 0);
}

static void
test_wanted(void **state)
{
	int	 fd;

	(void)state;
	/* stderr a pipe or a file: never. */
	fd = open("/dev/null", O_WRONLY);
	assert_true(fd != -1);
	{
		int	 save = dup(STDERR_FILENO);

		assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
		unsetenv("ORBL_NO_PROGRESS");
		assert_int_equal(progress_wanted(0), 0);
		assert_int_equal(dup2(save, STDERR_FILENO), STDERR_FILENO);
		close(save);
	}
	close(fd);
	/* Turned off, whatever stderr is. */
	assert_int_equal(progress_wanted(1), 0);
	setenv("ORBL_NO_PROGRESS", "1", 1);
	assert_int_equal(progress_wanted(0), 0);
	/* "0" and "" do not turn it off: then stderr decides. */
	setenv("ORBL_NO_PROGRESS", "0", 1);
	assert_int_equal(progress_wanted(0), isatty(STDERR_FILENO));
	setenv("ORBL_NO_PROGRESS", "", 1);
	assert_int_equal(progress_wanted(0), isatty(STDERR_FILENO));
	unsetenv("ORBL_NO_PROGRESS");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_si),
		cmocka_unit_test(test_eta),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_huge),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_draw),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_wanted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
