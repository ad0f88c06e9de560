# SPDX-License-Identifier: Apache-2.0
# Host tools. verge-acpi: the DT-to-ACPI converter (hypervisor/acpi,
# built unchanged for the host). `make acpi-asan` builds an ASan+UBSan
# copy into $(O)/asan for the hostile-DTB tests.

ACPI_SRCS      := $(wildcard hypervisor/acpi/*.c)
ACPI_HOST_OBJS := $(patsubst %,$(O)/host/%.o,$(ACPI_SRCS))
ACPI_HOST_CFLAGS := $(HOST_CFLAGS) -Ihypervisor/core/inc -Ihypervisor/acpi/inc \
	-MMD -MP
VERGE_ACPI     := $(O)/verge-acpi

.PHONY: acpi-asan
all: $(VERGE_ACPI)

$(ACPI_HOST_OBJS): $(O)/host/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(ACPI_HOST_CFLAGS) -c -o $@ $<

$(O)/tools/acpi/verge-acpi.c.o: tools/acpi/verge-acpi.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(ACPI_HOST_CFLAGS) -c -o $@ $<

$(VERGE_ACPI): $(O)/tools/acpi/verge-acpi.c.o $(ACPI_HOST_OBJS)
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^ -lfdt

acpi-asan:
	$(Q)$(MAKE) --no-print-directory O=$(O)/asan \
		SANITIZE=address,undefined $(O)/asan/verge-acpi

-include $(ACPI_HOST_OBJS:.o=.d) $(O)/tools/acpi/verge-acpi.c.d
