# Makefile - builds libcommon, the services and tools into build/, runs the
# test suite (unit, integration against a private redis-server, e2e), the
# same suite under ASan+UBSan, the benchmarks and the local demo.
#
#   make              libcommon.a and every program in build/bin/
#   make test         install missing Debian packages, build, run every test
#   make asan         the same suite built with -fsanitize=address,undefined
#   make chaos        attacks on a running layer (tests/chaos: poison inputs,
#                     Redis pressure and data loss, forged control events,
#                     connection floods), a table of outcomes
#   make bench        benchmarks (BENCH=bus runs one), each against its ceiling
#   make fuzz         libFuzzer targets (clang), FUZZ_SECONDS each (default 20)
#   make soak         the services under load for SOAK_SECONDS (600) at
#                     SOAK_RATE events/s (5000), RSS and backlog per second
#   make demo         deploy/run-local.sh (ARGS=--once for a run that exits)
#   make compose-test docker-compose.yml run for real and checked from the
#                     host (deploy/compose-test.sh; ARGS=--airgap)
#   make images-airgap debian:12-slim and redis:7 from the Debian mirror, for
#                     hosts that reach no container registry
#   make install      PREFIX=/usr/local DESTDIR=

CC ?= cc
PREFIX ?= /usr/local
BUILD ?= build
PKGS := hiredis libuv jansson libmicrohttpd
OPT ?= -O2
SAN ?=
# The user's CFLAGS and LDFLAGS are appended to ours, never replace them.
CFLAGS ?=
LDFLAGS ?=
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
SVC_DIRS := ceo risk_officer strategy_officer federation
BRAINS_INC := $(addprefix -I,$(SVC_DIRS) tools/replay tools/backtest)
WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wwrite-strings -Wshadow
ORCH_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(OPT) -g $(SAN) $(PKG_CFLAGS) -Icommon $(BRAINS_INC) -MMD -MP
ALL_CFLAGS = $(ORCH_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)
LDLIBS := $(PKG_LIBS) -lpthread -lm

# Quiet by default ("CC common/bus.o"); V=1 prints every command.
V ?=
Q := $(if $(V),,@)
say = $(if $(V),,@printf '  %-5s %s\n' $(1) $(2))

LIB := $(BUILD)/lib/libcommon.a
LIB_SRC := $(wildcard common/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
# The services' glue (settings tables, the loop-side code, the REST API):
# everything of a service directory that is neither main.c nor pure.
GLUE := $(BUILD)/lib/libglue.a
GLUE_SRC := $(wildcard $(SVC_DIRS:%=%/*_service*.c) $(SVC_DIRS:%=%/*_config.c) federation/http_*.c)
GLUE_OBJ := $(GLUE_SRC:%.c=$(BUILD)/obj/%.o)
# The pure core: models, brains, inputs and payloads, the demo's book. They
# take structs and the time and return structs; tests/check-pure.sh holds
# them to it (make test).
BRAINS := $(BUILD)/lib/libbrains.a
BRAINS_SRC := $(filter-out %/main.c $(GLUE_SRC),$(wildcard $(SVC_DIRS:%=%/*.c))) \
	tools/replay/replay_book.c tools/replay/replay_feed.c
BRAINS_OBJ := $(BRAINS_SRC:%.c=$(BUILD)/obj/%.o)
# What the demo's feeder and `orchctl backtest` share (tools/backtest): the
# prices, the policy view, the day-by-day record and summary, the report,
# and the layer in one process, with the replay mode's settings built in.
# Not pure: it reads files and the settings.
SIM := $(BUILD)/lib/libsim.a
SIM_SRC := $(wildcard tools/backtest/*.c)
SIM_OBJ := $(SIM_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/replay_env.o
LIBS := $(GLUE) $(BRAINS) $(LIB)

SERVICES := $(SVC_DIRS)
TOOLS := $(patsubst tools/%/main.c,%,$(wildcard tools/*/main.c))
BINS := $(strip $(SERVICES:%=$(BUILD)/bin/%) $(TOOLS:%=$(BUILD)/bin/%))

TESTLIB_SRC := $(wildcard tests/lib/*.c)
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_*.c))
INTEG := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(wildcard tests/integration/test_*.c))
# whole-layer tests in C (every binary, Redis restarts, Sentinel failover)
E2E := $(patsubst tests/e2e/%.c,$(BUILD)/tests/e2e/%,$(wildcard tests/e2e/test_*.c))
# attacks on the whole layer (make chaos); chaos.c is what they share
CHAOS := $(patsubst tests/chaos/%.c,$(BUILD)/tests/chaos/%,$(filter-out tests/chaos/chaos.c,$(wildcard tests/chaos/*.c)))
BENCHES := $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(wildcard tests/bench/bench_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 20
SOAK := $(BUILD)/tests/soak/soak

.PHONY: all test asan chaos bench fuzz fuzzers soak demo compose-test images-airgap install clean deps tests format \
	format-check FORCE
.SECONDEXPANSION:

all: $(LIBS) $(SIM) $(BINS)

# Objects and programs are kept (no intermediates deleted), so a second
# make does nothing.
.SECONDARY:

# Every object depends on the flags it was built with: changing OPT, SAN or
# CFLAGS rebuilds everything.
FLAGS_FILE := $(BUILD)/.flags
$(FLAGS_FILE): FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS)' >$@
FORCE:

$(BUILD)/obj/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests/lib -c $< -o $@

$(LIB): $(LIB_OBJ)
$(GLUE): $(GLUE_OBJ)
$(BRAINS): $(BRAINS_OBJ)
$(SIM): $(SIM_OBJ)
$(LIBS) $(SIM):
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

link = $(Q)mkdir -p $(dir $@) && $(CC) $(ALL_LDFLAGS) $(1) -o $@
# A service is its main.c (the wiring) over the libraries; a tool is every
# .c of its directory over them and libsim.
$(BUILD)/bin/%: $(BUILD)/obj/%/main.o $(LIBS)
	$(call say,LD,$@)
	$(call link,$^ $(LDLIBS))

objs_of = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
$(TOOLS:%=$(BUILD)/bin/%): $(BUILD)/bin/%: $$(call objs_of,$$(wildcard tools/$$*/*.c)) $(SIM) $(LIBS)
	$(call say,LD,$@)
	$(call link,$^ $(LDLIBS))

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TESTLIB_OBJ) $(SIM) $(LIBS)
	$(call say,LD,$@)
	$(call link,$^ $(CHECK_LIBS) $(LDLIBS))

$(CHAOS): $(BUILD)/tests/chaos/%: $(BUILD)/obj/tests/chaos/%.o $(BUILD)/obj/tests/chaos/chaos.o $(TESTLIB_OBJ) $(SIM) $(LIBS)
	$(call say,LD,$@)
	$(call link,$^ $(CHECK_LIBS) $(LDLIBS))

$(BUILD)/tests/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(LIBS)
	$(call say,LD,$@)
	$(call link,-fsanitize=fuzzer $^ $(LDLIBS))

# The dashboard's files, built into the federation binary.
WEB_FILES := $(sort $(wildcard federation/web/*.html federation/web/*.js federation/web/*.css federation/web/vendor/*))
$(BUILD)/gen/web_assets.c: $(WEB_FILES) deploy/embed-web.sh
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)
	$(Q)deploy/embed-web.sh $@ $(WEB_FILES)

$(BUILD)/obj/gen/web_assets.o: $(BUILD)/gen/web_assets.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/bin/federation: $(BUILD)/obj/gen/web_assets.o

# The replay mode's settings (deploy/env/replay.env), built into the
# backtest so that it reads them as `make demo` does.
$(BUILD)/gen/replay_env.c: deploy/env/replay.env deploy/embed-text.sh
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)
	$(Q)deploy/embed-text.sh $@ backtest_replay_env deploy/env/replay.env

$(BUILD)/obj/gen/replay_env.o: $(BUILD)/gen/replay_env.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

tests: $(UNIT) $(INTEG) $(E2E) $(CHAOS)

fuzzers: $(FUZZERS)

deps:
	@deploy/install-deps.sh --check >/dev/null 2>&1 || deploy/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory all tests
	@tests/check-pure.sh $(BRAINS_SRC)
	@ORCH_TEST_SRCDIR=$(CURDIR) ORCH_BIN_DIR=$(CURDIR)/$(BUILD)/bin tests/run.sh $(UNIT) $(INTEG) $(E2E) $(wildcard tests/e2e/*.sh)

asan: deps
	@$(MAKE) --no-print-directory test BUILD=$(BUILD)-asan OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

# Each attack family against its own running layer; bounded in time (each
# program at most 240 s, the whole suite about 2 minutes) and loopback only.
chaos: deps
	@$(MAKE) --no-print-directory all $(CHAOS)
	@ORCH_TEST_SRCDIR=$(CURDIR) ORCH_BIN_DIR=$(CURDIR)/$(BUILD)/bin tests/chaos/run.sh $(CHAOS)

bench: deps
	@deploy/install-deps.sh --check --bench >/dev/null 2>&1 || deploy/install-deps.sh --bench
	@$(MAKE) --no-print-directory all $(BENCHES)
	@ORCH_BIN_DIR=$(CURDIR)/$(BUILD)/bin tests/bench/run.sh $(BUILD) $(BENCH)

# Each target runs FUZZ_SECONDS from its seeds in tests/fuzz/corpus/<target>
# (new inputs go to a temporary directory); a crash, leak or sanitizer
# report fails the run.
fuzz: deps
	@command -v clang >/dev/null || deploy/install-deps.sh --fuzz
	@$(MAKE) --no-print-directory fuzzers BUILD=$(BUILD)-fuzz CC=clang OPT=-O1 \
		SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
	@for f in $(BUILD)-fuzz/tests/fuzz/fuzz_*; do \
		d=$$(mktemp -d); echo "== $$f ($(FUZZ_SECONDS) s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 $$d \
			tests/fuzz/corpus/$$(basename $$f) >$$d.log 2>&1; rc=$$?; \
		if [ $$rc -eq 0 ]; then grep -E 'number_of_executed_units|new_units_added' $$d.log; \
		else tail -40 $$d.log; fi; rm -rf $$d $$d.log; [ $$rc -eq 0 ] || exit $$rc; done

# The C sources in .clang-format's style (Debian 12's clang-format 14):
# `make format` rewrites them, `make format-check` (CI) fails naming each
# file that differs.
FORMATTED = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	@command -v clang-format >/dev/null || deploy/install-deps.sh --format
	@clang-format -i $(FORMATTED)

format-check:
	@command -v clang-format >/dev/null || deploy/install-deps.sh --format
	@bad=$$(for f in $(FORMATTED); do clang-format --dry-run -Werror $$f >/dev/null 2>&1 || echo $$f; done); \
	if [ -n "$$bad" ]; then echo "format-check: not in .clang-format's style (make format):" $$bad >&2; exit 1; fi; \
	echo "format-check: $(words $(FORMATTED)) files in style"

soak: deps
	@$(MAKE) --no-print-directory all $(SOAK)
	@ORCH_BIN_DIR=$(CURDIR)/$(BUILD)/bin $(SOAK)

demo: deps
	@$(MAKE) --no-print-directory all
	@deploy/run-local.sh $(ARGS)

compose-test:
	@deploy/compose-test.sh $(ARGS)

images-airgap:
	@deploy/images-airgap.sh $(ARGS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	$(if $(BINS),install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin)

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
