"""Saving a router's result and following its category to an exit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sauti.engine.definition import Router

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

__all__ = ["route_to_category"]


def route_to_category(
    x: Execution, router: Router, category_uuid: str | None, match: str, operand: str, extra: Any
) -> str | None:
    """The exit of ``category_uuid`` (``None``: no category picked); with a ``result_name`` the router saves a
    result: ``match`` as value, the category's name, its localized name when the contact's language translates
    it differently, ``operand`` as input and ``extra`` (JSON) as extra."""
    if category_uuid is None:
        return None
    category = router.category(category_uuid)
    if category is None:  # pragma: no cover - the definition reader checks categories exist
        return None
    if router.result_name:
        localized = x.localize(category.uuid, "name", [category.name])
        category_localized = localized.texts[0] if localized.language != x.flow.language else ""
        x.save_result(router.result_name, match, category.name, category_localized, operand, extra)
    return category.exit_uuid
