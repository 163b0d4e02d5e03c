"""History in SQLite: survives SIGTERM and SIGKILL restarts, stays consistent, and the API and CSV agree."""
import csv
import io
import os
import signal
import sqlite3
import tempfile

from harness import run_exporter, wait_until


def history_rows(exporter):
    status, body = exporter.json("/api/providers/history?hours=1")
    assert status == 200, body
    return body["points"]


def csv_rows(exporter):
    status, _, body = exporter.get("/api/providers/export/csv?hours=1")
    assert status == 200
    return list(csv.DictReader(io.StringIO(body.decode())))


def run_cycles_then_stop(db, sig, cycles=5):
    with run_exporter("--demo", "--aggregation.interval", "1s", "--history.path", db) as exporter:
        wait_until(lambda: len({r["timestamp"] for r in history_rows(exporter)}) >= cycles, 30, what=f"{cycles} cycles")
        rows = history_rows(exporter)
        exporter.proc.send_signal(sig)
        exporter.proc.wait(timeout=10)
        return rows


def db_rows(db):
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert tables, "no tables"


def test_history_survives_restarts_and_api_matches_csv():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "history.sqlite")
        before_term = run_cycles_then_stop(db, signal.SIGTERM)
        db_rows(db)
        before_kill = run_cycles_then_stop(db, signal.SIGKILL)
        db_rows(db)
        with run_exporter("--demo", "--aggregation.interval", "1s", "--history.path", db) as exporter:
            rows = history_rows(exporter)
            key = lambda r: (r["timestamp"], r["provider"])
            have = {key(r) for r in rows}
            # Every row committed before each stop is still there.
            assert {key(r) for r in before_term} <= have
            assert {key(r) for r in before_kill} <= have
            # The JSON history and the CSV export agree row for row.
            table = csv_rows(exporter)
            assert len(table) == len(rows)
            for a, b in zip(rows, table):
                assert a["provider"] == b["provider"]
                assert a["status"] == b["status"]
                assert abs(float(a["timestamp"]) - float(b["timestamp"])) < 1e-3
                assert abs(float(a["health_score"]) - float(b["health_score"])) < 1e-9
