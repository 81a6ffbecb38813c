"""/api/opt_outs and /api/blocked_numbers: the numbers' side of stopped and blocked contacts, kept in step with
contact status both ways, and what they do to messages in and out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sauti.models import BlockedNumber, Contact, Message, OptOut
from tests.api.textus.conftest import inject
from tests.api.textus.helpers import count, create, row
from tests.support.queries import query_count

pytestmark = pytest.mark.usefixtures("app")

OPT_OUT_KEYS = ["organization_id", "opt_in", "id", "created_at", "updated_at", "phone"]
BLOCKED_KEYS = ["organization_id", "id", "created_at", "updated_at", "phone"]


async def test_opt_outs_for_numbers_with_and_without_contacts(api: httpx.AsyncClient, db: Any, tenant: Any) -> None:
    contact = await create(api, "/api/contacts", phone="+12025550147")
    made = await create(api, "/api/opt_outs", phone="+1 (202) 555-0147")
    assert list(made) == OPT_OUT_KEYS
    assert (made["phone"], made["opt_in"], made["organization_id"]) == ("12025550147", False, tenant.workspace.id)
    assert (await row(db, Contact, Contact.id == contact["id"])).status == "stopped"
    assert (await api.get(f"/api/contacts/{contact['id']}")).json()["opted_out"] is True
    loose = await create(api, "/api/opt_outs", phone="0788123123", country="RW")
    assert loose["phone"] == "250788123123"
    assert await count(db, OptOut) == 2
    taken = await api.post("/api/opt_outs", json={"phone": "+12025550147"})
    assert taken.status_code == 422 and taken.json() == {"error": "Validation failed: Phone has already been taken"}
    assert (await api.post("/api/opt_outs", json={"phone": "nope"})).json() == {
        "error": "Validation failed: Phone is invalid"
    }
    assert (await api.get(f"/api/opt_outs/{made['id']}")).json() == made
    listed = await api.get("/api/opt_outs", params={"q": "0147"})
    assert [o["id"] for o in listed.json()] == [made["id"]]
    assert [o["id"] for o in (await api.get("/api/opt_outs")).json()] == [made["id"], loose["id"]]
    assert (await api.get("/api/opt_outs", params={"q": "abc"})).json() == []
    # a contact created later for an opted-out number starts stopped
    later = await create(api, "/api/contacts", phone="+250788123123")
    assert later["opted_out"] is True and (await row(db, Contact, Contact.id == later["id"])).status == "stopped"


async def test_opting_back_in_and_deleting(api: httpx.AsyncClient, db: Any) -> None:
    contact = await create(api, "/api/contacts", phone="+12025550147")
    made = await create(api, "/api/opt_outs", phone="+12025550147")
    back = await api.put(f"/api/opt_outs/{made['id']}", json={"opt_in": True})
    assert back.status_code == 200 and back.json()["opt_in"] is True
    assert (await row(db, Contact, Contact.id == contact["id"])).status == "active"
    assert (await api.get(f"/api/contacts/{contact['id']}")).json()["opted_out"] is False
    again = await api.patch(f"/api/opt_outs/{made['id']}", json={"opt_in": False})
    assert again.json()["opt_in"] is False and (await row(db, Contact, Contact.id == contact["id"])).status == "stopped"
    # PUT with nothing (as documented) changes nothing but the time
    assert (await api.put(f"/api/opt_outs/{made['id']}", json={})).json()["opt_in"] is False
    # creating the opt out again after an opt in reuses the row
    await api.put(f"/api/opt_outs/{made['id']}", json={"opt_in": True})
    recreated = await create(api, "/api/opt_outs", phone="+12025550147")
    assert recreated["id"] == made["id"] and recreated["opt_in"] is False
    gone = await api.delete(f"/api/opt_outs/{made['id']}")
    assert gone.status_code == 200 and gone.json()["id"] == made["id"]
    assert await count(db, OptOut) == 0
    assert (await row(db, Contact, Contact.id == contact["id"])).status == "active"
    assert (await api.get(f"/api/opt_outs/{made['id']}")).status_code == 404


async def test_an_opt_out_word_makes_an_opt_out(
    api: httpx.AsyncClient, anon_client: httpx.AsyncClient, channel: Any, tenant: Any, db: Any
) -> None:
    await inject(anon_client, channel, "+12025550147", "  Stop ")
    listed = (await api.get("/api/opt_outs")).json()
    assert [o["phone"] for o in listed] == ["12025550147"] and listed[0]["opt_in"] is False
    refused = await api.post(
        "/api/messages", json={"sender": tenant.user.id, "receiver": "+12025550147", "content": "x"}
    )
    assert refused.status_code == 422 and refused.json() == {"error": "Validation failed: Contact has opted out"}
    # DECISION (API v2's rule): a stopped contact who writes again is active again, which lifts the opt out
    await inject(anon_client, channel, "+12025550147", "Actually, hello")
    assert (await api.get("/api/opt_outs")).json()[0]["opt_in"] is True
    sent = await api.post("/api/messages", json={"sender": tenant.user.id, "receiver": "+12025550147", "content": "x"})
    assert sent.status_code == 201


async def test_blocked_numbers(
    api: httpx.AsyncClient, anon_client: httpx.AsyncClient, channel: Any, db: Any, tenant: Any
) -> None:
    contact = await create(api, "/api/contacts", phone="+12025550147")
    made = await create(api, "/api/blocked_numbers", phone="2025550147", country="US")
    assert list(made) == BLOCKED_KEYS and made["phone"] == "12025550147"
    assert (await row(db, Contact, Contact.id == contact["id"])).status == "blocked"
    taken = await api.post("/api/blocked_numbers", json={"phone": "+12025550147"})
    assert taken.status_code == 422 and taken.json() == {"error": "Validation failed: Phone has already been taken"}
    assert (await api.get(f"/api/blocked_numbers/{made['id']}")).json() == made
    assert [b["id"] for b in (await api.get("/api/blocked_numbers", params={"q": "555"})).json()] == [made["id"]]
    # a blocked number's message is kept but not handled: no auto reply
    await create(api, "/api/auto_replies", message="We are closed", is_active=True)
    await inject(anon_client, channel, "+12025550147", "Hello?")
    assert await count(db, Message, Message.direction == "in") == 1
    assert await count(db, Message, Message.direction == "out") == 0
    # a new contact with a blocked number is blocked
    await create(api, "/api/blocked_numbers", phone="+12025550148")
    await inject(anon_client, channel, "+12025550148", "Who is this?")
    assert (await row(db, Contact, Contact.status == "blocked", Contact.id != contact["id"])) is not None
    assert await count(db, Message, Message.direction == "out") == 0
    # unblocking makes the contact active again, or stopped while its number is still opted out
    await api.post("/api/opt_outs", json={"phone": "+12025550147"})
    gone = await api.delete(f"/api/blocked_numbers/{made['id']}")
    assert gone.status_code == 200 and gone.json()["id"] == made["id"]
    assert (await row(db, Contact, Contact.id == contact["id"])).status == "stopped"
    assert await count(db, BlockedNumber) == 1
    assert (await api.put(f"/api/blocked_numbers/{made['id']}", json={})).status_code == 405
    assert (await api.delete(f"/api/blocked_numbers/{made['id']}")).status_code == 404


async def test_listings_run_a_fixed_number_of_queries(app: Any, api: httpx.AsyncClient) -> None:
    await create(api, "/api/opt_outs", phone="+12025550100")
    await create(api, "/api/blocked_numbers", phone="+12025550100")
    first = (await query_count(app, api, "/api/opt_outs"), await query_count(app, api, "/api/blocked_numbers"))
    for i in range(1, 6):
        await create(api, "/api/opt_outs", phone=f"+1202555010{i}")
        await create(api, "/api/blocked_numbers", phone=f"+1202555010{i}")
    then = (await query_count(app, api, "/api/opt_outs"), await query_count(app, api, "/api/blocked_numbers"))
    assert first == then == (3, 3)  # auth, count, page
