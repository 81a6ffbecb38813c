"""The text a campaign message event sends each contact: its translation in the contact's language (else the
event's base language), evaluated as an Excellent template for that contact.

Upstream a message event is a flow of one node sending the message, so ``@contact.first_name``,
``@fields.edd`` and every other expression of a fresh run's context (``engine/context.campaign_context``)
evaluate per contact; an expression that fails writes nothing, as in a flow. Evaluation is done for a whole
batch of recipients in a fixed number of queries (their URNs, groups and field values read together, see
``flows/contacts.people``); a text without any ``@`` is sent as it is, with no query and no evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.channels import queries as channel_queries
from sauti.domain.fields import queries as field_queries
from sauti.domain.flows import assets as flow_assets
from sauti.domain.flows import contacts as flow_contacts
from sauti.domain.messages.send import Content
from sauti.domain.scope import scoped
from sauti.engine.assets import Assets, FieldAsset, GlobalAsset
from sauti.engine.context import campaign_context
from sauti.engine.excellent import Eval, evaluate_template_result
from sauti.engine.execution import contact_env
from sauti.kit import clock
from sauti.models import Campaign, CampaignEvent, Contact, Global, Workspace

MAX_CHARS: Final = 10_000  # as a flow's send_msg text


def template(event: CampaignEvent, language: str | None) -> str:
    """The event's text in ``language`` when it translates it, else in its base language."""
    translations = event.translations or {}
    lang = language if language in translations else event.base_language
    return str((translations.get(lang or "") or {}).get("text") or "")


def is_template(event: CampaignEvent) -> bool:
    """Whether any of the event's texts holds an expression (else every text is sent as it is)."""
    return any("@" in str((t or {}).get("text") or "") for t in (event.translations or {}).values())


def _random() -> Decimal:
    from sauti.domain.flows import runner  # flows reach back into contacts and groups: imported when used

    return runner.services().random()


async def evaluated(
    session: AsyncSession, workspace: Workspace, event: CampaignEvent, contacts: Sequence[Contact]
) -> dict[int, Content]:
    """Each contact's content, by contact id, its text evaluated for that contact (five queries for the whole
    batch, six when a text reads globals)."""
    campaign = await session.get(Campaign, event.campaign_id)
    assert campaign is not None
    env = flow_assets.environment(workspace)
    fields = await field_queries.user_fields(session, workspace)
    channels = await channel_queries.senders(session, workspace)
    texts = [str((t or {}).get("text") or "") for t in (event.translations or {}).values()]
    globals_: Sequence[Global] = ()
    if any("globals" in t for t in texts):
        found = await session.execute(scoped(Global, workspace).where(Global.is_active).order_by(Global.id))
        globals_ = list(found.scalars())
    assets = Assets.build(
        env,
        fields=[FieldAsset(f.key, f.name, f.value_type) for f in fields],
        channels=[flow_assets.channel_asset(c) for c in channels],
        globals=[GlobalAsset(g.key, g.name, g.value) for g in globals_],
    )
    people = await flow_contacts.engine_contacts(
        session, workspace, contacts, fields=fields, channels={c.id: c for c in channels}
    )
    out: dict[int, Content] = {}
    for contact in contacts:
        person = people[contact.id]
        text = template(event, contact.language)
        if "@" in text:
            context = campaign_context(person, assets, env, (campaign.uuid, campaign.name))
            ev = Eval(contact_env(env, person, assets), now=clock.now, random=_random)
            text = evaluate_template_result(text, context, ev, max_chars=MAX_CHARS).text
        out[contact.id] = Content(text=text)
    return out
