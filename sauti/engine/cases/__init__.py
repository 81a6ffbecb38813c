"""Router case tests: each is called as ``test(ev, operand, *arguments)`` on a switch router's cases and is
also an Excellent function of the same name (``@(has_number(input.text))``).

``NAMES`` is every case type a flow definition may use: the definition reader refuses any other.
``CASE_TESTS`` maps each name to its test; the calling convention and the result shape are described in
:mod:`sauti.engine.cases.base`. The tests live by family: :mod:`.text`, :mod:`.number`, :mod:`.dates` and
:mod:`.contact` (whose docstring also says what Sauti can't answer: the classifier and location tests).
"""

from __future__ import annotations

from sauti.engine.cases import contact, dates, number, text  # noqa: F401 - imported for their registrations
from sauti.engine.cases.base import CASE_TESTS, FALSE_RESULT, CaseTest, case_test, true_result

__all__ = ["CASE_TESTS", "FALSE_RESULT", "NAMES", "CaseTest", "case_test", "true_result"]

NAMES: frozenset[str] = frozenset(
    """
    has_all_words has_any_word has_beginning has_category has_date has_date_eq has_date_gt has_date_lt
    has_district has_email has_error has_group has_intent has_number has_number_between has_number_eq
    has_number_gt has_number_gte has_number_lt has_number_lte has_only_phrase has_only_text has_pattern
    has_phone has_phrase has_state has_text has_time has_top_intent has_value has_ward
    """.split()
)
