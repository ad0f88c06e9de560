# SPDX-License-Identifier: Apache-2.0
# verge-guest-agent (guest-agent/): one C source tree, static binaries
# for aarch64 (CROSS gcc, also installed in the test initramfs through
# LINUX_TOOLS) and x86_64 (host gcc). The pure parts (JSON writer, TCLO
# parsing, detection rule, back-off, hint table) have host unit tests.

GA_DIR     := $(O)/guest-agent
GA_CFLAGS  := $(VERSION_DEF) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wvla \
	-Wmissing-prototypes -Wstrict-prototypes -MMD -MP
# The backdoor ABI (verge_backdoor.h) is shared with the hypervisor.
GA_CFLAGS  += -Iproto/inc
GA_BINS    := $(GA_DIR)/aarch64/verge-guest-agent \
	$(GA_DIR)/x86_64/verge-guest-agent

# The guests run the agent the arm64 .deb ships (packaging/module.mk).
LINUX_TOOLS += $(PKG_AGENT_ARM64)
all: $(GA_BINS)

# The object list of one architecture.
ga_objs = $(patsubst %,$(GA_DIR)/$(1)/%.o,main agent detect verdict hints \
	excl_$(1) backdoor backdoor_$(1) guard msgchan rpc tclo json backoff \
	timesync netinfo wdog doorbell)

GA_OBJS_aarch64 := $(call ga_objs,aarch64)
GA_OBJS_x86_64  := $(call ga_objs,x86_64)

$(GA_DIR)/aarch64/verge-guest-agent: $(GA_OBJS_aarch64)
	@echo "  LD      $@"
	$(Q)$(CROSS)gcc -static -o $@ $^ -lm

$(GA_DIR)/x86_64/verge-guest-agent: $(GA_OBJS_x86_64)
	@echo "  LD      $@"
	$(Q)$(HOSTCC) -static -o $@ $^ -lm

$(GA_DIR)/aarch64/%.o: guest-agent/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS)gcc $(GA_CFLAGS) -c -o $@ $<

$(GA_DIR)/x86_64/%.o: guest-agent/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(GA_CFLAGS) -c -o $@ $<

-include $(GA_OBJS_aarch64:.o=.d) $(GA_OBJS_x86_64:.o=.d)

# tests/linux/bdhold: holds every backdoor channel for a while (the
# agent's back-off test), built from the agent's channel code.
GA_HOLD := $(O)/tests/linux/bdhold
LINUX_TOOLS += $(GA_HOLD)
all: $(GA_HOLD)

$(GA_HOLD): tests/linux/bdhold.c $(patsubst %,$(GA_DIR)/aarch64/%.o,msgchan \
		backdoor backdoor_aarch64 guard)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS)gcc -static $(GA_CFLAGS) -Iguest-agent -o $@ $^

-include $(GA_HOLD).d

# tests/linux/clockpair: Linux's clock against host time (tests/linux/
# test_ecv.py), through the agent's backdoor code.
GA_PAIR := $(O)/tests/linux/clockpair
LINUX_TOOLS += $(GA_PAIR)
all: $(GA_PAIR)

$(GA_PAIR): tests/linux/clockpair.c $(patsubst %,$(GA_DIR)/aarch64/%.o,\
		backdoor backdoor_aarch64 guard)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS)gcc -static $(GA_CFLAGS) -Iguest-agent -o $@ $^

# Host unit tests of the pure parts (tests/unit/test_guest_agent.c), and
# of finding the doorbell in a fake sysfs.
GA_HOST      := $(O)/host/guest-agent
GA_UNIT      := $(UNIT_DIR)/test_guest_agent
GA_UNIT_OBJS := $(patsubst %,$(GA_HOST)/%.o,json tclo verdict backoff hints \
	doorbell)
UNIT_TESTS   += $(GA_UNIT)
all: $(GA_UNIT)

# test_ga_msgchan: the channel layers against a fake hypervisor that
# stands in for backdoor_<arch>.c.
GA_MSG_UNIT  := $(UNIT_DIR)/test_ga_msgchan
GA_MSG_OBJS  := $(patsubst %,$(GA_HOST)/%.o,msgchan rpc backdoor guard)
GA_FAKE      := $(UNIT_DIR)/ga_fakehost.c.o
UNIT_TESTS   += $(GA_MSG_UNIT)
all: $(GA_MSG_UNIT)
# test_ga_x86: the real x86_64 instructions, VMware emulated by a signal
# handler; only where the unit tests run on x86_64.
ifeq ($(shell uname -m),x86_64)
GA_X86_UNIT  := $(UNIT_DIR)/test_ga_x86
GA_X86_OBJS  := $(GA_MSG_OBJS) $(GA_HOST)/backdoor_x86_64.o
UNIT_TESTS   += $(GA_X86_UNIT)
all: $(GA_X86_UNIT)
$(GA_X86_UNIT): $(GA_X86_UNIT).c.o $(GA_FAKE) $(GA_X86_OBJS)
endif

$(GA_UNIT): $(GA_UNIT).c.o $(GA_UNIT_OBJS)
$(GA_MSG_UNIT): $(GA_MSG_UNIT).c.o $(GA_FAKE) $(GA_MSG_OBJS)
$(GA_UNIT) $(GA_MSG_UNIT) $(GA_X86_UNIT):
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^ -lcmocka -lm

$(GA_UNIT).c.o $(GA_MSG_UNIT).c.o $(GA_X86_UNIT:=.c.o) $(GA_FAKE): \
		$(UNIT_DIR)/%.c.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) -Iguest-agent -c -o $@ $<

$(sort $(GA_UNIT_OBJS) $(GA_MSG_OBJS) $(GA_X86_OBJS)): \
		$(GA_HOST)/%.o: guest-agent/%.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -Iproto/inc -MMD -MP -c -o $@ $<

-include $(GA_UNIT).c.d $(GA_MSG_UNIT).c.d $(GA_X86_UNIT:=.c.d) \
	$(GA_FAKE:.o=.d) $(GA_UNIT_OBJS:.o=.d) $(GA_MSG_OBJS:.o=.d) \
	$(GA_X86_OBJS:.o=.d)

# open-vm-tools acceptance (tests/linux/test_ovt.py): Debian's arm64
# vmware-checkvm and vmware-rpctool with their libraries, fetched into
# $(CACHE)/ovt by `make fixtures`, on top of the test initramfs.
OVT_STAMP  := $(CACHE)/ovt/root/.complete
OVT_INITRD := $(O)/ovt-initrd.gz

fixtures: $(OVT_STAMP)
check-linux: $(OVT_INITRD)

# Like the other fixtures: fetched once, not again when the script changes.
$(OVT_STAMP):
	CACHE=$(CACHE) scripts/fetch-ovt.sh

$(OVT_INITRD): scripts/mkovt-initramfs.sh $(INITRD) $(OVT_STAMP)
	@echo "  INITRD  $@"
	$(Q)scripts/mkovt-initramfs.sh $(INITRD) $(CACHE)/ovt/root $@

# `make bench`: the agent's RSS, idle wake-ups and host round trips (also
# through verged).
.PHONY: bench-agent
bench: bench-agent
bench-agent: $(HV_BIN) $(INITRD) $(VERGED) $(VERGE_BIN) fixtures
	VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) python3 bench/agent.py
