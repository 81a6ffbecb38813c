"""``call_resthook``: POST the run's standard payload to every subscriber of a resthook (online).

Fields: ``resthook`` (the slug, required, at most 1000 characters) and the legacy ``result_name`` (a result with
category Success or Failure). An unknown slug is not an error: the call does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sauti.engine.actions.base import FAILURE, SUCCESS, Action, ResultInfo, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency
from sauti.engine.definition.fields import MAX_NAME, Reader


@register
@dataclass(frozen=True, kw_only=True)
class CallResthook(Action):
    TYPE = "call_resthook"
    FLOW_CLASS = "online"

    resthook: str
    result_name: str | None = None

    @classmethod
    def read(cls, r: Reader) -> CallResthook:
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            resthook=r.text("resthook", required=True, max_len=1000),
            result_name=r.text("result_name", max_len=MAX_NAME) or None,
        )

    def dependencies(self) -> Iterator[Dependency]:
        """The resthook, by slug (goflow lists none; Sauti's exports name it so subscribers can be re-created)."""
        yield Dependency("resthook", key=self.resthook, name=self.resthook)

    def results(self) -> Iterator[ResultInfo]:
        if self.result_name:
            yield ResultInfo(self.result_name, (SUCCESS, FAILURE))
