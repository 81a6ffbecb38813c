"""{{ placeholders }}: known names render (empty when they have no value), unknown ones stay as written."""

from __future__ import annotations

from sauti.domain.templates.render import NAMES, has_placeholders, render, values_for
from sauti.models import Contact, User, Workspace


def test_render() -> None:
    contact = Contact(first_name="Bart", last_name=None, name="Bart", business_name="Kwik-E-Mart")
    values = values_for(
        contact, "+12025550147", User(first_name="Ann", last_name="Admin", email="a@x.org"), Workspace(name="Acme")
    )
    assert set(values) == set(NAMES)
    text = (
        "Hi {{contact.first_name}} {{ contact.last_name }}of {{CONTACT.business_name}} ({{contact.phone}}), "
        "{{user.email}} at {{account.name}}: {{ order.id }} {{not closed"
    )
    assert render(text, values) == (
        "Hi Bart of Kwik-E-Mart (+12025550147), a@x.org at Acme: {{ order.id }} {{not closed"
    )
    assert has_placeholders("x {{ a }}") and not has_placeholders("x {a}")
    assert render("{{user.first_name}}", values_for(None, None, None, Workspace(name="Acme"))) == ""
