# SPDX-License-Identifier: Apache-2.0
# guest.bin: the bare-metal EL1 test guest that tests/hv runs under
# verge-hv.bin. Freestanding, MMU off, linked at 0x44000000.

GUEST_BIN := $(O)/tests/guest/guest.bin
GUEST_ELF := $(O)/tests/guest/guest.elf
GUEST_CC  := $(CROSS)gcc

GUEST_CFLAGS := -std=c11 -ffreestanding -mgeneral-regs-only -mstrict-align \
	-fno-stack-protector -fno-pie -O2 -g -Wall -Wextra -Werror -Wshadow \
	-Wvla -Wmissing-prototypes -Wstrict-prototypes -nostdinc \
	-isystem $(shell $(GUEST_CC) -print-file-name=include) -Iproto/inc \
	-MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections \
	-Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -T tests/guest/guest.ld

GUEST_SRCS := $(wildcard tests/guest/*.S tests/guest/*.c)
GUEST_OBJS := $(patsubst %,$(O)/%.o,$(GUEST_SRCS))

all: $(GUEST_BIN)

$(GUEST_BIN): $(GUEST_ELF)
	@echo "  OBJCOPY $@"
	$(Q)$(CROSS)objcopy -O binary $< $@

$(GUEST_ELF): $(GUEST_OBJS) tests/guest/guest.ld
	@echo "  LD      $@"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS) -lgcc

$(O)/tests/guest/%.S.o: tests/guest/%.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(O)/tests/guest/%.c.o: tests/guest/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

-include $(GUEST_OBJS:.o=.d)
