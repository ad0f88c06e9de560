# SPDX-License-Identifier: Apache-2.0
# Management protocol (proto/): the framing in frame.c is shared with the
# hypervisor; built here for the host with the client library and the
# verge-mgmt debugging tool.

PROTO_HOST   := $(O)/host/proto
PROTO_CFLAGS := $(HOST_CFLAGS) -Iproto/inc -MMD -MP
ifneq ($(SANITIZE),)
PROTO_CFLAGS += -fno-sanitize-recover=all
endif

MGMT_BIN     := $(O)/verge-mgmt
PROTO_OBJS   := $(patsubst %,$(PROTO_HOST)/%.c.o,frame evq mgmt_client \
	tool/verge-mgmt rate)

all: $(MGMT_BIN)

$(MGMT_BIN): $(PROTO_OBJS)
	@echo "  HOSTLD  $@"
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^

$(PROTO_OBJS): $(PROTO_HOST)/%.c.o: proto/%.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOSTCC) $(PROTO_CFLAGS) -c -o $@ $<

-include $(PROTO_OBJS:.o=.d)
