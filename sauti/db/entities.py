"""ORM objects made from plain rows, for the statement every request runs before anything else.

Loading two entities through the ORM (the caller's user and workspace, at every request's authentication) cost
about 150 us on this project's machine, against about 10 us for the same row read as plain columns. So the row
is read as columns (``db/plain.py``), each object is made from its columns as if it had just been loaded and
then left its session (:func:`detached`), and an object the request goes on using through its session is placed
in that session as loaded, without a statement (:func:`attach`): ``session.get`` then finds it, and changes to
it are flushed as to any loaded object.

A select that may find a row the session holds already (an inbound message's sender, its waiting session: the
caller's session may have loaded them) places its objects with :func:`adopt`, which answers as an ORM select
would: the object the session holds, not overwritten.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from sauti.db.base import Base
from sauti.db.inline import ReadSession

M = TypeVar("M", bound=Base)


def columns(model: type[Base], prefix: str) -> list[ColumnElement[Any]]:
    """Every mapped column of ``model``, labelled ``prefix`` + its attribute name, for a select of plain columns."""
    return [prop.columns[0].label(prefix + prop.key) for prop in inspect(model).column_attrs]


@functools.cache
def _keys(model: type[Base], prefix: str) -> tuple[tuple[str, str], ...]:
    """Each mapped column's attribute name and its label in a row of :func:`columns`: read once per model and
    prefix (building them per object cost more than the rest of :func:`detached`)."""
    return tuple((prop.key, prefix + prop.key) for prop in inspect(model).column_attrs)


def detached(model: type[M], row: Any, prefix: str) -> M:
    """An instance of ``model`` holding the columns ``row`` read with :func:`columns` (``prefix`` the same), in the
    state of an object loaded and then detached from its session: no history, an identity from its key."""
    obj: M = inspect(model).class_manager.new_instance()  # type: ignore[assignment]  # an instance of model
    obj.__dict__.update({key: getattr(row, label) for key, label in _keys(model, prefix)})
    make_transient_to_detached(obj)
    return obj


async def attach(session: AsyncSession | ReadSession, obj: M) -> M:
    """``obj`` (from :func:`detached`) as an object of ``session``, loaded: no statement is run."""
    if isinstance(session, ReadSession):
        merged: M = session.sync_session.merge(obj, load=False)
        return merged
    return await session.merge(obj, load=False)


def adopt(session: AsyncSession | ReadSession, obj: M) -> M:
    """``obj`` (from :func:`detached`) as the session's object of its identity, as an ORM select of its row would
    answer: the object the session holds already, left as it is but for the columns it has not loaded (expired,
    as after a rollback), which are filled from ``obj``; else ``obj`` itself, placed in the session as loaded.
    No statement is run, and nothing is copied (``merge`` makes a copy)."""
    sync = session.sync_session
    state = inspect(obj)
    assert state.key is not None  # detached: it has its identity
    held = cast("M | None", sync.identity_map.get(state.key))  # the object of obj's identity: obj's class
    if held is None:
        # a detached object becomes persistent, as ``add`` makes it, without ``add``'s save-update cascade: an
        # object made from a row has no relationship loaded, so it has nothing to cascade to (the cascade's walk
        # of the mapper's relationships cost as much as the rest)
        sync._update_impl(state)
        return obj
    missing = inspect(held).unloaded & state.dict.keys()
    for key in missing:
        set_committed_value(held, key, state.dict[key])
    return held
