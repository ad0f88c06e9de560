# SPDX-License-Identifier: Apache-2.0
# Host unit tests (cmocka) of the hypervisor's pure core logic, which
# compiles unchanged on the host: one binary per tests/unit/test_*.c.
# The hypervisor sources are built again for the host under $(O)/host.
# Tests that read the QEMU virt DTB take its path from $VERGE_VIRT_DTB
# (default $VERGE_CACHE/virt.dtb, then .cache/virt.dtb; see fixture.c).

UNIT_DIR    := $(O)/tests/unit
UNIT_HOST   := $(O)/host/hypervisor/core
UNIT_CFLAGS := $(HOST_CFLAGS) -Ihypervisor/core/inc -Ihypervisor/acpi/inc \
	-Ihypervisor/arch/arm64/inc -Ihypervisor/drivers/inc -Iproto/inc -Itests/unit \
	-MMD -MP
UNIT_LIBS   := -lcmocka -lfdt
# A sanitizer report fails the test instead of scrolling past.
ifneq ($(SANITIZE),)
UNIT_CFLAGS += -fno-sanitize-recover=all
endif

UNIT_NAMES  := test_bootargs test_platform_dt test_proto test_stage2 \
	test_timeline test_trap_decode test_vgic_filter test_backdoor \
	test_guestmsg test_rpci test_aml test_acpi test_guest_acpi \
	test_sbsa_wdt test_bootguard test_siphash test_evq test_idregs \
	test_rate test_dilation test_sbsa_gwdt
UNIT_TESTS  := $(addprefix $(UNIT_DIR)/,$(UNIT_NAMES))
UNIT_OBJS   := $(addsuffix .c.o,$(UNIT_TESTS)) $(UNIT_DIR)/fixture.c.o \
	$(UNIT_DIR)/bd_fake.c.o
UNIT_HV_OBJS := $(patsubst %,$(UNIT_HOST)/%.c.o,bootargs platform guest_dt \
	stage2 timeline vgic_filter backdoor guestmsg rpci guest_acpi guest_efi \
	sbsa_wdt bootguard siphash idregs dilation)

all: $(UNIT_TESTS)

# What each test links besides its own object.
$(UNIT_DIR)/test_bootargs: $(UNIT_HOST)/bootargs.c.o $(O)/host/proto/rate.c.o
$(UNIT_DIR)/test_platform_dt: $(UNIT_DIR)/fixture.c.o \
	$(UNIT_HOST)/platform.c.o $(UNIT_HOST)/guest_dt.c.o
$(UNIT_DIR)/test_stage2: $(UNIT_DIR)/fixture.c.o $(UNIT_HOST)/platform.c.o \
	$(UNIT_HOST)/stage2.c.o
$(UNIT_DIR)/test_vgic_filter: $(UNIT_HOST)/vgic_filter.c.o
$(UNIT_DIR)/test_timeline: $(UNIT_HOST)/timeline.c.o
$(UNIT_DIR)/test_dilation: $(UNIT_HOST)/dilation.c.o $(UNIT_HOST)/timeline.c.o
$(UNIT_DIR)/test_sbsa_wdt: $(UNIT_HOST)/sbsa_wdt.c.o
$(UNIT_DIR)/test_bootguard: $(UNIT_HOST)/sbsa_wdt.c.o $(UNIT_HOST)/bootguard.c.o
# the board's watchdog driver, against the emulated register file
UNIT_DRV := $(O)/host/hypervisor/drivers
$(UNIT_DIR)/test_sbsa_gwdt: $(UNIT_HOST)/sbsa_wdt.c.o $(UNIT_DRV)/sbsa_gwdt.c.o
$(UNIT_DIR)/test_siphash: $(UNIT_HOST)/siphash.c.o
$(UNIT_DIR)/test_idregs: $(UNIT_HOST)/idregs.c.o
# tools/module.mk builds the converter (hypervisor/acpi) for the host.
UNIT_ACPI_OBJS := $(patsubst %,$(O)/host/%.o,$(wildcard hypervisor/acpi/*.c))
$(UNIT_DIR)/test_aml: $(O)/host/hypervisor/acpi/aml.c.o \
	$(O)/host/hypervisor/acpi/aml_res.c.o
$(UNIT_DIR)/test_acpi: $(UNIT_DIR)/fixture.c.o $(UNIT_ACPI_OBJS)
$(UNIT_DIR)/test_guest_acpi: $(UNIT_DIR)/fixture.c.o $(UNIT_ACPI_OBJS) \
	$(UNIT_HOST)/guest_dt.c.o $(UNIT_HOST)/guest_acpi.c.o \
	$(UNIT_HOST)/guest_efi.c.o
# proto/module.mk builds frame.c for the host.
$(UNIT_DIR)/test_proto: $(O)/host/proto/frame.c.o
$(UNIT_DIR)/test_evq: $(O)/host/proto/frame.c.o $(O)/host/proto/evq.c.o
# the one rate parser (proto/rate.c)
$(UNIT_DIR)/test_rate: $(O)/host/proto/rate.c.o
# The backdoor: x7 decoding and commands, message channels, RPCI/TCLO.
BD_UNIT_OBJS := $(UNIT_DIR)/bd_fake.c.o $(UNIT_HOST)/backdoor.c.o \
	$(UNIT_HOST)/guestmsg.c.o $(UNIT_HOST)/rpci.c.o $(UNIT_HOST)/siphash.c.o
$(UNIT_DIR)/test_backdoor $(UNIT_DIR)/test_guestmsg: $(BD_UNIT_OBJS)
$(UNIT_DIR)/test_rpci: $(UNIT_HOST)/backdoor.c.o $(UNIT_HOST)/guestmsg.c.o \
	$(UNIT_HOST)/rpci.c.o $(UNIT_HOST)/siphash.c.o

$(UNIT_TESTS): %: %.c.o
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^ $(UNIT_LIBS)

$(UNIT_OBJS): $(UNIT_DIR)/%.c.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) -c -o $@ $<

$(UNIT_HV_OBJS): $(UNIT_HOST)/%.c.o: hypervisor/core/%.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) -c -o $@ $<

$(UNIT_DRV)/sbsa_gwdt.c.o: hypervisor/drivers/sbsa_gwdt.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) -c -o $@ $<

-include $(UNIT_OBJS:.o=.d) $(UNIT_HV_OBJS:.o=.d) $(UNIT_DRV)/sbsa_gwdt.c.d
