"""Contacts and what hangs off them: URNs, custom fields and their values, groups and memberships, notes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.types import BigID


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        # the listing order (-modified_on, -id) and the before/after filters walk this index
        Index("ix_contacts_ws_active_modified", "workspace_id", "is_active", "modified_on", "id"),
        # the TextUs listing order (created_on, id)
        Index("ix_contacts_ws_active_created", "workspace_id", "is_active", "created_on", "id"),
        # a broadcast's recipients, batch after batch in id order (``domain/broadcasts/service._recipients``)
        Index("ix_contacts_ws_status_id", "workspace_id", "is_active", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # derived from name by the domain for the contact query language: casefolded, trimmed (for `=`), and
    # " tok1 tok2" word tokens (for the prefix match of `~`); see sauti.engine.contactql.text
    name_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    name_tokens: Mapped[str | None] = mapped_column(Text, nullable=True)
    # ``name`` is the first and last names joined by a space; writing ``name`` splits it at the first space
    first_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    business_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)  # one free text (the notes list is apart)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # of the contact's first phone number: its region (ISO 3166 alpha-2) and what kind of line it is
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    line_type: Mapped[str | None] = mapped_column(String(10), nullable=True)  # mobile|landline|voip|None
    language: Mapped[str | None] = mapped_column(String(3), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)  # IANA name (flows set it)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active|blocked|stopped|archived
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once deleted
    tickets: Mapped[int] = mapped_column(Integer, default=0)  # open tickets, for the "tickets" attribute
    current_flow_id: Mapped[int | None] = mapped_column(BigID, nullable=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ContactURN(Base):
    """A way to reach a contact. ``identity`` (``scheme:path``) is unique per workspace."""

    __tablename__ = "contact_urns"
    __table_args__ = (
        UniqueConstraint("workspace_id", "identity"),
        Index("ix_contact_urns_contact", "contact_id", "priority"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), nullable=True)
    scheme: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(255))
    identity: Mapped[str] = mapped_column(String(255))
    display: Mapped[str | None] = mapped_column(String(255), nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=1000)  # higher first
    channel_id: Mapped[int | None] = mapped_column(BigID, nullable=True)  # channel affinity


class ContactField(Base):
    __tablename__ = "contact_fields"
    __table_args__ = (Index("ix_contact_fields_ws_created", "workspace_id", "is_active", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(36))
    value_type: Mapped[str] = mapped_column(String(10))  # text|number|datetime|state|district|ward
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    agent_access: Mapped[str] = mapped_column(String(4), default="view")  # none|view|edit
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)  # proxy fields created_on, last_seen_on
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactValue(Base):
    """One contact's value for one custom field.

    ``text_value`` is what was written, kept so a change of field type can re-parse it; the typed columns hold
    the parsed value for the field's current type (NULL when it does not parse). ``text_key`` is the casefolded,
    trimmed text (for locations: the last path component) that case-insensitive ``=`` compares against.
    """

    __tablename__ = "contact_values"
    __table_args__ = (
        Index("ix_contact_values_field_text", "field_id", "text_key"),
        Index("ix_contact_values_field_number", "field_id", "number_value"),
        Index("ix_contact_values_field_datetime", "field_id", "datetime_value"),
    )

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("contact_fields.id", ondelete="CASCADE"), primary_key=True)
    text_value: Mapped[str] = mapped_column(Text)
    text_key: Mapped[str] = mapped_column(String(255))
    number_value: Mapped[Decimal | None] = mapped_column(Numeric(36, 8), nullable=True)
    datetime_value: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ContactGroup(Base):
    __tablename__ = "contact_groups"
    __table_args__ = (Index("ix_contact_groups_ws_created", "workspace_id", "is_active", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    group_type: Mapped[str] = mapped_column(String(8))  # manual | smart
    query: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="ready")  # initializing|evaluating|ready|invalid
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    # kept up to date on every membership change, so reading a count never scans the members
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class GroupMember(Base):
    __tablename__ = "contact_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("contact_groups.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True)


class ContactNote(Base):
    __tablename__ = "contact_notes"

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactTag(Base):
    """A free-form tag on a contact (TextUs tags; API v2 has no such thing)."""

    __tablename__ = "contact_tags"
    __table_args__ = (Index("ix_contact_tags_ws_name", "workspace_id", "name"),)

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))


class OptOut(Base):
    """A phone number that asked not to be texted. ``opt_in`` true: it opted back in (the row is history).

    Kept in step with contact status ``stopped`` in the same transaction, in both directions."""

    __tablename__ = "opt_outs"
    __table_args__ = (
        UniqueConstraint("workspace_id", "phone"),
        Index("ix_opt_outs_ws_created", "workspace_id", "created_on", "id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(32))  # E.164 with +
    opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class BlockedNumber(Base):
    """A phone number whose messages are kept but not handled, and that is never texted.

    Kept in step with contact status ``blocked`` in the same transaction, in both directions."""

    __tablename__ = "blocked_numbers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "phone"),
        Index("ix_blocked_numbers_ws_created", "workspace_id", "created_on", "id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(32))  # E.164 with +
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)
