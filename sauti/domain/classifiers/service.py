"""Use cases for classifiers: add, remove.

A classifier records an external NLU service: its type (``wit``, ``luis`` or ``bothub``, the types RapidPro
knew), a name, the access token and, for Wit.ai, an optional base URL and API version (``config``; secret, never
rendered) and the intents it knows (sorted, deduplicated).

DECISION: intents are given when the classifier is added (``sauti classifier add --intent ...``), not fetched
from the service: adding one never needs the network, and the list only feeds ``classifiers.json`` and flow
editors. Only ``wit`` classifiers are called by flows (``domain/flows/classifiers.py``); the others are kept so
old exports keep their references, and their ``call_classifier`` actions stay ``action_unsupported``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.classifiers import queries
from sauti.domain.errors import ErrorCollector, NotFound
from sauti.kit import clock
from sauti.models import Classifier, Workspace

TYPES = ("wit", "luis", "bothub")
MAX_NAME = 255
WIT_VERSION = "20240304"  # the Wit.ai API version sent when a classifier names none


def _is_http_url(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


async def add(
    session: AsyncSession,
    workspace: Workspace,
    *,
    classifier_type: str,
    name: str,
    token: str,
    url: str | None = None,
    version: str | None = None,
    intents: Sequence[str] = (),
) -> Classifier:
    errors = ErrorCollector()
    kind = classifier_type.strip().lower()
    if kind not in TYPES:
        errors.add("type", "invalid_choice", value=classifier_type, choices=list(TYPES))
    if not name.strip():
        errors.add("name", "blank")
    elif len(name) > MAX_NAME:
        errors.add("name", "too_long", max=MAX_NAME)
    if not token.strip():
        errors.add("token", "blank")
    if url is not None and not _is_http_url(url):
        errors.add("url", "invalid_url", value=url)
    errors.raise_if_any()
    config: dict[str, str] = {"access_token": token.strip()}
    if url is not None:
        config["url"] = url.rstrip("/")
    if kind == "wit":
        config["version"] = version or WIT_VERSION
    classifier = Classifier(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        name=name.strip(),
        classifier_type=kind,
        config=config,
        intents=sorted({i.strip() for i in intents if i.strip()}),
        is_active=True,
        created_on=clock.now(),
    )
    session.add(classifier)
    await session.flush()
    return classifier


async def remove(session: AsyncSession, workspace: Workspace, uuid: str) -> Classifier:
    classifier = await queries.by_uuid(session, workspace, uuid)
    if classifier is None:
        raise NotFound("classifier", uuid)
    classifier.is_active = False
    await session.flush()
    return classifier
