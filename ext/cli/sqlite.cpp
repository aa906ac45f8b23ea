#include "cli/sqlite.hpp"

#include <utility>

#include "cli/errors.hpp"

namespace lethe::cli {

Database::Database(const std::string& path, int flags) : path_(path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw Failure("cannot open the database " + path + ": " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() { sqlite3_close_v2(db_); }

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

std::string Database::error() const {
  const int rc = sqlite3_extended_errcode(db_);
  std::string message = sqlite3_errmsg(db_);
  if (rc == SQLITE_BUSY || (rc & 0xff) == SQLITE_BUSY) {
    message += " (another program, such as a running lethe sync, kept it busy too long; try again)";
  } else if ((rc & 0xff) == SQLITE_READONLY) {
    message += " (the file or its folder is not writable by this user)";
  }
  return message;
}

void Database::exec(std::string_view sql) const {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string what = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    if ((rc & 0xff) == SQLITE_BUSY) what = error();
    throw Failure(what);
  }
}

bool Database::has_table(std::string_view name) const {
  Statement st(*this, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  st.bind(1, name);
  return st.step();
}

bool Database::has_view(std::string_view name) const {
  Statement st(*this, "SELECT 1 FROM sqlite_schema WHERE type = 'view' AND name = ?1");
  st.bind(1, name);
  return st.step();
}

Statement::Statement(const Database& db, std::string_view sql) : db_(db) {
  const int rc =
      sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    throw Failure(db.error());
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::string_view text) {
  if (sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8) !=
      SQLITE_OK) {
    throw Failure(db_.error());
  }
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) throw Failure(db_.error());
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Failure(db_.error());
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string Statement::bytes(int column) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? std::string() : std::string(data, static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::text(int column) const {
  if (is_null(column)) return std::nullopt;
  return bytes(column);
}

std::optional<std::int64_t> Statement::integer(int column) const {
  if (is_null(column)) return std::nullopt;
  return sqlite3_column_int64(stmt_, column);
}

std::optional<double> Statement::real(int column) const {
  if (is_null(column)) return std::nullopt;
  return sqlite3_column_double(stmt_, column);
}

Transaction::Transaction(const Database& db, const char* begin) : db_(db) { db.exec(begin); }

Transaction::~Transaction() {
  if (open_ && sqlite3_get_autocommit(db_.get()) == 0) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

std::optional<std::string> query_text(const Database& db, std::string_view sql) {
  Statement st(db, sql);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

}  // namespace lethe::cli
