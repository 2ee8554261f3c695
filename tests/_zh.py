"""Shared by the tests of the Chinese edition: whether its font is installed, and a pattern
for Chinese characters (the fixture ``chinese`` is in conftest.py)."""

import importlib.util
import re

import pytest

HAVE_FONT = importlib.util.find_spec("noto_cjk_sans_otc") is not None
needs_font = pytest.mark.skipif(not HAVE_FONT, reason='the zh extra is not installed '
                                                      '(pip install "adam_ref[zh]")')
CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")

