#include "write/statement.hpp"

namespace lethe {

std::vector<std::string> column_of(sqlite3* db, const std::string& sql,
                                   const std::vector<std::string>& texts) {
  Statement query(db, sql);
  int index = 0;
  for (const std::string& text : texts) {
    sqlite3_bind_text(query.get(), ++index, text.data(), static_cast<int>(text.size()),
                      SQLITE_STATIC);
  }
  std::vector<std::string> out;
  int rc = SQLITE_OK;
  while ((rc = query.step()) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(query.get(), 0);
    out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  if (rc != SQLITE_DONE) {
    const int code = sqlite3_extended_errcode(db);
    throw BatchError(code, std::string("the database cannot take the writes: ") +
                               sqlite3_errmsg(db) + " (" + code_label(code) + ")");
  }
  return out;
}

}  // namespace lethe
