# Makefile - builds libcommon, the services and tools into build/, runs the
# test suite (unit, integration against a private redis-server, e2e), the
# same suite under ASan+UBSan, the benchmarks and the local demo.
#
#   make              libcommon.a and every program in build/bin/
#   make test         install missing Debian packages, build, run every test
#   make asan         the same suite built with -fsanitize=address,undefined
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
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
BRAINS_INC := $(addprefix -I,ceo risk_officer strategy_officer federation tools/replay)
CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(OPT) -g $(SAN) $(PKG_CFLAGS) -Icommon $(BRAINS_INC) -MMD -MP
LDFLAGS := $(SAN)
LDLIBS := $(PKG_LIBS) -lpthread -lm

LIB := $(BUILD)/lib/libcommon.a
LIB_SRC := $(wildcard common/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
# The pure modules (models, brains, the demo's book), for orchctl and the tests.
BRAINS := $(BUILD)/lib/libbrains.a
BRAINS_SRC := $(filter-out %/main.c,$(wildcard ceo/*.c risk_officer/*.c strategy_officer/*.c federation/*.c)) \
	tools/replay/replay_book.c
BRAINS_OBJ := $(BRAINS_SRC:%.c=$(BUILD)/obj/%.o)

SERVICES := $(patsubst %/main.c,%,$(wildcard ceo/main.c risk_officer/main.c strategy_officer/main.c federation/main.c))
TOOLS := $(patsubst tools/%/main.c,%,$(wildcard tools/*/main.c))
BINS := $(strip $(SERVICES:%=$(BUILD)/bin/%) $(TOOLS:%=$(BUILD)/bin/%))

TESTLIB_SRC := $(wildcard tests/lib/*.c)
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_*.c))
INTEG := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(wildcard tests/integration/test_*.c))
# whole-layer tests in C (every binary, Redis restarts, Sentinel failover)
E2E := $(patsubst tests/e2e/%.c,$(BUILD)/tests/e2e/%,$(wildcard tests/e2e/test_*.c))
BENCHES := $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(wildcard tests/bench/bench_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 20
SOAK := $(BUILD)/tests/soak/soak

.PHONY: all test asan bench fuzz fuzzers soak demo compose-test images-airgap install clean deps tests
.SECONDEXPANSION:

all: $(LIB) $(BRAINS) $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests/lib -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BRAINS): $(BRAINS_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# A program is every .c of its directory (main.c is only the wiring) plus
# the pure modules it uses from libbrains.
# (patsubst goes through a function: a literal % in a pattern rule's
# prerequisites would be replaced by the stem.)
objs_of = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
$(BUILD)/bin/%: $$(call objs_of,$$(wildcard $$*/*.c tools/$$*/*.c)) $(BRAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(TESTLIB_OBJ) $(BRAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o $(TESTLIB_OBJ) $(BRAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/tests/e2e/%: $(BUILD)/obj/tests/e2e/%.o $(TESTLIB_OBJ) $(BRAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/tests/bench/%: $(BUILD)/obj/tests/bench/%.o $(TESTLIB_OBJ) $(BRAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(SOAK): $(BUILD)/obj/tests/soak/soak.o $(TESTLIB_OBJ) $(BRAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(BRAINS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS)

# The dashboard's files, built into the federation binary.
WEB_FILES := $(sort $(wildcard federation/web/*.html federation/web/*.js federation/web/*.css federation/web/vendor/*))
$(BUILD)/gen/web_assets.c: $(WEB_FILES) deploy/embed-web.sh
	@mkdir -p $(dir $@)
	deploy/embed-web.sh $@ $(WEB_FILES)

$(BUILD)/obj/gen/web_assets.o: $(BUILD)/gen/web_assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/bin/federation: $(BUILD)/obj/gen/web_assets.o

tests: $(UNIT) $(INTEG) $(E2E)

fuzzers: $(FUZZERS)

deps:
	@deploy/install-deps.sh --check >/dev/null 2>&1 || deploy/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory all tests
	@ORCH_TEST_SRCDIR=$(CURDIR) ORCH_BIN_DIR=$(CURDIR)/$(BUILD)/bin tests/run.sh $(UNIT) $(INTEG) $(E2E) $(wildcard tests/e2e/*.sh)

asan: deps
	@$(MAKE) --no-print-directory test BUILD=$(BUILD)-asan OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

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
