# Fuzzing: libFuzzer and AFL++ builds of the targets, the replay build,
# the smoke run of `make check`.  See fuzz/README.md.
#
#   make fuzz                          build every target for libFuzzer and AFL++
#   make fuzz-run TARGET=ops TIME=600  run a libFuzzer target (corpus in build/fuzz/run/)
#                                      (RUN_BUILD=fast, RUN_ARGS=libFuzzer options)
#   make fuzz-afl TARGET=ops TIME=600  run an AFL++ target
#   make fuzz-replay FILE=crash-...    replay one input under the -O0 -g build
#                                      (TARGET= guessed from the path; GDB=1 under gdb)
#   make fuzz-smoke                    60 s of libFuzzer over the seed corpora
#   make fuzz-speed [TARGET=ops]       executions per second by input length
#                                      (SPEED_CORPUS=dir: from that corpus)

PACKAGES += clang llvm libclang-rt-dev afl++

FUZZ_CC ?= clang
FUZZ_AFL_CC ?= afl-clang-fast
FUZZ_DIR := build/fuzz
FUZZ_TARGETS := ops copyin driver
# Sources of each target besides the emulator.
FUZZ_SRC_ops := fuzz/fuzz_ops.c
FUZZ_SRC_copyin := fuzz/fuzz_copyin.c
FUZZ_SRC_driver := fuzz/example/fuzz_driver.c fuzz/example/driver.c fuzz/example/shim.c
# The example driver's syscalls go to the emulator through the shim.
FUZZ_LDFLAGS_driver := -Wl,--wrap=open,--wrap=close,--wrap=ioctl,--wrap=pread,--wrap=pwrite
# The operation and copy-in targets share the harness (invariant checks).
FUZZ_USES_HARNESS := ops copyin
FUZZ_HARNESS := fuzz/harness.c
FUZZ_INC := $(CPPFLAGS) -Ifuzz -Ifuzz/example
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The fast build leaves out UBSan's pointer-overflow and alignment checks,
# a fifth of the target's time here; the lf build keeps them.
FUZZ_FAST_SAN := -fsanitize=undefined -fno-sanitize=pointer-overflow,alignment \
	-fsanitize-trap=all
FUZZ_CFLAGS := -std=gnu11 -g -O2 -Wall -Wextra -Werror -Wno-unknown-warning-option \
	-Wno-gnu-variable-sized-type-not-at-end
# The emulator is compiled as it is written; clang warns of things gcc does not.
FUZZ_LIB_CFLAGS := -std=gnu11 -g -O2 -Wall -Wno-unknown-warning-option

FUZZ_LF_LIB := $(patsubst %.c,$(FUZZ_DIR)/lf/obj/%.o,$(LIB_SRC))
FUZZ_AFL_LIB := $(patsubst %.c,$(FUZZ_DIR)/afl/obj/%.o,$(LIB_SRC))
FUZZ_RP_LIB := $(patsubst %.c,$(FUZZ_DIR)/replay/obj/%.o,$(LIB_SRC))
FUZZ_FAST_LIB := $(patsubst %.c,$(FUZZ_DIR)/fast/obj/%.o,$(LIB_SRC))
FUZZ_LF_BIN := $(patsubst %,$(FUZZ_DIR)/lf/fuzz_%,$(FUZZ_TARGETS))
FUZZ_AFL_BIN := $(patsubst %,$(FUZZ_DIR)/afl/fuzz_%,$(FUZZ_TARGETS))
FUZZ_RP_BIN := $(patsubst %,$(FUZZ_DIR)/replay/fuzz_%,$(FUZZ_TARGETS))
FUZZ_FAST_BIN := $(patsubst %,$(FUZZ_DIR)/fast/fuzz_%,$(FUZZ_TARGETS))
FUZZ_SP_LIB := $(patsubst %.c,$(FUZZ_DIR)/speed/obj/%.o,$(LIB_SRC))

# Every fuzz build is remade when the compiler or its flags change: the
# stamp (written at the end of the build rules) changes only then.
FUZZ_STAMP := $(FUZZ_DIR)/flags.stamp

.PHONY: fuzz fuzz-smoke fuzz-run fuzz-afl fuzz-replay fuzz-seeds fuzz-speed
check-extra: fuzz-smoke

fuzz: $(FUZZ_LF_BIN) $(FUZZ_FAST_BIN) $(FUZZ_AFL_BIN) $(FUZZ_RP_BIN)

# libFuzzer: the emulator with coverage (fuzzer-no-link), the target linked
# with libFuzzer's main.
$(FUZZ_DIR)/lf/obj/%.o: %.c $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC [lf]  $<"
	@$(FUZZ_CC) $(FUZZ_INC) $(FUZZ_LIB_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -MMD -MP -c -o $@ $<

# libFuzzer for speed: no ASan (UBSan only, trapping), edge counters but
# no comparison tracing in the emulator (clang 14 ignores
# -fno-sanitize-coverage=trace-cmp after fuzzer-no-link, so the coverage
# is spelled out), the target's own code not instrumented: several times
# the executions per second of the ASan build, for long runs beside it.
FUZZ_FAST_COV := -fsanitize-coverage=inline-8bit-counters,pc-table
$(FUZZ_DIR)/fast/obj/%.o: %.c $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC [fast] $<"
	@$(FUZZ_CC) $(FUZZ_INC) $(FUZZ_LIB_CFLAGS) $(FUZZ_FAST_COV) \
		$(FUZZ_FAST_SAN) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/fast/harness.o: $(FUZZ_HARNESS) fuzz/harness.h $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(FUZZ_INC) $(FUZZ_CFLAGS) $(FUZZ_FAST_SAN) -c -o $@ $<

$(FUZZ_DIR)/lf/harness.o: $(FUZZ_HARNESS) fuzz/harness.h $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(FUZZ_INC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -c -o $@ $<

# One link rule per target and build (no secondary expansion: it would
# change how every later rule of the Makefile is read).
define fuzz_link_rules
fuzz_h_$(1) := $(if $(filter $(1),$(FUZZ_USES_HARNESS)),y)
$(FUZZ_DIR)/lf/fuzz_$(1): $(FUZZ_SRC_$(1)) $(FUZZ_STAMP) $(wildcard fuzz/*.h fuzz/example/*.h) $$(if $$(fuzz_h_$(1)),$(FUZZ_DIR)/lf/harness.o) $(FUZZ_LF_LIB)
	@mkdir -p $$(dir $$@)
	@echo "  CCLD [lf] $$@"
	@$(FUZZ_CC) $(FUZZ_INC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $$@ \
		$(FUZZ_SRC_$(1)) $$(if $$(fuzz_h_$(1)),$(FUZZ_DIR)/lf/harness.o) $(FUZZ_LF_LIB) \
		$(FUZZ_LDFLAGS_$(1)) -lpthread

$(FUZZ_DIR)/fast/fuzz_$(1): $(FUZZ_SRC_$(1)) $(FUZZ_STAMP) $(wildcard fuzz/*.h fuzz/example/*.h) $$(if $$(fuzz_h_$(1)),$(FUZZ_DIR)/fast/harness.o) $(FUZZ_FAST_LIB)
	@mkdir -p $$(dir $$@)
	@echo "  CCLD [fast] $$@"
	@$(FUZZ_CC) $(FUZZ_INC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_FAST_SAN) \
		-fsanitize-coverage-allowlist=fuzz/fast-cov.allow -o $$@ \
		$(FUZZ_SRC_$(1)) $$(if $$(fuzz_h_$(1)),$(FUZZ_DIR)/fast/harness.o) $(FUZZ_FAST_LIB) \
		$(FUZZ_LDFLAGS_$(1)) -lpthread

$(FUZZ_DIR)/afl/fuzz_$(1): $(FUZZ_SRC_$(1)) $(FUZZ_STAMP) $(wildcard fuzz/*.h fuzz/example/*.h) $$(if $$(fuzz_h_$(1)),$(FUZZ_DIR)/afl/harness.o) $(FUZZ_AFL_LIB)
	@mkdir -p $$(dir $$@)
	@echo "  CCLD [afl] $$@"
	@AFL_QUIET=1 $(FUZZ_AFL_CC) $(FUZZ_INC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $$@ \
		$(FUZZ_SRC_$(1)) $$(if $$(fuzz_h_$(1)),$(FUZZ_DIR)/afl/harness.o) $(FUZZ_AFL_LIB) \
		$(FUZZ_LDFLAGS_$(1)) -lpthread

$(FUZZ_DIR)/replay/fuzz_$(1): $(FUZZ_SRC_$(1)) $(FUZZ_STAMP) fuzz/replay_main.c $(wildcard fuzz/*.h fuzz/example/*.h) $$(if $$(fuzz_h_$(1)),$(FUZZ_HARNESS)) $(FUZZ_RP_LIB)
	@mkdir -p $$(dir $$@)
	@echo "  CCLD [rp] $$@"
	@$(FUZZ_CC) $(FUZZ_INC) $(FUZZ_CFLAGS) -O0 $(FUZZ_SAN) -o $$@ \
		$(FUZZ_SRC_$(1)) fuzz/replay_main.c $$(if $$(fuzz_h_$(1)),$(FUZZ_HARNESS)) \
		$(FUZZ_RP_LIB) $(FUZZ_LDFLAGS_$(1)) -lpthread

$(FUZZ_DIR)/speed/fuzz_$(1): $(FUZZ_SRC_$(1)) $(FUZZ_STAMP) fuzz/replay_main.c $(wildcard fuzz/*.h fuzz/example/*.h) $$(if $$(fuzz_h_$(1)),$(FUZZ_HARNESS)) $(FUZZ_SP_LIB)
	@mkdir -p $$(dir $$@)
	@echo "  CCLD [sp] $$@"
	@$(FUZZ_CC) $(FUZZ_INC) $(FUZZ_CFLAGS) -o $$@ \
		$(FUZZ_SRC_$(1)) fuzz/replay_main.c $$(if $$(fuzz_h_$(1)),$(FUZZ_HARNESS)) \
		$(FUZZ_SP_LIB) $(FUZZ_LDFLAGS_$(1)) -lpthread
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_link_rules,$(t))))

# AFL++: afl-clang-fast instruments everything; -fsanitize=fuzzer links
# AFL++'s libFuzzer driver (persistent mode, shared-memory test cases).
$(FUZZ_DIR)/afl/obj/%.o: %.c $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC [afl] $<"
	@AFL_QUIET=1 $(FUZZ_AFL_CC) $(FUZZ_INC) $(FUZZ_LIB_CFLAGS) $(FUZZ_SAN) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/afl/harness.o: $(FUZZ_HARNESS) fuzz/harness.h $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@AFL_QUIET=1 $(FUZZ_AFL_CC) $(FUZZ_INC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -c -o $@ $<


# Replay: -O0 -g with the sanitizers and no fuzzer, a plain main that runs
# the target on each file named.
$(FUZZ_DIR)/replay/obj/%.o: %.c $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC [rp]  $<"
	@$(FUZZ_CC) $(FUZZ_INC) $(FUZZ_LIB_CFLAGS) -O0 $(FUZZ_SAN) -MMD -MP -c -o $@ $<


# Speed: the replay main's --speed mode at -O2 with nothing added, to
# tell the target's own cost from the fuzzing engine's (make fuzz-speed).
$(FUZZ_DIR)/speed/obj/%.o: %.c $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC [sp]  $<"
	@$(FUZZ_CC) $(FUZZ_INC) $(FUZZ_LIB_CFLAGS) -MMD -MP -c -o $@ $<

-include $(FUZZ_LF_LIB:.o=.d) $(FUZZ_AFL_LIB:.o=.d) $(FUZZ_RP_LIB:.o=.d) $(FUZZ_FAST_LIB:.o=.d) \
	$(FUZZ_SP_LIB:.o=.d)

# The compiler and flags of every build above, for the stamp.
FUZZ_STAMP_TEXT := $(FUZZ_CC) $(FUZZ_AFL_CC) $(FUZZ_CFLAGS) $(FUZZ_LIB_CFLAGS) $(FUZZ_SAN) \
	$(FUZZ_FAST_SAN) $(FUZZ_FAST_COV)
$(shell mkdir -p $(FUZZ_DIR) && echo '$(FUZZ_STAMP_TEXT)' | cmp -s - $(FUZZ_STAMP) || \
	echo '$(FUZZ_STAMP_TEXT)' >$(FUZZ_STAMP))

# ---- running ----

FUZZ_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TARGET ?= ops
TIME ?= 600

# One target for $(2) seconds over its seeds; new inputs stay in build/.
define fuzz_smoke_one
	mkdir -p $(FUZZ_DIR)/smoke/$(1)/corpus; \
	if $(FUZZ_ENV) $(FUZZ_DIR)/lf/fuzz_$(1) -max_total_time=$(2) -timeout=20 \
		-rss_limit_mb=4096 -print_final_stats=1 -dict=fuzz/dict/$(1).dict \
		-artifact_prefix=$(FUZZ_DIR)/smoke/$(1)/ \
		$(FUZZ_DIR)/smoke/$(1)/corpus fuzz/corpus/$(1) \
		> $(FUZZ_DIR)/smoke/$(1).log 2>&1; then \
		echo "fuzz $(1): ok ($$(grep -o 'stat::number_of_executed_units: *[0-9]*' \
			$(FUZZ_DIR)/smoke/$(1).log | grep -o '[0-9]*$$') runs, \
			$$(grep -o 'cov: [0-9]* ft: [0-9]*' $(FUZZ_DIR)/smoke/$(1).log | tail -1))"; \
		pass=$$((pass + 1)); \
	else \
		echo "fuzz $(1): FAILED (log: $(FUZZ_DIR)/smoke/$(1).log)"; \
		tail -40 $(FUZZ_DIR)/smoke/$(1).log; \
		fail=$$((fail + 1)); \
	fi;
endef

fuzz-smoke: $(FUZZ_LF_BIN)
	@echo "== libFuzzer smoke over the seed corpora (60 s)"
	@pass=0; fail=0; \
	$(call fuzz_smoke_one,ops,35) \
	$(call fuzz_smoke_one,copyin,20) \
	$(call fuzz_smoke_one,driver,5) \
	echo "$$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

# The operation target's inputs cost in proportion to their operations;
# 512 bytes (about 64 operations) hold any state its slots allow.
FUZZ_MAXLEN_ops := 512

# RUN_BUILD=fast runs the UBSan-only build; RUN_ARGS= adds libFuzzer
# options (for the operation target, -use_counters=0 -shrink=1: see
# fuzz/README.md).
RUN_BUILD ?= lf
RUN_ARGS ?=
fuzz-run: $(FUZZ_DIR)/$(RUN_BUILD)/fuzz_$(TARGET)
	@mkdir -p $(FUZZ_DIR)/run/$(TARGET)/corpus $(FUZZ_DIR)/run/$(TARGET)/crashes
	$(FUZZ_ENV) $(FUZZ_DIR)/$(RUN_BUILD)/fuzz_$(TARGET) -max_total_time=$(TIME) -timeout=20 \
		$(if $(FUZZ_MAXLEN_$(TARGET)),-max_len=$(FUZZ_MAXLEN_$(TARGET))) \
		-rss_limit_mb=4096 -print_final_stats=1 -dict=fuzz/dict/$(TARGET).dict \
		-artifact_prefix=$(FUZZ_DIR)/run/$(TARGET)/crashes/ $(RUN_ARGS) \
		$(FUZZ_DIR)/run/$(TARGET)/corpus fuzz/corpus/$(TARGET)

SPEED_LENS ?= 16 32 64 128 256 512
SPEED_TIME ?= 15
SPEED_CORPUS ?= fuzz/corpus/$(TARGET)
fuzz-speed: $(FUZZ_DIR)/speed/fuzz_$(TARGET) $(FUZZ_DIR)/fast/fuzz_$(TARGET) $(FUZZ_DIR)/lf/fuzz_$(TARGET)
	@SPEED_CORPUS=$(SPEED_CORPUS) fuzz/speed.sh $(TARGET) $(SPEED_TIME) $(SPEED_LENS)

fuzz-afl: $(FUZZ_DIR)/afl/fuzz_$(TARGET)
	@mkdir -p $(FUZZ_DIR)/afl-out
	AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=0 \
	afl-fuzz -m none -V $(TIME) -x fuzz/dict/$(TARGET).dict -i fuzz/corpus/$(TARGET) \
		$(if $(FUZZ_MAXLEN_$(TARGET)),-G $(FUZZ_MAXLEN_$(TARGET))) \
		-o $(FUZZ_DIR)/afl-out/$(TARGET) -- $(FUZZ_DIR)/afl/fuzz_$(TARGET)

# The target of a crash file: named in its path, else the operation target.
FUZZ_REPLAY_TARGET = $(or $(filter-out ops,$(TARGET)),$(if $(findstring copyin,$(FILE)),copyin,$(if $(findstring driver,$(FILE)),driver,ops)))

fuzz-replay: $(FUZZ_RP_BIN)
	@test -n "$(FILE)" || { echo "usage: make fuzz-replay FILE=path [TARGET=ops|copyin|driver] [GDB=1]"; exit 2; }
	@echo "replaying $(FILE) on $(FUZZ_DIR)/replay/fuzz_$(FUZZ_REPLAY_TARGET)"
	@if [ -n "$(GDB)" ]; then \
		$(FUZZ_ENV) gdb -q -ex run --args $(FUZZ_DIR)/replay/fuzz_$(FUZZ_REPLAY_TARGET) $(FILE); \
	else \
		$(FUZZ_ENV) $(FUZZ_DIR)/replay/fuzz_$(FUZZ_REPLAY_TARGET) $(FILE); \
	fi

# Regenerate the committed seed corpora (and check they replay).
$(FUZZ_DIR)/mkseeds: fuzz/mkseeds.c $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(FUZZ_INC) $(FUZZ_CFLAGS) -o $@ $<

fuzz-seeds: $(FUZZ_DIR)/mkseeds $(FUZZ_RP_BIN)
	$(FUZZ_DIR)/mkseeds fuzz/corpus
	@for t in $(FUZZ_TARGETS); do $(FUZZ_ENV) $(FUZZ_DIR)/replay/fuzz_$$t fuzz/corpus/$$t || exit 1; done
