"""UUIDs made in bulk are real version-4 UUIDs, all different; a test's factory is still honoured."""

from __future__ import annotations

import uuid

from sauti.kit import clock


def test_bulk_uuids_are_version_4_and_distinct() -> None:
    made = clock.new_uuids(5000)
    parsed = [uuid.UUID(u) for u in made]
    assert len(set(made)) == 5000
    assert all(p.version == 4 and p.variant == uuid.RFC_4122 and str(p) == u for p, u in zip(parsed, made, strict=True))


def test_bulk_uuids_follow_an_installed_factory() -> None:
    counter = iter(range(1, 100))
    clock.set_uuid_factory(lambda: uuid.UUID(int=next(counter)))
    try:
        assert clock.new_uuids(2) == ["00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"]
    finally:
        clock.set_uuid_factory(None)
    assert clock.new_uuids(0) == []
