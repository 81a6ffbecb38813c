"""The collector's settings for a serving process: start-up objects frozen, young collections rarer, done once."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

import pytest

from sauti.kit import gctune

PROBE = """
import gc, json
from sauti.kit import gctune
before = gc.get_threshold()
first = gctune.tune()
frozen = gc.get_freeze_count()
gc.set_threshold(*before)  # someone changes it again: a second tune leaves it alone
second = gctune.tune()
print(json.dumps({"before": before, "first": first, "second": second, "frozen": frozen,
                  "after": gc.get_threshold()}))
"""


def test_tune_freezes_what_exists_and_raises_the_young_threshold_once() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    seen = json.loads(out)
    assert seen["before"] == [700, 10, 10]  # the interpreter's defaults, untouched by importing the module
    assert seen["first"] is True and seen["second"] is False
    assert seen["frozen"] > 1000  # the modules imported so far went to the permanent generation
    assert seen["after"] == [700, 10, 10]


@pytest.mark.usefixtures("app")
def test_the_app_tunes_its_process_at_start_up() -> None:
    assert gctune._tuned
    assert gc.get_threshold() == (gctune.YOUNG_THRESHOLD, gctune.MIDDLE_THRESHOLD, gctune.OLD_THRESHOLD)
