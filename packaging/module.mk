# SPDX-License-Identifier: Apache-2.0
# Packaging (packaging/): one install layout, used by `make install`, by
# debian/rules and by the rpm spec; `make deb`, `make rpm` and
# `make package-check`. See packaging/README.md.

# VERSION (top Makefile) is the one version source. PKG_VERSION may be
# overridden to build the same content under another version (the upgrade
# test does).
PKG_VERSION ?= $(VERSION)
PKG         := $(O)/pkg

# What the components build (the paths their module.mk files promise).
PKG_VERGED      ?= $(O)/verged
PKG_VERGE       ?= $(O)/verge
PKG_AGENT        = $(O)/guest-agent/$(AGENT_ARCH)/verge-guest-agent
PKG_HV          ?= $(HV_BIN)
PKG_JAIL        ?= $(O)/verge-jail

# The installed layout. debian/rules sets UNITDIR=/lib/systemd/system, where
# Debian 12's debhelper looks for units; /lib is /usr/lib on a merged-/usr
# system, so both formats install the same files.
DESTDIR     ?=
PREFIX      ?= /usr
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
VERGELIBDIR ?= $(PREFIX)/lib/verge
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
# The guest agent's architecture (its build directory's name): the build
# machine's by default; debian/rules and the spec pass the target's.
AGENT_ARCH  ?= $(shell uname -m)

INSTALL      ?= install
INSTALL_BIN  := $(INSTALL) -D -m 0755
INSTALL_DATA := $(INSTALL) -D -m 0644

PKG_NAMES := verge-hypervisor verged verge-cli verge-guest-agent

.PHONY: install deb rpm package-check package-clean \
	$(addprefix build-,$(PKG_NAMES)) $(addprefix install-,$(PKG_NAMES))

# build-NAME builds what package NAME ships; install-NAME installs it.
build-verge-hypervisor: $(PKG_HV)
build-verged: $(PKG_VERGED) $(PKG_JAIL)
build-verge-cli: $(PKG_VERGE)
build-verge-guest-agent: $(PKG_AGENT)

install: $(addprefix install-,$(PKG_NAMES))

install-verge-hypervisor: build-verge-hypervisor
	$(INSTALL_DATA) $(PKG_HV) $(DESTDIR)$(VERGELIBDIR)/verge-hv.bin
	$(INSTALL_DATA) docs/hypervisor.md docs/management-protocol.md \
		-t $(DESTDIR)$(DOCDIR)/verge-hypervisor

install-verged: build-verged
	$(INSTALL_BIN) $(PKG_VERGED) $(DESTDIR)$(SBINDIR)/verged
	$(INSTALL_BIN) $(PKG_JAIL) $(DESTDIR)$(VERGELIBDIR)/verge-jail
	$(INSTALL_DATA) agentd/verged.8 $(DESTDIR)$(MANDIR)/man8/verged.8
	$(INSTALL_DATA) docs/verged.md docs/jsonrpc.md -t $(DESTDIR)$(DOCDIR)/verged
	$(INSTALL_DATA) agentd/verged.conf $(DESTDIR)$(SYSCONFDIR)/verge/verged.conf
	$(INSTALL_DATA) packaging/systemd/verged.service \
		$(DESTDIR)$(UNITDIR)/verged.service
	$(INSTALL_DATA) packaging/sysusers/verged.conf \
		$(DESTDIR)$(SYSUSERSDIR)/verged.conf
	$(INSTALL_DATA) packaging/tmpfiles/verged.conf \
		$(DESTDIR)$(TMPFILESDIR)/verged.conf

install-verge-cli: build-verge-cli
	$(INSTALL_BIN) $(PKG_VERGE) $(DESTDIR)$(BINDIR)/verge
	$(INSTALL_DATA) cli/verge.1 $(DESTDIR)$(MANDIR)/man1/verge.1
	$(INSTALL_DATA) cli/verge.bash-completion $(DESTDIR)$(BASHCOMPDIR)/verge

install-verge-guest-agent: build-verge-guest-agent
	$(INSTALL_BIN) $(PKG_AGENT) $(DESTDIR)$(SBINDIR)/verge-guest-agent
	$(INSTALL_DATA) guest-agent/verge-guest-agent.8 \
		$(DESTDIR)$(MANDIR)/man8/verge-guest-agent.8
	$(INSTALL_DATA) guest-agent/verge-guest-agent.service \
		$(DESTDIR)$(UNITDIR)/verge-guest-agent.service

# Packages are built from a copy of the tree (the Debian tools write their
# results next to the source directory), with the fixtures the hypervisor
# links (the arm64 libfdt) taken from $(CACHE).
PKG_ENV = PKG_OUT=$(abspath $(PKG)) PKG_VERSION=$(PKG_VERSION) \
	PKG_CACHE=$(abspath $(CACHE))
DEB_DIR := $(PKG)/debs
RPM_DIR := $(PKG)/rpms

deb: $(FDT_ARM64)
	@$(PKG_ENV) packaging/scripts/build-deb.sh

rpm: $(FDT_ARM64)
	@$(PKG_ENV) packaging/scripts/build-rpm.sh

# The acceptance tests of the packages: lint, contents of both formats,
# the units, install/upgrade/purge in a fresh Debian 12 root.
package-check: deb rpm
	@$(PKG_ENV) packaging/scripts/package-check.sh

package-clean:
	rm -rf $(PKG)

# The guest tests' hook: the arm64 agent as unpacked from the arm64 .deb.
# tests/linux/module.mk can use $(PKG_AGENT_ARM64) in LINUX_TOOLS in place
# of the cross-built binary, so the guests run what the package ships.
PKG_AGENT_DEB   = $(DEB_DIR)/verge-guest-agent_$(PKG_VERSION)_arm64.deb
PKG_AGENT_ARM64 := $(PKG)/agent-arm64/usr/sbin/verge-guest-agent

PKG_AGENT_SRCS := $(shell find guest-agent proto packaging/deb VERSION -type f)

$(PKG_AGENT_DEB): $(PKG_AGENT_SRCS)
	@$(PKG_ENV) PKG_ONLY=agent-arm64 packaging/scripts/build-deb.sh

$(PKG_AGENT_ARM64): $(PKG_AGENT_DEB)
	@echo "  UNPACK  $@"
	$(Q)rm -rf $(PKG)/agent-arm64
	$(Q)dpkg-deb -x $< $(PKG)/agent-arm64
	$(Q)touch $@
