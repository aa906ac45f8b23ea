// `lethe daily | monthly | session | blocks`: usage reports shaped like
// ccusage's (the same columns, the same --json shapes, lethe's additions
// after them), read from the usage pack's views (sql/usage.sql): the command
// picks rows and lays them out; every figure is the pack's.
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli/archive.hpp"
#include "cli/args.hpp"
#include "cli/errors.hpp"
#include "cli/output.hpp"
#include "cli/table.hpp"
#include "cli/usage_query.hpp"
#include "cli/verbs.hpp"

namespace lethe::cli {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kOptionsHelp = R"(
Options:
  --since D       from this day on (YYYYMMDD or YYYY-MM-DD)
  --until D       up to this day, included
  --tz ZONE       the time zone of the days and months: an IANA name
                  (Europe/Paris), UTC, or an offset (+09:00); default: this
                  computer's (TZ, /etc/localtime). The days of the zone of
                  the last `lethe sync` are read from its cache; another
                  zone's are computed, slower on a large archive
  --breakdown     a row per agent and model under each row
  --json          JSON in ccusage's shape (cost null when unknown, with
                  unpricedTurns and pricedCost, the known part)
  --owner NAME    whose usage (default: the archive's only owner)
  --db PATH       the database (default: $LETHE_DB, else
                  ${XDG_DATA_HOME:-~/.local/share}/lethe/agents.db)

Every agent is counted together (Claude Code, Codex, Gemini CLI), each API
response once. Input is the uncached input; Cache Create and Cache Read are
the cache writes and reads; Total Tokens is all four. Costs come from each
turn's own cost, else from the prices in model_prices (lethe sql "SELECT *
FROM model_prices"); a model with no price makes the cost unknown, shown as
"unknown" (null in JSON) with how many turns lack a price, never as $0.
"-" is a row with nothing to cost (prompts and tool output only).

Exit status: 0; 2 when the report could not be made (the message says why).
)";

struct Spec {
  const char* verb;
  const char* summary;
};

constexpr Spec kSpecs[] = {
    {"daily", "tokens and cost per day"},
    {"monthly", "tokens and cost per month"},
    {"session", "tokens and cost per session (the last activity in range)"},
    {"blocks", "Claude Code's 5-hour billing blocks (ccusage's rule), tokens and cost"},
};

std::string help_of(const std::string& verb) {
  std::string summary;
  for (const Spec& spec : kSpecs) {
    if (verb == spec.verb) summary = spec.summary;
  }
  return "Usage: lethe " + verb +
         " [--since D] [--until D] [--tz ZONE] [--breakdown] [--json] [--owner NAME] [--db "
         "PATH]\n\n"
         "Your AI coding agents' " +
         summary + ", from the archive `lethe sync` keeps.\n" + kOptionsHelp;
}

Json optional_number(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// ccusage's token fields, its cost under `cost_key`, then lethe's.
void put_usage(Json& out, const Usage& u, const char* cost_key) {
  out["inputTokens"] = u.input;
  out["outputTokens"] = u.output;
  out["cacheCreationTokens"] = u.cache_write;
  out["cacheReadTokens"] = u.cache_read;
  out["totalTokens"] = u.total;
  out[cost_key] = optional_number(u.cost);
  out["unpricedTurns"] = u.unpriced;
  out["pricedCost"] = optional_number(u.priced);
}

std::string cost_cell(const Usage& u) {
  if (u.cost) return dollars(*u.cost);
  return u.unpriced > 0 ? "unknown" : "-";
}

std::vector<std::string> usage_cells(const Usage& u) {
  return {grouped(u.input),      grouped(u.output), grouped(u.cache_write),
          grouped(u.cache_read), grouped(u.total),  cost_cell(u)};
}

// A model's row under a period, session or block.
struct Breakdown {
  std::string agent;
  std::optional<std::string> model;
  Usage usage;
};

Json breakdown_json(const Breakdown& b) {
  Json row;
  row["modelName"] = b.model ? Json(*b.model) : Json(nullptr);
  row["agent"] = b.agent;
  row["inputTokens"] = b.usage.input;
  row["outputTokens"] = b.usage.output;
  row["cacheCreationTokens"] = b.usage.cache_write;
  row["cacheReadTokens"] = b.usage.cache_read;
  row["cost"] = optional_number(b.usage.cost);
  row["totalTokens"] = b.usage.total;
  row["unpricedTurns"] = b.usage.unpriced;
  row["pricedCost"] = optional_number(b.usage.priced);
  return row;
}

std::vector<std::string> breakdown_cells(const Breakdown& b, std::size_t leading) {
  std::vector<std::string> cells(leading);
  cells.back() = "  " + b.agent + " " + b.model.value_or("(no model)");
  const std::vector<std::string> usage = usage_cells(b.usage);
  cells.insert(cells.end(), usage.begin(), usage.end());
  return cells;
}

// What the reader should know when a cost is unknown: which models lack a
// price and how many turns they cover, from the breakdown rows.
void print_unknown_note(const std::vector<const Breakdown*>& rows, const Usage& totals) {
  if (totals.unpriced == 0) return;
  std::map<std::string, std::int64_t> models;
  for (const Breakdown* b : rows) {
    if (b->usage.unpriced > 0) models[b->model.value_or("(no model)")] += b->usage.unpriced;
  }
  std::vector<std::string> named;
  named.reserve(models.size());
  for (const auto& [model, turns] : models) named.push_back(model + " (" + grouped(turns) + ")");
  std::cout << "\nunknown: " << grouped(totals.unpriced)
            << (totals.unpriced == 1 ? " turn has" : " turns have")
            << " no price: " << join(named, ", ")
            << (totals.priced ? "; the priced part is " + dollars(*totals.priced) : std::string())
            << ".\nAdd a price: lethe sql \"INSERT INTO model_prices (model, input_usd_per_mtok, "
               "output_usd_per_mtok, cache_read_usd_per_mtok, cache_write_usd_per_mtok) VALUES "
               "('<model>', 3, 15, 0.3, 3.75)\"\n";
}

// Breakdown rows keyed by the text of their first `key_columns` columns.
std::map<std::string, std::vector<Breakdown>> query_breakdowns(
    const Database& db, const std::string& sql, int key_columns, const std::string& owner,
    const std::string& from, const std::string& to) {
  std::map<std::string, std::vector<Breakdown>> rows;
  Statement st(db, sql);
  st.bind(1, owner).bind(2, from).bind(3, to);
  while (st.step()) {
    std::string key;
    for (int i = 0; i < key_columns; ++i) key += st.bytes(i) + '\x1f';
    rows[key].push_back(
        {st.bytes(key_columns), st.text(key_columns + 1), read_usage(st, key_columns + 2)});
  }
  return rows;
}

std::vector<const Breakdown*> all_of(const std::map<std::string, std::vector<Breakdown>>& rows) {
  std::vector<const Breakdown*> all;
  for (const auto& entry : rows) {
    for (const Breakdown& b : entry.second) all.push_back(&b);
  }
  return all;
}

constexpr const char* kUsageHeader[] = {"Input",      "Output",       "Cache Create",
                                        "Cache Read", "Total Tokens", "Cost (USD)"};
constexpr std::size_t kUsageHeaderSize = sizeof kUsageHeader / sizeof kUsageHeader[0];

std::vector<bool> right_aligned(std::size_t leading) {
  std::vector<bool> right(leading, false);
  right.resize(leading + kUsageHeaderSize, true);
  return right;
}

std::vector<std::string> header_with(std::vector<std::string> leading) {
  leading.insert(leading.end(), std::begin(kUsageHeader), std::end(kUsageHeader));
  return leading;
}

struct Report {
  const Arguments& args;
  const Database& db;
  std::string owner;
  Range range;
  Zone zone;
};

// daily and monthly: one row per period of the pack's period views.
int period_report(const Report& r, bool monthly) {
  const bool local = !monthly && !r.zone.utc;
  const std::string column = monthly ? "month" : local ? "local_day" : "day";
  const std::string view = monthly ? "usage_monthly" : local ? "usage_local_daily" : "usage_daily";
  const std::string from = monthly ? r.range.since.substr(0, 7) : r.range.since;
  const std::string to = monthly ? r.range.until.substr(0, 7) : r.range.until;
  if (monthly && !r.zone.utc) {
    std::cerr << "lethe monthly: months are UTC months (the usage pack has no local months)\n";
  }
  const LocalDays local_days(r.db, local ? r.zone : Zone{});
  const std::string where = " WHERE owner = ?1 AND " + column + " BETWEEN ?2 AND ?3";
  const std::string rows_sql = "SELECT " + column + ", models, " + kUsageColumns + " FROM " + view +
                               where + " ORDER BY " + column;
  const auto breakdowns = query_breakdowns(
      r.db,
      "SELECT " + column + ", tool, model, " + kUsageColumns + " FROM " + view + "_by_model" +
          where + " AND (model IS NOT NULL OR billable_turns > 0) ORDER BY " + column +
          ", tool, model",
      1, r.owner, from, to);
  const Usage totals = query_totals(r.db, rows_sql, r.owner, from, to);

  Json list = Json::array();
  Table table(header_with({monthly ? "Month" : "Date", "Models"}), right_aligned(2));
  Statement st(r.db, rows_sql);
  st.bind(1, r.owner).bind(2, from).bind(3, to);
  while (st.step()) {
    const std::string period = st.bytes(0);
    const std::vector<std::string> models = split_list(st.bytes(1));
    const Usage usage = read_usage(st, 2);
    const auto found = breakdowns.find(period + '\x1f');
    Json row;
    row[monthly ? "month" : "date"] = period;
    put_usage(row, usage, "totalCost");
    row["modelsUsed"] = models;
    row["modelBreakdowns"] = Json::array();
    std::vector<std::string> cells = {period, join(models, ", ")};
    const std::vector<std::string> numbers = usage_cells(usage);
    cells.insert(cells.end(), numbers.begin(), numbers.end());
    table.add(cells);
    if (found != breakdowns.end()) {
      for (const Breakdown& b : found->second) {
        row["modelBreakdowns"].push_back(breakdown_json(b));
        if (r.args.flag("breakdown")) table.add(breakdown_cells(b, 2));
      }
    }
    list.push_back(row);
  }
  if (r.args.flag("json")) {
    Json out;
    out[monthly ? "monthly" : "daily"] = list;
    Json total;
    put_usage(total, totals, "totalCost");
    out["totals"] = total;
    std::cout << out.dump(2) << '\n';
    return kExitOk;
  }
  if (list.empty()) {
    std::cerr << "lethe " << r.args.verb() << ": no usage of " << log_value(r.owner)
              << " in this range\n";
    return kExitOk;
  }
  std::vector<std::string> total_cells = {"Total", ""};
  const std::vector<std::string> numbers = usage_cells(totals);
  total_cells.insert(total_cells.end(), numbers.begin(), numbers.end());
  table.add_rule();
  table.add(total_cells);
  std::cout << "Usage of " << r.owner << " per " << (monthly ? "month" : "day") << " ("
            << (monthly ? std::string("UTC") : r.zone.label) << "), all agents\n\n";
  table.print(std::cout);
  print_unknown_note(all_of(breakdowns), totals);
  return kExitOk;
}

// session: one row per session of session_summary whose last activity is in
// range; its models from session_usage_by_model.
int session_report(const Report& r) {
  const std::string rows_sql = session_rows_sql() + " ORDER BY ended_at, tool, session_id";
  const auto breakdowns = query_breakdowns(
      r.db,
      std::string("SELECT tool, session_id, tool, model, ") + kUsageColumns +
          // (?2 <= ?3: every breakdown query is given the range; a session's
          // models are all of its models.)
          " FROM session_usage_by_model WHERE owner = ?1 AND ?2 <= ?3 "
          "AND (model IS NOT NULL OR billable_turns > 0) ORDER BY tool, session_id, model",
      2, r.owner, r.range.since, r.range.until);
  const Usage totals = query_totals(r.db, rows_sql, r.owner, r.range.since, r.range.until);

  Json list = Json::array();
  Table table(header_with({"Session", "Agent", "Project", "Models"}), right_aligned(4));
  std::vector<const Breakdown*> shown;
  Statement st(r.db, rows_sql);
  st.bind(1, r.owner).bind(2, r.range.since).bind(3, r.range.until);
  while (st.step()) {
    const std::string tool = st.bytes(0);
    const std::string session = st.bytes(1);
    const std::optional<std::string> project = st.text(2);
    const std::vector<std::string> models = split_list(st.bytes(4));
    const Usage usage = read_usage(st, 5);
    Json row;
    row["sessionId"] = session;
    put_usage(row, usage, "totalCost");
    row["lastActivity"] = st.bytes(3);
    row["modelsUsed"] = models;
    row["modelBreakdowns"] = Json::array();
    row["projectPath"] = project ? Json(*project) : Json(nullptr);
    row["agent"] = tool;
    std::vector<std::string> cells = {printable(session), tool, printable(project.value_or("-")),
                                      join(models, ", ")};
    const std::vector<std::string> numbers = usage_cells(usage);
    cells.insert(cells.end(), numbers.begin(), numbers.end());
    table.add(cells);
    std::string key = tool;
    key.append(1, '\x1f').append(session).append(1, '\x1f');
    const auto found = breakdowns.find(key);
    if (found != breakdowns.end()) {
      for (const Breakdown& b : found->second) {
        row["modelBreakdowns"].push_back(breakdown_json(b));
        shown.push_back(&b);
        if (r.args.flag("breakdown")) table.add(breakdown_cells(b, 4));
      }
    }
    list.push_back(row);
  }
  if (r.args.flag("json")) {
    Json out;
    out["sessions"] = list;
    Json total;
    put_usage(total, totals, "totalCost");
    out["totals"] = total;
    std::cout << out.dump(2) << '\n';
    return kExitOk;
  }
  if (list.empty()) {
    std::cerr << "lethe session: no session of " << log_value(r.owner) << " in this range\n";
    return kExitOk;
  }
  std::vector<std::string> total_cells = {"Total", "", "", ""};
  const std::vector<std::string> numbers = usage_cells(totals);
  total_cells.insert(total_cells.end(), numbers.begin(), numbers.end());
  table.add_rule();
  table.add(total_cells);
  std::cout << "Usage of " << r.owner << " per session (last activity in UTC), all agents\n\n";
  table.print(std::cout);
  print_unknown_note(shown, totals);
  return kExitOk;
}

// blocks: usage_blocks, Claude Code's 5-hour windows; per model from
// usage_block_models.
int blocks_report(const Report& r) {
  const std::string rows_sql = block_rows_sql() + " ORDER BY block_start";
  const auto breakdowns = query_breakdowns(
      r.db,
      "SELECT block_start, 'claude-code', model, input_tokens, tokens_out, cache_write_tokens, "
      "cache_read_tokens, total_tokens, cost_usd, unpriced_turns, priced_cost_usd, "
      "turns AS billable_turns FROM usage_block_models WHERE owner = ?1 "
      "AND substr(block_start, 1, 10) BETWEEN ?2 AND ?3 ORDER BY block_start, model",
      1, r.owner, r.range.since, r.range.until);
  const Usage totals = query_totals(r.db, rows_sql, r.owner, r.range.since, r.range.until);

  Json list = Json::array();
  Table table(header_with({"Block Start (UTC)", "Status", "Models"}), right_aligned(3));
  std::vector<const Breakdown*> shown;
  Statement st(r.db, rows_sql);
  st.bind(1, r.owner).bind(2, r.range.since).bind(3, r.range.until);
  while (st.step()) {
    const std::string start = st.bytes(0);
    const bool active = st.integer(3).value_or(0) != 0;
    const std::vector<std::string> models = split_list(st.bytes(4));
    const Usage usage = read_usage(st, 5);
    Json row;
    row["id"] = start;
    row["startTime"] = start;
    row["endTime"] = st.bytes(1);
    row["actualEndTime"] = st.bytes(2);
    row["isActive"] = active;
    row["isGap"] = false;
    row["entries"] = usage.billable;
    row["tokenCounts"] = {{"inputTokens", usage.input},
                          {"outputTokens", usage.output},
                          {"cacheCreationInputTokens", usage.cache_write},
                          {"cacheReadInputTokens", usage.cache_read}};
    row["totalTokens"] = usage.total;
    row["costUSD"] = optional_number(usage.cost);
    row["models"] = models;
    row["burnRate"] = nullptr;
    row["projection"] = nullptr;
    row["unpricedTurns"] = usage.unpriced;
    row["pricedCost"] = optional_number(usage.priced);
    row["modelBreakdowns"] = Json::array();
    std::vector<std::string> cells = {start, active ? "active" : "", join(models, ", ")};
    const std::vector<std::string> numbers = usage_cells(usage);
    cells.insert(cells.end(), numbers.begin(), numbers.end());
    table.add(cells);
    const auto found = breakdowns.find(start + '\x1f');
    if (found != breakdowns.end()) {
      for (const Breakdown& b : found->second) {
        row["modelBreakdowns"].push_back(breakdown_json(b));
        shown.push_back(&b);
        if (r.args.flag("breakdown")) table.add(breakdown_cells(b, 3));
      }
    }
    list.push_back(row);
  }
  if (r.args.flag("json")) {
    Json out;
    out["blocks"] = list;
    std::cout << out.dump(2) << '\n';
    return kExitOk;
  }
  if (list.empty()) {
    std::cerr << "lethe blocks: no Claude Code usage of " << log_value(r.owner)
              << " in this range\n";
    return kExitOk;
  }
  std::cout << "Claude Code's 5-hour billing blocks of " << r.owner << " (UTC)\n\n";
  table.print(std::cout);
  print_unknown_note(shown, totals);
  return kExitOk;
}

// The views a report reads, named before it runs so a missing one says so.
void require_views(const Database& db, const std::string& verb) {
  const std::vector<std::string> views =
      verb == "daily"     ? std::vector<std::string>{"usage_daily", "usage_daily_by_model",
                                                     "usage_local_daily", "usage_local_daily_by_model"}
      : verb == "monthly" ? std::vector<std::string>{"usage_monthly", "usage_monthly_by_model"}
      : verb == "session" ? std::vector<std::string>{"session_summary", "session_usage_by_model"}
                          : std::vector<std::string>{"usage_blocks", "usage_block_models"};
  for (const std::string& view : views) {
    if (!db.has_view(view)) {
      throw Failure("the archive's usage pack has no view " + view +
                    " (sql/usage.sql): this lethe was built without it");
    }
  }
}

}  // namespace

int run_report(const std::string& verb, const Args& raw) {
  const Arguments args(verb, raw,
                       {{"since", true},
                        {"until", true},
                        {"tz", true},
                        {"owner", true},
                        {"db", true},
                        {"json", false},
                        {"breakdown", false},
                        {"help", false}});
  if (args.flag("help")) {
    std::cout << help_of(verb);
    return kExitOk;
  }
  if (!args.positional().empty()) {
    throw UsageError(verb, "unexpected argument '" + args.positional().front() + "'");
  }
  const Range range = parse_range(args);
  const Zone zone = choose_zone(args);
  const Database db = open_archive(choose_database(args.value("db")), OpenMode::kExisting);
  require_views(db, verb);
  const Report report{args, db, choose_owner(db, args), range, zone};
  if (verb == "daily") return period_report(report, false);
  if (verb == "monthly") return period_report(report, true);
  if (verb == "session") return session_report(report);
  return blocks_report(report);
}

}  // namespace lethe::cli
