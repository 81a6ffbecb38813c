"""What a phone number says about itself: the region it belongs to and the kind of line it is.

Pure (``phonenumbers`` only). Parsing and normalising numbers is :mod:`sauti.kit.urns`' job (``tel`` URNs);
this module only describes a number that is already in E.164 form.
"""

from __future__ import annotations

import phonenumbers

# phonenumbers' number types that name one kind of line; FIXED_LINE_OR_MOBILE and the rest say nothing certain
_LINE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "landline",
    phonenumbers.PhoneNumberType.VOIP: "voip",
}
LINE_TYPES = tuple(_LINE_TYPES.values())


def describe(e164: str) -> tuple[str | None, str | None]:
    """``(region, line type)`` of an E.164 number: the ISO 3166 alpha-2 region (``None`` when the number
    belongs to none, e.g. a non-geographic code) and ``mobile``, ``landline`` or ``voip`` when the numbering
    plan says so unambiguously, else ``None``."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None, None
    region = phonenumbers.region_code_for_number(number)
    line = _LINE_TYPES.get(phonenumbers.number_type(number))
    # non-geographic codes are region "001", unknown ones "ZZ": neither is a country
    return (region if region and region.isalpha() and region != "ZZ" else None), line


def digits(e164: str) -> str:
    """The number without its ``+`` (how TextUs shows contacts', opt outs' and blocked numbers' phones)."""
    return e164.removeprefix("+")
