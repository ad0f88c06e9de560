# SPDX-License-Identifier: Apache-2.0
# verge: one non-recursive Makefile. Each component adds its rules in its
# own module.mk; everything is built out of tree under $(O).

O       ?= build
CACHE   ?= .cache
CROSS   ?= aarch64-linux-gnu-
QEMU    ?= qemu-system-aarch64
# The one version source, for the programs and the packages
# (packaging/README.md).
VERSION := $(shell cat VERSION)
PYTEST  ?= python3 -m pytest
# V=1 shows every command.
Q       := $(if $(V),,@)

HOSTCC  ?= cc
HOST_CFLAGS ?= -O2 -g
HOST_CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wvla \
	-Wmissing-prototypes -Wstrict-prototypes
VERSION_DEF := -DVERGE_VERSION='"$(VERSION)"'
HOST_CFLAGS += $(VERSION_DEF)
ifneq ($(SANITIZE),)
HOST_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
HOST_LDFLAGS += -fsanitize=$(SANITIZE)
# A sanitizer report stops the program (UBSan would print and go on).
HOST_CFLAGS += -fno-sanitize-recover=all
endif

# The arm64 libfdt, unpacked from Debian's libfdt-dev:arm64 by `make fixtures`.
FDT_ARM64 := $(CACHE)/arm64/usr/lib/aarch64-linux-gnu/libfdt.a
GUEST_MODULES := $(CACHE)/modules/evdev.ko $(CACHE)/modules/gpio_keys.ko \
	$(CACHE)/modules/sbsa_gwdt.ko
# virtio over PCI: the disks and network cards of a VM (agentd/devices.h)
GUEST_MODULES += $(patsubst %,$(CACHE)/modules/%.ko,virtio_pci_legacy_dev \
	virtio_pci_modern_dev virtio_pci virtio_blk failover net_failover \
	virtio_net)
# an ext4 root disk (tests/linux/init, root=/dev/vda)
GUEST_MODULES += $(patsubst %,$(CACHE)/modules/%.ko,crc16 crc32c_generic \
	mbcache jbd2 ext4)
FIXTURES  := $(CACHE)/Image $(CACHE)/busybox $(CACHE)/virt.dtb $(FDT_ARM64) \
	$(GUEST_MODULES)
# The test initramfs is built (tests/linux/module.mk), so it lives in $(O).
INITRD    := $(O)/initrd.gz

.PHONY: all deps fixtures check check-unit check-hv check-linux check-host \
	check-e2e demo bench clean format-check format
all:

include hypervisor/module.mk
include proto/module.mk
include tests/unit/module.mk
include tests/guest/module.mk
include tests/linux/module.mk
include guest-agent/module.mk
include agentd/module.mk
include cli/module.mk
include tests/host/module.mk
include tests/e2e/module.mk
include tools/module.mk
include packaging/module.mk
include tests/fuzz/module.mk
include tests/cores/module.mk

deps:
	@CACHE=$(CACHE) scripts/deps.sh
	@$(MAKE) --no-print-directory fixtures

fixtures: $(FIXTURES)
$(FDT_ARM64) $(CACHE)/Image $(CACHE)/busybox $(GUEST_MODULES):
	CACHE=$(CACHE) scripts/fetch-fixtures.sh
$(CACHE)/virt.dtb:
	$(QEMU) -M virt,virtualization=on,gic-version=3,dumpdtb=$@ \
		-cpu cortex-a57 -smp 2 -m 1G -nographic >/dev/null

# Each tier prints its own summary and appends "tier passed failed" to
# $(O)/results; the last line of `make check` adds them up. Its builds
# (all, the ASan build, the fuzzers) run CHECK_JOBS jobs at a time unless
# make was given -j; the tests of a tier never run beside a build.
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# The host tiers (host, host-asan) wait on sockets and timers far more
# than they compute: HOST_JOBS test files at a time (pytest-xdist; one
# at a time without it, scripts/run-pytest.sh). The QEMU tiers run one
# test at a time: their guests are what needs the cores.
HOST_JOBS ?= 2
CHECK_J = $(if $(filter -j% --jobserver%,$(MAKEFLAGS)),,-j$(CHECK_JOBS))
check: deps
	@$(MAKE) --no-print-directory $(CHECK_J) all
	@rm -f $(O)/results; mkdir -p $(O)
	-@$(MAKE) --no-print-directory check-unit
	-@$(MAKE) --no-print-directory check-hv
	-@$(MAKE) --no-print-directory check-linux
	-@$(MAKE) --no-print-directory check-host
	-@$(MAKE) --no-print-directory check-e2e
	-@$(MAKE) --no-print-directory check-cores
	-@$(MAKE) --no-print-directory $(CHECK_J) check-asan
	-@$(MAKE) --no-print-directory $(CHECK_J) check-fuzz
	@scripts/summary.sh $(O)/results

check-unit: $(UNIT_TESTS)
	@scripts/run-unit.sh $(O)/results $(UNIT_TESTS)
check-hv: $(HV_BIN) $(GUEST_BIN) fixtures
	@VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) \
		scripts/run-pytest.sh $(O)/results hv tests/hv
check-linux: $(HV_BIN) $(INITRD) fixtures
	@VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) \
		scripts/run-pytest.sh $(O)/results linux tests/linux

# The sanitizer tiers: the unit and host tiers again, everything built
# with ASan and UBSan into $(ASAN_O); a sanitizer report fails the test.
# Tiers unit-asan and host-asan, in $(O)/results with the others. GCC's
# "undefined" leaves out float-cast-overflow (clang's, in tests/fuzz,
# has it): named here.
ASAN_O   ?= build-asan
ASAN_SANITIZE := address,undefined,float-cast-overflow
# The host tests run under ASan: all of them, or some (space-separated
# paths and pytest options). All but the two files that build an ASan
# verged of their own and run it (test_verged_asan.py, test_rest_asan.py):
# the host tier has run them already, against the same sanitized code;
# and but the two that only count an idle verged's wake-ups for seconds
# (the code they run, start and define, the others run under ASan too).
HOST_ASAN_TESTS ?= tests/host --ignore=tests/host/test_verged_asan.py \
	--ignore=tests/host/test_rest_asan.py \
	--deselect=tests/host/test_verged.py::test_idle_daemon_sleeps \
	--deselect=tests/host/test_rest.py::test_no_thread_wakes_up_when_idle
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# What the sanitizer tiers run: the host programs and the unit tests,
# built again with the sanitizers. The rest of `all` is guest code, the
# same in any build: the files of it the host tests name (verge-hv.bin,
# the test initramfs) are copied from $(O), not built again.
ASAN_ALL = $(UNIT_TESTS) $(VERGED) $(VERGE_JAIL) $(VERGE_BIN) $(MGMT_BIN) \
	$(VERGE_ACPI) $(GA_DIR)/x86_64/verge-guest-agent
.PHONY: check-asan asan-all
asan-all: $(ASAN_ALL)
check-asan: $(HV_BIN) $(INITRD)
	@$(MAKE) --no-print-directory O=$(ASAN_O) SANITIZE=$(ASAN_SANITIZE) \
		asan-all
	@cp $(HV_BIN) $(INITRD) $(ASAN_O)/
	-@$(ASAN_ENV) UNIT_TIER=unit-asan scripts/run-unit.sh $(O)/results \
		$(patsubst $(O)/%,$(ASAN_O)/%,$(UNIT_TESTS))
	@$(ASAN_ENV) VERGE_BUILD=$(ASAN_O) VERGE_CACHE=$(CACHE) \
		PYTEST_JOBS=$(HOST_JOBS) \
		scripts/run-pytest.sh $(O)/results host-asan "$(HOST_ASAN_TESTS)"

# Style: every C file against .clang-format (Linux's settings, as the
# tree is written); not part of `make check` yet. `make format` rewrites
# the files in place so that format-check passes (scripts/reformat).
CLANG_FORMAT ?= clang-format
format-check:
	@scripts/format-check.sh $(CLANG_FORMAT)
format:
	@scripts/reformat $(CLANG_FORMAT)

.PHONY: clean-asan
clean: clean-asan
clean-asan:
	rm -rf $(ASAN_O)

# DEMO_KEEP=1 leaves verged and the VM running to play with (scripts/demo.sh).
demo: deps
	@$(MAKE) --no-print-directory $(HV_BIN) $(INITRD) $(VERGED) $(VERGE_BIN)
	VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) DEMO_KEEP=$(DEMO_KEEP) scripts/demo.sh

bench: all fixtures bench-deps
	VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) python3 bench/boot.py
	VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) python3 bench/sieve.py
	VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) python3 bench/clock.py
	VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) python3 bench/ecv.py
	VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) python3 bench/backdoor.py
	VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) python3 bench/verged.py
	VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) python3 bench/devices.py
	VERGE_BUILD=$(O) /usr/bin/python3 bench/vs_libvirt.py
	VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) VERGE_QEMU10=$(QEMU10) \
		python3 bench/cores.py

.PHONY: bench-deps
bench-deps:
	@CACHE=$(CACHE) scripts/deps.sh --bench

clean:
	rm -rf $(O)

# The objects that print the version are rebuilt when VERSION changes.
$(patsubst %,$(O)/host/agentd/%.c.o,config daemon main methods rest snapshot) \
$(O)/host/cli/run.c.o \
$(patsubst %,$(O)/guest-agent/%.o,aarch64/agent aarch64/main x86_64/agent \
	x86_64/main): VERSION
