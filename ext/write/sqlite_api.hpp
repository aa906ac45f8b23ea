// Every translation unit that calls SQLite goes through the routines table
// the host hands to sqlite3_lethe_init: the extension never links its own
// libsqlite3, so it always uses the host's SQLite (shell, Python, Node...).
#pragma once

#include <sqlite3ext.h>

// NOLINTNEXTLINE: SQLite's macro declares `extern const sqlite3_api_routines*`.
SQLITE_EXTENSION_INIT3
