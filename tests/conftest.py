"""Shared test set-up: a headless matplotlib and a quiet TensorFlow."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def distributions(tmp_path_factory):
    """dlbook's ``(sdist, wheel)``, built once per test run from the clone's files."""
    from tests.fresh_env import build_distributions

    return build_distributions(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def browser():
    """Chromium (the distribution's package, driven by Playwright), once per test run."""
    from playwright.sync_api import sync_playwright

    from tests import site

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=site.chromium_path())
        yield browser
        browser.close()
