# SPDX-License-Identifier: Apache-2.0
# The Linux test tier's initramfs: busybox, tests/linux/init and the static
# arm64 programs listed in LINUX_TOOLS (installed in its /bin). Components
# add their guest programs to LINUX_TOOLS in their own module.mk.
LINUX_TOOLS += $(O)/tests/linux/clockcheck $(O)/tests/linux/bdfuzz
LINUX_TOOLS += $(O)/tests/linux/clockcost
all: $(LINUX_TOOLS) $(INITRD)

$(O)/tests/linux/clockcheck: tests/linux/clockcheck.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS)gcc -static -O2 -Wall -Wextra -Werror -pthread -o $@ $<

$(O)/tests/linux/clockcost: tests/linux/clockcost.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS)gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

$(O)/tests/linux/bdfuzz: tests/linux/bdfuzz.c proto/inc/verge_backdoor.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS)gcc -static -O2 -Wall -Wextra -Werror -Iproto/inc -o $@ $<

# Expanded when make runs the recipe, so module.mk files included after
# this one may still add to LINUX_TOOLS.
.SECONDEXPANSION:
$(INITRD): scripts/mkinitramfs.sh tests/linux/init $(CACHE)/busybox \
		$$(LINUX_TOOLS) $(GUEST_MODULES)
	@echo "  INITRD  $@"
	$(Q)scripts/mkinitramfs.sh $(CACHE)/busybox tests/linux/init $@ \
		$(LINUX_TOOLS) $(GUEST_MODULES)
