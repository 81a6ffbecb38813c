"""``call_classifier``: classify the evaluated input with one of the workspace's NLU classifiers (online).

Fields: ``input`` (template, required, at most 10000 characters), ``result_name`` (required, 1 to 64
characters) and the ``classifier`` reference (``{uuid, name}``). goflow no longer calls classifiers; Sauti does,
for classifiers of type ``wit`` (Wit.ai's HTTP API), through the injected classifier service
(:class:`~sauti.engine.services.ClassifierService`, which holds the access tokens):

- the input evaluates to blank: no call; result value ``""``, category ``Skipped``;
- the call works: a ``service_called`` event, and the result: value the top intent's name (``""`` when the
  classifier found none), category ``Success``, input the text, ``extra`` the classification
  (``{"intents": [{name, confidence}] best first, "entities": {name: [{value, confidence}]}}``), which the
  ``has_intent`` / ``has_top_intent`` router tests read;
- the call fails (no response, an error status, a body that isn't a classification, a refused address): a
  ``service_called`` event when a call was made, an ``error`` event saying why, and the result value ``"0"``,
  category ``Failure``;
- no classifier reference, or a classifier the workspace doesn't have: a ``dependency_missing`` error and the
  Failure result.

DECISION: a classifier of another type (``luis``, ``bothub``) is not called: the action logs an
``action_unsupported`` error naming the type (``extra.classifier_type``) and saves nothing, as an unsupported
action does; the flow goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sauti.engine.actions.base import (
    FAILURE,
    MAX_TEMPLATE,
    SKIPPED,
    SUCCESS,
    Action,
    ResultInfo,
    action_uuid,
    raw_of,
    register,
)
from sauti.engine.actions.refs import ClassifierRef, Dependency
from sauti.engine.definition.fields import MAX_NAME, Reader, is_uuid

if TYPE_CHECKING:
    from sauti.engine.execution import Execution


@register
@dataclass(frozen=True, kw_only=True)
class CallClassifier(Action):
    TYPE = "call_classifier"
    FLOW_CLASS = "online"
    TEMPLATES = ("input",)

    input: str
    result_name: str
    classifier: ClassifierRef | None = None

    @classmethod
    def read(cls, r: Reader) -> CallClassifier:
        legacy = r.get("classifier")
        classifier = None
        if isinstance(legacy, dict) and is_uuid(legacy.get("uuid")):
            name = legacy.get("name")
            classifier = ClassifierRef(legacy["uuid"], name if isinstance(name, str) else "")
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            input=r.text("input", required=True, max_len=MAX_TEMPLATE),
            result_name=r.text("result_name", required=True, max_len=MAX_NAME),
            classifier=classifier,
        )

    def dependencies(self) -> Iterator[Dependency]:
        if self.classifier is not None:
            yield self.classifier.dependency()

    def results(self) -> Iterator[ResultInfo]:
        yield ResultInfo(self.result_name, (SUCCESS, SKIPPED, FAILURE))

    def execute(self, x: Execution) -> None:
        from sauti.engine import events

        ref = self.classifier
        service = x.services.classifier
        info = service.find(ref.uuid) if service is not None and ref is not None else None
        if info is None or service is None:
            uuid, name = (ref.uuid, ref.name) if ref is not None else ("", "")
            x.log(events.dependency_error("classifier", uuid, f"classifier[uuid={uuid},name={name}]"))
            x.save_result(self.result_name, "0", FAILURE, "", x.evaluate(self.input)[0].strip())
            return
        if not info.supported:
            x.error(
                f"Classifiers of type {info.type} are not supported",
                "action_unsupported",
                classifier_type=info.type,
            )
            return
        text = x.evaluate(self.input)[0].strip()
        if not text:
            x.save_result(self.result_name, "", SKIPPED, "", "")
            return
        call = service.classify(info.uuid, text)
        status = "success" if call.error is None else ("response_error" if call.status_code else "connection_error")
        if call.url:
            x.log(
                events.service_called(
                    {"uuid": info.uuid, "name": info.name}, call.url, status, call.status_code, call.elapsed_ms
                )
            )
        if call.error is not None or call.classification is None:
            x.error(call.error or "Classifier call failed")
            x.save_result(self.result_name, "0", FAILURE, "", text)
            return
        found = call.classification
        top = found.intents[0][0] if found.intents else ""
        x.save_result(self.result_name, top, SUCCESS, "", text, found.to_json())
