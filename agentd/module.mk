# SPDX-License-Identifier: Apache-2.0
# verged (agentd/): the host daemon. Links the host build of proto/frame.c
# (proto/module.mk). Everything but main.c also goes into a static
# library for the unit tests (tests/unit/test_verged_*.c).

VERGED       := $(O)/verged
VERGED_HOST  := $(O)/host/agentd
VERGED_LIB   := $(VERGED_HOST)/libverged.a
VERGED_CFLAGS := $(HOST_CFLAGS) -D_GNU_SOURCE -Iagentd -Iproto/inc -MMD -MP
VERGED_LIBS  := -luv -ljansson -lsqlite3 -linih -lm
# REST API (rest.c and its helpers); libcurl is loaded by curlfn.c when
# peers are configured
VERGED_LIBS  += -lpthread
ifneq ($(SANITIZE),)
VERGED_CFLAGS += -fno-sanitize-recover=all
endif

VERGED_SRCS  := agent config daemon hvlink jsonw log methods qemu qmp rpc \
	server store vm vmjson
# REST API (rest.c and its helpers)
VERGED_SRCS  += buf fleet http metrics peers rest rest_publish snapshot curlfn
# the fleet registry in etcd
VERGED_SRCS  += etcd
# REST token (issue 12)
VERGED_SRCS  += token
# jails (issue 13): jail.c in verged, verge-jail the helper it runs
VERGED_SRCS  += jail
# image slots A/B and boot attempts (issue 19)
VERGED_SRCS  += bootslots
# disks and network cards (devices.h)
VERGED_SRCS  += devices
# the one rule for the names of VMs and partitions
VERGED_SRCS  += names
# files opened with a caller's credentials (ascaller.h)
VERGED_SRCS  += ascaller
VERGE_JAIL   := $(O)/verge-jail
VERGED_OBJS  := $(patsubst %,$(VERGED_HOST)/%.c.o,$(VERGED_SRCS))
VERGED_MAIN  := $(VERGED_HOST)/main.c.o

all: $(VERGED) $(VERGE_JAIL)

$(VERGE_JAIL): agentd/verge-jail.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -D_GNU_SOURCE $(HOST_LDFLAGS) -o $@ $<

$(VERGED_LIB): $(VERGED_OBJS) $(O)/host/proto/frame.c.o \
	$(O)/host/proto/evq.c.o $(O)/host/proto/rate.c.o
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(VERGED): $(VERGED_MAIN) $(VERGED_LIB)
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^ $(VERGED_LIBS)

$(VERGED_OBJS) $(VERGED_MAIN): $(VERGED_HOST)/%.c.o: agentd/%.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(VERGED_CFLAGS) -c -o $@ $<

# Unit tests of the method table, parameter checks and store migrations.
VERGED_UNIT  := $(addprefix $(UNIT_DIR)/,test_verged_rpc test_verged_store)
# REST: snapshot slot, ETags, buffer, metrics text
VERGED_UNIT  += $(UNIT_DIR)/test_verged_rest
# log lines from guest text (issue 12)
VERGED_UNIT  += $(UNIT_DIR)/test_verged_log
# image slots and rollback (issue 19)
VERGED_UNIT  += $(UNIT_DIR)/test_bootslots
# disks and network cards: specs, image headers, QEMU's options
VERGED_UNIT  += $(UNIT_DIR)/test_verged_devices
# files opened with a caller's credentials
VERGED_UNIT  += $(UNIT_DIR)/test_verged_ascaller
# the fleet registry: [fleet] config, the record's JSON (issue 17)
VERGED_UNIT  += $(UNIT_DIR)/test_verged_fleet
UNIT_TESTS   += $(VERGED_UNIT)
all: $(VERGED_UNIT)

$(VERGED_UNIT): %: %.c.o $(VERGED_LIB)
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^ -lcmocka $(VERGED_LIBS)

$(VERGED_UNIT:=.c.o): $(UNIT_DIR)/%.c.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(VERGED_CFLAGS) -Itests/unit -c -o $@ $<

-include $(VERGED_OBJS:.o=.d) $(VERGED_MAIN:.o=.d) $(VERGED_UNIT:=.c.d)

# REST figures: bench/rest.py runs as part of `make bench`.
.PHONY: bench-rest
bench: bench-rest
bench-rest: $(VERGED)
	VERGE_BUILD=$(O) python3 bench/rest.py

# The fleet registry at scale (issue 17): 1,000 registrants in etcd;
# nginx and wrk (bench-deps) for the /v1/fleet row. BENCH_BASELINE=DIR
# times another build's verge and verged beside these.
.PHONY: bench-fleet
bench: bench-fleet
bench-fleet: $(VERGED) $(O)/verge bench-deps
	VERGE_BUILD=$(O) python3 bench/fleet_etcd.py

# Jail figures (issue 13): jailed against isolation = off, in one run.
.PHONY: bench-jail
bench: bench-jail
bench-jail: $(VERGED) $(VERGE_JAIL)
	VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) python3 bench/jail.py

# verged runs its VMs through verge-jail: whoever builds verged gets it.
$(VERGED): | $(VERGE_JAIL)
