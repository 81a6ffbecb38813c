"""Use cases for tenancy: creating workspaces and users, granting roles, issuing and revoking tokens."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import entities, plain
from sauti.domain.errors import Ambiguous, ErrorCollector, Invalid, NotFound
from sauti.domain.topics import service as topics
from sauti.domain.workspaces.queries import ROLES
from sauti.kit import clock
from sauti.kit.secrets import check_password, digest, hash_password, new_api_key
from sauti.models import APIToken, ContactField, ContactGroup, Membership, User, Workspace

TOKEN_ROLES = ("administrator", "editor")
DATE_STYLES = ("day_first", "month_first", "year_first")
MAX_NAME_LENGTH = 128
# DECISION: the default opt-out words (a contact sending one of these alone is stopped); per workspace
DEFAULT_OPT_OUT_KEYWORDS = ["stop", "stopall", "unsubscribe", "cancel", "end", "quit"]
SYSTEM_FIELDS = (("created_on", "Created On"), ("last_seen_on", "Last Seen On"))
OPEN_TICKETS = ("Open Tickets", "tickets > 0")


async def create_workspace(
    session: AsyncSession,
    *,
    name: str,
    country: str | None = None,
    languages: list[str] | None = None,
    timezone: str = "UTC",
    date_style: str = "day_first",
    anon: bool = False,
) -> Workspace:
    """Create a workspace with its system objects (the hidden proxy fields, the "Open Tickets" group and the
    ticket topic "General")."""
    errors = ErrorCollector()
    name = name.strip()
    if not name:
        errors.add("name", "blank")
    elif len(name) > MAX_NAME_LENGTH:
        errors.add("name", "too_long", max=MAX_NAME_LENGTH)
    elif await _named(session, name):
        errors.add("name", "workspace_name_taken", value=name)
    if country is not None and pycountry.countries.get(alpha_2=country.upper()) is None:
        errors.add("country", "invalid_country", value=country)
    for code in languages or []:
        if len(code) != 3 or pycountry.languages.get(alpha_3=code) is None:
            errors.add("languages", "invalid_language", value=code)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.add("timezone", "invalid_timezone", value=timezone)
    if date_style not in DATE_STYLES:
        errors.add("date_style", "invalid_date_style", value=date_style, choices=DATE_STYLES)
    errors.raise_if_any()
    now = clock.now()
    ws = Workspace(
        uuid=clock.new_uuid(),
        name=name,
        country=country.upper() if country else None,
        languages=list(languages or []),
        timezone=timezone,
        date_style=date_style,
        anon=anon,
        api_rates={},
        limits={},
        opt_out_keywords=list(DEFAULT_OPT_OUT_KEYWORDS),
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(ws)
    await session.flush()
    for key, label in SYSTEM_FIELDS:
        session.add(
            ContactField(
                uuid=clock.new_uuid(),
                workspace_id=ws.id,
                key=key,
                name=label,
                value_type="datetime",
                featured=False,
                priority=0,
                agent_access="view",
                is_system=True,
                is_active=True,
                created_on=now,
                modified_on=now,
            )
        )
    session.add(
        ContactGroup(
            uuid=clock.new_uuid(),
            workspace_id=ws.id,
            name=OPEN_TICKETS[0],
            group_type="smart",
            query=OPEN_TICKETS[1],
            status="ready",
            is_system=True,
            member_count=0,
            is_active=True,
            created_on=now,
            modified_on=now,
        )
    )
    await topics.create_system_topic(session, ws)
    await session.flush()
    return ws


async def _named(session: AsyncSession, name: str) -> list[Workspace]:
    """Active workspaces of that name, compared case-insensitively, oldest first."""
    rows = await session.execute(
        select(Workspace)
        .where(func.lower(Workspace.name) == name.strip().lower(), Workspace.is_active)
        .order_by(Workspace.id)
    )
    return list(rows.scalars())


async def get_workspace(session: AsyncSession, uuid_or_name: str) -> Workspace:
    """A workspace by UUID, or by name (case-insensitively). Names are unique from creation on; should an
    older database hold the same name twice, the caller is asked for the UUID (``Ambiguous``)."""
    by_uuid = (
        await session.execute(select(Workspace).where(Workspace.uuid == uuid_or_name, Workspace.is_active))
    ).scalar_one_or_none()
    if by_uuid is not None:
        return by_uuid
    named = await _named(session, uuid_or_name)
    if len(named) > 1:
        raise Ambiguous("ambiguous_workspace", value=uuid_or_name, uuids=[w.uuid for w in named])
    if not named:
        raise NotFound("workspace", uuid_or_name)
    return named[0]


async def list_workspaces(session: AsyncSession) -> list[Workspace]:
    rows = await session.execute(select(Workspace).where(Workspace.is_active).order_by(Workspace.id))
    return list(rows.scalars())


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    email = email.strip()
    if "@" not in email:
        raise Invalid.field("email", "invalid_email", value=email)
    existing = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if existing is not None:
        raise Invalid.field("email", "email_taken", value=email)
    user = User(
        uuid=clock.new_uuid(),
        email=email,
        first_name=first_name,
        last_name=last_name,
        password_hash=hash_password(password) if password else "",
        is_active=True,
        created_on=clock.now(),
    )
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, email: str) -> User:
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        raise NotFound("user", email)
    return user


async def grant_role(session: AsyncSession, workspace: Workspace, user: User, role: str) -> Membership:
    """Give ``user`` the ``role`` in ``workspace`` (replacing any role they had there)."""
    if role not in ROLES:
        raise Invalid.field("role", "invalid_choice", value=role, choices=ROLES)
    membership = (
        await session.execute(
            select(Membership).where(Membership.workspace_id == workspace.id, Membership.user_id == user.id)
        )
    ).scalar_one_or_none()
    if membership is None:
        membership = Membership(workspace_id=workspace.id, user_id=user.id, role=role, joined_on=clock.now())
        session.add(membership)
    else:
        membership.role = role
    await session.flush()
    return membership


@dataclass(frozen=True)
class IssuedToken:
    token: APIToken
    key: str  # shown once, never stored


async def create_token(session: AsyncSession, workspace: Workspace, user: User) -> IssuedToken:
    """Issue a new API token for a user of the workspace; only administrators and editors may hold one."""
    membership = (
        await session.execute(
            select(Membership).where(Membership.workspace_id == workspace.id, Membership.user_id == user.id)
        )
    ).scalar_one_or_none()
    if membership is None or membership.role not in TOKEN_ROLES:
        raise Invalid.field("user", "token_role")
    key = new_api_key()
    token = APIToken(
        digest=digest(key),
        prefix=key[:8],
        workspace_id=workspace.id,
        user_id=user.id,
        is_active=True,
        created_on=clock.now(),
    )
    session.add(token)
    await session.flush()
    return IssuedToken(token=token, key=key)


async def list_tokens(session: AsyncSession, workspace: Workspace) -> list[tuple[APIToken, User]]:
    rows = await session.execute(
        select(APIToken, User)
        .join(User, User.id == APIToken.user_id)
        .where(APIToken.workspace_id == workspace.id)
        .order_by(APIToken.created_on, APIToken.id)
    )
    return [(t, u) for t, u in rows]


async def revoke_token(session: AsyncSession, workspace: Workspace, key_or_prefix: str) -> int:
    """Deactivate the workspace's tokens matching a full key or its 8-character prefix; returns how many."""
    cond = APIToken.digest == digest(key_or_prefix) if len(key_or_prefix) == 40 else APIToken.prefix == key_or_prefix
    result = await session.execute(
        update(APIToken).where(APIToken.workspace_id == workspace.id, cond, APIToken.is_active).values(is_active=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's workspace, its user and that user's role there."""

    workspace: Workspace
    user: User
    role: str
    token_id: int | None  # None: the caller gave their password


# every request runs this: built once, as building it cost more than running it; read as plain columns, as
# loading the two entities through the ORM cost ten times what the row did (db/entities.py)
_BY_TOKEN = (
    select(
        APIToken.id.label("token_id"),
        Membership.role.label("role"),
        *entities.columns(User, "u_"),
        *entities.columns(Workspace, "w_"),
    )
    .join(User, User.id == APIToken.user_id)
    .join(Workspace, Workspace.id == APIToken.workspace_id)
    .join(
        Membership,
        (Membership.user_id == APIToken.user_id) & (Membership.workspace_id == APIToken.workspace_id),
    )
    .where(APIToken.digest == bindparam("digest"), APIToken.is_active, User.is_active, Workspace.is_active)
)


async def authenticate(session: AsyncSession, key: str, email: str | None = None) -> Caller | None:
    """Resolve an API key (and, for Basic auth, the owner's email) to a caller, or ``None`` if it is not valid.

    The token must be active, its user active and still a member of the token's workspace. With ``email`` the
    user's email must match exactly (case-sensitive). The caller's workspace is in ``session`` as if loaded.
    """
    row = (await plain.rows(session, _BY_TOKEN, {"digest": digest(key)})).first()
    if row is None:
        return None
    user = entities.detached(User, row, "u_")
    if email is not None and user.email != email:
        return None
    workspace = await entities.attach(session, entities.detached(Workspace, row, "w_"))
    return Caller(workspace=workspace, user=user, role=row.role, token_id=row.token_id)


async def authenticate_basic(
    session: AsyncSession, email: str, secret: str, *, passwords: bool = True
) -> Caller | None:
    """A caller from an email and a secret: the secret is one of the user's API tokens, or (when ``passwords``)
    the user's password. Emails compare case-insensitively; the user must be active.

    A token fixes its own workspace. With a password, DECISION: the caller works in the workspace the user
    joined first (a TextUs user belongs to one account). Any role may sign in with a password; API tokens are
    only ever issued to administrators and editors.
    """
    by_token = await authenticate(session, secret)
    if by_token is not None:
        return by_token if by_token.user.email.lower() == email.strip().lower() else None
    if not passwords:
        return None
    user = (
        await session.execute(select(User).where(func.lower(User.email) == email.strip().lower(), User.is_active))
    ).scalar()
    if user is None or not user.password_hash or not check_password(user.password_hash, secret):
        return None
    row = (
        await session.execute(
            select(Membership, Workspace)
            .join(Workspace, Workspace.id == Membership.workspace_id)
            .where(Membership.user_id == user.id, Workspace.is_active)
            .order_by(Membership.joined_on, Membership.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    membership, workspace = row
    return Caller(workspace=workspace, user=user, role=membership.role, token_id=None)
