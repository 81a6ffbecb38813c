"""``classifiers.json``: the workspace's NLU classifiers (GET only).

RapidPro removed this endpoint upstream, but the official client still calls it (``get_classifiers``), so it is
served with the shape it last had: ``uuid``, ``name``, ``type``, ``intents`` (sorted) and ``created_on``,
newest first, filtered by ``uuid``. The access token and base URL a classifier is called with never appear.
Classifiers are added with ``sauti classifier add``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, list_page
from sauti.api.rapidpro.pagination import Ordering
from sauti.domain.classifiers import queries
from sauti.kit.timefmt import format_utc
from sauti.models import Classifier, Workspace


class ClassifierOut(BaseModel):
    uuid: str = Field(description="the UUID of the classifier")
    name: str = Field(description="the name")
    type: str = Field(description="the NLU service: wit, luis or bothub")
    intents: list[str] = Field(description="the intents it knows, sorted")
    created_on: str = Field(description="when it was added (datetime)")


endpoint = Endpoint(
    name="classifiers",
    title="List Classifiers",
    description=(
        "The NLU classifiers flows can call with a `call_classifier` action. Classifiers are added with "
        "`sauti classifier add`; their access tokens are never shown."
    ),
    result=ClassifierOut,
)


def render(c: Classifier) -> dict[str, Any]:
    return {
        "uuid": c.uuid,
        "name": c.name,
        "type": c.classifier_type,
        "intents": sorted(c.intents or []),
        "created_on": format_utc(c.created_on),
    }


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [render(c) for c in rows]


@endpoint.method(
    "GET",
    Doc(
        summary="List classifiers, newest first",
        params=(Param("uuid", "a classifier UUID"),),
        example="GET /api/v2/classifiers.json",
    ),
)
async def get(ctx: Ctx) -> Response:
    stmt = queries.select_classifiers(ctx.workspace, uuid=params.uuid_value(ctx.request, "uuid"))
    return await list_page(ctx, stmt, Ordering(Classifier.created_on, Classifier.id), _serialize)
