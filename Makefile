# prewarm: GNU make, out-of-tree builds in $(BUILD).
#
#   make            build $(BUILD)/prewarm (installs missing Debian packages
#                   first when run as root; prints the command otherwise)
#   make run        build and run the demo on data the project generates
#   make serve      build and run the daemon on the local demo config
#   make test       build and run every test; ends with "N passed, N failed,
#                   N skipped"
#   make check      the same under ASan + UBSan, with -Werror
#   make bench      build and run the benchmarks
#   make clean

BUILD    ?= build
CC       ?= cc
PKG_CONFIG ?= pkg-config

# Debian packages the build and the tests need (checked by `make deps`).
DEB_PKGS := gcc make pkg-config libgsl-dev libcmocka-dev python3 python3-numpy \
            libcurl4-openssl-dev libcjson-dev libyaml-dev \
            python3-botocore openssl curl prometheus \
            libpq-dev postgresql libprotobuf-c-dev protobuf-c-compiler \
            libsnappy-dev libmicrohttpd-dev chromium python3-yaml

# V=1 shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wold-style-definition -Wformat=2 -Wundef \
        -Wcast-qual -Wwrite-strings -Wvla -Wfloat-equal -Wdouble-promotion \
        -Wconversion -Wno-sign-conversion
OPT      ?= -O2 -g
CPPFLAGS += -D_DEFAULT_SOURCE
CFLAGS   += -std=c11 $(OPT) $(WARN) -MMD -MP
ifeq ($(WERROR),1)
CFLAGS   += -Werror
endif
ifeq ($(TSAN),1)
CFLAGS   += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=thread
endif
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif

PKGS       := gsl libcurl libcjson yaml-0.1 libpq libprotobuf-c snappy \
              libmicrohttpd
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || \
               echo -lgsl -lgslcblas -lcurl -lcjson -lyaml -lpq \
                 -lprotobuf-c -lsnappy -lmicrohttpd)
LDLIBS    += $(PKG_LIBS) -lpthread -lm

LIB_SRC := $(wildcard common/*.c forecast/*.c actuators/*.c telemetry/*.c \
             proto/*.c config/*.c) \
           $(filter-out controller/ctl_main.c,$(wildcard controller/*.c))
# protobuf-c code generated from proto/*.proto, compiled by a quieter rule.
GEN      := $(BUILD)/gen
PROTO    := $(wildcard proto/*.proto)
PROTO_C  := $(PROTO:%.proto=$(GEN)/%.pb-c.c)
PROTO_H  := $(PROTO:%.proto=$(GEN)/%.pb-c.h)
PROTO_OBJ := $(PROTO_C:$(GEN)/%.c=$(BUILD)/obj/gen/%.o)
CPPFLAGS += -I$(GEN) -I$(GEN)/proto
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(PROTO_OBJ)
LIB     := $(BUILD)/libprewarm.a
BIN     := $(BUILD)/prewarm

TEST_SRC  := $(wildcard tests/unit/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC  := $(wildcard tests/tools/*.c)
TOOL_BIN  := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all deps run serve test check check-tsan bench fuzz clean

all: $(BIN)

# Installs missing Debian packages when root, else says how.  The stamp
# keeps this to once per build folder (and again when the list changes).
deps: $(DEPS_STAMP)
# NODEPS=1 skips the check (an image build installs its own packages).
$(DEPS_STAMP): Makefile
	@mkdir -p $(@D)
	@if [ "$(NODEPS)" != 1 ] && command -v dpkg-query >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	      grep -q 'ok installed' || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	      echo "deps: installing$$missing"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq --no-install-recommends $$missing \
	        >/dev/null || exit 1; \
	    else \
	      echo "deps: missing Debian packages:$$missing"; \
	      echo "deps: run: sudo apt-get install --no-install-recommends$$missing"; \
	      exit 1; \
	    fi; \
	  fi; \
	fi
	@touch $@

# Kept after the build (make would delete them as intermediates).
.SECONDARY: $(PROTO_C) $(PROTO_H)
$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: %.proto | $(DEPS_STAMP)
	@mkdir -p $(GEN)
	@$(if $(Q),echo "  PROTOC  $<")
	$(Q)protoc-c --c_out=$(GEN) $<

$(BUILD)/obj/gen/%.o: $(GEN)/%.c $(PROTO_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (generated)")
	$(Q)$(CC) $(CPPFLAGS) -std=c11 $(OPT) $(PKG_CFLAGS) $(filter -fsanitize% \
	  -fno-%,$(CFLAGS)) -c $< -o $@

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP) $(PROTO_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BIN): $(BUILD)/obj/controller/ctl_main.o $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< \
	  $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< \
	  $(LIB) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< \
	  $(LIB) $(LDLIBS)

DEMO_DIR := $(BUILD)/demo
run: $(BIN)
	@mkdir -p $(DEMO_DIR)
	@$(BIN) demo-trace --days 14 --step 60 --output $(DEMO_DIR)/trace.csv
	@echo "demo: two weeks of per-minute requests (daily and weekly cycles,"
	@echo "demo: scheduled bursts, one flash crowd) in $(DEMO_DIR)/trace.csv"
	@echo "demo: replaying them through prewarm's control loop for a Deployment"
	@echo "demo: whose pods serve 1000 requests a minute and take 2 minutes to be ready,"
	@echo "demo: against an HPA at every utilisation target from 30% to 100%;"
	@echo "demo: the report goes to $(DEMO_DIR)/report/index.html (open it in a browser),"
	@echo "demo: every decision with its reasons to $(DEMO_DIR)/decisions.csv:"
	@echo
	@$(BIN) plan --trace $(DEMO_DIR)/trace.csv --step 60 \
	  --platform kubernetes --unit-capacity 1000 --warmup 120 \
	  --decisions $(DEMO_DIR)/decisions.csv --report $(DEMO_DIR)/report

# The daemon on the local demo configuration, until Ctrl-C.
serve: $(BIN)
	@echo "serve: http://127.0.0.1:9464/metrics and /api/v1/targets/checkout"
	@$(BIN) run --config config/examples/local.yaml

test: $(BIN) $(TEST_BIN) $(TOOL_BIN)
	@sh tests/run.sh $(BUILD)

check:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/check SAN=1 WERROR=1 \
	  OPT="-O1 -g" test

# ThreadSanitizer on what runs threads: the HTTP server's unit test and
# the daemon's tests (the loop's workers, the store thread, the server's
# pool, leader election).  Any report fails the target and is printed.
TSAN_UNIT  := test_ctl_http test_ctl_loop
TSAN_TESTS := tests/integration/test_loop.sh tests/integration/test_daemon.sh \
              tests/integration/test_leader.sh tests/integration/test_store.sh \
              tests/cli/test_run.sh tests/integration/test_shard.sh
TSAN_BUILD := $(BUILD)/tsan
check-tsan:
	@$(MAKE) --no-print-directory BUILD=$(TSAN_BUILD) TSAN=1 WERROR=1 \
	  OPT="-O1 -g" $(TSAN_BUILD)/prewarm \
	  $(TOOL_SRC:tests/tools/%.c=$(TSAN_BUILD)/tools/%) \
	  $(TSAN_UNIT:%=$(TSAN_BUILD)/tests/%)
	@rm -rf $(TSAN_BUILD)/reports; mkdir -p $(TSAN_BUILD)/reports
	@fail=0; export TSAN_OPTIONS="log_path=$(abspath $(TSAN_BUILD))/reports/tsan second_deadlock_stack=1"; \
	for t in $(TSAN_UNIT); do \
	  $(TSAN_BUILD)/tests/$$t >$(TSAN_BUILD)/reports/$$t.out 2>&1 || \
	    { fail=1; cat $(TSAN_BUILD)/reports/$$t.out; }; \
	  echo "tsan: $$t"; \
	done; \
	for s in $(TSAN_TESTS); do \
	  n=$$(basename $$s); \
	  PREWARM=$(TSAN_BUILD)/prewarm TOOLS=$(TSAN_BUILD)/tools timeout 300 \
	    sh $$s >$(TSAN_BUILD)/reports/$$n.out 2>&1; \
	  if grep -q '^not ok' $(TSAN_BUILD)/reports/$$n.out; then \
	    fail=1; cat $(TSAN_BUILD)/reports/$$n.out; fi; \
	  echo "tsan: $$n"; \
	done; \
	if ls $(TSAN_BUILD)/reports/tsan.* >/dev/null 2>&1; then \
	  fail=1; cat $(TSAN_BUILD)/reports/tsan.*; fi; \
	if [ $$fail = 0 ]; then echo "check-tsan: no data race reported"; \
	else echo "check-tsan: FAILED"; exit 1; fi

PREWARM_DATA ?= ../shared/data
AMZN := $(PREWARM_DATA)/nab/Twitter_volume_AMZN.csv
bench: $(BIN) $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	@BENCH=$(BUILD)/bench/bench_shard sh bench/bench_shard.sh
	@if [ -f $(AMZN) ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; \
	then echo "== what simple predictors reach on AMZN (bench/plan_bound.py)"; \
	  /usr/bin/python3 bench/plan_bound.py $(AMZN) 300 10 300 288; \
	else echo "plan_bound: skipped (no AMZN trace or no numpy)"; fi
	@if [ ! -d $(PREWARM_DATA) ]; then \
	  echo "forecast_vs_r: skipped ($(PREWARM_DATA) is absent)"; \
	elif ! command -v Rscript >/dev/null 2>&1 || \
	  ! Rscript -e 'library(forecast)' >/dev/null 2>&1; then \
	  echo "forecast_vs_r: skipped (needs Rscript and R's forecast:" \
	    "apt-get install r-cran-forecast)"; \
	elif ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then \
	  echo "forecast_vs_r: skipped (no numpy)"; \
	else echo; /usr/bin/python3 bench/forecast_vs_r.py \
	  --data $(PREWARM_DATA) --prewarm $(BIN); fi

# libFuzzer harnesses (clang), each run for FUZZ_SECONDS; a crash leaves
# its input in $(BUILD)/fuzz and fails the target.  Not part of test.
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
fuzz: $(PROTO_C) $(PROTO_H) | $(DEPS_STAMP)
	@mkdir -p $(BUILD)/fuzz
	@for f in $(FUZZ_SRC); do \
	  b=$(BUILD)/fuzz/$$(basename $$f .c); \
	  echo "  FUZZ    $$f ($(FUZZ_SECONDS) s)"; \
	  clang -std=c11 -D_DEFAULT_SOURCE -g -O1 \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -I$(GEN) -I$(GEN)/proto $(PKG_CFLAGS) -o $$b $$f $(LIB_SRC) \
	    $(PROTO_C) $(PKG_LIBS) -lpthread -lm || exit 1; \
	  (cd $(BUILD)/fuzz && ./$$(basename $$b) -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done') \
	    || exit 1; \
	  ls $(BUILD)/fuzz/crash-* >/dev/null 2>&1 && exit 1; \
	done; true

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
