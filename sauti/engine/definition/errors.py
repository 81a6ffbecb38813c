"""The one error of flow definitions: a definition the engine refuses to read.

A flow is checked once, when it is imported or saved, so the worker never meets a malformed definition at run
time. Every problem (a missing field, a broken limit, an exit leading nowhere, an action its flow type may not
use, a spec version from before 13.0.0 ...) is a :class:`DefinitionError`. Its ``rule`` is the sentence naming
the broken rule (``field 'text' is required``) and ``where`` the path to the offending object, outermost first
(``flow[uuid=…, name=…]``, ``node[uuid=…]``, ``action[uuid=…, type=send_msg]``); ``str()`` joins both with
``": "`` so the API can show one line.
"""

from __future__ import annotations

from collections.abc import Sequence


class DefinitionError(ValueError):
    """A flow definition (or one action of it) breaks a rule of the flow spec or of Sauti's limits."""

    def __init__(self, rule: str, where: Sequence[str] = ()) -> None:
        self.rule = rule
        self.where: tuple[str, ...] = tuple(where)
        super().__init__(str(self))

    def within(self, *outer: str) -> DefinitionError:
        """The same error located inside ``outer`` (outermost first)."""
        return DefinitionError(self.rule, (*outer, *self.where))

    def __str__(self) -> str:
        return ": ".join((*self.where, self.rule))

    def __repr__(self) -> str:
        return f"DefinitionError({self.rule!r}, {self.where!r})"
