"""Column helpers shared by the table modules."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigID = BigInteger().with_variant(Integer(), "sqlite")
