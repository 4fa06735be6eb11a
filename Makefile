# iommufd-emu: userspace emulator of /dev/iommu and VFIO device cdevs.
#
#   make            build the library (and what exists of the command)
#   make check      install missing packages, build, run every test
#   make bench      print the benchmark table
#   make SAN=1 ...  the same with AddressSanitizer + UBSan
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
SAN ?= 0

VARIANT := $(if $(filter 1,$(SAN)),san,rel)
BUILD := build/$(VARIANT)

CC ?= gcc
WARN := -Wall -Wextra -Werror
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CPPFLAGS := -D_GNU_SOURCE -Iinclude -Iemu -Imockdev
BASE_CFLAGS := -std=gnu11 -g -O2 -fPIC -fvisibility=hidden $(WARN)
CFLAGS := $(BASE_CFLAGS) $(if $(filter 1,$(SAN)),$(SANFLAGS))
LDFLAGS := $(if $(filter 1,$(SAN)),$(SANFLAGS))
LDLIBS := -lpthread

# Debian/Ubuntu packages the build and the tests need.
PACKAGES := gcc make pkg-config libcmocka-dev uthash-dev valgrind libfuse3-dev fuse3

VERSION := 0.1.0

# The core and the device models it serves.
LIB_SRC := $(wildcard emu/*.c) $(wildcard mockdev/*.c)
LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC))
# The command: the FUSE front end over the library's public API.
PRELOAD_SRC := emu/fuse/preload.c emu/fuse/preload_fds.c
CMD_SRC := $(filter-out $(PRELOAD_SRC),$(wildcard emu/fuse/*.c))
CMD_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(CMD_SRC))
CMD_BIN := $(BUILD)/iommufd-emu
PRELOAD_LIB := $(BUILD)/libiommufd-emu-preload.so
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null || echo -I/usr/include/fuse3)
FUSE_LIBS := $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCH_BIN := $(BUILD)/tests/bench
DMA_BENCH_BIN := $(BUILD)/tests/dma_bench
DMA_BENCH_INPROC := $(BUILD)/tests/dma_bench-inproc
FUSE_BENCH_BIN := $(BUILD)/tests/fuse_bench
NOOP_FUSE_BIN := $(BUILD)/tests/noop_fuse

# Scenario programs: plain drivers of /dev/iommu (run over FUSE, and on a
# real kernel), and the same linked in-process through the shim.
SCEN_SRC := $(wildcard tests/kernel/*.c)
SCEN_BIN := $(patsubst tests/kernel/%.c,$(BUILD)/scenarios/%,$(SCEN_SRC))
SCEN_INPROC := $(patsubst tests/kernel/%.c,$(BUILD)/scenarios/%-inproc,$(SCEN_SRC))
E2E_BIN := $(BUILD)/tests/e2e/test_fuse
BUGGY_BIN := $(BUILD)/tests/e2e/buggy
SELFTEST_E2E_BIN := $(BUILD)/tests/e2e/selftest_fuse
PATHS_CHECK_BIN := $(BUILD)/tests/e2e/paths_check

EXAMPLES := $(BUILD)/examples/edu_driver $(BUILD)/examples/dmatest_driver

STATIC_LIB := $(BUILD)/libiommufd-emu.a
SHARED_LIB := $(BUILD)/libiommufd-emu.so.0

VALGRIND := valgrind --quiet --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect

.PHONY: all lib check unit unit-san abi e2e bench deps install clean demo
.DELETE_ON_ERROR:

all: lib $(CMD_BIN) $(PRELOAD_LIB) $(UNIT_BIN) $(SCEN_BIN) $(SCEN_INPROC) $(E2E_BIN) \
	$(PATHS_CHECK_BIN) $(EXAMPLES) $(BUILD)/examples/inprocess_tour

lib: $(STATIC_LIB) $(SHARED_LIB)

$(BUILD)/emu/fuse/%.o: emu/fuse/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(FUSE_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(CMD_OBJ:.o=.d)

$(CMD_BIN): $(CMD_OBJ) $(STATIC_LIB)
	@echo "  CCLD    $@"
	@$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) $(STATIC_LIB) $(FUSE_LIBS) $(LDLIBS)

# Never sanitized: it is loaded into arbitrary programs.
$(PRELOAD_LIB): $(PRELOAD_SRC)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -shared -o $@ $(PRELOAD_SRC) -ldl -lpthread

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(LIB_OBJ:.o=.d)

# One relocatable object whose internal symbols are made local, so that a
# program linking the static library only sees the public API.
$(BUILD)/iommufd-emu.o: $(LIB_OBJ)
	$(LD) -r -o $@ $^
	objcopy --localize-hidden $@

$(STATIC_LIB): $(BUILD)/iommufd-emu.o
	rm -f $@
	ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libiommufd-emu.so.0 $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link the objects directly: they exercise internal modules too.
$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJ) -lcmocka $(LDLIBS)

# Plain clients, as a driver would be built (the server is what SAN=1 checks).
$(BUILD)/scenarios/%: tests/kernel/%.c tests/kernel/scenario.h
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) -U_FORTIFY_SOURCE $(BASE_CFLAGS) -o $@ $<

# The calls the in-process shim (tests/e2e/shim.c) takes over.
SHIM_WRAP := -Wl,--wrap=open,--wrap=ioctl,--wrap=close,--wrap=pread,--wrap=pwrite \
	-Wl,--wrap=read,--wrap=write,--wrap=lseek,--wrap=poll

$(BUILD)/scenarios/%-inproc: tests/kernel/%.c tests/kernel/scenario.h tests/e2e/shim.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) -U_FORTIFY_SOURCE $(CFLAGS) $(LDFLAGS) -o $@ $< tests/e2e/shim.c \
		$(LIB_OBJ) $(LDLIBS) $(SHIM_WRAP)

$(PATHS_CHECK_BIN): tests/e2e/paths_check.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -o $@ $<

# A plain client, as the drivers --check is for.
$(BUGGY_BIN): tests/e2e/buggy.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -o $@ $<

# A plain client, as the kernel's selftest is built.
$(SELFTEST_E2E_BIN): tests/e2e/selftest_fuse.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -o $@ $< -lcmocka

$(E2E_BIN): tests/e2e/test_fuse.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -lcmocka

$(FUSE_BENCH_BIN): tests/bench/fuse_bench.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(NOOP_FUSE_BIN): tests/bench/noop_fuse.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(FUSE_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(FUSE_LIBS)

# The DMA benchmark is a plain client; linked with the shim it runs in-process.
$(DMA_BENCH_BIN): tests/bench/dma_bench.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -o $@ $<

$(DMA_BENCH_INPROC): tests/bench/dma_bench.c tests/e2e/shim.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/e2e/shim.c $(LIB_OBJ) $(LDLIBS) \
		$(SHIM_WRAP)

$(BENCH_BIN): tests/bench/bench.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

# ---- tests ----

check: deps
	$(MAKE) unit
	$(MAKE) SAN=1 unit-san
	$(MAKE) abi
	$(MAKE) e2e
	$(MAKE) SAN=1 e2e
	$(MAKE) check-extra
	@echo "make check: all passed"

# Suites defined in the fragments below add themselves as prerequisites.
.PHONY: check-extra
check-extra:

# Under valgrind memcheck: any error or leak fails the run.
unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do \
		echo "== $$t (valgrind)"; \
		$(VALGRIND) $$t; \
	done

unit-san: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do \
		echo "== $$t (ASan+UBSan)"; \
		ASAN_OPTIONS=detect_leaks=1 $$t; \
	done

# Through a real FUSE mount: scenarios agree with in-process runs, and the
# server's own end-to-end tests (under SAN=1 the server runs with ASan).
e2e: $(CMD_BIN) $(PRELOAD_LIB) $(SCEN_BIN) $(SCEN_INPROC) $(E2E_BIN) $(PATHS_CHECK_BIN) \
	$(EXAMPLES) $(BUGGY_BIN) $(SELFTEST_E2E_BIN)
	@echo "== end-to-end ($(VARIANT))"
	@tests/e2e/compare.sh $(BUILD)
	@tests/e2e/drivers.sh $(BUILD)
	@tests/e2e/checks.sh $(BUILD)
	@tests/e2e/replay.sh $(BUILD)
	@$(CMD_BIN) run --selftest-mock -- $(SELFTEST_E2E_BIN)
	@$(CMD_BIN) run -- $(SELFTEST_E2E_BIN) off
	@$(E2E_BIN) $(CMD_BIN) $(PATHS_CHECK_BIN)

# The ABI headers against the system's (and ABI_HEADERS=dir if given).
ABI_HEADERS ?=
abi:
	@tests/abi/run.sh "$(CC)" "$(BUILD)/abi" ""
	@if [ -n "$(ABI_HEADERS)" ]; then \
		tests/abi/run.sh "$(CC)" "$(BUILD)/abi-extra" "$(ABI_HEADERS)"; fi

bench: $(BENCH_BIN) $(FUSE_BENCH_BIN) $(NOOP_FUSE_BIN) $(CMD_BIN) $(PRELOAD_LIB) \
	$(DMA_BENCH_BIN) $(DMA_BENCH_INPROC)
	@$(BENCH_BIN)
	@$(FUSE_BENCH_BIN) $(CMD_BIN) $(NOOP_FUSE_BIN)
	@echo
	@echo "DMA by the dmatest device: 2 MiB copies in batches of 32, beside memcpy of"
	@echo "2 MiB in the same process (median of 5 rounds of 256; target ratio >= 0.50)"
	@IOMMUFD_EMU_SHIM_DEVICES="dmatest,queues=1" $(DMA_BENCH_INPROC) in-process
	@$(CMD_BIN) run --device dmatest,queues=1 -- $(DMA_BENCH_BIN) over-FUSE

# The kernel's own iommufd selftest, built outside the tree from Debian's
# linux-source-7.3, under run --selftest-mock (not part of make check: it
# downloads the source).  HUGEPAGES=N for its MAP_HUGETLB cases.
.PHONY: kernel-selftest
kernel-selftest: $(CMD_BIN) $(PRELOAD_LIB)
	@tests/selftest/kernel-selftest.sh $(BUILD)

# ---- set-up ----

deps:
	@missing=""; for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q $$missing </dev/null; \
	fi

# The example drivers are plain programs of the VFIO/iommufd API: they
# link nothing of the emulator and run unchanged on a kernel with VFIO.
$(BUILD)/examples/%_driver: examples/%_driver.c examples/vfiodev.c examples/vfiodev.h
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) -Iexamples $(BASE_CFLAGS) -o $@ $< examples/vfiodev.c

# The engine linked in-process, for tests and fuzzers that want no mount.
$(BUILD)/examples/inprocess_tour: examples/inprocess_tour.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(STATIC_LIB) $(LDLIBS)

DEMO_DEVICES := --device edu --device dmatest,queues=2

demo: deps $(CMD_BIN) $(PRELOAD_LIB) $(EXAMPLES)
	@echo "iommufd-emu run $(DEMO_DEVICES) -- the example drivers"
	@$(CMD_BIN) run $(DEMO_DEVICES) -- sh -c '$(BUILD)/examples/edu_driver && echo && $(BUILD)/examples/dmatest_driver'

install: lib $(CMD_BIN) $(PRELOAD_LIB)
	install -d $(DESTDIR)$(PREFIX)/include/iommufd_emu/uapi $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/bin
	install -m 755 $(CMD_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(PRELOAD_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/iommufd_emu.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/iommufd_emu/uapi/*.h $(DESTDIR)$(PREFIX)/include/iommufd_emu/uapi/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libiommufd-emu.so.0 $(DESTDIR)$(PREFIX)/lib/libiommufd-emu.so
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
		'Name: iommufd-emu' 'Description: userspace emulator of Linux iommufd and VFIO device cdevs' \
		'Version: $(VERSION)' 'Libs: -L$${libdir} -liommufd-emu' 'Libs.private: -lpthread' \
		'Cflags: -I$${includedir}' > $(DESTDIR)$(PREFIX)/lib/pkgconfig/iommufd-emu.pc

clean:
	rm -rf build

# Fragments: fuzzing targets, and the real-kernel reference.
-include fuzz/fuzz.mk
-include tests/kernel/kernel.mk
