# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the cores tier: one VM per CPU model (coresvm.MODELS),
booted once for the model's tests (module-scoped, parametrised)."""

from pathlib import Path

import pytest

from coresvm import CoreVM, model_id, selected  # noqa: E402


@pytest.fixture(scope="module", params=selected(), ids=model_id)
def core(request):
    """The model's VM, booted once for the module's tests; a model whose
    boot failed fails (or skips, see needs_cores_work) every test."""
    version, cpu, feats = request.param
    c = CoreVM(version, cpu, feats)
    try:
        c.boot()
        yield c
    finally:
        c.close()
