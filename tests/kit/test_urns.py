from __future__ import annotations

import random

import phonenumbers
import pytest

from sauti.kit import urns
from sauti.kit.urns import URN, URNError

FRESHCHAT_ID = "6f7b1b5e-3c0a-4d2e-9b1a-0c2d3e4f5a6b/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


# ------------------------------------------------------------------------------------------------ schemes


def test_schemes() -> None:
    expected = {
        "tel", "mailto", "bsuid", "ext", "discord", "facebook", "fcm", "freshchat", "instagram", "jiochat",
        "line", "rocketchat", "slack", "telegram", "twitterid", "twitter", "viber", "vk", "wechat", "webchat",
        "whatsapp",
    }  # fmt: skip
    assert expected == urns.PUBLIC_SCHEMES
    assert urns.INTERNAL_SCHEMES == {"deleted"}
    assert urns.SCHEMES == expected | {"deleted"}


# ------------------------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tel:+250788123123", URN("tel", "+250788123123")),
        ("TEL:+250788123123", URN("tel", "+250788123123")),
        ("  tel:+250788123123 \n", URN("tel", "+250788123123 \n")),
        ("ext: ", URN("ext", " ")),
        ("ext:x?q #d ", URN("ext", "x", "q ", "d ")),
        ("tel: 0788 123 123 ", URN("tel", " 0788 123 123 ")),
        ("twitterid:12345#Bob", URN("twitterid", "12345", None, "Bob")),
        ("tel:+1?channel=abc", URN("tel", "+1", "channel=abc")),
        ("tel:+1?channel=abc#Home", URN("tel", "+1", "channel=abc", "Home")),
        ("tel:+1#Home?not-a-query", URN("tel", "+1", None, "Home?not-a-query")),
        ("tel:+1?a=1?b=2", URN("tel", "+1", "a=1?b=2")),
        ("tel:+1##x", URN("tel", "+1", None, "#x")),
        ("tel:+1?#", URN("tel", "+1")),
        ("facebook:ref:abc", URN("facebook", "ref:abc")),
        ("ext:a:b:c", URN("ext", "a:b:c")),
        ("ext:a%23b%3Fc%25d", URN("ext", "a#b?c%d")),
        ("ext:a%3fb", URN("ext", "a?b")),
        ("ext:%2523", URN("ext", "%23")),
        ("ext:100%", URN("ext", "100%")),
        ("ext:a%20b", URN("ext", "a%20b")),
        ("ext:x?q%23#d%3F", URN("ext", "x", "q#", "d?")),
        ("foo:bar", URN("foo", "bar")),
        ("deleted:2b1c", URN("deleted", "2b1c")),
    ],
)
def test_parse(text: str, expected: URN) -> None:
    assert urns.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "1234556789",
        "12345",
        ":abc",
        "tel:",
        "tel:?q",
        "tel:#d",
        "1tel:1",
        "t l:1",
        "té:1",
        "ſ:1",
        "-:x",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(URNError) as info:
        urns.parse(text)
    assert info.value.text == text
    assert isinstance(info.value, ValueError)


# ------------------------------------------------------------------------------------- identity and string


@pytest.mark.parametrize(
    ("urn", "ident", "full"),
    [
        (URN("tel", "+250788123123"), "tel:+250788123123", "tel:+250788123123"),
        (URN("twitterid", "12345", None, "bob"), "twitterid:12345", "twitterid:12345#bob"),
        (URN("tel", "+1", "channel=x", "Home"), "tel:+1", "tel:+1?channel=x#Home"),
        (URN("ext", "a#b?c%d"), "ext:a%23b%3Fc%25d", "ext:a%23b%3Fc%25d"),
        (URN("ext", "x", "q#?%", "d#?%"), "ext:x", "ext:x?q%23%3F%25#d%23%3F%25"),
        (URN("ext", "%23"), "ext:%2523", "ext:%2523"),
        (URN("ext", "x", "", ""), "ext:x", "ext:x"),
    ],
)
def test_identity_and_to_string(urn: URN, ident: str, full: str) -> None:
    assert urns.identity(urn) == ident
    assert urns.to_string(urn) == full


@pytest.mark.parametrize(
    "urn",
    [
        URN("ext", "a#b"),
        URN("ext", "a?b"),
        URN("ext", "a%b"),
        URN("ext", "%23%3F%25"),
        URN("ext", "p#?%", "q#?%=1&r=2", "d #?%"),
        URN("webchat", "abc:def", None, "Name #1"),
        URN("ext", "?#"),
        URN("ext", " x ", " q ", " d "),
    ],
)
def test_escaping_round_trips(urn: URN) -> None:
    assert urns.parse(urns.to_string(urn)) == urn
    assert urns.parse(urns.identity(urn)) == URN(urn.scheme, urn.path)


# ------------------------------------------------------------------------------------------ normalisation


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        # tel: E.164 using the workspace country as default region
        ("tel:078-8000004", "RW", "tel:+250788000004"),
        ("tel:078-8000004", "rw", "tel:+250788000004"),
        ("tel:0788000004", " RW ", "tel:+250788000004"),
        ("tel:788000004", "RW", "tel:+250788000004"),
        ("tel:+250-78-4444444", "RW", "tel:+250784444444"),
        ("tel:+250-78-4444444", "US", "tel:+250784444444"),
        ("tel:+250-78-4444444", None, "tel:+250784444444"),
        ("tel:  +250 788 123 123  ", None, "tel:+250788123123"),
        ("tel:+1 (206) 555-1234", None, "tel:+12065551234"),
        ("tel:(206) 555-1234", "US", "tel:+12065551234"),
        ("tel:00250788123123", "RW", "tel:+250788123123"),
        ("tel:+44 (0)20 7946 0000", None, "tel:+442079460000"),
        ("tel:+359 00 853 532", None, "tel:+359853532"),
        ("tel:\t+250788123123\n", None, "tel:+250788123123"),
        # >= 11 characters not starting with 0 gain a "+"
        ("tel:250788123123", None, "tel:+250788123123"),
        ("tel:250788123123", "US", "tel:+250788123123"),
        ("tel:12065551234", None, "tel:+12065551234"),
        ("tel:250.788.123.123", None, "tel:+250788123123"),
        # Excel scientific notation, when no digits were lost
        ("tel:2.50788123123E+11", None, "tel:+250788123123"),
        ("tel:2.50788123123e+11", "RW", "tel:+250788123123"),
        ("tel:1.2065551234E+10", None, "tel:+12065551234"),
        # ...but a truncated one is not guessed at: it keeps its letters and fails validation
        ("tel:2.50788123123E+12", None, "tel:250788123123e12"),
        ("tel:2.50788E+11", "RW", "tel:250788e11"),
        # not possible: cleaned characters kept (and validation then fails)
        ("tel:0788000004", None, "tel:0788000004"),
        ("tel:0788-000-004", None, "tel:0788000004"),
        ("tel:12345", "RW", "tel:12345"),
        ("tel:+12345", None, "tel:+12345"),
        ("tel:+788000004", "RW", "tel:+788000004"),
        ("tel:Hello World", "RW", "tel:helloworld"),
        # twitter
        ("twitter:JEAN", None, "twitter:jean"),
        ("twitter:@Jean", None, "twitter:jean"),
        ("twitter: @Jean ", None, "twitter:jean"),
        ("twitter:@@jean", None, "twitter:@jean"),
        ("twitter:@ jean", None, "twitter:jean"),
        # twitterid: path untouched, display handle cleaned
        ("twitterid:12345#Bob", None, "twitterid:12345#bob"),
        ("twitterid:12345#@Bob", None, "twitterid:12345#bob"),
        ("twitterid: 12345 # @Bob ", None, "twitterid:12345#bob"),
        ("twitterid:12345#@", None, "twitterid:12345"),
        ("twitterid:12345#@ ", None, "twitterid:12345"),
        ("twitterid:12345", None, "twitterid:12345"),
        # mailto
        ("mailto:Bob@Example.COM", None, "mailto:bob@example.com"),
        ("mailto: Bob@Example.COM ", "RW", "mailto:bob@example.com"),
        # whatsapp / bsuid scoped ids
        ("whatsapp:us.abc", None, "whatsapp:US.abc"),
        ("whatsapp:Us.AbC", None, "whatsapp:US.AbC"),
        ("whatsapp:250788123123", "RW", "whatsapp:250788123123"),
        ("whatsapp:usa.abc", None, "whatsapp:usa.abc"),
        ("bsuid:gb.XyZ1", None, "bsuid:GB.XyZ1"),
        # everything else: strip only
        ("facebook: 12345 ", None, "facebook:12345"),
        ("ext:  Some Thing  ", None, "ext:Some Thing"),
        ("telegram:12345#Bob", None, "telegram:12345#Bob"),
        ("line:UABC?x=Y#Jane", None, "line:UABC?x=Y#Jane"),
        ("TWITTER:JEAN", None, "twitter:jean"),
    ],
)
def test_normalize(text: str, country: str | None, expected: str) -> None:
    assert urns.to_string(urns.normalize(urns.parse(text), country)) == expected


@pytest.mark.parametrize(
    ("urn", "expected"),
    [
        (URN("MAILTO", "A@B.org"), URN("mailto", "a@b.org")),
        (URN("tel", "  "), URN("tel", "")),
        (URN("twitterid", "1", None, " "), URN("twitterid", "1")),
        (URN("ext", " x ", " q ", " d "), URN("ext", "x", " q ", " d ")),
    ],
)
def test_normalize_constructed(urn: URN, expected: URN) -> None:
    assert urns.normalize(urn, "RW") == expected


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("tel:078-8000004", "RW"),
        ("tel:+1 (206) 555-1234", None),
        ("tel:2.50788123123E+11", None),
        ("tel:+359 00 853 532", None),
        ("tel:0788000004", None),
        ("twitter:@Jean", None),
        ("twitterid:1#@Bob", None),
        ("whatsapp:us.abc", None),
        ("mailto:Bob@Example.COM", None),
    ],
)
def test_normalize_is_idempotent(text: str, country: str | None) -> None:
    once = urns.normalize(urns.parse(text), country)
    assert urns.normalize(once, country) == once


def _phone_texts() -> list[str]:
    """Numbers of every region in E.164 and as written locally, with awkward ones: doubled trunk prefixes,
    ``+`` before an international or unassigned prefix, random digit runs of every length."""
    out: list[str] = ["+359 00 853 532", "+35900853532", "+0044 20 7946 0958", "+00250788123123", "+80012345678"]
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in kinds:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                out.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
                out.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL))
                out.append("+" + str(example.country_code) + "0" + str(example.national_number))
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            out.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    rng = random.Random(20261202)
    for _ in range(1500):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 17)))
        out.append(rng.choice(("+", "", "00", "0")) + digits)
    return out


def test_canonical_numbers_skip_the_second_parse_and_normalise_as_before() -> None:
    """The shortcut for a number already in E.164 gives what the full fixed-point check gives, for every input
    and default country (an unknown one, the non-geographic "001" and none included)."""
    canonical = 0
    for text in _phone_texts():
        for country in (None, "RW", "US", "GB", "IT", "BG", "001", "XX", " rw "):
            urns._PHONES.clear()  # each path parses for itself
            fast = urns._normalize_tel(text, country)
            kept = dict(urns._PHONES)
            urns._PHONES.clear()
            assert fast == urns._normalize_tel(text, country, shortcut=False), (text, country)
            canonical += fast == text
            for (number, region), parsed in kept.items():  # what the shortcut keeps is what a parse gives
                urns._PHONES.clear()
                assert urns._parse_phone(number, region) == parsed, (text, country, number, region)
    assert canonical > 1000  # the shortcut was taken (E.164 inputs normalise to themselves)


# --------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("urn", "country", "valid"),
    [
        (URN("tel", "+250788123123"), None, True),
        (URN("tel", "+250788123123"), "US", True),
        (URN("tel", "+12065551234"), "RW", True),
        # validation expects normalised input: tel paths are E.164
        (URN("tel", "0788123123"), "RW", False),
        (URN("tel", "250788123123"), "RW", False),
        (URN("tel", "0788123123"), None, False),
        (URN("tel", "12345"), "RW", False),
        (URN("tel", "+12345"), None, False),
        (URN("tel", "helloworld"), "RW", False),
        (URN("tel", "+788000004"), "RW", False),
        (URN("tel", ""), "RW", False),
        (URN("tel", "+250788123123"), "XX", True),
        (URN("tel", "0788123123"), "XX", False),
        (URN("twitter", "jean_1"), None, True),
        (URN("twitter", "a" * 15), None, True),
        (URN("twitter", "a" * 16), None, False),
        (URN("twitter", "je-an"), None, False),
        (URN("twitter", "@jean"), None, False),
        (URN("twitterid", "12345", None, "bob"), None, True),
        (URN("twitterid", "12345"), None, True),
        (URN("twitterid", "bob"), None, False),
        (URN("mailto", "bob@example.com"), None, True),
        (URN("mailto", "first.last+tag@mail.example.co.uk"), None, True),
        (URN("mailto", "bob@xn--bcher-kva.example"), None, True),
        (URN("mailto", "bob@bücher.de"), None, True),
        (URN("mailto", "Bob.O'Neil@Example.COM"), None, True),
        (URN("mailto", "bob@example.XN--P1AI"), None, True),
        (URN("mailto", "ſ@example.com"), None, False),
        (URN("mailto", "bob@example"), None, False),
        (URN("mailto", "bob"), None, False),
        (URN("mailto", "@example.com"), None, False),
        (URN("mailto", "bob@@example.com"), None, False),
        (URN("mailto", "bob smith@example.com"), None, False),
        (URN("mailto", "bob..smith@example.com"), None, False),
        (URN("mailto", ".bob@example.com"), None, False),
        (URN("mailto", "bob@-example.com"), None, False),
        (URN("mailto", "bob@example.c"), None, False),
        (URN("mailto", "bob@example.com."), None, False),
        (URN("mailto", "a" * 65 + "@example.com"), None, False),
        (URN("facebook", "1234567890"), None, True),
        (URN("facebook", "ref:abc-Def_1"), None, True),
        (URN("facebook", "ref:"), None, False),
        (URN("facebook", "abc"), None, False),
        (URN("facebook", "-12"), None, False),
        (URN("telegram", "12345"), None, True),
        (URN("telegram", "abc"), None, False),
        (URN("telegram", "12.5"), None, False),
        (URN("telegram", "١٢٣"), None, False),
        (URN("instagram", "9876"), None, True),
        (URN("instagram", "jean"), None, False),
        (URN("whatsapp", "250788123123"), None, True),
        (URN("whatsapp", "US.abc123"), None, True),
        (URN("whatsapp", "US." + "a" * 128), None, True),
        (URN("whatsapp", "US." + "a" * 129), None, False),
        (URN("whatsapp", "us.abc"), None, False),
        (URN("whatsapp", "US.ab-c"), None, False),
        (URN("whatsapp", "+250788123123"), None, False),
        (URN("bsuid", "GB.XyZ1"), None, True),
        (URN("bsuid", "250788123123"), None, False),
        (URN("viber", "xy5/5y6O81+/kbWHpLhBoA=="), None, True),
        (URN("viber", "a_b"), None, True),
        (URN("viber", "a" * 25), None, False),
        (URN("viber", "a-b"), None, False),
        (URN("freshchat", FRESHCHAT_ID), None, True),
        (URN("freshchat", FRESHCHAT_ID.upper()), None, True),
        (URN("freshchat", FRESHCHAT_ID.split("/")[0]), None, False),
        (URN("freshchat", FRESHCHAT_ID + "/x"), None, False),
        (URN("ext", "anything at all #?%"), None, True),
        (URN("discord", "123"), None, True),
        (URN("webchat", "abc:def"), None, True),
        (URN("deleted", "0f6b4c1e-1d2a-4f9e-8a5b-2c3d4e5f6a7b"), None, True),
        (URN("ext", "   "), None, False),
        (URN("ext", ""), None, False),
        (URN("foo", "bar"), None, False),
        (URN("Tel", "+250788123123"), None, False),
        # identity and display length limits
        (URN("ext", "x" * 251), None, True),
        (URN("ext", "x" * 252), None, False),
        (URN("ext", "%" * 83), None, True),
        (URN("ext", "%" * 84), None, False),
        (URN("ext", "x", None, "d" * 255), None, True),
        (URN("ext", "x", None, "d" * 256), None, False),
        (URN("ext", "x", "q" * 1000), None, True),
    ],
)
def test_validate(urn: URN, country: str | None, valid: bool) -> None:
    assert urns.validate(urn, country) is valid


# -------------------------------------------------------------------------------------- parse_normalized


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("tel:078-8000004", "RW", URN("tel", "+250788000004")),
        ("tel:+250-78-4444444", None, URN("tel", "+250784444444")),
        ("tel:+250-78-5555555", "RW", URN("tel", "+250785555555")),
        ("tel:+1 (206) 555-1234", "RW", URN("tel", "+12065551234")),
        ("tel:2.50788123123E+11", None, URN("tel", "+250788123123")),
        ("tel:+250788123123#Home", None, URN("tel", "+250788123123", None, "Home")),
        ("twitter:JEAN", None, URN("twitter", "jean")),
        ("twitter:@Jean", None, URN("twitter", "jean")),
        ("twitterid:12345#@Bob", None, URN("twitterid", "12345", None, "bob")),
        ("mailto:Bob@Example.COM", None, URN("mailto", "bob@example.com")),
        ("whatsapp:us.abc", None, URN("whatsapp", "US.abc")),
        ("whatsapp:250788123123", None, URN("whatsapp", "250788123123")),
        ("facebook:ref:abc", None, URN("facebook", "ref:abc")),
        ("Telegram: 12345 ", None, URN("telegram", "12345")),
        ("ext:a%23b", None, URN("ext", "a#b")),
    ],
)
def test_parse_normalized(text: str, country: str | None, expected: URN) -> None:
    assert urns.parse_normalized(text, country) == expected


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("1234556789", "RW"),
        ("12345", "RW"),
        ("tel:0788000004", None),
        ("tel:12345", "RW"),
        ("tel:12345", None),
        ("tel:2.50788E+11", "RW"),
        ("tel:2.5078812312E+11", "RW"),
        ("tel:+788000004", "RW"),
        ("tel:", "RW"),
        ("tel:   ", "RW"),
        ("tel:?x=1#y", "RW"),
        ("unknownscheme:x", None),
        ("foo:bar", None),
        ("twitter:has space", None),
        ("twitterid:bob", None),
        ("mailto:not-an-email", None),
        ("facebook:bob", None),
        ("telegram:@bob", None),
        ("instagram:jean", None),
        ("whatsapp:usa.abc", None),
        ("viber:with-dash", None),
        ("freshchat:abc/def", None),
        ("ext:" + "x" * 300, None),
    ],
)
def test_parse_normalized_rejects(text: str, country: str | None) -> None:
    with pytest.raises(URNError) as info:
        urns.parse_normalized(text, country)
    assert info.value.text == text
    assert str(info.value).startswith(f"Invalid URN: {text}")


# ---------------------------------------------------------------------------------------------- display


@pytest.mark.parametrize(
    ("urn", "international", "expected"),
    [
        (URN("tel", "+250788123123"), False, "0788 123 123"),
        (URN("tel", "+250788123123"), True, "+250 788 123 123"),
        (URN("tel", "+12065551212"), False, "(206) 555-1212"),
        (URN("tel", "+12065551212"), True, "+1 206-555-1212"),
        (URN("tel", "+250788123123", None, "Home"), False, "0788 123 123"),
        (URN("tel", "123456"), False, "123456"),
        (URN("tel", "123456"), True, "123456"),
        (URN("tel", "+12345"), False, "+12345"),
        (URN("tel", "123456", None, "Office"), False, "Office"),
        (URN("whatsapp", "250788123123"), False, "0788 123 123"),
        (URN("whatsapp", "250788123123"), True, "+250 788 123 123"),
        (URN("whatsapp", "US.abc", None, "Jane"), False, "Jane"),
        (URN("whatsapp", "US.abc"), False, "US.abc"),
        (URN("twitterid", "12345", None, "bob"), False, "bob"),
        (URN("twitter", "jean"), False, "jean"),
        (URN("telegram", "250788123123"), False, "250788123123"),
        (URN("mailto", "bob@example.com", "subject=hi"), False, "bob@example.com"),
        (URN("ext", "x", None, ""), False, "x"),
    ],
)
def test_display(urn: URN, international: bool, expected: str) -> None:
    assert urns.display(urn, international=international) == expected


# ---------------------------------------------------------------------------------------- looks_like_phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0788123123", True),
        ("+250788123123", True),
        ("+250-788-123", True),
        ("1234", True),
        ("----", True),
        ("123", False),
        ("+123", False),
        ("++1234", False),
        ("1234+", False),
        ("0788 123 123", False),
        (" 1234", False),
        ("1234\n", False),
        ("(206)5551234", False),
        ("tel:1234", False),
        ("١٢٣٤", False),
        ("", False),
    ],
)
def test_looks_like_phone(text: str, expected: bool) -> None:
    assert urns.looks_like_phone(text) is expected
