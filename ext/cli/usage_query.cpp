// The usage reports' shared parts (usage_query.hpp).
#include "cli/usage_query.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "cli/errors.hpp"
#include "cli/output.hpp"

namespace lethe::cli {

Usage read_usage(const Statement& st, int first) {
  Usage u;
  u.input = st.integer(first).value_or(0);
  u.output = st.integer(first + 1).value_or(0);
  u.cache_write = st.integer(first + 2).value_or(0);
  u.cache_read = st.integer(first + 3).value_or(0);
  u.total = st.integer(first + 4).value_or(0);
  u.cost = st.real(first + 5);
  u.unpriced = st.integer(first + 6).value_or(0);
  u.priced = st.real(first + 7);
  u.billable = st.integer(first + 8).value_or(0);
  return u;
}

std::string usage_sums_sql() {
  return "sum(input_tokens) AS input_tokens, sum(tokens_out) AS tokens_out, "
         "sum(cache_write_tokens) AS cache_write_tokens, "
         "sum(cache_read_tokens) AS cache_read_tokens, sum(total_tokens) AS total_tokens, "
         "CASE WHEN sum(billable_turns) = 0 OR sum(unpriced_turns) > 0 THEN NULL "
         "ELSE round(total(cost_usd), 6) END AS cost_usd, "
         "sum(unpriced_turns) AS unpriced_turns, "
         "CASE WHEN sum(billable_turns) > sum(unpriced_turns) "
         "THEN round(total(priced_cost_usd), 6) END AS priced_cost_usd, "
         "sum(billable_turns) AS billable_turns";
}

std::string totals_sql(const std::string& rows_sql) {
  return "SELECT " + usage_sums_sql() + " FROM (" + rows_sql + ")";
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const std::size_t comma = text.find(',', start);
    items.push_back(text.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

namespace {

// --since / --until: YYYYMMDD (ccusage's) or YYYY-MM-DD, as YYYY-MM-DD.
std::string parse_day(const std::string& verb, const char* option, const std::string& text) {
  std::string day = text;
  if (day.size() == 8 && day.find_first_not_of("0123456789") == std::string::npos) {
    day = day.substr(0, 4) + "-" + day.substr(4, 2) + "-" + day.substr(6, 2);
  }
  std::tm parts{};
  const bool shaped =
      day.size() == 10 && day[4] == '-' && day[7] == '-' &&
      (day.substr(0, 4) + day.substr(5, 2) + day.substr(8, 2)).find_first_not_of("0123456789") ==
          std::string::npos;
  if (shaped) {
    parts.tm_year = std::stoi(day.substr(0, 4)) - 1900;
    parts.tm_mon = std::stoi(day.substr(5, 2)) - 1;
    parts.tm_mday = std::stoi(day.substr(8, 2));
    parts.tm_hour = 12;
    const int month = parts.tm_mon;
    const int mday = parts.tm_mday;
    if (timegm(&parts) != -1 && parts.tm_mon == month && parts.tm_mday == mday) return day;
  }
  throw UsageError(verb, std::string("--") + option +
                             " must be a day, YYYYMMDD or YYYY-MM-DD, not '" + text + "'");
}

}  // namespace

Range parse_range(const Arguments& args) {
  Range range;
  if (auto since = args.value("since")) range.since = parse_day(args.verb(), "since", *since);
  if (auto until = args.value("until")) range.until = parse_day(args.verb(), "until", *until);
  if (range.since > range.until) throw UsageError(args.verb(), "--since is after --until");
  return range;
}

namespace {

bool is_offset(const std::string& text) {
  return text.size() == 6 && (text[0] == '+' || text[0] == '-') && std::isdigit(text[1]) != 0 &&
         std::isdigit(text[2]) != 0 && text[3] == ':' && std::isdigit(text[4]) != 0 &&
         std::isdigit(text[5]) != 0 && text.substr(1, 2) <= "14" && text.substr(4, 2) < "60";
}

// This process's zone has no offset on either solstice of this year: UTC.
bool local_time_is_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm today{};
  gmtime_r(&now, &today);
  for (const int month : {0, 6}) {
    std::tm parts{};
    parts.tm_year = today.tm_year;
    parts.tm_mon = month;
    parts.tm_mday = 21;
    parts.tm_hour = 12;
    const std::time_t at = timegm(&parts);
    std::tm local{};
    localtime_r(&at, &local);
    if (local.tm_gmtoff != 0) return false;
  }
  return true;
}

// The bytes of a file, digested (FNV-1a, 64 bits): a zone file's identity.
std::string file_digest(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::uint64_t hash = 14695981039346656037ULL;
  char byte = 0;
  while (in.get(byte)) hash = (hash ^ static_cast<unsigned char>(byte)) * 1099511628211ULL;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

// What 'localtime' means in this process, named: TZ (a zone name, a path or
// a rule), else the zone file /etc/localtime links to, else its digest.
std::string process_zone_name() {
  const char* tz = std::getenv("TZ");  // NOLINT(concurrency-mt-unsafe): one thread here
  if (tz != nullptr && *tz != '\0') return *tz == ':' ? std::string(tz + 1) : std::string(tz);
  std::error_code error;
  const std::string target = std::filesystem::read_symlink("/etc/localtime", error).string();
  if (error) return "/etc/localtime " + file_digest("/etc/localtime");
  const std::size_t at = target.find("zoneinfo/");
  return at == std::string::npos ? target : target.substr(at + 9);
}

Zone machine_zone() {
  tzset();
  if (local_time_is_utc()) return {true, "", "UTC", "UTC"};
  return {false, "localtime", "local time", process_zone_name()};
}

// The modifier makes SQLite read the process's zone (see usage.sql, usage_local_day_key).
bool depends_on_process_zone(const std::string& modifier) {
  std::string lower;
  for (const char c : modifier)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "localtime" || lower == "utc";
}

void set_setting(const Database& db, const char* name, const std::string& value) {
  Statement st(db,
               "INSERT INTO usage_settings (name, value) VALUES (?2, ?1) "
               "ON CONFLICT (name) DO UPDATE SET value = excluded.value");
  st.bind(1, value).bind(2, name);
  st.step();
}

}  // namespace

Zone choose_zone(const Arguments& args) {
  const std::optional<std::string> tz = args.value("tz");
  if (!tz) return machine_zone();
  if (*tz == "UTC" || *tz == "utc" || *tz == "Z" || *tz == "Etc/UTC" || *tz == "+00:00" ||
      *tz == "-00:00") {
    return {true, "", "UTC", "UTC"};
  }
  if (is_offset(*tz)) return {false, *tz, "UTC" + *tz, *tz};
  struct stat info {};
  const bool known = tz->find("..") == std::string::npos && tz->front() != '/' &&
                     ::stat(("/usr/share/zoneinfo/" + *tz).c_str(), &info) == 0 &&
                     S_ISREG(info.st_mode);
  if (!known) {
    throw UsageError(args.verb(), "unknown time zone '" + *tz +
                                      "': give an IANA name such as Europe/Paris, UTC, or an "
                                      "offset such as +09:00");
  }
  ::setenv("TZ", tz->c_str(), 1);  // NOLINT(concurrency-mt-unsafe): one thread here
  tzset();
  return {false, "localtime", *tz, process_zone_name()};
}

std::optional<std::string> persist_machine_zone(const Database& db) {
  if (!db.has_table("usage_settings")) return std::nullopt;
  const Zone zone = machine_zone();
  const std::optional<std::string> modifier =
      query_text(db, "SELECT value FROM usage_settings WHERE name = 'local_day_modifier'");
  std::optional<std::string> name =
      query_text(db, "SELECT value FROM usage_settings WHERE name = 'local_zone'");
  if (name == zone.name && (zone.utc || modifier == zone.modifier)) return std::nullopt;
  set_setting(db, "local_zone", zone.name);
  if (!zone.utc) set_setting(db, "local_day_modifier", zone.modifier);
  if (!name || *name == zone.name) return std::nullopt;  // first named, or the modifier set
  return name;
}

LocalDays::LocalDays(const Database& db, const Zone& zone) : db_(db) {
  if (zone.utc) return;
  const std::optional<std::string> modifier =
      query_text(db, "SELECT value FROM usage_settings WHERE name = 'local_day_modifier'");
  const std::optional<std::string> name =
      query_text(db, "SELECT value FROM usage_settings WHERE name = 'local_zone'");
  if (modifier == zone.modifier && (!depends_on_process_zone(zone.modifier) || name == zone.name)) {
    return;
  }
  db.exec("BEGIN");
  active_ = true;
  set_setting(db, "local_day_modifier", zone.modifier);
  set_setting(db, "local_zone", zone.name);
}

LocalDays::~LocalDays() {
  if (active_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

std::string choose_owner(const Database& db, const Arguments& args) {
  std::vector<std::string> owners;
  Statement st(db, "SELECT DISTINCT owner FROM sessions ORDER BY 1");
  while (st.step()) owners.push_back(st.bytes(0));
  if (auto owner = args.value("owner")) {
    for (const std::string& known : owners) {
      if (known == *owner) return known;
    }
    throw Failure("the archive has no sessions of owner " + log_value(*owner) +
                  (owners.empty() ? std::string() : " (its owners: " + join(owners, ", ") + ")"));
  }
  if (owners.empty()) throw Failure("the archive holds no sessions yet: run `lethe sync` first");
  if (owners.size() > 1) {
    throw UsageError(args.verb(), "the archive holds the sessions of " + join(owners, ", ") +
                                      ": choose one with --owner NAME");
  }
  return owners.front();
}

Usage query_totals(const Database& db, const std::string& rows_sql, const std::string& owner,
                   const std::string& from, const std::string& to) {
  Statement st(db, totals_sql(rows_sql));
  st.bind(1, owner).bind(2, from).bind(3, to);
  st.step();
  return read_usage(st, 0);
}

std::string session_rows_sql() {
  // session_summary has no input_tokens or total_tokens column: they are the
  // pack's definitions (usage.sql, "Sums"), written here over its columns.
  return "SELECT tool, session_id, project, ended_at, models, "
         "tokens_in - cache_read_tokens - cache_write_tokens AS input_tokens, tokens_out, "
         "cache_write_tokens, cache_read_tokens, tokens_in + tokens_out AS total_tokens, "
         "cost_usd, unpriced_turns, priced_cost_usd, billable_turns FROM session_summary "
         "WHERE owner = ?1 AND substr(ended_at, 1, 10) BETWEEN ?2 AND ?3";
}

std::string block_rows_sql() {
  // usage_blocks counts billable turns as `turns`.
  return "SELECT block_start, block_end, last_turn, is_active, models, input_tokens, "
         "tokens_out, cache_write_tokens, cache_read_tokens, total_tokens, cost_usd, "
         "unpriced_turns, priced_cost_usd, turns AS billable_turns FROM usage_blocks "
         "WHERE owner = ?1 AND substr(block_start, 1, 10) BETWEEN ?2 AND ?3";
}

}  // namespace lethe::cli
