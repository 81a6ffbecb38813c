"""``/api/tags``: the tags in use on the account's contacts (set through a contact's ``tags``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import RootModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.textus import paging
from sauti.api.textus.params import Params
from sauti.api.textus.resource import LIST, Ctx, Doc, Resource
from sauti.domain.contacts.queries import tag_names


class TagOut(RootModel[str]):
    """A tag (a string)."""


resource = Resource(
    name="tags",
    title="Tags",
    description="Every tag on a contact of the account, once, sorted case-insensitively.",
    result=TagOut,
)


@resource.route(
    "GET",
    "/api/tags",
    Doc(summary="List all tags for an account", returns=LIST, params=paging.PARAMS, errors=(400,)),
)
async def list_tags(ctx: Ctx, params: Params) -> Response:
    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return list(rows)

    return await paging.listing(ctx.request, ctx.session, params, tag_names(ctx.workspace), serialize)
