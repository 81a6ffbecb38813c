"""The garbage collector's settings for a long-running server or worker process.

A request that renders a page of 250 contacts, or an inbound message through a flow, makes tens of thousands of
small objects that die young. With the interpreter's defaults (a young collection every 700 net allocations) a
page paid for dozens of collections, and each older collection walked every object the process had made at
start-up: the ORM's mappers, the compiled statements, the flow definitions. :func:`tune` moves what exists at
start-up out of the collector's sight (``gc.freeze``: it is never garbage) and makes young collections rarer.
Cycles are still collected; memory held by unreachable cycles waits a little longer.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # allocations between young collections (the default is 700)
MIDDLE_THRESHOLD = 50  # young collections between collections of the middle generation (default 10)
OLD_THRESHOLD = 100  # middle collections between full ones (default 10)

_tuned = False


def tune() -> bool:
    """Tune this process once (later calls change nothing); ``True`` when this call did it."""
    global _tuned
    if _tuned:
        return False
    _tuned = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
    return True
