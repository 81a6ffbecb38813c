"""Channel types by code and URL slug. Every module of ``sauti.channels.types`` is imported on first use and
registers its type with the ``register`` decorator."""

from __future__ import annotations

import importlib
import pkgutil

from sauti.channels.base import ChannelType

_BY_CODE: dict[str, ChannelType] = {}
_BY_SLUG: dict[str, ChannelType] = {}
_loaded = False


def register(cls: type[ChannelType]) -> type[ChannelType]:
    """Class decorator: make a channel type available by its code and URL slug."""
    instance = cls()
    _BY_CODE[cls.code] = instance
    _BY_SLUG[cls.slug] = instance
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import sauti.channels.types as pkg

    for module in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{module.name}")


def by_code(code: str) -> ChannelType | None:
    _load()
    return _BY_CODE.get(code)


def by_slug(slug: str) -> ChannelType | None:
    _load()
    return _BY_SLUG.get(slug)


def all_types() -> list[ChannelType]:
    _load()
    return sorted(_BY_CODE.values(), key=lambda t: t.code)
