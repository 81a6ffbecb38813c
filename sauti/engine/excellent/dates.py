"""Dates and times of the expression language: reading them from text, format codes, calendar arithmetic.

Reading text (``datetime("...")``, router date tests, date fields) follows one procedure, see
:func:`parse_datetime_text`: a full ISO-8601 datetime; else an ISO date prefix; else a date in the
environment's date format found anywhere in the text, followed by an optional time of day in the rest.

Format codes (``format_date(d, "DD MMMM YYYY")``, ``parse_datetime(t, "YYYY-MM-DD tt:mm")``):

====================  ==================================================================================
``YY`` ``YYYY``       year, two or four digits
``M`` ``MM``          month, 1-12 or zero padded
``MMM`` ``MMMM``      month name, short or full, localised (formatting only)
``D`` ``DD``          day of month, 1-31 or zero padded
``EEE`` ``EEEE``      day name, short or full, localised (formatting only)
``h`` ``hh``          hour 1-12, or zero padded
``t`` ``tt``          hour 0-23, or zero padded
``m`` ``mm``          minute; ``s`` ``ss`` second
``fff`` ``ffffff``    milliseconds, microseconds (``fffffffff``: nanoseconds, the last three always 0)
``aa`` ``AA``         am/pm, AM/PM
``Z`` ``ZZZ``         offset from UTC (``Z`` writes ``Z`` for UTC), datetimes only
====================  ==================================================================================

The characters space ``: , T - _ / .`` are copied as they are; anything else is an error
(``'x' is not valid in a date formatting layout``). Month and day names come from a small table of languages
(:data:`TRANSLATIONS`; others fall back to English). A ``t`` hour of midnight is written ``0``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

import regex

from sauti.engine.env import Environment, InvalidEnvironment, load_timezone
from sauti.engine.excellent.types import go_quote

__all__ = [
    "TRANSLATIONS",
    "DateError",
    "Translation",
    "add_calendar",
    "add_duration",
    "combine",
    "days_between",
    "format_layout",
    "months_between",
    "parse_date_text",
    "parse_datetime_text",
    "parse_layout",
    "parse_time_text",
    "timezone_name",
    "translation",
    "zone",
]

UTC: Final = ZoneInfo("UTC")


class DateError(ValueError):
    """A layout that isn't valid, a value that doesn't match it, or a date out of the calendar's range."""


# ----------------------------------------------------------------------------------------------- localisation


@dataclass(frozen=True)
class Translation:
    """Names used by ``MMM``/``MMMM``/``EEE``/``EEEE``/``aa`` in one language; days start on Sunday."""

    months: tuple[str, ...]
    short_months: tuple[str, ...]
    days: tuple[str, ...]
    short_days: tuple[str, ...]
    am_pm: tuple[str, str] = ("AM", "PM")


TRANSLATIONS: Final[dict[str, Translation]] = {
    "eng": Translation(
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        short_months=("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        days=("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
        short_days=("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"),
    ),
    "spa": Translation(
        months=(
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
        short_months=("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
        days=("domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"),
        short_days=("dom", "lun", "mar", "mié", "jue", "vie", "sáb"),
    ),
    "fra": Translation(
        months=(
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
        short_months=(
            "janv.",
            "févr.",
            "mars",
            "avr.",
            "mai",
            "juin",
            "juil.",
            "août",
            "sept.",
            "oct.",
            "nov.",
            "déc.",
        ),
        days=("dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"),
        short_days=("dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."),
    ),
    "por": Translation(
        months=(
            "janeiro",
            "fevereiro",
            "março",
            "abril",
            "maio",
            "junho",
            "julho",
            "agosto",
            "setembro",
            "outubro",
            "novembro",
            "dezembro",
        ),
        short_months=("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"),
        days=("domingo", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado"),
        short_days=("dom", "seg", "ter", "qua", "qui", "sex", "sáb"),
    ),
    "swa": Translation(
        months=(
            "Januari",
            "Februari",
            "Machi",
            "Aprili",
            "Mei",
            "Juni",
            "Julai",
            "Agosti",
            "Septemba",
            "Oktoba",
            "Novemba",
            "Desemba",
        ),
        short_months=("Jan", "Feb", "Mac", "Apr", "Mei", "Jun", "Jul", "Ago", "Sep", "Okt", "Nov", "Des"),
        days=("Jumapili", "Jumatatu", "Jumanne", "Jumatano", "Alhamisi", "Ijumaa", "Jumamosi"),
        short_days=("Jpi", "Jtt", "Jnn", "Jtn", "Alh", "Iju", "Jmo"),
    ),
    "kin": Translation(
        months=(
            "Mutarama",
            "Gashyantare",
            "Werurwe",
            "Mata",
            "Gicurasi",
            "Kamena",
            "Nyakanga",
            "Kanama",
            "Nzeri",
            "Ukwakira",
            "Ugushyingo",
            "Ukuboza",
        ),
        short_months=("mut", "gas", "wer", "mat", "gic", "kam", "nya", "kan", "nze", "ukw", "ugu", "uku"),
        days=(
            "Ku cyumweru",
            "Kuwa mbere",
            "Kuwa kabiri",
            "Kuwa gatatu",
            "Kuwa kane",
            "Kuwa gatanu",
            "Kuwa gatandatu",
        ),
        short_days=("cyu", "mbe", "kab", "gtu", "kan", "gnu", "gnd"),
    ),
}


def translation(language: str | None) -> Translation:
    """The names for ``language`` (ISO-639-3), English when it is ``None`` or not in :data:`TRANSLATIONS`."""
    return TRANSLATIONS.get(language or "eng") or TRANSLATIONS["eng"]


# ----------------------------------------------------------------------------------------------- zones


def zone(name: str) -> dt.tzinfo:
    """The IANA zone ``name`` (``""`` is UTC); ``DateError("unknown time zone X")`` otherwise."""
    try:
        return load_timezone(name)
    except InvalidEnvironment as e:
        raise DateError(str(e)) from None


def timezone_name(value: dt.datetime) -> str:
    """The zone name of an aware datetime: ``America/Guayaquil``, ``UTC``; ``""`` for a bare offset."""
    tz = value.tzinfo
    if isinstance(tz, ZoneInfo):
        return tz.key
    if tz is dt.UTC:
        return "UTC"
    return ""


def _resolve_offset(naive: dt.datetime, offset_seconds: int | None, tz: dt.tzinfo) -> dt.datetime:
    """A wall time read with an explicit offset: ``None`` means ``Z`` (UTC). When the offset is the one ``tz``
    has at that instant the result is in ``tz``, else in a fixed-offset zone (as Go reads offsets)."""
    if offset_seconds is None:
        return naive.replace(tzinfo=UTC)
    fixed = dt.timezone(dt.timedelta(seconds=offset_seconds))
    instant = naive.replace(tzinfo=fixed)
    local = instant.astimezone(tz)
    offset = local.utcoffset()
    if offset is not None and int(offset.total_seconds()) == offset_seconds:
        return local
    return instant


def combine(day: dt.date, time_of_day: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """The wall time ``day`` + ``time_of_day`` in ``tz``."""
    return dt.datetime.combine(day, time_of_day.replace(tzinfo=None), tzinfo=tz)


# ----------------------------------------------------------------------------------------------- layouts

_SEQUENCES: Final[dict[str, tuple[str, bool]]] = {  # code: (kind, parseable)
    "YY": ("date", True),
    "YYYY": ("date", True),
    "M": ("date", True),
    "MM": ("date", True),
    "MMM": ("date", False),
    "MMMM": ("date", False),
    "D": ("date", True),
    "DD": ("date", True),
    "EEE": ("date", False),
    "EEEE": ("date", False),
    "fff": ("time", True),
    "ffffff": ("time", True),
    "fffffffff": ("time", True),
    "h": ("time", True),
    "hh": ("time", True),
    "t": ("time", True),
    "tt": ("time", True),
    "m": ("time", True),
    "mm": ("time", True),
    "s": ("time", True),
    "ss": ("time", True),
    "aa": ("time", True),
    "AA": ("time", True),
    "Z": ("datetime", True),
    "ZZZ": ("datetime", True),
}
_LITERALS: Final = frozenset(" :/.,T-_")
_KINDS: Final = {"date": {"date"}, "time": {"time"}, "datetime": {"date", "time", "datetime"}}


def _visit(layout: str, kind: str, mode: str) -> list[tuple[str, bool]]:
    """``layout`` as ``(sequence, is_code)`` runs of one repeated character; ``DateError`` for an unknown or
    disallowed code (``kind`` is ``date``/``time``/``datetime``, ``mode`` ``formatting``/``parsing``)."""
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(layout):
        ch = layout[i]
        j = i + 1
        while j < len(layout) and layout[j] == ch:
            j += 1
        seq = layout[i:j]
        i = j
        if ch in _LITERALS:
            out.append((seq, False))
            continue
        spec = _SEQUENCES.get(seq)
        if spec is None or spec[0] not in _KINDS[kind] or (mode == "parsing" and not spec[1]):
            raise DateError(f"'{seq}' is not valid in a {kind} {mode} layout")
        out.append((seq, True))
    return out


def _offset_text(value: dt.datetime, utc_as_z: bool) -> str:
    offset = value.utcoffset() or dt.timedelta(0)
    seconds = int(offset.total_seconds())
    if seconds == 0 and utc_as_z:
        return "Z"
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def format_layout(value: dt.datetime, layout: str, kind: str, language: str | None = None) -> str:
    """``value`` written with format codes (``kind`` limits which are allowed); ``DateError`` for a bad layout.

    For a date pass midnight of that day, for a time any day at that time; only datetimes may use ``Z``.
    """
    names = translation(language)
    hour12 = value.hour % 12 or 12
    out: list[str] = []
    for seq, is_code in _visit(layout, kind, "formatting"):
        if not is_code:
            out.append(seq)
            continue
        match seq:
            case "YY":
                out.append(f"{value.year % 100:02d}")
            case "YYYY":
                out.append(f"{value.year:04d}")
            case "M":
                out.append(str(value.month))
            case "MM":
                out.append(f"{value.month:02d}")
            case "MMM":
                out.append(names.short_months[value.month - 1])
            case "MMMM":
                out.append(names.months[value.month - 1])
            case "D":
                out.append(str(value.day))
            case "DD":
                out.append(f"{value.day:02d}")
            case "EEE":
                out.append(names.short_days[value.isoweekday() % 7])
            case "EEEE":
                out.append(names.days[value.isoweekday() % 7])
            case "h":
                out.append(str(hour12))
            case "hh":
                out.append(f"{hour12:02d}")
            case "t":
                out.append(str(value.hour))
            case "tt":
                out.append(f"{value.hour:02d}")
            case "m":
                out.append(str(value.minute))
            case "mm":
                out.append(f"{value.minute:02d}")
            case "s":
                out.append(str(value.second))
            case "ss":
                out.append(f"{value.second:02d}")
            case "fff":
                out.append(f"{value.microsecond // 1000:03d}")
            case "ffffff":
                out.append(f"{value.microsecond:06d}")
            case "fffffffff":
                out.append(f"{value.microsecond:06d}000")
            case "aa":
                out.append(names.am_pm[value.hour >= 12].lower())
            case "AA":
                out.append(names.am_pm[value.hour >= 12].upper())
            case "Z":
                out.append(_offset_text(value, True))
            case "ZZZ":
                out.append(_offset_text(value, False))
    return "".join(out)


class _Reader:
    """Go-like reading of a value against a parsed layout."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.rest = original

    def fail(self, seq: str) -> DateError:
        return DateError(f"cannot parse '{self.rest}' as '{seq}'")

    def digits(self, seq: str, fixed: int | None) -> int:
        """Exactly ``fixed`` digits, or 1-2 digits when ``fixed`` is None."""
        rest = self.rest
        if fixed is not None:
            chunk = rest[:fixed]
            if len(chunk) < fixed or not (chunk.isascii() and chunk.isdigit()):
                raise self.fail(seq)
            self.rest = rest[fixed:]
            return int(chunk)
        if not rest[:1].isdigit() or not rest[:1].isascii():
            raise self.fail(seq)
        n = 2 if len(rest) > 1 and rest[1].isascii() and rest[1].isdigit() else 1
        self.rest = rest[n:]
        return int(rest[:n])

    def fraction(self, seq: str, places: int | None) -> int:
        """A ``.``/``,`` fraction of ``places`` digits (any number when None); returns microseconds."""
        rest = self.rest
        if len(rest) < 2 or rest[0] not in ".," or not (rest[1].isascii() and rest[1].isdigit()):
            raise self.fail(seq)
        n = 1
        while n < len(rest) and rest[n].isascii() and rest[n].isdigit():
            n += 1
        digits = rest[1:n]
        if places is not None:
            if len(digits) < places:
                raise self.fail(seq)
            digits = digits[:places]
            n = 1 + places
        self.rest = rest[n:]
        return int((digits + "000000")[:6])


_OFFSET: Final = regex.compile(r"([+-])([0-9]{2}):([0-9]{2})")


def parse_layout(text: str, layout: str, kind: str, tz: dt.tzinfo) -> dt.datetime:
    """``text`` read exactly with format codes (``kind`` ``datetime`` or ``time``); the result is in ``tz``
    unless the text has an offset. Fractional seconds after the seconds are read even when the layout has
    none. ``DateError`` when the layout is bad or the text doesn't match it."""
    elements = _visit(layout, kind, "parsing")
    reader = _Reader(text)
    year: int | None = None
    month, day, hour, minute, second, micros = 1, 1, 0, 0, 0, 0
    pm: bool | None = None
    offset: int | bool | None = False  # False: none given; None: Z
    for index, (seq, is_code) in enumerate(elements):
        following = elements[index + 1] if index + 1 < len(elements) else None
        if not is_code:
            if seq == "." and following is not None and following[0].startswith("f"):
                continue  # the fraction code reads its own point
            if not reader.rest.startswith(seq):
                raise reader.fail(seq)
            reader.rest = reader.rest[len(seq) :]
            continue
        if seq.startswith("f"):
            micros = reader.fraction(seq, len(seq))
            continue
        match seq:
            case "YY":
                y = reader.digits(seq, 2)
                year = y + (1900 if y >= 69 else 2000)
            case "YYYY":
                year = reader.digits(seq, 4)
            case "M" | "MM":
                month = reader.digits(seq, 2 if seq == "MM" else None)
                if not 1 <= month <= 12:
                    raise DateError(f"parsing time {go_quote(text)}: month out of range")
            case "D" | "DD":
                day = reader.digits(seq, 2 if seq == "DD" else None)
                if not 1 <= day <= 31:
                    raise DateError(f"parsing time {go_quote(text)}: day out of range")
            case "h" | "hh":
                hour = reader.digits(seq, 2 if seq == "hh" else None)
                if hour > 12:
                    raise DateError(f"parsing time {go_quote(text)}: hour out of range")
            case "t" | "tt":
                hour = reader.digits(seq, None)
                if hour > 23:
                    raise DateError(f"parsing time {go_quote(text)}: hour out of range")
            case "m" | "mm":
                minute = reader.digits(seq, 2 if seq == "mm" else None)
                if minute > 59:
                    raise DateError(f"parsing time {go_quote(text)}: minute out of range")
            case "s" | "ss":
                second = reader.digits(seq, 2 if seq == "ss" else None)
                if second > 59:
                    raise DateError(f"parsing time {go_quote(text)}: second out of range")
                next_is_fraction = following is not None and (
                    following[0].startswith("f")
                    or (following[0] == "." and index + 2 < len(elements) and elements[index + 2][0][0] == "f")
                )
                if not next_is_fraction and reader.rest[:1] in (".", ",") and reader.rest[1:2].isdigit():
                    micros = reader.fraction(seq, None)
            case "aa" | "AA":
                word = reader.rest[:2]
                expected = ("am", "pm") if seq == "aa" else ("AM", "PM")
                if word not in expected:
                    raise reader.fail(seq)
                pm = word == expected[1]
                reader.rest = reader.rest[2:]
            case "Z" | "ZZZ":
                if seq == "Z" and reader.rest.startswith("Z"):
                    offset = None
                    reader.rest = reader.rest[1:]
                else:
                    m = _OFFSET.match(reader.rest)
                    if m is None:
                        raise reader.fail(seq)
                    seconds = int(m[2]) * 3600 + int(m[3]) * 60
                    offset = -seconds if m[1] == "-" else seconds
                    reader.rest = reader.rest[m.end() :]
    if reader.rest:
        raise DateError(f"parsing time {go_quote(text)}: extra text: {go_quote(reader.rest)}")
    if pm is True and hour < 12:
        hour += 12
    elif pm is False and hour == 12:
        hour = 0
    if kind == "time":
        return dt.datetime(2000, 1, 1, hour, minute, second, micros)
    if year is None or year < 1:
        raise DateError(f"parsing time {go_quote(text)}: year out of range")
    try:
        naive = dt.datetime(year, month, day, hour, minute, second, micros)
    except ValueError:
        raise DateError(f"parsing time {go_quote(text)}: day out of range") from None
    if offset is False:
        return naive.replace(tzinfo=tz)
    assert offset is None or isinstance(offset, int)
    return _resolve_offset(naive, offset, tz)


# ----------------------------------------------------------------------------------------------- finding in text

_ISO_FULL: Final = regex.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_ISO_MINUTES: Final = regex.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})"
)
_ISO_DATE: Final = regex.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_SEP: Final = r"[-.\\/_ ]"
_DAY_FIRST_OR_MONTH_FIRST: Final = regex.compile(
    rf"\b([0-9]{{1,2}}){_SEP}([0-9]{{1,2}}){_SEP}([0-9]{{4}}|[0-9]{{2}})\b", regex.ASCII
)
_YEAR_FIRST: Final = regex.compile(rf"\b([0-9]{{4}}|[0-9]{{2}}){_SEP}([0-9]{{1,2}}){_SEP}([0-9]{{1,2}})\b", regex.ASCII)
_TIME: Final = regex.compile(
    r"\b([0-9]{1,2})(?::?([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?)?[^0-9A-Za-z_]*([aApP][mM])?\b", regex.ASCII
)
_TRIM: Final = " \n\r\t"


def _iso_datetime(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    m = _ISO_FULL.fullmatch(text)
    parts: tuple[str | None, ...]
    if m is not None:
        parts = m.groups()
    else:
        m = _ISO_MINUTES.fullmatch(text)
        if m is None:
            return None
        g = m.groups()
        parts = (*g[:5], "00", None, g[5])
    year, month, day, hour, minute, second = (int(p or 0) for p in parts[:6])
    fraction, zone_text = parts[6], parts[7]
    if hour > 23 or minute > 59 or second > 59:
        return None
    micros = int(((fraction or "") + "000000")[:6])
    try:
        naive = dt.datetime(year, month, day, hour, minute, second, micros)
    except ValueError:
        return None
    assert zone_text is not None
    if zone_text == "Z":
        return _resolve_offset(naive, None, tz)
    sign = -1 if zone_text[0] == "-" else 1
    seconds = int(zone_text[1:3]) * 3600 + int(zone_text[4:6]) * 60
    return _resolve_offset(naive, sign * seconds, tz)


def parse_date_text(env: Environment, text: str, current_year: int) -> tuple[dt.date, str] | None:
    """The first date in ``text`` and the text after it, or ``None``.

    An ISO ``YYYY-MM-DD`` at the start wins; otherwise the first valid match of the environment's date format
    anywhere, with any of ``- . \\ / _`` or space between the parts, day and month one or two digits, the year
    four or two digits (a two-digit year after ``current_year``'s is 19xx, otherwise 20xx). Impossible dates
    such as 31/02 are skipped.
    """
    text = text.strip(_TRIM)
    iso = _ISO_DATE.fullmatch(text[:10])
    if iso is not None:
        try:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3])), text[10:]
        except ValueError:
            pass
    if env.date_format == "YYYY-MM-DD":
        pattern, y_group, m_group, d_group = _YEAR_FIRST, 1, 2, 3
    elif env.date_format == "MM-DD-YYYY":
        pattern, y_group, m_group, d_group = _DAY_FIRST_OR_MONTH_FIRST, 3, 1, 2
    else:
        pattern, y_group, m_group, d_group = _DAY_FIRST_OR_MONTH_FIRST, 3, 2, 1
    for m in pattern.finditer(text):
        year, month, day = int(m[y_group]), int(m[m_group]), int(m[d_group])
        if len(m[y_group]) == 2:
            year += 1900 if year > current_year % 1000 else 2000
        if not (1 <= day <= 31 and 1 <= month <= 12):
            continue
        try:
            return dt.date(year, month, day), text[m.end() :]
        except ValueError:
            continue
    return None


def parse_time_text(text: str) -> dt.time | None:
    """The first time of day in ``text``: ``10``, ``10:30``, ``1030``, ``10:30:45.123``, each optionally followed
    by ``am``/``pm``; ``24:00`` is midnight; out-of-range candidates are skipped."""
    for m in _TIME.finditer(text):
        hour = int(m[1])
        minute = int(m[2] or 0)
        second = int(m[3] or 0)
        ampm = (m[5] or "").lower()
        if hour < 12 and ampm == "pm":
            hour += 12
        elif hour == 12 and ampm == "am":
            hour = 0
        fraction = (m[4] or "")[:9]
        micros = int((fraction + "000000")[:6]) if fraction else 0
        if hour == 24 and minute == 0 and second == 0 and micros == 0:
            hour = 0
        if hour > 23 or minute > 59 or second > 59:
            continue
        return dt.time(hour, minute, second, micros)
    return None


def parse_datetime_text(env: Environment, text: str, now: dt.datetime, fill_time: bool = False) -> dt.datetime | None:
    """A datetime read from ``text`` in the environment's timezone and date format, or ``None``.

    First a full ISO-8601 datetime (``2006-01-02T15:04:05Z``, fraction and seconds optional, an offset
    required); else :func:`parse_date_text` and then :func:`parse_time_text` on the rest of the text. When no
    time is found the time of day is midnight, or the time of ``now`` in the environment's timezone when
    ``fill_time`` (router tests and field values ask for that).
    """
    tz = env.tz
    text = text.strip(_TRIM)
    iso = _iso_datetime(text, tz)
    if iso is not None:
        return iso
    found = parse_date_text(env, text, now.astimezone(tz).year)
    if found is None:
        return None
    day, rest = found
    time_of_day = parse_time_text(rest)
    if time_of_day is None:
        time_of_day = now.astimezone(tz).time() if fill_time else dt.time(0, 0)
    return combine(day, time_of_day, tz)


# ----------------------------------------------------------------------------------------------- arithmetic


def add_calendar(value: dt.datetime, years: int = 0, months: int = 0, days: int = 0) -> dt.datetime:
    """Go's ``AddDate``: the wall date moves by years, months and days (the day overflowing into the next
    month, so January 31 plus one month is March 2 or 3); the wall time stays. ``DateError`` out of range."""
    try:
        month_index = value.year * 12 + (value.month - 1) + years * 12 + months
        year, month = divmod(month_index, 12)
        first = dt.date(year, month + 1, 1)
        target = first + dt.timedelta(days=value.day - 1 + days)
        return value.replace(year=target.year, month=target.month, day=target.day)
    except (ValueError, OverflowError):
        raise DateError("date is out of range") from None


def add_duration(value: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """``value`` moved by an absolute duration (so adding 3 hours across a DST change is 3 real hours)."""
    try:
        return (value.astimezone(UTC) + delta).astimezone(value.tzinfo)
    except (ValueError, OverflowError):
        raise DateError("date is out of range") from None


def days_between(later: dt.datetime, earlier: dt.datetime) -> int:
    """Calendar days from ``earlier``'s date to ``later``'s, each read in its own timezone."""
    return (later.date() - earlier.date()).days


def months_between(later: dt.datetime, earlier: dt.datetime) -> int:
    """Calendar months from ``earlier`` to ``later`` (days ignored)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month
