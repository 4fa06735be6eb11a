# The real-kernel reference (issue 7): scenarios recorded on Linux 7.3 and
# 6.12 in a QEMU guest (tests/kernel/rig), replayed against the emulator.
#
#   make kernel-reference   build or reuse the guest kernels (cached outside
#                           the tree, in $(RIG_CACHE)), boot them, run every
#                           scenario and the iommufd selftest, and write
#                           tests/kernel/golden/ (not part of make check)
#   make check-kernel       every golden scenario against the emulator over
#                           FUSE, diffed with the golden files (in make check)
#
# Knobs: KERNEL_REF_KERNELS (7.3 6.12), RIG_CACHE (~/.cache/iommufd-emu-rig),
# RIG_REUSE (a directory laid out as the shared rig's, whose kernels and
# sources may be reused), RIG_JOBS (3), RIG_ACCEL (auto|kvm|tcg).

KERNEL_RIG := tests/kernel/rig
KERNEL_REF_KERNELS ?= 7.3 6.12
SCEN_STATIC := $(patsubst tests/kernel/%.c,$(BUILD)/scenarios-static/%,$(SCEN_SRC))
RIG_ENV := $(foreach v,RIG_CACHE RIG_REUSE RIG_JOBS RIG_ACCEL,$(if $($(v)),$(v)=$($(v))))

# The guest has no libc: the scenarios run there linked statically.
$(BUILD)/scenarios-static/%: tests/kernel/%.c tests/kernel/scenario.h
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) -U_FORTIFY_SOURCE $(BASE_CFLAGS) -static -o $@ $<

.PHONY: kernel-reference check-kernel
kernel-reference: $(SCEN_STATIC)
	@$(RIG_ENV) $(KERNEL_RIG)/reference.sh $(BUILD)/scenarios-static $(KERNEL_REF_KERNELS)

check-kernel: $(CMD_BIN) $(PRELOAD_LIB) $(SCEN_BIN)
	@echo "== scenarios against the golden outputs of real kernels ($(VARIANT))"
	@$(KERNEL_RIG)/check.sh $(BUILD)

check-extra: check-kernel
