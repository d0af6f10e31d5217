# driftlock — one non-recursive Makefile; every object goes to build/.
#
#   make            build the programs into build/
#   make check      unit, fuzz-corpus replay, CLI and integration tests
#   make asan       the same tests under AddressSanitizer + UBSan
#   make analyze    gcc -fanalyzer and cppcheck
#   make fuzz       libFuzzer harnesses (clang), each run for FUZZ_SECONDS
#   make bench      supervised/unsupervised ratios (scripts/bench.sh)
#   make demo       learn a workload, then enforce it (scripts/demo.sh)

BUILD    ?= build
CC       ?= gcc
PKGS     := libseccomp libcap inih jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lseccomp -lcap -linih -ljansson)

WARNINGS := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wwrite-strings \
            -Wvla -Wundef -Wimplicit-fallthrough
GCC_WARNINGS := -Wlogical-op -Wduplicated-cond -Wjump-misses-init
HARDENING := -fstack-protector-strong -fstack-clash-protection -fPIE
CPPFLAGS_ALL := -D_GNU_SOURCE -Iinclude -MMD -MP
ifneq ($(SANITIZE),)
  # Sanitizers and _FORTIFY_SOURCE do not mix well; tests run both ways.
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
  SAN_LDFLAGS := -fsanitize=$(SANITIZE)
else
  OPT := -O2 -g
  CPPFLAGS_ALL += -D_FORTIFY_SOURCE=2
endif
ifneq ($(CI),)
  WERROR := -Werror
endif
IS_GCC := $(shell $(CC) --version 2>/dev/null | grep -q 'Free Software Foundation' && echo yes)
ifeq ($(IS_GCC),yes)
  WARNINGS += $(GCC_WARNINGS)
endif

CFLAGS  ?= $(OPT)
ALL_CFLAGS := -std=gnu11 $(WARNINGS) $(WERROR) $(HARDENING) $(CFLAGS) $(PKG_CFLAGS)
LDFLAGS_ALL := -pie -Wl,-z,relro,-z,now $(SAN_LDFLAGS) $(LDFLAGS)

# The core library: every agent/ module except program mains (agent/*_main.c)
# and the CLI commands (agent/cli*.c).
CORE_SRCS := $(filter-out agent/%_main.c agent/cli%.c,$(wildcard agent/*.c))
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
CLI_SRCS  := $(wildcard agent/cli*.c)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/%.o)
LIBCORE   := $(BUILD)/libdriftlock-core.a

PROGRAMS := $(BUILD)/driftlock $(BUILD)/driftlockd $(BUILD)/driftlock-hook \
            $(BUILD)/libdriftlock-preload.so $(BUILD)/driftlock-exec

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/tests/replay_%)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
ITEST_SRCS := $(wildcard tests/integration/*.c)
ITEST_BINS := $(ITEST_SRCS:tests/integration/%.c=$(BUILD)/tests/%)

.PHONY: all check asan analyze fuzz bench demo clean install test-bins
# Keep objects of chained pattern rules: no rebuild on every run.
.SECONDARY:
all: $(PROGRAMS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(ALL_CFLAGS) -c $< -o $@

$(LIBCORE): $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/driftlock: $(CLI_OBJS) $(LIBCORE)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) $^ $(PKG_LIBS) -o $@

$(BUILD)/driftlockd: $(BUILD)/agent/driftlockd_main.o $(LIBCORE)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) $^ $(PKG_LIBS) -o $@

$(BUILD)/driftlock-hook: $(BUILD)/agent/hook_main.o $(LIBCORE)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) $^ $(PKG_LIBS) -o $@

# The in-container shim (shim/, DESIGN.md §2 path 2) runs inside any image,
# so it links against nothing: no libc (shim/sys.h makes the system calls),
# hence no stack protector (no canary, no __stack_chk_fail), its own flags
# (never sanitized), and no loop turned into a call to memset or strlen.
# The preload library is position-independent and exports nothing; the
# exec wrapper is a plain static executable with its own _start.
SHIM_COMMON := shim/attach.c shim/env.c shim/sys.c
SHIM_CFLAGS := -std=gnu11 $(WARNINGS) $(WERROR) -O2 -g -ffreestanding \
               -fno-stack-protector -fstack-clash-protection
ifeq ($(IS_GCC),yes)
  SHIM_CFLAGS += -fno-tree-loop-distribute-patterns
endif
SHIM_PIC_OBJS  := $(patsubst shim/%.c,$(BUILD)/shim/pic/%.o,$(SHIM_COMMON) shim/preload.c)
SHIM_EXEC_OBJS := $(patsubst shim/%.c,$(BUILD)/shim/static/%.o,$(SHIM_COMMON) shim/exec.c)

$(BUILD)/shim/pic/%.o: shim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(SHIM_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(BUILD)/shim/static/%.o: shim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(SHIM_CFLAGS) -fno-pie -c $< -o $@

$(BUILD)/libdriftlock-preload.so: $(SHIM_PIC_OBJS)
	$(CC) -nostdlib -shared -Wl,-z,defs,-z,now,-z,relro,-z,noexecstack $^ -o $@

$(BUILD)/driftlock-exec: $(SHIM_EXEC_OBJS)
	$(CC) -nostdlib -static -Wl,-z,noexecstack $^ -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) $^ $(PKG_LIBS) -lcmocka -o $@

# Fuzz corpora replay with the ordinary compiler: tests/fuzz/replay.c feeds
# every corpus file to the harness's LLVMFuzzerTestOneInput.
$(BUILD)/tests/replay_%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) $^ $(PKG_LIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/integration/%.o $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) $^ $(PKG_LIBS) -lpthread -o $@

# The probe once more, static and unsanitized, to run inside containers
# whose root has no glibc (the busybox rootfs).
$(BUILD)/tests/probe-static: tests/integration/probe.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) -std=gnu11 $(WARNINGS) $(WERROR) -O2 -static $< -lpthread -o $@

test-bins: $(PROGRAMS) $(UNIT_BINS) $(REPLAY_BINS) $(ITEST_BINS) $(BUILD)/tests/probe-static

check: test-bins
	BUILD=$(BUILD) tests/run-tests.sh

asan:
	$(MAKE) BUILD=build/asan SANITIZE=address,undefined check

# gcc's analyzer over every translation unit, then cppcheck over the tree.
ANALYZE_SRCS := $(CORE_SRCS) $(CLI_SRCS) $(wildcard agent/*_main.c)
ANALYZE_SHIM := $(wildcard shim/*.c)
analyze:
	@status=0; for f in $(ANALYZE_SRCS); do \
	  echo "  ANALYZE $$f"; \
	  gcc -fanalyzer -c -o /dev/null $(filter-out -MMD -MP -D_FORTIFY_SOURCE=2,$(CPPFLAGS_ALL)) -std=gnu11 $(WARNINGS) $(GCC_WARNINGS) -Werror $(PKG_CFLAGS) $$f || status=1; \
	done; \
	for f in $(ANALYZE_SHIM); do \
	  echo "  ANALYZE $$f"; \
	  gcc -fanalyzer -c -o /dev/null $(filter-out -MMD -MP -D_FORTIFY_SOURCE=2,$(CPPFLAGS_ALL)) $(SHIM_CFLAGS) -Werror $$f || status=1; \
	done; exit $$status
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	  --inline-suppr --std=c11 -D_GNU_SOURCE -Iinclude --suppress=missingIncludeSystem \
	  agent shim

FUZZ_SECONDS ?= 30
FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(CORE_SRCS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $< $(CORE_SRCS) $(PKG_LIBS) -o $@

fuzz: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do \
	  name=$$(basename $$f); corpus=tests/fuzz/corpus/$${name#fuzz_}; \
	  mkdir -p $(BUILD)/fuzz/new-$$name; \
	  echo "  FUZZ $$name for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(BUILD)/fuzz/new-$$name $$corpus; \
	done

bench: all
	scripts/bench.sh
	scripts/bench-fairness.sh

demo: all
	scripts/demo.sh

PREFIX ?= /usr/local
# The agent finds the shim in ../lib/driftlock next to its own directory.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/driftlock
	install -m 0755 $(BUILD)/driftlock $(BUILD)/driftlockd $(BUILD)/driftlock-hook $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(BUILD)/libdriftlock-preload.so $(BUILD)/driftlock-exec $(DESTDIR)$(PREFIX)/lib/driftlock/

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
