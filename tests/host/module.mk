# SPDX-License-Identifier: Apache-2.0
# Host tier: verged and verge on the host, no guest (pytest, tests/host).
check-host: all
	@VERGE_BUILD=$(O) VERGE_CACHE=$(CACHE) PYTEST_JOBS=$(HOST_JOBS) \
		scripts/run-pytest.sh $(O)/results host tests/host
