"""The TextUs half of the tenancy table (``tests/api/test_tenancy.py`` runs it): every route and method, called
by workspace B with workspace A's ids and references, must neither read nor change A's rows.

``{name}`` in a URL or body is one of A's objects (made by :func:`make_secrets`); ``{name_int}`` stands for the
same id as a JSON integer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from sauti.kit import clock


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # the route's declared path, for the coverage check
    url: str
    body: dict[str, Any] | None = None
    status: int = 200

    def __str__(self) -> str:
        return f"textus {self.method} {self.url} {self.body or ''}".strip()


def _c(method: str, path: str, url: str | None = None, body: dict[str, Any] | None = None, status: int = 200) -> Case:
    return Case(method, path, url or path, body, status)


CASES = [
    _c("GET", "/api/auto_replies"),
    _c("POST", "/api/auto_replies", body={"message": "B's reply"}, status=201),
    _c("GET", "/api/auto_replies/{id}", "/api/auto_replies/{auto_reply}", status=404),
    _c("PUT", "/api/auto_replies/{id}", "/api/auto_replies/{auto_reply}", {"message": "x"}, 404),
    _c("PATCH", "/api/auto_replies/{id}", "/api/auto_replies/{auto_reply}", {"is_active": True}, 404),
    _c("DELETE", "/api/auto_replies/{id}", "/api/auto_replies/{auto_reply}", status=404),
    _c("GET", "/api/blocked_numbers"),
    _c("GET", "/api/blocked_numbers", "/api/blocked_numbers?q=0199"),
    _c("POST", "/api/blocked_numbers", body={"phone": "+12025550199"}, status=201),
    _c("GET", "/api/blocked_numbers/{id}", "/api/blocked_numbers/{blocked}", status=404),
    _c("DELETE", "/api/blocked_numbers/{id}", "/api/blocked_numbers/{blocked}", status=404),
    _c("GET", "/api/broadcasts"),
    _c("GET", "/api/broadcasts", "/api/broadcasts?last_broadcast_to_each_group=true"),
    _c(
        "POST",
        "/api/broadcasts",
        body={"sender": "{user_int}", "group": "{b_group_int}", "message_body": "x"},
        status=422,
    ),
    _c(
        "POST",
        "/api/broadcasts",
        body={"sender": "{b_user_int}", "group": "{group_int}", "message_body": "x"},
        status=422,
    ),
    _c("GET", "/api/broadcasts/{id}", "/api/broadcasts/{broadcast}", status=404),
    _c("DELETE", "/api/broadcasts/{id}", "/api/broadcasts/{broadcast}", status=404),
    _c("GET", "/api/contacts"),
    _c("GET", "/api/contacts", "/api/contacts?q=Secret"),
    _c("GET", "/api/contacts", "/api/contacts?scope=flagged"),
    _c("POST", "/api/contacts", body={"phone": "+12025550147"}, status=201),
    _c("GET", "/api/contacts/{id}", "/api/contacts/{contact}", status=404),
    _c("PUT", "/api/contacts/{id}", "/api/contacts/{contact}", {"first_name": "Hacked"}, 404),
    _c("PATCH", "/api/contacts/{id}", "/api/contacts/{contact}", {"tags": []}, 404),
    _c("DELETE", "/api/contacts/{id}", "/api/contacts/{contact}", status=404),
    _c("POST", "/api/groups", body={"name": "Secret Group"}, status=201),
    _c("GET", "/api/groups"),
    _c("GET", "/api/groups", "/api/groups?q=Secret"),
    _c("PUT", "/api/groups/{id}", "/api/groups/{group}", {"name": "Hacked"}, 404),
    _c("PATCH", "/api/groups/{id}", "/api/groups/{group}", {"name": "Hacked"}, 404),
    _c("DELETE", "/api/groups/{id}", "/api/groups/{group}?delete_contacts=true", status=404),
    _c("GET", "/api/groups/{id}", "/api/groups/{group}", status=404),
    _c("GET", "/api/groups/{id}/broadcasts", "/api/groups/{group}/broadcasts", status=404),
    _c("GET", "/api/groups/{id}/contacts", "/api/groups/{group}/contacts", status=404),
    _c("PUT", "/api/groups/{id}/contacts/{contact_id}", "/api/groups/{group}/contacts/{b_contact}", status=404),
    _c("PUT", "/api/groups/{id}/contacts/{contact_id}", "/api/groups/{b_group}/contacts/{contact}", status=404),
    _c("DELETE", "/api/groups/{id}/contacts/{contact_id}", "/api/groups/{group}/contacts/{contact}", status=404),
    _c("GET", "/api/message_signatures"),
    _c("POST", "/api/message_signatures", body={"content": "B", "is_active": True}, status=201),
    _c("GET", "/api/message_signatures/{id}", "/api/message_signatures/{signature}", status=404),
    _c("PUT", "/api/message_signatures/{id}", "/api/message_signatures/{signature}", {"is_active": False}, 404),
    _c("PATCH", "/api/message_signatures/{id}", "/api/message_signatures/{signature}", {"content": "x"}, 404),
    _c("DELETE", "/api/message_signatures/{id}", "/api/message_signatures/{signature}", status=404),
    _c("GET", "/api/message_templates"),
    _c("GET", "/api/message_templates", "/api/message_templates?q=Secret"),
    _c("POST", "/api/message_templates", body={"title": "T", "content": "C"}, status=201),
    _c("GET", "/api/message_templates/{id}", "/api/message_templates/{template}", status=404),
    _c("PUT", "/api/message_templates/{id}", "/api/message_templates/{template}", {"title": "x"}, 404),
    _c("PATCH", "/api/message_templates/{id}", "/api/message_templates/{template}", {"title": "x"}, 404),
    _c("DELETE", "/api/message_templates/{id}", "/api/message_templates/{template}", status=404),
    _c("GET", "/api/messages"),
    _c("GET", "/api/messages", "/api/messages?q=Secret&scope=scheduled"),
    _c(
        "POST",
        "/api/messages",
        body={"sender": "{b_user_int}", "receiver": "{contact_int}", "content": "x"},
        status=422,
    ),
    _c(
        "POST",
        "/api/messages",
        body={"sender": "admin@nyaruka.com", "receiver": "{b_contact_int}", "content": "x"},
        status=422,
    ),
    _c("POST", "/api/messages", body={"sender": "{user_int}", "receiver": "+12025550147", "content": "x"}, status=422),
    _c("GET", "/api/messages/{id}", "/api/messages/{contact}", status=404),
    _c("PUT", "/api/messages/{id}", "/api/messages/{inbound}", {"read": True}, 404),
    _c("PATCH", "/api/messages/{id}", "/api/messages/{inbound}", {"read": True}, 404),
    _c("DELETE", "/api/messages/{id}", "/api/messages/{scheduled}", status=404),
    _c("GET", "/api/opt_outs"),
    _c("GET", "/api/opt_outs", "/api/opt_outs?q=0198"),
    _c("POST", "/api/opt_outs", body={"phone": "+12025550198"}, status=201),
    _c("GET", "/api/opt_outs/{id}", "/api/opt_outs/{opt_out}", status=404),
    _c("DELETE", "/api/opt_outs/{id}", "/api/opt_outs/{opt_out}", status=404),
    _c("PUT", "/api/opt_outs/{id}", "/api/opt_outs/{opt_out}", {"opt_in": True}, 404),
    _c("PATCH", "/api/opt_outs/{id}", "/api/opt_outs/{opt_out}", {"opt_in": True}, 404),
    _c("GET", "/api/tags"),
    _c("GET", "/api/users"),
    _c("GET", "/api/users", "/api/users?include_archived=true"),
    _c("GET", "/api/users/{id}", "/api/users/{user}", status=404),
    _c("GET", "/api/users/current"),
    _c("GET", "/api/web_hooks"),
    _c("POST", "/api/web_hooks", body={"url": "http://example.com/b"}, status=201),
    _c("POST", "/api/web_hooks", body={"url": "http://example.com/b", "account_id": "{workspace_int}"}, status=403),
    _c("GET", "/api/web_hooks/{id}", "/api/web_hooks/{hook}", status=404),
    _c("PUT", "/api/web_hooks/{id}", "/api/web_hooks/{hook}", {"url": "http://example.com/hacked"}, 404),
    _c("PATCH", "/api/web_hooks/{id}", "/api/web_hooks/{hook}", {"url": "http://example.com/hacked"}, 404),
    _c("DELETE", "/api/web_hooks/{id}", "/api/web_hooks/{hook}", status=404),
]

# what must never show in an answer to B (unless B itself sent it)
LEAKS = (
    "Secret Person",
    "12025550147",
    "Secret Group",
    "Secret message text",
    "Secret broadcast",
    "Secret reply",
    "Secret signature",
    "Secret template",
    "secret-tag",
    "Secret notes",
    "admin@nyaruka.com",
    "http://example.com/secret-hook",
    "12025550198",
    "12025550199",
)


async def make_secrets(
    a: httpx.AsyncClient, b: httpx.AsyncClient, anon: httpx.AsyncClient, channel: Any
) -> dict[str, Any]:
    """Workspace A's TextUs objects, made through A's own credentials; B gets a contact and a group."""

    async def made(path: str, **body: Any) -> dict[str, Any]:
        resp = await a.post(path, json=body)
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    me = (await a.get("/api/users/current")).json()[0]
    contact = await made(
        "/api/contacts", phone="+12025550147", first_name="Secret", last_name="Person", tags=["secret-tag"]
    )
    await a.put(f"/api/contacts/{contact['id']}", json={"flagged": True, "notes": "Secret notes"})
    group = await made("/api/groups", name="Secret Group")
    await a.put(f"/api/groups/{group['id']}/contacts/{contact['id']}")
    later = (clock.now() + timedelta(days=2)).isoformat()
    scheduled = await made(
        "/api/messages", sender=me["id"], receiver=contact["id"], content="Secret message text", deliver_at=later
    )
    await anon.post(
        f"/c/test/{channel.uuid}/receive", data={"from": "+12025550147", "text": "Secret message text back"}
    )
    inbound = next(m for m in (await a.get("/api/messages")).json() if m["status"] == "received")
    broadcast = await made(
        "/api/broadcasts", sender=me["id"], group=group["id"], message_body="Secret broadcast", deliver_at=later
    )
    found = {
        "contact": contact["id"],
        "group": group["id"],
        "user": me["id"],
        "workspace": me["account_id"],
        "scheduled": scheduled["id"],
        "inbound": inbound["id"],
        "broadcast": broadcast["id"],
        "opt_out": (await made("/api/opt_outs", phone="+12025550198"))["id"],
        "blocked": (await made("/api/blocked_numbers", phone="+12025550199"))["id"],
        "auto_reply": (await made("/api/auto_replies", message="Secret reply", is_active=True))["id"],
        "signature": (await made("/api/message_signatures", content="Secret signature"))["id"],
        "template": (await made("/api/message_templates", title="Secret template", content="Secret template"))["id"],
        "hook": (await made("/api/web_hooks", url="http://example.com/secret-hook"))["id"],
    }
    b_contact = await b.post("/api/contacts", json={"phone": "+12025550100"})
    b_group = await b.post("/api/groups", json={"name": "B group"})
    found["b_contact"] = b_contact.json()["id"]
    found["b_group"] = b_group.json()["id"]
    found["b_user"] = (await b.get("/api/users/current")).json()[0]["id"]
    return found


def fill(value: Any, secrets: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("_int}"):
        return int(secrets[value[1:-5]])
    if isinstance(value, str):
        for k, v in secrets.items():
            value = value.replace("{" + k + "}", str(v))
        return value
    if isinstance(value, dict):
        return {k: fill(v, secrets) for k, v in value.items()}
    return value
