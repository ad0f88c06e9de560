# SPDX-License-Identifier: Apache-2.0
# libFuzzer harnesses (tests/fuzz/README.md): one program per parser that
# takes input from outside, built with clang -fsanitize=fuzzer plus ASan
# and UBSan into $(O)/fuzz, the code under test compiled again with
# coverage. `make fuzz FUZZ_SECONDS=N` runs each for N seconds, one at a
# time; `make check` runs the tier `fuzz` (FUZZ_CHECK_SECONDS each,
# FUZZ_CHECK_JOBS of them at once, each on a core).

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 20
FUZZ_CHECK_JOBS ?= 2
FUZZ_DIR     := $(O)/fuzz
FUZZ_OBJ     := $(FUZZ_DIR)/obj
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	-Wall -Wextra -Werror $(VERSION_DEF) \
	-Itests/fuzz -MMD -MP
FUZZ_LDFLAGS := $(FUZZ_SAN) -fsanitize=fuzzer

FUZZ_NAMES   := frame rpc rest bootargs acpi backdoor guest_agent cli
FUZZ_BINS    := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))

# Include paths by the directory a source lives in.
FUZZ_INC_HV  := -Ihypervisor/core/inc -Ihypervisor/acpi/inc \
	-Ihypervisor/arch/arm64/inc -Iproto/inc -Itests/unit
$(FUZZ_OBJ)/proto/%: FUZZ_INC := -Iproto/inc
$(FUZZ_OBJ)/hypervisor/%: FUZZ_INC := $(FUZZ_INC_HV)
$(FUZZ_OBJ)/tests/unit/%: FUZZ_INC := $(FUZZ_INC_HV)
$(FUZZ_OBJ)/agentd/%: FUZZ_INC := -D_GNU_SOURCE -Iagentd -Iproto/inc
$(FUZZ_OBJ)/cli/%: FUZZ_INC := -Icli/inc -Iproto/inc
$(FUZZ_OBJ)/guest-agent/%: FUZZ_INC := -Iguest-agent -Iproto/inc
FUZZ_INC_OF_frame       := -Iproto/inc
FUZZ_INC_OF_bootargs    := $(FUZZ_INC_HV)
FUZZ_INC_OF_acpi        := $(FUZZ_INC_HV)
FUZZ_INC_OF_backdoor    := $(FUZZ_INC_HV)
FUZZ_INC_OF_rpc         := -D_GNU_SOURCE -Iagentd -Iproto/inc
FUZZ_INC_OF_rest        := -D_GNU_SOURCE -Iagentd -Iproto/inc
FUZZ_INC_OF_guest_agent := -Iguest-agent -Iproto/inc
FUZZ_INC_OF_cli         := -Icli/inc -Iproto/inc
$(FUZZ_OBJ)/tests/fuzz/fuzz_%.c.o: FUZZ_INC = \
	$(FUZZ_INC_OF_$(patsubst fuzz_%,%,$(notdir $(@:.c.o=))))
$(FUZZ_OBJ)/tests/fuzz/verged_fixture.c.o: FUZZ_INC := -D_GNU_SOURCE -Iagentd -Iproto/inc

fuzz_objs = $(patsubst %,$(FUZZ_OBJ)/%.c.o,$(1))
FUZZ_VERGED := $(call fuzz_objs,$(patsubst %,agentd/%,$(VERGED_SRCS)) \
	proto/frame proto/evq proto/rate tests/fuzz/verged_fixture)

# What each harness links besides its own object, and its libraries.
$(FUZZ_DIR)/fuzz_frame: $(call fuzz_objs,proto/frame)
$(FUZZ_DIR)/fuzz_bootargs: $(call fuzz_objs,hypervisor/core/bootargs proto/rate)
$(FUZZ_DIR)/fuzz_acpi: $(call fuzz_objs,$(ACPI_SRCS:.c=))
$(FUZZ_DIR)/fuzz_acpi: FUZZ_LIBS := -lfdt
$(FUZZ_DIR)/fuzz_backdoor: $(call fuzz_objs,hypervisor/core/backdoor \
	hypervisor/core/guestmsg hypervisor/core/rpci hypervisor/core/siphash \
	tests/unit/bd_fake)
$(FUZZ_DIR)/fuzz_rpc $(FUZZ_DIR)/fuzz_rest: $(FUZZ_VERGED)
$(FUZZ_DIR)/fuzz_rpc $(FUZZ_DIR)/fuzz_rest: FUZZ_LIBS := $(VERGED_LIBS)
$(FUZZ_DIR)/fuzz_guest_agent: $(call fuzz_objs,guest-agent/json \
	guest-agent/tclo)
$(FUZZ_DIR)/fuzz_guest_agent: FUZZ_LIBS := -lm
# curlfn.c, which the CLI takes from agentd/ (cli/module.mk)
$(FUZZ_DIR)/fuzz_cli: $(call fuzz_objs,$(patsubst $(CLI_HOST)/%.c.o,cli/%, \
	$(filter-out $(CLI_HOST)/curlfn.c.o,$(CLI_LIB_OBJS))) agentd/curlfn \
	proto/rate)
$(FUZZ_DIR)/fuzz_cli: FUZZ_LIBS := $(CLI_LIBS)

$(FUZZ_BINS): $(FUZZ_DIR)/fuzz_%: $(FUZZ_OBJ)/tests/fuzz/fuzz_%.c.o
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(FUZZ_LIBS)

$(FUZZ_OBJ)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INC) -c -o $@ $<

.PHONY: fuzz fuzz-build check-fuzz fuzz-cc
fuzz-build: $(FUZZ_BINS)

# libFuzzer comes with clang: Debian's clang and libclang-rt-14-dev.
fuzz-cc:
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: $(FUZZ_CC) not" \
		"found (Debian: clang libclang-rt-14-dev)" >&2; exit 1; }

# Every harness for FUZZ_SECONDS; the corpus grows in $(FUZZ_DIR)/corpus
# from the seeds in tests/fuzz/corpus; crashes land in
# $(FUZZ_DIR)/artifacts.
fuzz: fuzz-cc $(FUZZ_BINS)
	@scripts/run-fuzz.sh $(FUZZ_DIR)/results $(FUZZ_SECONDS) $(FUZZ_BINS)

check-fuzz: fuzz-cc $(FUZZ_BINS)
	@FUZZ_JOBS=$(FUZZ_CHECK_JOBS) scripts/run-fuzz.sh $(O)/results \
		$(FUZZ_CHECK_SECONDS) $(FUZZ_BINS)

-include $(shell find $(FUZZ_OBJ) -name '*.d' 2>/dev/null)
