// Every way a caller can call lethe_ingest, for the tests that try a call in
// several of them (contract section 1: whatever the caller's context, a call
// applies its accepted lines or nothing, and never touches the caller's own
// work): what opens the caller's context, the statement that makes the call,
// and what closes the context. Each test runs the subset it needs and keeps
// what it expects there; a way of calling is one member here, whoever uses it.
//
// The SQL pieces are text only: run them with Db::must (an empty piece runs
// nothing) or prepare them yourself.
#pragma once

#include <ostream>
#include <string>

namespace lethe_test {

enum class CallContext {
  Autocommit,            // SELECT * FROM lethe_ingest(...), no transaction of the caller's
  BeginCommit,           // BEGIN (deferred); the SELECT; COMMIT
  BeginImmediate,        // BEGIN IMMEDIATE (takes the write lock first); the SELECT; COMMIT
  BeginRollback,         // BEGIN; the SELECT; ROLLBACK: the caller undoes the call
  SavepointRelease,      // SAVEPOINT caller; the SELECT; RELEASE caller
  SavepointRollbackTo,   // SAVEPOINT caller; the SELECT; ROLLBACK TO and RELEASE: undone
  StagingJoin,           // one call per row of a staging table, joined in one SELECT
  InsertSelect,          // INSERT INTO rejects SELECT * FROM lethe_ingest(...)
  InsertSelectInBegin,   // the same inside BEGIN ... COMMIT
  CreateTableAs,         // CREATE TABLE rejects AS SELECT * FROM lethe_ingest(...)
  CreateTableAsInBegin,  // the same inside BEGIN ... COMMIT
  Limit1,                // SELECT ... LIMIT 1: the caller stops reading after a row
  CountStar,             // SELECT count(*): the caller reads no reject row
};

// The member's name, as test names and messages spell it.
inline const char* context_name(CallContext c) {
  switch (c) {
    case CallContext::Autocommit:
      return "Autocommit";
    case CallContext::BeginCommit:
      return "BeginCommit";
    case CallContext::BeginImmediate:
      return "BeginImmediate";
    case CallContext::BeginRollback:
      return "BeginRollback";
    case CallContext::SavepointRelease:
      return "SavepointRelease";
    case CallContext::SavepointRollbackTo:
      return "SavepointRollbackTo";
    case CallContext::StagingJoin:
      return "StagingJoin";
    case CallContext::InsertSelect:
      return "InsertSelect";
    case CallContext::InsertSelectInBegin:
      return "InsertSelectInBegin";
    case CallContext::CreateTableAs:
      return "CreateTableAs";
    case CallContext::CreateTableAsInBegin:
      return "CreateTableAsInBegin";
    case CallContext::Limit1:
      return "Limit1";
    case CallContext::CountStar:
      return "CountStar";
  }
  return "?";
}

// Readable parameters in gtest's output (found by argument-dependent lookup).
inline void PrintTo(CallContext c, std::ostream* os) { *os << context_name(c); }

// What opens the caller's context before the call: "" when the caller has no
// transaction of its own.
inline const char* open_sql(CallContext c) {
  switch (c) {
    case CallContext::BeginCommit:
    case CallContext::BeginRollback:
    case CallContext::InsertSelectInBegin:
    case CallContext::CreateTableAsInBegin:
      return "BEGIN";
    case CallContext::BeginImmediate:
      return "BEGIN IMMEDIATE";
    case CallContext::SavepointRelease:
    case CallContext::SavepointRollbackTo:
      return "SAVEPOINT caller";
    default:
      return "";
  }
}

// Whether the call runs inside a transaction the caller opened (a savepoint
// opened in autocommit mode is one).
inline bool caller_has_transaction(CallContext c) { return *open_sql(c) != '\0'; }

// Whether the call runs inside the caller's own writing statement, where
// SQLite refuses the call a savepoint of its own.
inline bool in_writing_statement(CallContext c) {
  return c == CallContext::InsertSelect || c == CallContext::InsertSelectInBegin ||
         c == CallContext::CreateTableAs || c == CallContext::CreateTableAsInBegin;
}

// Whether the caller's close undoes the call even when it succeeded.
inline bool undone_by_caller(CallContext c) {
  return c == CallContext::BeginRollback || c == CallContext::SavepointRollbackTo;
}

// The staging table StagingJoin's statement reads: one call per row.
inline constexpr const char* kStagingTableSql =
    "CREATE TABLE inbox(id INTEGER PRIMARY KEY, owner TEXT, body TEXT)";

// The statement that makes the call: `args` are lethe_ingest's arguments
// ("?1, ?2", "'ana', ?1", "?1, ?2, ?3"), `rejects` the table that INSERT ...
// SELECT writes and CREATE TABLE ... AS creates (the test creates the former,
// with lethe_ingest's five columns). StagingJoin takes its arguments from
// the staging table (kStagingTableSql), and its rows lead with the row's id.
inline std::string call_sql(CallContext c, const std::string& args = "?1, ?2",
                            const std::string& rejects = "rejects") {
  const std::string call = "lethe_ingest(" + args + ")";
  switch (c) {
    case CallContext::StagingJoin:
      return "SELECT i.id, r.* FROM inbox i, lethe_ingest(i.owner, i.body) r";
    case CallContext::InsertSelect:
    case CallContext::InsertSelectInBegin:
      return "INSERT INTO " + rejects + " SELECT * FROM " + call;
    case CallContext::CreateTableAs:
    case CallContext::CreateTableAsInBegin:
      return "CREATE TABLE " + rejects + " AS SELECT * FROM " + call;
    case CallContext::Limit1:
      return "SELECT * FROM " + call + " LIMIT 1";
    case CallContext::CountStar:
      return "SELECT count(*) FROM " + call;
    default:
      return "SELECT * FROM " + call;
  }
}

// What closes the caller's context after a call that succeeded ("" when the
// caller has none). SavepointRollbackTo's is two statements: run it with
// Db::must.
inline const char* close_sql(CallContext c) {
  switch (c) {
    case CallContext::BeginCommit:
    case CallContext::BeginImmediate:
    case CallContext::InsertSelectInBegin:
    case CallContext::CreateTableAsInBegin:
      return "COMMIT";
    case CallContext::BeginRollback:
      return "ROLLBACK";
    case CallContext::SavepointRelease:
      return "RELEASE caller";
    case CallContext::SavepointRollbackTo:
      return "ROLLBACK TO caller; RELEASE caller";
    default:
      return "";
  }
}

// What a caller that gives up after a failed call runs ("" when it has no
// transaction). A failed call may have ended the caller's transaction
// already (SQLite rolls it back on some errors), and then this fails.
inline const char* rollback_sql(CallContext c) {
  if (c == CallContext::SavepointRelease || c == CallContext::SavepointRollbackTo) {
    return "ROLLBACK TO caller; RELEASE caller";
  }
  return caller_has_transaction(c) ? "ROLLBACK" : "";
}

}  // namespace lethe_test
