"""What the packs' Python property tests share: a connection with lethe loaded."""

import sqlite3
import sys


def connect(module, path=":memory:"):
    """A connection to `path` with the lethe module loaded (Debian's python3:
    other builds of sqlite3 may not load extensions)."""
    db = sqlite3.connect(path, isolation_level=None)
    if not hasattr(db, "enable_load_extension"):
        sys.exit(f"FAIL: {sys.executable}'s sqlite3 has no enable_load_extension; "
                 "run with Debian's /usr/bin/python3")
    db.enable_load_extension(True)
    db.load_extension(module)
    db.enable_load_extension(False)
    return db
