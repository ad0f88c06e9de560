# SPDX-License-Identifier: Apache-2.0
# verge-hv.bin: freestanding AArch64 EL2 image, linked with Debian's arm64
# libfdt (called only before the guest starts, where FP may be used).

HV_BIN  := $(O)/verge-hv.bin
HV_ELF  := $(O)/hypervisor/verge-hv.elf
HV_CC   := $(CROSS)gcc
HV_GCC_INC := $(shell $(HV_CC) -print-file-name=include 2>/dev/null)

HV_CFLAGS := -std=c11 -ffreestanding -mgeneral-regs-only -mstrict-align \
	-fno-stack-protector -fno-pie -fno-common -fno-builtin -mno-outline-atomics \
	-O2 -g -Wall -Wextra -Werror -Wshadow -Wvla -Wmissing-prototypes \
	-Wstrict-prototypes -nostdinc -isystem $(HV_GCC_INC) \
	-Ihypervisor/lib/inc -Ihypervisor/core/inc -Ihypervisor/arch/arm64/inc \
	-Ihypervisor/drivers/inc -Ihypervisor/acpi/inc -Iproto/inc -I$(O)/hypervisor/gen \
	-I$(CACHE)/arm64/usr/include -MMD -MP
HV_LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections -Wl,-z,noexecstack -Wl,--build-id=none \
	-Wl,--no-warn-rwx-segments -T hypervisor/arch/arm64/linker.ld

HV_SRCS := $(wildcard hypervisor/arch/arm64/*.S hypervisor/arch/arm64/*.c \
	hypervisor/core/*.c hypervisor/drivers/*.c hypervisor/lib/*.c \
	hypervisor/acpi/*.c)
HV_SRCS := $(filter-out hypervisor/arch/arm64/asm-offsets.c,$(HV_SRCS))
HV_SRCS += proto/frame.c proto/evq.c proto/rate.c
HV_OBJS := $(patsubst %,$(O)/%.o,$(HV_SRCS))

all: $(HV_BIN)

# EL2 never touches the guest's FP/SIMD/SVE/SME state: checked on every
# link (scripts/check-hv-fpsimd.sh names what it allows).
$(HV_BIN): $(HV_ELF) scripts/check-hv-fpsimd.sh
	@echo "  CHECK   $< (no FP/SIMD/SVE/SME at EL2)"
	$(Q)scripts/check-hv-fpsimd.sh $(CROSS)objdump $<
	@echo "  OBJCOPY $@"
	$(Q)$(CROSS)objcopy -O binary $< $@

$(HV_ELF): $(HV_OBJS) $(FDT_ARM64) hypervisor/arch/arm64/linker.ld
	@echo "  LD      $@"
	$(Q)$(HV_CC) $(HV_CFLAGS) $(HV_LDFLAGS) -o $@ $(HV_OBJS) $(FDT_ARM64) -lgcc

# Structure offsets used by assembly come from C.
$(O)/hypervisor/gen/asm-offsets.h: hypervisor/arch/arm64/asm-offsets.c
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)$(HV_CC) $(HV_CFLAGS) -MT $@ -MF $@.d -S -o $@.s $<
	$(Q)sed -n 's/.*@@\([A-Z_0-9]*\) #\{0,1\}\(-\{0,1\}[0-9]*\).*/#define \1 \2/p' $@.s > $@
	$(Q)rm -f $@.s

$(O)/hypervisor/%.S.o: hypervisor/%.S $(O)/hypervisor/gen/asm-offsets.h
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(HV_CC) $(HV_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(O)/proto/%.c.o: proto/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(HV_CC) $(HV_CFLAGS) -c -o $@ $<

$(O)/hypervisor/%.c.o: hypervisor/%.c | $(FDT_ARM64)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(HV_CC) $(HV_CFLAGS) -c -o $@ $<

-include $(HV_OBJS:.o=.d) $(O)/hypervisor/gen/asm-offsets.h.d
