# SPDX-License-Identifier: Apache-2.0
# The cores tier (tests/cores, docs/testing.md "Cores"): the Debian kernel
# under verge-hv on QEMU 7.2's and QEMU 10's CPU models, with coretest
# (FP/SIMD and SVE stress, PAuth, BTI, MTE) in the test initramfs.
# QEMU 10 is the one `make deps` unpacks into the cache
# (scripts/fetch-qemu10.sh); QEMU10= picks another.
QEMU10 ?= $(CACHE)/qemu10/usr/bin/qemu-system-aarch64
LINUX_TOOLS += $(O)/tests/cores/coretest

# -mbranch-protection=standard: PAC and BTI landing pads in its own code
# (the SVE and MTE instructions are assembled per asm block).
$(O)/tests/cores/coretest: tests/cores/coretest.c proto/inc/verge_backdoor.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS)gcc -static -O2 -Wall -Wextra -Werror \
		-mbranch-protection=standard -Iproto/inc -o $@ $<

.PHONY: check-cores
check-cores: $(HV_BIN) $(INITRD) fixtures
	@VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) VERGE_QEMU10=$(QEMU10) \
		scripts/run-pytest.sh $(O)/results cores tests/cores
