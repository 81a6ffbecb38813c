"""Background work: the outbox (sending), broadcast expansion and crash recovery.

``Worker(...).run(stop)`` loops until ``stop`` is set. The server runs one in-process when the settings ask for
an embedded worker (the ``make run`` default); ``sauti worker`` runs them as separate processes against one
PostgreSQL database. Every unit of work is a database row, so a worker that dies loses nothing: its claims are
recovered by the others once its heartbeat goes stale.
"""

from sauti.worker._loop import Worker

__all__ = ["Worker"]
