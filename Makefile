# orbl -- plain Makefile, non-recursive; objects under build/$(V)/.
#   make            build bin/orbl-dnsd bin/orbl-prober bin/orblctl (release)
#   make check      install missing packages, build, run every test
#   make asan       the same build and whole suite under ASan+UBSan
#   make tsan       the whole suite under ThreadSanitizer
#   make run        install, build, start the system on loopback
#   make demo       install, build, show the whole job once on loopback (root)
#   make fuzz       libFuzzer binaries (clang) in build/fuzz/
#   make fuzz-long  each fuzzer 10M runs or 10 minutes (report in build/fuzz/)
#   make install    PREFIX=/usr/local DESTDIR= (sbin, man pages, units, /etc/orbl)

V	?= release
BUILD	?= build/$(V)
BIN	?= bin
PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc

PKGS	 = ldns libevent sqlite3 libcrypto jansson
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
# Who may include whom (docs/DESIGN.md, "Layers"): each folder compiles
# with the include path of its own layer and those below it, so an include
# of another program's header does not compile.  scripts/layers (make
# lint, make check) also rejects "../" includes that would get round it.
INC_common = -Icommon
INC_db     = $(INC_common) -Idb
INC_core   = $(INC_db) -Icore
INC_probe  = $(INC_core) -Iprobe
INC_dnsd   = $(INC_core) -Idnsd
INC_prober = $(INC_probe) -Iprober
INC_web    = $(INC_core) -Iweb
INC_tools  = $(INC_probe) -Itools
# Tests reach every layer (a unit test includes what it tests).
INC_tests  = $(INC_probe) -Idnsd -Iweb -Itools -Itests/unit
INC_gen    = $(INC_db)
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS_$(V)) $(CFLAGS) \
	     $(INC) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS_$(V)) $(LDFLAGS)

COMMON_SRCS := $(wildcard common/*.c)
DB_SRCS     := $(wildcard db/*.c)
CORE_SRCS   := $(wildcard core/*.c)
PROBE_SRCS  := $(wildcard probe/*.c)
DNSD_SRCS   := $(wildcard dnsd/*.c)
PROBER_SRCS := $(wildcard prober/*.c)
TOOLS_SRCS  := $(wildcard tools/*.c)
WEB_SRCS    := $(wildcard web/*.c)
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

# Per-folder include paths (target- and pattern-specific).
$(BUILD)/common/%.o: INC = $(INC_common)
$(BUILD)/db/%.o:     INC = $(INC_db)
$(BUILD)/gen/%.o:    INC = $(INC_gen)
$(BUILD)/core/%.o:   INC = $(INC_core)
$(BUILD)/probe/%.o:  INC = $(INC_probe)
$(BUILD)/dnsd/%.o:   INC = $(INC_dnsd)
$(BUILD)/prober/%.o: INC = $(INC_prober)
$(BUILD)/web/%.o:    INC = $(INC_web)
$(BUILD)/tools/%.o:  INC = $(INC_tools)
$(BUILD)/tests/%.o:  INC = $(INC_tests)

# The layers as archives: common <- db <- core <- probe (the probe engine,
# shared by orbl-prober and orblctl probe).  The programs' own objects are
# archived too, for the unit tests only.
LIBCOMMON := $(BUILD)/libcommon.a
LIBDB     := $(BUILD)/libdb.a
LIBCORE   := $(BUILD)/libcore.a
LIBPROBE  := $(BUILD)/libprobe.a
LIBDNSD   := $(BUILD)/libdnsd.a
LIBWEB    := $(BUILD)/libweb.a
LIBTOOLS  := $(BUILD)/libtools.a
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
.PHONY: all deps layers man check check-only asan tsan run fuzz clean install bench lint conf-reference
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
$(LIBCORE): $(call obj,$(CORE_SRCS))
	@rm -f $@; ar rcs $@ $^
$(LIBPROBE): $(call obj,$(PROBE_SRCS))
	@rm -f $@; ar rcs $@ $^
$(LIBDNSD): $(call obj,$(filter-out dnsd/main.c,$(DNSD_SRCS)))
	@rm -f $@; ar rcs $@ $^
$(LIBWEB): $(call obj,$(filter-out web/main.c,$(WEB_SRCS)))
	@rm -f $@; ar rcs $@ $^
$(LIBTOOLS): $(call obj,$(filter-out tools/orblctl.c,$(TOOLS_SRCS)))
	@rm -f $@; ar rcs $@ $^

# What each program links: its own objects and the layers below it.
LIBS_BASE  = $(LIBCORE) $(LIBDB) $(LIBCOMMON)
LIBS_PROBE = $(LIBPROBE) $(LIBS_BASE)
LINK = $(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(PROGDIR)/orbl-dnsd: $(call obj,$(DNSD_SRCS)) $(LIBS_BASE)
	@mkdir -p $(dir $@)
	$(LINK)

$(PROGDIR)/orbl-prober: $(call obj,$(PROBER_SRCS)) $(LIBS_PROBE)
	@mkdir -p $(dir $@)
	$(LINK)

$(PROGDIR)/orblctl: $(call obj,$(TOOLS_SRCS)) $(LIBS_PROBE)
	@mkdir -p $(dir $@)
	$(LINK)

$(PROGDIR)/orbl-web: $(call obj,$(WEB_SRCS)) $(LIBS_BASE)
	@mkdir -p $(dir $@)
	$(LINK)

LIBS_TEST = $(LIBWEB) $(LIBDNSD) $(LIBTOOLS) $(LIBS_PROBE)
$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(LIBS_TEST)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) -lpthread

$(BUILD)/tests/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(LIBS_TEST)
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

check-only: layers $(PROGS) $(UNIT_BINS) $(REPLAY_BINS)
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

# make demo: the whole job once, on loopback, in ~10 s (root: a throwaway
# private Postfix as the open relay; ORBL_KEEP=1 keeps its folder).
.PHONY: demo
demo: deps all
	ORBL_BIN=$(abspath $(PROGDIR)) perl scripts/demo

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
# make bench-scale: 1 M and 10 M entries imported, stored and served
# (bench/README.md, "at scale"; BENCH_SCALE_SIZES for others).  Never part
# of `make check`.
.PHONY: bench-scale
bench-scale: $(BENCH_PROGS)
	BENCH_BIN=$(abspath $(PROGDIR)) bash bench/scale.sh
# make bench-prober: 1,000 probe runs at once against a farm of fake SMTP
# servers on 127.77.x (bench/README.md, "the prober").  BENCH_RUNS,
# BENCH_DELAY_MS, ... from the environment.  Never part of `make check`.
# make bench-xfr: AXFR of the 1,010,000-entry bench zone from orbl-dnsd to
# NSD (time, bytes, orbl-dnsd's extra memory, query capacity meanwhile),
# IXFR of 10,000 changes, and Knot as the primary of the same zone file to
# the same NSD (bench/README.md, "mirrors").
.PHONY: bench-xfr
bench-xfr: $(BENCH_PROGS)
	BENCH_BIN=$(abspath $(PROGDIR)) bash bench/xfr.sh
.PHONY: bench-prober
bench-prober: $(PROGS)
	BENCH_BIN=$(abspath $(PROGDIR)) bash bench/prober/bench-prober.sh

FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=all $(INC_tests) $(PKG_CFLAGS)
FUZZ_DEPS_fuzz_query = dnsd/query.c dnsd/answer.c dnsd/zone_conf.c \
	dnsd/edns_cookie.c dnsd/siphash.c dnsd/acl.c \
	$(wildcard core/zone_*.c) $(COMMON_SRCS)
FUZZ_DEPS_fuzz_smtp_reply = probe/smtp_reply.c core/cookie.c $(COMMON_SRCS)
FUZZ_DEPS_fuzz_sink_inspect = probe/sink_inspect.c core/cookie.c $(COMMON_SRCS)
FUZZ_DEPS_fuzz_cookie_redact = core/cookie.c $(COMMON_SRCS)
# The sink's SMTP command reader, through a sink on loopback.
FUZZ_DEPS_fuzz_sink_smtp = probe/sink.c probe/sink_inspect.c core/cookie.c \
	$(COMMON_SRCS)
# The web parsers, linked (the replay binaries get them from libweb.a).
FUZZ_DEPS_fuzz_form = web/form.c $(COMMON_SRCS)
FUZZ_DEPS_fuzz_http_path = web/route.c web/form.c $(COMMON_SRCS)
FUZZ_DEPS_fuzz_import = tools/import_parse.c $(COMMON_SRCS)
FUZZ_DEPS_fuzz_mailq = tools/mailq.c tools/mailq_top.c $(COMMON_SRCS)
FUZZ_DEPS_fuzz_conf = $(COMMON_SRCS)
# A reported spam sample's Received chain (the sink's report mailbox).
FUZZ_DEPS_fuzz_report = probe/report.c $(COMMON_SRCS)
# Replies from other lists' DNS servers (orblctl check, orbl-web /check).
FUZZ_DEPS_fuzz_dnsq_reply = core/dnsq.c $(COMMON_SRCS)
# TSIG records in zone transfer requests and NOTIFY answers (orbl-dnsd).
FUZZ_DEPS_fuzz_tsig = dnsd/tsig.c $(COMMON_SRCS)
# Zone transfer requests (orbl-dnsd: AXFR/IXFR question, SOA, TSIG).
FUZZ_DEPS_fuzz_xfr_req = dnsd/xfr_req.c dnsd/tsig.c $(COMMON_SRCS)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
fuzz: $(FUZZ_BINS)
	@echo "run e.g.: mkdir -p build/fuzz/new; build/fuzz/fuzz_query build/fuzz/new tests/fuzz/corpus/query -max_total_time=60"
build/fuzz/%: tests/fuzz/%.c $(FUZZ_DEPS_fuzz_query) probe/smtp_reply.h
	@mkdir -p build/fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_DEPS_$*) $(PKG_LIBS)
# Rebuild when a parser a target #includes (or links) changes.
build/fuzz/fuzz_sink_smtp: $(FUZZ_DEPS_fuzz_sink_smtp) probe/sink.h
build/fuzz/fuzz_sink_inspect: $(FUZZ_DEPS_fuzz_sink_inspect) probe/sink.h
build/fuzz/fuzz_smtp_reply: $(FUZZ_DEPS_fuzz_smtp_reply)
build/fuzz/fuzz_cookie_redact: $(FUZZ_DEPS_fuzz_cookie_redact) core/cookie.h
build/fuzz/fuzz_form: web/form.c web/form.h
build/fuzz/fuzz_http_path: web/form.c web/form.h web/route.c web/route.h
build/fuzz/fuzz_import: $(FUZZ_DEPS_fuzz_import) tools/import_parse.h
build/fuzz/fuzz_mailq: $(FUZZ_DEPS_fuzz_mailq) tools/mailq.h tools/mailq_top.h
build/fuzz/fuzz_conf: $(COMMON_SRCS)
build/fuzz/fuzz_dnsq_reply: $(FUZZ_DEPS_fuzz_dnsq_reply) core/dnsq.h
build/fuzz/fuzz_report: $(FUZZ_DEPS_fuzz_report) probe/report.h
build/fuzz/fuzz_tsig: $(FUZZ_DEPS_fuzz_tsig) dnsd/tsig.h
build/fuzz/fuzz_xfr_req: $(FUZZ_DEPS_fuzz_xfr_req) dnsd/xfr_req.h dnsd/tsig.h

# make fuzz-long: every target for FUZZ_LONG_RUNS executions or
# FUZZ_LONG_TIME seconds, whichever comes first, under ASan+UBSan, over a
# copy of its corpus (build/fuzz/long/NAME; crashes: build/fuzz/long/
# crash-NAME-*).  Executions and coverage per target go to
# build/fuzz/long-report.txt; fails if any target failed.
FUZZ_LONG_RUNS ?= 10000000
FUZZ_LONG_TIME ?= 600
FUZZ_LONG_DIR  := build/fuzz/long
# FUZZ_ONLY="sink_inspect sink_smtp": just those targets.
FUZZ_LONG_BINS = $(if $(FUZZ_ONLY),$(FUZZ_ONLY:%=build/fuzz/fuzz_%),$(FUZZ_BINS))
.PHONY: fuzz-long
fuzz-long: $(FUZZ_LONG_BINS)
	@mkdir -p $(FUZZ_LONG_DIR); : > build/fuzz/long-report.txt; fail=0; \
	for b in $(FUZZ_LONG_BINS); do \
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

# make install: the daemons and orblctl in sbin, manual pages (orbl.conf(5)
# generated from the key table), the systemd units, an example
# configuration in SYSCONFDIR/orbl (never over an existing one) and the
# state folder.  PREFIX=/usr/local DESTDIR= SYSCONFDIR=/etc
# LOCALSTATEDIR=/var UNITDIR=/lib/systemd/system.
SYSCONFDIR	?= /etc
LOCALSTATEDIR	?= /var
UNITDIR		?= /lib/systemd/system
MAN8 = docs/man/orbl-dnsd.8 docs/man/orbl-prober.8 docs/man/orbl-web.8 \
       docs/man/orblctl.8
MAN5 = $(BUILD)/man/orbl.conf.5
$(MAN5): $(PROGDIR)/orblctl
	@mkdir -p $(dir $@)
	$(PROGDIR)/orblctl conf-reference --man > $@.tmp && mv $@.tmp $@
.PHONY: man
man: $(MAN5)
install: all $(MAN5)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/doc/orbl \
	    $(DESTDIR)$(PREFIX)/share/man/man5 \
	    $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/orbl
	install -d -m 750 $(DESTDIR)$(LOCALSTATEDIR)/lib/orbl
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/sbin/
	install -m 644 $(MAN8) $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 $(MAN5) $(DESTDIR)$(PREFIX)/share/man/man5/
	for u in dist/systemd/*.service; do \
	    sed 's|/usr/sbin/|$(PREFIX)/sbin/|g; s|/etc/orbl/|$(SYSCONFDIR)/orbl/|g; s|/var/lib/orbl|$(LOCALSTATEDIR)/lib/orbl|g' \
		$$u > $(DESTDIR)$(UNITDIR)/$${u##*/}; \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$${u##*/}; done
	install -m 644 README.md examples/orbl.conf $(DESTDIR)$(PREFIX)/share/doc/orbl/
	[ -e $(DESTDIR)$(SYSCONFDIR)/orbl/orbl.conf ] || \
	    install -m 640 examples/orbl.conf $(DESTDIR)$(SYSCONFDIR)/orbl/orbl.conf
	@# The units run as user orbl: it must read the config and own the
	@# state directory (the Debian package's postinst does this itself).
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && id orbl >/dev/null 2>&1; then \
	    chgrp orbl $(SYSCONFDIR)/orbl/orbl.conf && \
	    chown orbl:orbl $(LOCALSTATEDIR)/lib/orbl; \
	else echo "install: the units run as user orbl; as root: useradd --system" \
	    "--home-dir $(LOCALSTATEDIR)/lib/orbl --shell /usr/sbin/nologin orbl;" \
	    "chgrp orbl $(SYSCONFDIR)/orbl/orbl.conf;" \
	    "chown orbl:orbl $(LOCALSTATEDIR)/lib/orbl"; fi

# make deb: a binary package with debhelper (debian/), built from a copy of
# the tree in build/deb; lintian must report no errors.  make deb-test
# installs it into this machine (dpkg -i), runs orblctl init and the
# daemons' -n, checks the units, then purges it (scripts/deb-test).
.PHONY: deb deb-test
deb:
	rm -rf build/deb && mkdir -p build/deb/orbl
	git ls-files -z --cached --others --exclude-standard | \
	    xargs -0 cp -P --parents -t build/deb/orbl
	cd build/deb/orbl && dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || \
	    { tail -40 ../build.log; exit 1; }
	lintian --fail-on error build/deb/orbl_*.deb
deb-test: deb
	sh scripts/deb-test build/deb/orbl_*.deb

conf-reference: $(PROGDIR)/orblctl
	$(PROGDIR)/orblctl conf-reference

# make lint: the layer rule (scripts/layers), then cppcheck where present.
.PHONY: layers
layers:
	@sh scripts/layers
lint: layers
	@if command -v cppcheck >/dev/null; then \
	    cppcheck --enable=warning,performance,portability --error-exitcode=1 \
	    --inline-suppr -q $(INC_tests) common db core probe dnsd prober tools web; \
	else echo "lint: cppcheck not installed (apt-get install cppcheck)"; fi

clean:
	rm -rf build bin

-include $(shell find build -type f -name '*.d' 2>/dev/null)
