"""Fixtures shared by the test modules."""

import pytest

from adam_ref import _text, plots


@pytest.fixture
def chinese():
    """The figures in Chinese for one test, English again after it; yields the zh table."""
    plots.use_language("zh")
    yield _text.TEXT["zh"]
    plots.use_language("en")
