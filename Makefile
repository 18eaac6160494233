# orbl -- plain Makefile, non-recursive; objects under build/$(V)/.
#   make            build bin/orbl-dnsd bin/orbl-prober bin/orblctl (release)
#   make check      install missing packages, build, run every test
#   make asan       the same build and whole suite under ASan+UBSan
#   make tsan       the whole suite under ThreadSanitizer
#   make run        install, build, start the system on loopback
#   make fuzz       libFuzzer binaries (clang) in build/fuzz/
#   make fuzz-long  each fuzzer 10M runs or 10 minutes (report in build/fuzz/)
#   make install    PREFIX=/usr/local DESTDIR=

V	?= release
BUILD	:= build/$(V)
BIN	?= bin
PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc

PKGS	 = ldns libevent sqlite3 libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wformat=2 \
	   -Werror=implicit-function-declaration
CFLAGS_release = -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
CFLAGS_asan    = -O1 -g -fno-omit-frame-pointer \
		 -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS_asan   = -fsanitize=address,undefined
CFLAGS_tsan    = -O1 -g -fno-omit-frame-pointer -fsanitize=thread
LDFLAGS_tsan   = -fsanitize=thread
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS_$(V)) $(CFLAGS) \
	     -Icommon -Idb -Idnsd -Iprober $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS_$(V)) $(LDFLAGS)

COMMON_SRCS := $(wildcard common/*.c)
DB_SRCS     := $(wildcard db/*.c)
DNSD_SRCS   := $(filter-out dnsd/main.c,$(wildcard dnsd/*.c))
PROBER_SRCS := $(filter-out prober/main.c,$(wildcard prober/*.c))
TOOLS_SRCS  := $(wildcard tools/*.c)
WEB_SRCS    := $(wildcard web/*.c)
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBCOMMON := $(BUILD)/libcommon.a
LIBDB     := $(BUILD)/libdb.a
LIBDNSD   := $(BUILD)/libdnsd.a
LIBPROBER := $(BUILD)/libprober.a
LIBWEB    := $(BUILD)/libweb.a
SCHEMA_C  := $(BUILD)/gen/schema_sql.c
SCHEMA_O  := $(BUILD)/gen/schema_sql.o

ifeq ($(V),release)
PROGDIR := $(BIN)
else
PROGDIR := $(BUILD)/bin
endif
PROGS := $(PROGDIR)/orbl-dnsd $(PROGDIR)/orbl-prober $(PROGDIR)/orblctl \
	 $(PROGDIR)/orbl-web
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
REPLAY_BINS := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/tests/replay_%,$(FUZZ_SRCS))

# Test objects come from chained pattern rules: keep them (no rebuild
# every time).  Only these: a bare .SECONDARY would let make skip
# rebuilding any missing object whose target looks up to date.
.SECONDARY: $(patsubst %.c,$(BUILD)/%.o,$(UNIT_SRCS) $(FUZZ_SRCS) tests/fuzz/replay.c)
.PHONY: all deps check check-only asan tsan run fuzz clean install bench lint conf-reference
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(SCHEMA_C): db/schema.sql $(wildcard db/migrations/*.sql) scripts/sql2c
	@mkdir -p $(dir $@)
	sh scripts/sql2c db/schema.sql $(sort $(wildcard db/migrations/*.sql)) > $@.tmp && mv $@.tmp $@

$(SCHEMA_O): $(SCHEMA_C)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(call obj,$(COMMON_SRCS))
	@rm -f $@; ar rcs $@ $^
$(LIBDB): $(call obj,$(DB_SRCS)) $(SCHEMA_O)
	@rm -f $@; ar rcs $@ $^
$(LIBDNSD): $(call obj,$(DNSD_SRCS))
	@rm -f $@; ar rcs $@ $^
$(LIBPROBER): $(call obj,$(PROBER_SRCS))
	@rm -f $@; ar rcs $@ $^
# orbl-web but its main.c, for bin/orbl-web and the unit tests
$(LIBWEB): $(call obj,$(filter-out web/main.c,$(WEB_SRCS)))
	@rm -f $@; ar rcs $@ $^

LIBS_ALL = $(LIBPROBER) $(LIBDNSD) $(LIBDB) $(LIBCOMMON)

$(PROGDIR)/orbl-dnsd: $(call obj,dnsd/main.c) $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(PROGDIR)/orbl-prober: $(call obj,prober/main.c) $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(PROGDIR)/orblctl: $(call obj,$(TOOLS_SRCS)) $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(PROGDIR)/orbl-web: $(call obj,web/main.c) $(LIBWEB) $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(LIBWEB) $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) -lpthread

$(BUILD)/tests/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(BUILD)/tests/fuzz/replay.o: tests/fuzz/replay.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

deps:
	@sh scripts/deps

# The whole suite: unit tests (cmocka, TAP), fuzz corpus replay, system
# tests (real daemons on loopback, Perl TAP) -- one prove summary.
check: deps
	$(MAKE) check-only

check-only: $(PROGS) $(UNIT_BINS) $(REPLAY_BINS)
	ORBL_BIN=$(abspath $(PROGDIR)) ORBL_BUILD=$(abspath $(BUILD)) \
	    perl tests/run.pl $(UNIT_BINS) $(REPLAY_BINS) $(sort $(wildcard tests/system/*.t))

asan: deps
	$(MAKE) V=asan check-only

# ThreadSanitizer over the suite: the UDP workers, the loader thread and
# the reclamation of old indexes.
tsan: deps
	$(MAKE) V=tsan check-only

run: deps all
	sh scripts/run

# make bench: orbl-dnsd against rbldnsd and a floor responder, then an update
# under load (bench/README.md).  BENCH_MODE=main|reload|perf for one part;
# BENCH_DUR, BENCH_REP, ... from the environment.  Never part of `make check`.
BENCH_MODE ?= all
BENCH_PROGS = $(PROGDIR)/orbl-dnsd $(PROGDIR)/orblctl
bench: $(BENCH_PROGS)
	BENCH_BIN=$(abspath $(PROGDIR)) bash bench/bench.sh $(BENCH_MODE)
.PHONY: bench-reload
bench-reload: $(BENCH_PROGS)
	BENCH_BIN=$(abspath $(PROGDIR)) bash bench/bench.sh reload
# make bench-prober: 1,000 probe runs at once against a farm of fake SMTP
# servers on 127.77.x (bench/README.md, "the prober").  BENCH_RUNS,
# BENCH_DELAY_MS, ... from the environment.  Never part of `make check`.
.PHONY: bench-prober
bench-prober: $(PROGS)
	BENCH_BIN=$(abspath $(PROGDIR)) bash bench/prober/bench-prober.sh

FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=all -Icommon -Idb -Idnsd -Iprober $(PKG_CFLAGS)
FUZZ_DEPS_fuzz_query = dnsd/query.c dnsd/answer.c dnsd/zone_conf.c \
	dnsd/zone_index.c $(COMMON_SRCS)
FUZZ_DEPS_fuzz_smtp_reply = prober/smtp_reply.c prober/cookie.c $(COMMON_SRCS)
FUZZ_DEPS_fuzz_sink_inspect = prober/sink_inspect.c prober/cookie.c $(COMMON_SRCS)
FUZZ_DEPS_fuzz_cookie_redact = prober/cookie.c $(COMMON_SRCS)
# The sink's SMTP command reader, through a sink on loopback.
FUZZ_DEPS_fuzz_sink_smtp = prober/sink.c prober/sink_inspect.c prober/cookie.c \
	$(COMMON_SRCS)
# These #include the parser's .c (static functions; the replay binaries
# link neither libweb.a nor tools/): never list that file here too.
FUZZ_DEPS_fuzz_form = $(COMMON_SRCS)
FUZZ_DEPS_fuzz_http_path = $(COMMON_SRCS)
FUZZ_DEPS_fuzz_import = $(DB_SRCS) $(SCHEMA_C) $(COMMON_SRCS)
FUZZ_DEPS_fuzz_mailq = $(COMMON_SRCS)
FUZZ_DEPS_fuzz_conf = $(COMMON_SRCS)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
fuzz: $(FUZZ_BINS)
	@echo "run e.g.: mkdir -p build/fuzz/new; build/fuzz/fuzz_query build/fuzz/new tests/fuzz/corpus/query -max_total_time=60"
build/fuzz/%: tests/fuzz/%.c $(FUZZ_DEPS_fuzz_query) prober/smtp_reply.h
	@mkdir -p build/fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_DEPS_$*) $(PKG_LIBS)
# Rebuild when a parser a target #includes (or links) changes.
build/fuzz/fuzz_sink_smtp: $(FUZZ_DEPS_fuzz_sink_smtp) prober/sink.h
build/fuzz/fuzz_sink_inspect: $(FUZZ_DEPS_fuzz_sink_inspect) prober/sink.h
build/fuzz/fuzz_smtp_reply: $(FUZZ_DEPS_fuzz_smtp_reply)
build/fuzz/fuzz_cookie_redact: $(FUZZ_DEPS_fuzz_cookie_redact) prober/cookie.h
build/fuzz/fuzz_form: web/form.c web/form.h
build/fuzz/fuzz_http_path: web/form.c web/form.h
build/fuzz/fuzz_import: tools/cmd_import.c tools/ctl.h $(FUZZ_DEPS_fuzz_import)
build/fuzz/fuzz_mailq build/fuzz/fuzz_conf: $(COMMON_SRCS)

# make fuzz-long: every target for FUZZ_LONG_RUNS executions or
# FUZZ_LONG_TIME seconds, whichever comes first, under ASan+UBSan, over a
# copy of its corpus (build/fuzz/long/NAME; crashes: build/fuzz/long/
# crash-NAME-*).  Executions and coverage per target go to
# build/fuzz/long-report.txt; fails if any target failed.
FUZZ_LONG_RUNS ?= 10000000
FUZZ_LONG_TIME ?= 600
FUZZ_LONG_DIR  := build/fuzz/long
.PHONY: fuzz-long
fuzz-long: $(FUZZ_BINS)
	@mkdir -p $(FUZZ_LONG_DIR); : > build/fuzz/long-report.txt; fail=0; \
	for b in $(FUZZ_BINS); do \
	    n=$${b#build/fuzz/fuzz_}; d=$(FUZZ_LONG_DIR)/$$n; \
	    rm -rf $$d; mkdir -p $$d; \
	    cp tests/fuzz/corpus/$$n/* $$d/ 2>/dev/null; \
	    echo "fuzz-long: $$n ..."; \
	    $$b $$d -runs=$(FUZZ_LONG_RUNS) \
		-max_total_time=$(FUZZ_LONG_TIME) -timeout=30 \
		-print_final_stats=1 \
		-artifact_prefix=$(FUZZ_LONG_DIR)/crash-$$n- \
		> $$d.log 2>&1; rc=$$?; \
	    [ $$rc -eq 0 ] || fail=1; \
	    ex=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$d.log); \
	    cov=$$(grep -E '^#[0-9]+.*cov: ' $$d.log | tail -1 | \
		sed 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*/\1 \2/'); \
	    printf '%-14s %s execs=%s %s corpus=%s (log %s.log)\n' $$n \
		"$$([ $$rc -eq 0 ] && echo ok || echo FAIL)" "$${ex:-?}" \
		"$${cov:-cov: ?}" "$$(ls $$d | wc -l)" $$d \
		| tee -a build/fuzz/long-report.txt; \
	done; exit $$fail

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/orbl
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 README.md examples/orbl.conf $(DESTDIR)$(PREFIX)/share/doc/orbl/

conf-reference: $(PROGDIR)/orblctl
	$(PROGDIR)/orblctl conf-reference

lint:
	cppcheck --enable=warning,performance,portability --error-exitcode=1 \
	    --inline-suppr -q -Icommon -Idb -Idnsd -Iprober common db dnsd prober tools web

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
