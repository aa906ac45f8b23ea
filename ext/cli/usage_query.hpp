// What the usage reports share (usage_reports.cpp: daily, monthly, session,
// blocks; html_report.cpp: report): the range and time zone of the options,
// whose usage, and the pack's columns read into one struct. Every figure is
// a row of the usage pack's views (sql/usage.sql); the totals are those rows
// summed by the pack's rule, in SQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/sqlite.hpp"

namespace lethe::cli {

// One row's figures, in the pack's columns (kUsageColumns, in this order).
struct Usage {
  std::int64_t input = 0;
  std::int64_t output = 0;
  std::int64_t cache_write = 0;
  std::int64_t cache_read = 0;
  std::int64_t total = 0;
  std::optional<double> cost;  // NULL: unknown, or nothing to cost
  std::int64_t unpriced = 0;
  std::optional<double> priced;  // the known part
  std::int64_t billable = 0;
};

inline constexpr const char* kUsageColumns =
    "input_tokens, tokens_out, cache_write_tokens, cache_read_tokens, total_tokens, cost_usd, "
    "unpriced_turns, priced_cost_usd, billable_turns";
inline constexpr int kUsageColumnCount = 9;

// The kUsageColumns of a row, from column `first` on.
Usage read_usage(const Statement& st, int first);

// kUsageColumns summed over rows by the pack's rule (a cost is unknown when
// a billable turn has none; nothing billable, no cost): the select list of a
// total, or of a GROUP BY over rows that have kUsageColumns.
std::string usage_sums_sql();
// The totals of a report: its rows (a query with kUsageColumns) summed.
std::string totals_sql(const std::string& rows_sql);
// totals_sql(rows_sql) run with ?1 owner, ?2 from, ?3 to.
Usage query_totals(const Database& db, const std::string& rows_sql, const std::string& owner,
                   const std::string& from, const std::string& to);

// "a,b" -> {"a", "b"}; "" -> {}.
std::vector<std::string> split_list(const std::string& text);
std::string join(const std::vector<std::string>& items, const char* separator);

// --since / --until as YYYY-MM-DD (both given as YYYYMMDD or YYYY-MM-DD).
struct Range {
  std::string since = "0000-00-00";
  std::string until = "9999-12-31";
};
Range parse_range(const Arguments& args);

// The days' time zone (--tz, else this process's): UTC (the pack's UTC
// views), or a modifier for the pack's local-day views ('+09:00', or
// 'localtime' with TZ set to a zone, named in `name`: usage_settings
// 'local_zone').
struct Zone {
  bool utc = true;
  std::string modifier;
  std::string label;
  std::string name;
};
Zone choose_zone(const Arguments& args);

// Before a refresh of the usage pack's caches (sync, merge, the packs'
// application): usage_settings names this machine's zone, so that the local
// days' sums are computed for it and read as fresh by the reports run here
// ('localtime' and its name; on a UTC machine only local_zone 'UTC', the
// modifier a user set stays). Nothing when the pack is not applied yet.
// Writes only when they say otherwise; the caller holds the transaction.
// Returns the zone they named before when it was another (the local days'
// sums are then computed again), else nothing.
std::optional<std::string> persist_machine_zone(const Database& db);

// The pack's local days follow usage_settings.local_day_modifier and
// local_zone: when they name another zone than the report's, they are set
// for one report inside a transaction that is rolled back, so the database
// file keeps its own settings, byte for byte (and no write lock is taken when
// they already say so: the local days' cache is read).
class LocalDays {
 public:
  LocalDays(const Database& db, const Zone& zone);
  ~LocalDays();
  LocalDays(const LocalDays&) = delete;
  LocalDays& operator=(const LocalDays&) = delete;
  LocalDays(LocalDays&&) = delete;
  LocalDays& operator=(LocalDays&&) = delete;

 private:
  const Database& db_;
  bool active_ = false;
};

// Whose usage: --owner, else the archive's only owner.
std::string choose_owner(const Database& db, const Arguments& args);

// The rows of the session report: session_summary's sessions whose last
// activity is in range (?1 owner, ?2 from, ?3 to), the pack's columns from
// column 5 on (after tool, session_id, project, ended_at, models).
std::string session_rows_sql();
// The rows of the blocks report: usage_blocks' blocks that start in range,
// kUsageColumns from column 5 on (after block_start, block_end, last_turn,
// is_active, models).
std::string block_rows_sql();

}  // namespace lethe::cli
