"""ORM objects made from plain rows, for the statement every request runs before anything else.

Loading two entities through the ORM (the caller's user and workspace, at every request's authentication) cost
about 150 us on this project's machine, against about 10 us for the same row read as plain columns. So the row
is read as columns (``db/plain.py``), each object is made from its columns as if it had just been loaded and
then left its session (:func:`detached`), and an object the request goes on using through its session is placed
in that session as loaded, without a statement (:func:`attach`): ``session.get`` then finds it, and changes to
it are flushed as to any loaded object.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from sauti.db.base import Base
from sauti.db.inline import ReadSession

M = TypeVar("M", bound=Base)


def columns(model: type[Base], prefix: str) -> list[ColumnElement[Any]]:
    """Every mapped column of ``model``, labelled ``prefix`` + its attribute name, for a select of plain columns."""
    return [prop.columns[0].label(prefix + prop.key) for prop in inspect(model).column_attrs]


def detached(model: type[M], row: Any, prefix: str) -> M:
    """An instance of ``model`` holding the columns ``row`` read with :func:`columns` (``prefix`` the same), in the
    state of an object loaded and then detached from its session: no history, an identity from its key."""
    mapper = inspect(model)
    obj: M = mapper.class_manager.new_instance()  # type: ignore[assignment]  # an instance of model
    obj.__dict__.update({prop.key: getattr(row, prefix + prop.key) for prop in mapper.column_attrs})
    make_transient_to_detached(obj)
    return obj


async def attach(session: AsyncSession | ReadSession, obj: M) -> M:
    """``obj`` (from :func:`detached`) as an object of ``session``, loaded: no statement is run."""
    if isinstance(session, ReadSession):
        merged: M = session.sync_session.merge(obj, load=False)
        return merged
    return await session.merge(obj, load=False)
