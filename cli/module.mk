# SPDX-License-Identifier: Apache-2.0
# verge, the command line of verged (cli/): C with jansson, no libuv.
# Everything but main.c also links into the unit tests (tests/unit).

CLI_HOST    := $(O)/host/cli
CLI_CFLAGS  := $(HOST_CFLAGS) -Icli/inc -Iproto/inc -MMD -MP
# libcurl: loaded with dlopen() for --url (agentd/curlfn.c)
CLI_LIBS    := -ljansson
ifneq ($(SANITIZE),)
CLI_CFLAGS  += -fno-sanitize-recover=all
endif

VERGE_BIN   := $(O)/verge
CLI_LIB_OBJS := $(patsubst %,$(CLI_HOST)/%.c.o,arena args commands complete \
	errors events help kinds print rpc run show table transport \
	transport_unix fleet http http_plain safe curlfn)
CLI_OBJS    := $(CLI_LIB_OBJS) $(CLI_HOST)/main.c.o

all: $(VERGE_BIN)

$(VERGE_BIN): $(CLI_OBJS) $(O)/host/proto/rate.c.o
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^ $(CLI_LIBS)

$(filter-out $(CLI_HOST)/curlfn.c.o,$(CLI_OBJS)): $(CLI_HOST)/%.c.o: cli/%.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(CLI_CFLAGS) -c -o $@ $<

$(CLI_HOST)/curlfn.c.o: agentd/curlfn.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(CLI_CFLAGS) -c -o $@ $<

# Unit tests: argument parsing and the command table, the value parsers,
# the JSON-RPC client, the table formatter (tests/unit/test_cli_*.c).
CLI_UNIT    := $(addprefix $(UNIT_DIR)/,test_cli_args test_cli_rpc \
	test_cli_table)
# terminal-safe text (issue 12)
CLI_UNIT    += $(UNIT_DIR)/test_cli_safe
UNIT_TESTS  += $(CLI_UNIT)
all: $(CLI_UNIT)

$(CLI_UNIT): %: %.c.o $(CLI_LIB_OBJS) $(O)/host/proto/rate.c.o
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^ -lcmocka $(CLI_LIBS)

$(addsuffix .c.o,$(CLI_UNIT)): $(UNIT_DIR)/%.c.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(CLI_CFLAGS) -c -o $@ $<

-include $(CLI_OBJS:.o=.d) $(addsuffix .c.d,$(CLI_UNIT))

# `make bench`: verge vm list wall time with 100 VMs (bench/cli.py).
.PHONY: bench-cli
bench: bench-cli
bench-cli: all
	VERGE_BUILD=$(O) python3 bench/cli.py
