# memscope: one non-recursive Makefile. Everything is built under $(OUTPUT).
#
#   make                 build build/memscope (and the test programs)
#   make STATIC=1        self-contained static binary
#   make V=1             show the commands
#   make WERROR=1        warnings are errors (the test targets set this)
#   make test            build with -Werror and run the whole suite
#   make bench           what each tool costs (build/bench/bench.json)
#   make soak            every tool for SOAK_SECONDS (600) against a steady
#                        workload; fails on growth beyond its bounds
#   make SANITIZE=1      build memscope and its tests with ASan+UBSan
#                        (not the workloads: the tracer's targets stay as
#                        they are); use with its own OUTPUT
#   make sanitize        build with SANITIZE=1 into $(OUTPUT)/sanitize and
#                        run the host suite, BPF tests included; fails on
#                        any sanitizer report (scripts/sanitize.sh)
#   make demo            build and run the main job on the bundled demo
#   make fuzz            build the libFuzzer harnesses (tests/fuzz/) and run each
#                        for FUZZ_SECONDS (default 60); non-zero if one found
#                        something (crash files under build/fuzz/findings/)
#   make install         install to $(DESTDIR)$(PREFIX)/bin (PREFIX=/usr/local)
#   make uninstall

OUTPUT     ?= build
PREFIX     ?= /usr/local
DESTDIR    ?=
CC         ?= gcc
CLANG      ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL    ?= bpftool
PKG_CONFIG ?= pkg-config
STATIC     ?= 0
WERROR     ?= 0
SANITIZE   ?= 0

VERSION := 0.1.0
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null)

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_DIR := vmlinux/$(ARCH)

ifeq ($(V),1)
Q :=
msg :=
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
Q := @
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
# Skeletons and BPF objects are intermediates of a pattern chain: keep them.
.SECONDARY:
.SUFFIXES:
.DEFAULT_GOAL := all

# ---- flags -----------------------------------------------------------------

WARNINGS := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

# ncursesw for cachetop's full-screen view (wide: names print as UTF-8), plain
# ncurses where only that is installed. Static too: the QEMU guests' static
# binary never shows the view, but links it.
CURSES := $(if $(shell $(PKG_CONFIG) --exists ncursesw && echo y),ncursesw,ncurses)
PKGS := libbpf libelf libdw $(CURSES)
ifeq ($(STATIC),1)
PKG_LIBS := $(shell $(PKG_CONFIG) --static --libs $(PKGS)) -lzstd
LDFLAGS_STATIC := -static
else
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS))
LDFLAGS_STATIC :=
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))

CFLAGS  ?= -O2 -g
LDFLAGS ?=
ALL_CFLAGS := $(CFLAGS) -std=gnu11 $(WARNINGS) -D_GNU_SOURCE \
	-I$(OUTPUT) -Ibpf -Iuser $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) $(LDFLAGS_STATIC)
ifeq ($(STATIC),1)
LIBS := $(PKG_LIBS) -lcapstone -liberty -lpthread
else
# Loaded on demand (see user/leak/uprobe_insn.c).
LIBS := $(PKG_LIBS) -liberty -lpthread
ALL_CFLAGS += -DMEMSCOPE_CAPSTONE_DLOPEN
# The tests check the placement with capstone of their own, linked.
TEST_LIBS := -lcapstone
endif

# ASan+UBSan for memscope, its tests and what they link of ours; any
# undefined behaviour is fatal, a float cast out of range too (UB that
# -fsanitize=undefined leaves out). MEMSCOPE_SANITIZE lets the tests know
# (tests/lib/harness.h: test_sanitized()).
ifeq ($(SANITIZE),1)
ifeq ($(STATIC),1)
$(error SANITIZE=1 cannot be STATIC=1: the sanitizer runtimes are shared libraries)
endif
SAN_FLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined,float-cast-overflow
ALL_CFLAGS += $(SAN_FLAGS) -DMEMSCOPE_SANITIZE
ALL_LDFLAGS += $(SAN_FLAGS)
# UBSAN_OPTIONS' log_path obeyed with gcc's runtimes (see the file).
SAN_OBJS := $(OUTPUT)/tests/sanitize/ubsan_log.o
else
SAN_FLAGS :=
SAN_OBJS :=
endif

BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-I$(VMLINUX_DIR) -Ibpf -Wall -Wno-unused-function -MMD -MP
ifeq ($(WERROR),1)
BPF_CFLAGS += -Werror
endif

# Objects are rebuilt when the flags change, not only when sources do.
FLAGS_STAMP := $(OUTPUT)/.flags
FLAGS_NOW := $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(LIBS) | $(CLANG) $(BPF_CFLAGS)
$(shell mkdir -p $(OUTPUT); \
	if [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" != '$(subst ','\'',$(FLAGS_NOW))' ]; then \
		printf '%s' '$(subst ','\'',$(FLAGS_NOW))' >$(FLAGS_STAMP); fi)

# ---- sources ---------------------------------------------------------------

# The tree says what to build: shared modules live in user/<concern>/, each
# tool in user/<tool>/ with its BPF side in bpf/<tool>.bpf.c, and main.c
# dispatches through the registry (user/tools.def). Adding a tool edits
# nothing here.
SHARED_DIRS := core run caps syms out
TOOLS     := $(filter-out $(SHARED_DIRS),$(patsubst user/%/,%,$(wildcard user/*/)))
BPF_APPS  := $(patsubst bpf/%.bpf.c,%,$(wildcard bpf/*.bpf.c))
BPF_OBJS  := $(patsubst %,$(OUTPUT)/bpf/%.bpf.o,$(BPF_APPS))
SKELS     := $(patsubst %,$(OUTPUT)/%.skel.h,$(BPF_APPS))

LIB_SRCS  := $(wildcard $(patsubst %,user/%/*.c,$(SHARED_DIRS)))
TOOL_SRCS := $(wildcard $(patsubst %,user/%/*.c,$(TOOLS)))
LIB_OBJS  := $(patsubst %.c,$(OUTPUT)/%.o,$(LIB_SRCS))
TOOL_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(TOOL_SRCS))
MAIN_OBJ  := $(OUTPUT)/user/main.o
VERSION_OBJ := $(OUTPUT)/version.o
BIN := $(OUTPUT)/memscope

TEST_LIB_SRCS := $(wildcard tests/lib/*.c)
TEST_SRCS := $(filter-out tests/lib/%,$(wildcard tests/*.c))
TEST_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(TEST_LIB_SRCS) $(TEST_SRCS))
TEST_BIN  := $(OUTPUT)/tests/memscope-test

# Workload programs the end-to-end tests drive (one .c each). They are
# always dynamically linked (the QEMU guest gets their shared libraries);
# some also come static and stripped, for the tests of those targets.
WORKLOAD_SRCS := $(wildcard tests/workloads/*.c)
WORKLOADS := $(patsubst tests/workloads/%.c,$(OUTPUT)/tests/workloads/%,$(WORKLOAD_SRCS))
# C++ ones (demangled names), built -O2 as C++ programs usually are, with
# libstdc++ linked in (the guests get only the C libraries).
WORKLOADS += $(patsubst tests/workloads/%.cc,$(OUTPUT)/tests/workloads/%,$(wildcard tests/workloads/*.cc))
VARIANT_WORKLOADS := ledger
WORKLOADS += $(foreach w,$(VARIANT_WORKLOADS),$(addprefix $(OUTPUT)/tests/workloads/$(w),_static _stripped _static_stripped))
WORKLOADS += $(OUTPUT)/tests/workloads/alloc_calls_static
WORKLOADS += $(OUTPUT)/tests/workloads/callpaths_static
# The C++ ledger, built -O2 as a distro builds C++, once per allocator.
CXX_LEDGER := $(OUTPUT)/tests/workloads/cxx_ledger $(addprefix $(OUTPUT)/tests/workloads/cxx_ledger,_je _tc _static)
WORKLOADS += $(CXX_LEDGER)
# The library the hostile workload loads (tests/workloads/so/), stripped:
# frames in it are named by the module, which the tests name to attack a
# terminal.
WORKLOAD_SOS := $(patsubst tests/workloads/so/%_lib.c,$(OUTPUT)/tests/workloads/lib%.so,$(wildcard tests/workloads/so/*_lib.c))
WORKLOADS += $(WORKLOAD_SOS)
WORKLOAD_CFLAGS := -O1 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls \
	-std=gnu11 $(WARNINGS) -D_GNU_SOURCE
WORKLOAD_CXXFLAGS := -O2 -g -fno-omit-frame-pointer -std=gnu++17 $(WARNINGS) -D_GNU_SOURCE

# callpaths is built as distributions build programs: -O2, no frame
# pointers (the unwinding tests walk it with its call-frame information).
CALLPATHS_CFLAGS := -O2 -g -fomit-frame-pointer -std=gnu11 $(WARNINGS) -D_GNU_SOURCE
$(OUTPUT)/tests/workloads/callpaths $(OUTPUT)/tests/workloads/callpaths_static: \
	WORKLOAD_CFLAGS := $(CALLPATHS_CFLAGS)

# ---- rules -----------------------------------------------------------------

# The version string lives in one generated file, rewritten only when it
# changes: a new commit relinks, it does not rebuild every object.
VERSION_STR := $(VERSION)$(if $(GIT_REV),-$(GIT_REV))
$(shell mkdir -p $(OUTPUT); \
	v='const char memscope_version[] = "$(VERSION_STR)";'; \
	[ "$$(cat $(OUTPUT)/version.c 2>/dev/null)" = "$$v" ] || echo "$$v" >$(OUTPUT)/version.c)

$(VERSION_OBJ): $(OUTPUT)/version.c $(FLAGS_STAMP)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

.PHONY: all
all: $(BIN) $(TEST_BIN) $(WORKLOADS)

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(FLAGS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf >$@

# Every user object may include a skeleton: make sure they exist first; the
# -MMD dependency files then track which one each object really includes.
$(OUTPUT)/%.o: %.c $(FLAGS_STAMP) | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BIN): $(MAIN_OBJ) $(TOOL_OBJS) $(LIB_OBJS) $(VERSION_OBJ) $(SAN_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(TEST_OBJS): ALL_CFLAGS += -Itests/lib

$(TEST_BIN): $(TEST_OBJS) $(TOOL_OBJS) $(LIB_OBJS) $(VERSION_OBJ) $(SAN_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) $(TEST_LIBS) -o $@

# Workloads keep their call structure (frame pointers, no sibling calls,
# debug info) so tests can predict their stacks and source lines.
$(OUTPUT)/tests/workloads/%: tests/workloads/%.c $(FLAGS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) -MMD -MP $< -lpthread -o $@

$(OUTPUT)/tests/workloads/%: tests/workloads/%.cc $(FLAGS_STAMP)
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(WORKLOAD_CXXFLAGS) -MMD -MP $< -static-libstdc++ -static-libgcc -o $@

$(OUTPUT)/tests/workloads/lib%.so: tests/workloads/so/%_lib.c $(FLAGS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) -fPIC -shared -s $< -o $@

$(OUTPUT)/tests/workloads/%_static: tests/workloads/%.c $(FLAGS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) -static $< -lpthread -o $@

$(OUTPUT)/tests/workloads/%_stripped: tests/workloads/%.c $(FLAGS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) -s $< -lpthread -o $@

$(OUTPUT)/tests/workloads/%_static_stripped: tests/workloads/%.c $(FLAGS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) -static -s $< -lpthread -o $@

CXX ?= g++
CXX_LEDGER_FLAGS := -O2 -g -std=gnu++17 -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
$(OUTPUT)/tests/workloads/cxx_ledger: tests/workloads/cxx_ledger.cpp $(FLAGS_STAMP)
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(CXX_LEDGER_FLAGS) $< -o $@

$(OUTPUT)/tests/workloads/cxx_ledger_je: tests/workloads/cxx_ledger.cpp $(FLAGS_STAMP)
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(CXX_LEDGER_FLAGS) -DLEDGER_JEMALLOC $< -ljemalloc -o $@

$(OUTPUT)/tests/workloads/cxx_ledger_tc: tests/workloads/cxx_ledger.cpp $(FLAGS_STAMP)
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(CXX_LEDGER_FLAGS) -DLEDGER_TCMALLOC $< -ltcmalloc_minimal -o $@

$(OUTPUT)/tests/workloads/cxx_ledger_static: tests/workloads/cxx_ledger.cpp $(FLAGS_STAMP)
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(CXX_LEDGER_FLAGS) -static $< -o $@

# ---- top-level jobs ----------------------------------------------------------

.PHONY: test
test:
	$(Q)OUTPUT=$(OUTPUT) scripts/test.sh

# What each tool costs: memscope-bench runs every benchmark's workload
# untraced, under memscope, under the floor (empty programs) and under the
# peers, interleaved; a table on stdout, the figures in $(BENCH_JSON).
# BENCH_ARGS: its options and benchmarks (memscope-bench -h).
BENCH_BIN := $(OUTPUT)/bench/memscope-bench $(OUTPUT)/bench/benchwl $(OUTPUT)/bench/memscope-soak
BENCH_JSON ?= $(OUTPUT)/bench/bench.json
BENCH_ARGS ?=
BENCH_CFLAGS := -O2 -g -std=gnu11 $(WARNINGS) -D_GNU_SOURCE

BENCH_SRCS := bench/bench.c bench/proc.c bench/report.c
# memscope's own JSON writer (escaping, UTF-8 checks) and /proc readers.
BENCH_CORE := $(OUTPUT)/user/core/json.o $(OUTPUT)/user/core/strutil.o \
	$(OUTPUT)/user/core/procfs.o $(SAN_OBJS)
$(OUTPUT)/bench/memscope-bench: $(BENCH_SRCS) bench/bench.h $(BENCH_CORE) $(FLAGS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) -Iuser -DBENCH_PEERS='"$(CURDIR)/bench/peers"' \
		$(BENCH_SRCS) $(BENCH_CORE) $(shell $(PKG_CONFIG) --libs libbpf) -lm -o $@

# Every tool left running at once against a steady workload of its own,
# sampled every 10 s: fails on growth beyond the bounds in bench/soak.c.
# A table on stdout, the figures in $(SOAK_DIR)/soak.json.
SOAK_SECONDS ?= 600
SOAK_DIR ?= $(OUTPUT)/soak
SOAK_ARGS ?=
SOAK_SRCS := bench/soak.c bench/proc.c
# The JSON written whole or not at all (memscope's own writer of files).
SOAK_CORE := $(OUTPUT)/user/out/files.o
$(OUTPUT)/bench/memscope-soak: $(SOAK_SRCS) bench/bench.h $(BENCH_CORE) $(SOAK_CORE) $(FLAGS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) -Iuser $(SOAK_SRCS) $(BENCH_CORE) $(SOAK_CORE) \
		$(shell $(PKG_CONFIG) --libs libbpf) -lm -o $@

.PHONY: soak
soak: $(BIN) $(BENCH_BIN)
	$(Q)$(OUTPUT)/bench/memscope-soak -d $(SOAK_SECONDS) -o $(SOAK_DIR) $(SOAK_ARGS)

# Built with everything (a test runs it briefly), but not for the guests.
ifneq ($(STATIC),1)
all: $(BENCH_BIN)
endif

# -O2 as programs are built; libstdc++ for the C++ new/delete loop.
$(OUTPUT)/bench/benchwl: bench/wl.c $(FLAGS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) $< -lstdc++ -o $@

# The host suite under ASan+UBSan (scripts/sanitize.sh): every report, in
# memscope's children too, is a failure. SANITIZE_ARGS: the runner's
# options (e.g. -t probe).
SANITIZE_ARGS ?=
.PHONY: sanitize
sanitize:
	$(Q)OUTPUT=$(OUTPUT)/sanitize scripts/sanitize.sh $(SANITIZE_ARGS)

.PHONY: bench
bench: all $(BENCH_BIN)
	$(Q)$(OUTPUT)/bench/memscope-bench -o $(BENCH_JSON) $(BENCH_ARGS)

# ---- fuzz harnesses ----------------------------------------------------------

# One libFuzzer harness per parser of untrusted input (tests/fuzz/*.c; see
# README "Tests"), linked with every module compiled again by clang with
# coverage, ASan and UBSan into $(FUZZ_DIR)/obj. Their seed corpora are
# written at build time from this machine's files (scripts/fuzz-corpus.sh).
# Built with everything where clang has libFuzzer (libclang-rt-14-dev); not
# for STATIC=1 (the guests have no clang).
FUZZ_DIR     := $(OUTPUT)/fuzz
FUZZ_NAMES   := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c))
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 60
FUZZ_RT      := $(wildcard $(shell $(CLANG) -print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer-*.a)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -std=gnu11 $(WARNINGS) -D_GNU_SOURCE \
	-DMEMSCOPE_CAPSTONE_DLOPEN -I$(OUTPUT) -Ibpf -Iuser -Itests/fuzz $(PKG_CFLAGS) -MMD -MP
FUZZ_OBJS    := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRCS) $(TOOL_SRCS)) \
	$(FUZZ_DIR)/obj/version.o
FUZZ_CORPUS  := $(FUZZ_DIR)/corpus/.stamp

$(FUZZ_DIR)/obj/version.o: $(OUTPUT)/version.c $(FLAGS_STAMP)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

$(FUZZ_DIR)/obj/%.o: %.c $(FLAGS_STAMP) | $(SKELS)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

$(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_OBJS) $(FLAGS_STAMP)
	$(call msg,FUZZ-LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -MF $(FUZZ_DIR)/obj/$*.d \
		-MT $@ $< $(FUZZ_OBJS) $(PKG_LIBS) -liberty -lpthread -ldl -o $@

# Seeds from this machine's /proc and /sys, the test workloads and /bin:
# regenerated when the script changes (or by removing the stamp).
$(FUZZ_CORPUS): scripts/fuzz-corpus.sh tests/fuzz/seeds/btf_seed.c $(WORKLOADS)
	$(call msg,CORPUS,$(@D))
	$(Q)CLANG=$(CLANG) scripts/fuzz-corpus.sh $(@D) $(OUTPUT)
	$(Q)touch $@

.PHONY: fuzz-build fuzz
ifneq ($(FUZZ_RT),)
fuzz-build: $(FUZZ_BINS) $(FUZZ_CORPUS)
ifneq ($(STATIC),1)
all: fuzz-build
endif
else
fuzz-build:
	@echo "fuzz: clang has no libFuzzer runtime (Debian: libclang-rt-14-dev, scripts/deps.sh)" >&2
	@exit 1
endif

# Each harness for FUZZ_SECONDS on a working corpus of its own (the seeds
# stay as they are), then one line each: runs, corpus size, findings.
fuzz: fuzz-build
	$(Q)OUTPUT=$(OUTPUT) scripts/fuzz-run.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

# The main job on the bundled demo: a toy server with a cache (grows, then
# steady) and a leak (grows for ever), traced from its first instruction.
.PHONY: demo
demo: $(BIN) $(OUTPUT)/tests/workloads/leaky
	$(Q)$(BIN) leak -T 4 -c "$(OUTPUT)/tests/workloads/leaky 12" 3

.PHONY: install uninstall
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/memscope

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/memscope

.PHONY: clean
clean:
	rm -rf $(OUTPUT)

-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)

# The test suite inside a QEMU guest on a stock Debian kernel
# (VMTEST_KERNEL=debian-6.1|debian-backports|<package>|<vmlinuz path>).
VMTEST_KERNEL ?= debian-6.1
.PHONY: vmtest
vmtest:
	$(Q)OUTPUT=$(OUTPUT) scripts/vmtest.sh -k $(VMTEST_KERNEL)
