# SPDX-License-Identifier: Apache-2.0
# End-to-end tier: verged + verge + real Linux guests under verge-hv with
# the guest agent (pytest, tests/e2e).
check-e2e: all fixtures
	@VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) \
		scripts/run-pytest.sh $(O)/results e2e tests/e2e
