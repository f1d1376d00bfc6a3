"""Notification jobs claimed by several workers on one PostgreSQL (`FOR UPDATE SKIP LOCKED`): no job is handed
to two claimers, every due job is handed to one, and a claimed job is not due again until its claim runs out."""

from __future__ import annotations

import threading
import uuid

from fairwatch.store import Notification, SqlStore

NOW = 1_800_000_000.0


def test_two_claimers_never_get_the_same_job_and_together_get_all(pg_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    stores = [SqlStore(pg_url) for _ in range(2)]
    try:
        for s in stores:
            s.claim_seconds = 60.0
        base = 9_000_000 + int(tag, 16) % 1_000_000 * 100  # alarm ids of this test only
        jobs = [
            Notification(
                f"{tag}:{i}", base + i, 1, "ops", "webhook", "raised", {"n": i}, next_attempt=NOW - 1
            )
            for i in range(60)
        ]
        with stores[0].transaction() as txn:
            assert txn.insert_notifications(jobs) == len(jobs)
        got: list[list[str]] = [[], []]
        start = threading.Barrier(2)

        def claim(i: int) -> None:
            start.wait()
            while True:
                batch = [n.key for n in stores[i].due_notifications(NOW, limit=7) if n.key.startswith(tag)]
                if not batch:
                    return
                got[i].extend(batch)

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not set(got[0]) & set(got[1])
        assert sorted(got[0] + got[1]) == sorted(j.key for j in jobs)
        # claimed: not due again until the claim runs out, then due again (the claimer may have died)
        assert [n for n in stores[0].due_notifications(NOW + 59) if n.key.startswith(tag)] == []
        again = [n for n in stores[1].due_notifications(NOW + 61, limit=1000) if n.key.startswith(tag)]
        assert len(again) == len(jobs)
    finally:
        for s in stores:
            s.close()


def test_without_claiming_the_embedded_read_stays_a_plain_read(pg_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    store = SqlStore(pg_url)
    try:
        job = Notification(f"{tag}:0", 8_000_001, 1, "ops", "webhook", "raised", {}, next_attempt=NOW - 1)
        with store.transaction() as txn:
            txn.insert_notifications([job])
        first = [n.key for n in store.due_notifications(NOW, limit=1000) if n.key.startswith(tag)]
        second = [n.key for n in store.due_notifications(NOW, limit=1000) if n.key.startswith(tag)]
        assert first == second == [job.key]
    finally:
        store.close()
