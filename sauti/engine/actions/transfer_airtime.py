"""``transfer_airtime``: send mobile airtime to the contact (online).

Field: ``amounts`` (required, at most 100 entries: currency code of at most 8 characters → amount, a decimal from
0 to 10^15). Running it sets the run local ``_new_transfer``, on which the node's router splits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader

OUTPUT_LOCAL: Final = "_new_transfer"
MAX_AMOUNT: Final = Decimal(10) ** 15


@register
@dataclass(frozen=True, kw_only=True)
class TransferAirtime(Action):
    TYPE = "transfer_airtime"
    FLOW_CLASS = "online"

    amounts: Mapping[str, Decimal]

    @classmethod
    def read(cls, r: Reader) -> TransferAirtime:
        amounts: dict[str, Decimal] = {}
        raw = r.mapping("amounts")
        if raw is None and r.get("amounts") is None:
            r.fail("amounts", "is required")
        for currency, value in (raw or {}).items():
            name = f"amounts[{currency}]"
            if len(currency) > 8:
                r.fail(name, f"currency code can't be longer than 8 characters (is {len(currency)})")
            elif (amount := r.decimal(value, name)) is not None:
                if amount < 0 or amount > MAX_AMOUNT:
                    r.fail(name, f"is out of range (0 to {MAX_AMOUNT:f})")
                else:
                    amounts[currency] = amount
        if raw is not None and len(raw) > 100:
            r.fail("amounts", f"can't have more than 100 items (has {len(raw)})")
        return cls(uuid=action_uuid(r), raw=raw_of(r), amounts=MappingProxyType(amounts))

    def locals(self) -> Iterator[str]:
        yield OUTPUT_LOCAL
