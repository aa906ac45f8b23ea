"""Python's sqlite3 as a lethe client.

Run with Debian's /usr/bin/python3: its sqlite3 module is built with
enable_load_extension (pyenv and many other builds are not).

Usage: /usr/bin/python3 test_python_client.py <lethe module path> <repository root>

Ingests tests/clients/fixtures/batch.ndjson (one bad line) as owner 'ana'
and checks the rejected row, the stored rows, the transaction behaviour a
Python user meets, and that the SQL packs work through this client.
"""

import json
import os
import sqlite3
import sys
import tempfile
import unittest

MODULE = None
ROOT = None


def read(*parts, mode="r"):
    kwargs = {} if "b" in mode else {"encoding": "utf-8"}
    with open(os.path.join(ROOT, *parts), mode, **kwargs) as f:
        return f.read()


class PythonClientTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "agents.db")
        self.db = self.connect()
        self.db.executescript(read("sql", "schema.sql"))
        self.batch = read("tests", "clients", "fixtures", "batch.ndjson", mode="rb")

    def tearDown(self):
        self.db.close()
        self.tmp.cleanup()

    def connect(self, **kwargs):
        db = sqlite3.connect(self.path, **kwargs)
        if not hasattr(db, "enable_load_extension"):
            self.fail(f"{sys.executable}: this Python's sqlite3 has no "
                      "enable_load_extension; run the test with Debian's /usr/bin/python3")
        db.enable_load_extension(True)
        db.load_extension(MODULE)
        db.enable_load_extension(False)
        return db

    def ingest(self, owner, ndjson, db=None):
        db = db or self.db
        return db.execute("SELECT * FROM lethe_ingest(?, ?)", (owner, ndjson)).fetchall()

    def other_connection_count(self, table):
        with sqlite3.connect(self.path) as other:
            return other.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def expected_offset_of_line(self, n):
        lines = self.batch.split(b"\n")
        return sum(len(line) + 1 for line in lines[: n - 1])

    def check_stored(self, db=None):
        db = db or self.db
        sessions = db.execute(
            "SELECT owner, tool, host, session_id, started_at, ended_at, working_dir "
            "FROM sessions").fetchall()
        self.assertEqual(sessions, [(
            "ana", "claude-code", "laptop", "s-1", "2026-03-04T09:00:00.000Z",
            "2026-03-04T09:00:05.000Z", "/home/ana/src/lethe")])
        turns = db.execute(
            "SELECT turn_id, seq, role, timestamp, content, model, tokens_in, tokens_out, "
            "cost_usd FROM turns ORDER BY seq").fetchall()
        self.assertEqual(turns, [
            ("u1", 0, "user", "2026-03-04T09:00:00.000Z",
             "Draft the release notes \u2014 kurz & b\u00fcndig \u2713", None, None, None, None),
            ("a2", 1, "assistant", "2026-03-04T09:00:05.000Z", "Here is a shorter draft.",
             "claude-sonnet-4-5", 1200, 120, 0.0054),
        ])

    def test_version(self):
        version = self.db.execute("SELECT lethe_version()").fetchone()[0]
        self.assertRegex(version, r"^\d+\.\d+\.\d+$")

    def test_batch_with_a_bad_line(self):
        rejects = self.ingest("ana", self.batch)
        self.assertEqual(len(rejects), 1, rejects)
        line, offset, code, field, message = rejects[0]
        self.assertEqual((line, offset, code, field), (3, self.expected_offset_of_line(3),
                                                       "INVALID_FIELD", "seq"))
        self.assertEqual(offset, 497)
        self.assertIn('"2"', message)
        self.check_stored()
        # Autocommit: Python opens no transaction for a SELECT, so the call
        # committed when its statement finished.
        self.assertFalse(self.db.in_transaction)
        self.assertEqual(self.other_connection_count("turns"), 2)
        stats = json.loads(self.db.execute("SELECT lethe_last_ingest()").fetchone()[0])
        self.assertEqual((stats["lines"], stats["accepted"], stats["rejected"]), (4, 3, 1))

    def test_text_and_blob_arguments_are_the_same(self):
        self.assertEqual(self.ingest("ana", self.batch.decode("utf-8")),
                         self.ingest("ana", self.batch))
        self.check_stored()

    def test_reingest_changes_nothing(self):
        first = self.ingest("ana", self.batch)
        before = self.db.execute("SELECT * FROM turns ORDER BY turn_id").fetchall()
        self.assertEqual(self.ingest("ana", self.batch), first)
        self.assertEqual(self.db.execute("SELECT * FROM turns ORDER BY turn_id").fetchall(), before)

    def test_explicit_transaction_rolls_back(self):
        # `with db:` alone does not help here: Python opens no transaction for
        # a SELECT, so the ingest would commit on its own. BEGIN first.
        with self.assertRaises(RuntimeError):
            with self.db:
                self.db.execute("BEGIN")
                self.assertEqual(len(self.ingest("ana", self.batch)), 1)
                self.assertEqual(self.db.execute("SELECT count(*) FROM turns").fetchone()[0], 2)
                raise RuntimeError("abandon the transaction")
        self.assertEqual(self.db.execute("SELECT count(*) FROM turns").fetchone()[0], 0)
        with self.db:
            self.db.execute("BEGIN")
            self.ingest("ana", self.batch)
        self.assertEqual(self.other_connection_count("turns"), 2)

    def test_autocommit_connection(self):
        db = self.connect(isolation_level=None)
        try:
            db.execute("BEGIN")
            self.ingest("ana", self.batch, db)
            db.execute("ROLLBACK")
            self.assertEqual(self.other_connection_count("turns"), 0)
            self.ingest("ana", self.batch, db)
            self.check_stored(db)
        finally:
            db.close()

    def test_readme_pattern_with_own_writes_before_the_ingest(self):
        # README's pattern: isolation_level=None, `with db:` and an explicit
        # BEGIN, then your own INSERT and the ingest in one transaction.
        self.db.execute("CREATE TABLE imports(file TEXT)")
        self.db.commit()
        # Python's default mode opens a transaction itself before an INSERT,
        # so a BEGIN after one fails: why README does not use that mode.
        with self.assertRaisesRegex(sqlite3.OperationalError, "within a transaction"):
            with self.db:
                self.db.execute("INSERT INTO imports VALUES ('batch.ndjson')")
                self.db.execute("BEGIN")
        db = self.connect(isolation_level=None)
        try:
            with self.assertRaises(RuntimeError):
                with db:
                    db.execute("BEGIN")
                    db.execute("INSERT INTO imports VALUES ('batch.ndjson')")
                    self.assertEqual(len(self.ingest("ana", self.batch, db)), 1)
                    raise RuntimeError("abandon the transaction")
            self.assertFalse(db.in_transaction)
            self.assertEqual(self.other_connection_count("imports"), 0)
            self.assertEqual(self.other_connection_count("turns"), 0)
            with db:
                db.execute("BEGIN")
                db.execute("INSERT INTO imports VALUES ('batch.ndjson')")
                self.assertEqual(len(self.ingest("ana", self.batch, db)), 1)
            self.assertFalse(db.in_transaction)
            self.assertEqual(self.other_connection_count("imports"), 1)
            self.assertEqual(self.other_connection_count("turns"), 2)
        finally:
            db.close()

    def test_batch_error_is_an_exception(self):
        with self.assertRaises(sqlite3.OperationalError) as caught:
            self.ingest("ana", None)
        self.assertIn("lethe_ingest: ndjson is NULL", str(caught.exception))
        with self.assertRaises(sqlite3.OperationalError) as caught:
            self.db.execute("SELECT * FROM lethe_ingest(?, ?, ?)",
                            ("ana", self.batch, '{"max_errors": 0}')).fetchall()
        self.assertIn("lethe_ingest:", str(caught.exception))
        self.assertEqual(self.db.execute("SELECT count(*) FROM turns").fetchone()[0], 0)

    def test_sync_a_home_folder(self):
        # lethe_sync from Python: the fixture home, host and owner as JSON
        # built by Python (no value ever becomes SQL), in a transaction the
        # caller opens, and rolled back with it.
        import shutil
        home = os.path.join(self.tmp.name, "home")
        shutil.copytree(os.path.join(ROOT, "tests", "clients", "sync", "home"), home)
        db = self.connect(isolation_level=None)
        options = json.dumps({"host": "10-0-0-5", "owner": "ana"})
        db.execute("BEGIN")
        rows = db.execute("SELECT format, code FROM lethe_sync(?, ?)", (home, options)).fetchall()
        self.assertEqual(sorted(set(rows)), [("claude-code", "READ"), ("codex", "READ"),
                                              ("gemini-cli", "READ")])
        self.assertEqual(db.execute("SELECT DISTINCT host FROM turns").fetchall(), [("10-0-0-5",)])
        db.execute("ROLLBACK")
        self.assertEqual(db.execute("SELECT count(*) FROM turns").fetchone()[0], 0)
        with self.assertRaises(sqlite3.OperationalError) as raised:
            db.execute("SELECT * FROM lethe_sync(?)", (home + "/.claude",)).fetchall()
        self.assertIn("none of the agents' folders", str(raised.exception))
        db.close()

    def test_packs(self):
        self.db.executescript(read("sql", "search.sql"))
        self.db.executescript(read("sql", "usage.sql"))
        self.ingest("ana", self.batch)
        hits = self.db.execute(
            "SELECT turn_id, snippet FROM turn_search WHERE query MATCH ? AND owner = ? "
            "ORDER BY rank", ("b\u00fcndig", "ana")).fetchall()
        self.assertEqual(hits, [("u1", "Draft the release notes \u2014 kurz & [b\u00fcndig] \u2713")])
        self.assertEqual(self.db.execute(
            "SELECT count(*) FROM turn_search WHERE query MATCH 'first'").fetchone()[0], 0)
        summary = self.db.execute(
            "SELECT session_id, project, duration_s, turns, tokens_in, tokens_out, cost_usd "
            "FROM session_summary").fetchall()
        self.assertEqual(summary, [("s-1", "/home/ana/src/lethe", 5.0, 2, 1200, 120, 0.0054)])


def main():
    global MODULE, ROOT
    if len(sys.argv) < 3:
        sys.exit("usage: test_python_client.py <lethe module path> <repository root>")
    MODULE, ROOT = sys.argv[1], sys.argv[2]
    if not hasattr(sqlite3.Connection, "enable_load_extension"):
        sys.exit(f"FAIL: {sys.executable} has a sqlite3 module without enable_load_extension; "
                 "run this test with Debian's /usr/bin/python3")
    print(f"python {sys.version.split()[0]} at {sys.executable}, SQLite {sqlite3.sqlite_version}")
    unittest.main(argv=[sys.argv[0], "-v"] + sys.argv[3:])


if __name__ == "__main__":
    main()
