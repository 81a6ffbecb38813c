"""kit.phones: a number's region and kind of line, as TextUs contacts show them."""

from __future__ import annotations

import pytest

from sauti.kit.phones import describe, digits


@pytest.mark.parametrize(
    ("e164", "region", "line"),
    [
        ("+250788123123", "RW", "mobile"),
        ("+442071234567", "GB", "landline"),
        ("+447400123456", "GB", "mobile"),
        ("+447911123456", "GG", "mobile"),  # Guernsey shares the UK code
        ("+12025550147", "US", None),  # North American numbers do not say whether they are mobile
        ("+80012345678", None, None),  # a non-geographic code belongs to no region
        ("not a number", None, None),
    ],
)
def test_describe(e164: str, region: str | None, line: str | None) -> None:
    assert describe(e164) == (region, line)


def test_digits() -> None:
    assert digits("+12230000006") == "12230000006"
