// The write path is stated once (ext/write/write_path.cpp) and sql/schema.sql must
// hold exactly the text generated from it: lethe compares the stored trigger
// and view with its own before it writes, so a drift here would make every
// database that applied sql/schema.sql refuse its first call.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "write/write_path.hpp"

namespace {

std::string schema_sql() {
  std::ifstream in(std::string(LETHE_SOURCE_DIR) + "/sql/schema.sql");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// What a statement of sql/schema.sql must read for SQLite to store `stored`:
// `keyword` (CREATE TABLE IF NOT EXISTS, CREATE VIEW...) then the stored
// text after its own keyword, then a semicolon.
std::string as_written(const std::string& stored, const std::string& stored_keyword,
                       const std::string& keyword) {
  EXPECT_EQ(stored.rfind(stored_keyword, 0), 0u) << stored;
  return keyword + stored.substr(stored_keyword.size()) + ";";
}

TEST(WritePath, SchemaSqlHoldsTheGeneratedTables) {
  const std::string schema = schema_sql();
  for (lethe::Table table : {lethe::Table::Sessions, lethe::Table::Turns}) {
    const std::string text =
        as_written(lethe::stored_table_sql(table), "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ");
    EXPECT_NE(schema.find(text), std::string::npos) << "sql/schema.sql lacks:\n" << text;
  }
}

TEST(WritePath, SchemaSqlReplacesTheViewAndTriggerWithTheGeneratedOnes) {
  const std::string schema = schema_sql();
  const std::string view =
      "DROP VIEW IF EXISTS lethe_sink;\n" +
      as_written(lethe::stored_sink_view_sql(), "CREATE VIEW ", "CREATE VIEW ");
  const std::string trigger =
      as_written(lethe::stored_sink_trigger_sql(), "CREATE TRIGGER ", "CREATE TRIGGER ");
  EXPECT_NE(schema.find(view), std::string::npos) << "sql/schema.sql lacks:\n" << view;
  EXPECT_NE(schema.find(trigger), std::string::npos) << "sql/schema.sql lacks:\n" << trigger;
  // The view is dropped (with its trigger) before both are created again.
  EXPECT_LT(schema.find(view), schema.find(trigger));
}

TEST(WritePath, TheTriggerSaysItsVersion) {
  EXPECT_NE(lethe::stored_sink_trigger_sql().find("lethe write path " +
                                                  std::to_string(lethe::kWritePathVersion) + ","),
            std::string::npos);
}

TEST(WritePath, EveryTableColumnIsWrittenByBothPaths) {
  // The set-based upsert and the trigger name the same columns in the same
  // order, and every value of the feed that a table needs.
  for (lethe::Table table : {lethe::Table::Sessions, lethe::Table::Turns}) {
    const std::string upsert = lethe::set_based_upsert(table);
    const std::string stored = lethe::stored_table_sql(table);
    const std::string name = table == lethe::Table::Sessions ? "sessions" : "turns";
    const std::string columns =
        upsert.substr(upsert.find('(') + 1, upsert.find(')') - upsert.find('(') - 1);
    EXPECT_NE(lethe::stored_sink_trigger_sql().find("INSERT INTO " + name + " (" + columns + ")"),
              std::string::npos)
        << columns;
    std::istringstream list(columns);
    std::string column;
    while (std::getline(list, column, ',')) {
      if (column[0] == ' ') column.erase(0, 1);
      EXPECT_NE(stored.find("\n  " + column + " "), std::string::npos) << column;
    }
  }
}

}  // namespace
