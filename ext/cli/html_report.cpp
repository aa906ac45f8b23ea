// `lethe report`: one self-contained HTML page of the usage pack's figures
// (the per-day sums by agent and by model as stacked bar charts, the totals,
// the 5-hour blocks, the most expensive sessions and projects, what the
// cache saved). No script, font or image from anywhere: inline CSS and SVG,
// and a Content-Security-Policy that lets the page load nothing. Like the
// other reports it lays out the views' rows (usage_query.hpp): every figure
// on the page is a view's value, formatted as `lethe daily` formats it; the
// C++ here only places them (bar heights, positions).
//
// Every figure carries data-f, a JSON array naming where it comes from (the
// browser test reads them back and compares each with `lethe daily --json`
// and the views): ["day", date, field], ["model", date, agent, model, field]
// and so on (see figure_ref below).
#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
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
#include "common/version.hpp"

namespace lethe::cli {
namespace {

using Json = nlohmann::json;

constexpr const char* kHelp =
    R"(Usage: lethe report [--out FILE] [--since D] [--until D] [--tz ZONE] [--owner NAME] [--db PATH]

Your AI coding agents' usage as one HTML page to open in a browser: the
totals of the period, cost and tokens per day by agent and by model (bar
charts), the most expensive sessions and projects, Claude Code's 5-hour
blocks and what reading the cache saved. The page is one file that loads
nothing from anywhere (no network, no script): keep it, send it, open it
offline.

  lethe report --out report.html && xdg-open report.html

Options:
  --out FILE      where to write the page (default: lethe-report.html in this
                  folder); - writes it to stdout
  --since D       from this day on (YYYYMMDD or YYYY-MM-DD)
  --until D       up to this day, included
  --tz ZONE       the time zone of the days: an IANA name (Europe/Paris), UTC,
                  or an offset (+09:00); default: this computer's (TZ,
                  /etc/localtime). Sessions and blocks are placed by their UTC
                  day, as `lethe session` and `lethe blocks` do. The days of
                  the zone of the last `lethe sync` are read from its cache;
                  another zone's are computed, slower on a large archive.
  --owner NAME    whose usage (default: the archive's only owner)
  --db PATH       the database (default: $LETHE_DB, else
                  ${XDG_DATA_HOME:-~/.local/share}/lethe/agents.db)

Every figure is the usage pack's, the same as `lethe daily --json` (and
`lethe session`, `lethe blocks`): each API response counted once, a model
without a price shown as unknown, never $0. Cache savings: what the cache
reads would have cost at the input price minus what they cost at the
cache-read price, from the same prices (view usage_cache_savings).

Exit status: 0; 2 when the page could not be made or written (the message
says why).
)";

constexpr int kTopRows = 10;    // sessions and projects listed
constexpr int kBlockRows = 20;  // the latest blocks listed

// ---------------------------------------------------------------------------
// Text out.

// `text` with HTML's special characters as references: safe as text and as
// a quoted attribute value (in single quotes only, when `double_quotes` are
// kept).
std::string escaped(std::string_view text, bool double_quotes = false) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += double_quotes ? "\"" : "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Text from the archive (names, models, paths), shown: made printable (no
// control character, valid UTF-8, as the text reports show it), escaped.
std::string html(std::string_view text) { return escaped(printable(text)); }

// A figure's source, as a data-f attribute: JSON (bytes that are not UTF-8
// replaced) in single quotes, so its double quotes need no reference.
std::string figure_ref(const Json& path) {
  return " data-f='" + escaped(path.dump(-1, ' ', false, Json::error_handler_t::replace), true) +
         "'";
}

Json name_or_null(const std::optional<std::string>& name) {
  return name ? Json(*name) : Json(nullptr);
}

std::string cost_text(const Usage& u) {
  if (u.cost) return dollars(*u.cost);
  return u.unpriced > 0 ? "unknown" : "-";
}

std::string number(double value) {
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.1f", value);
  return text.data();
}

// A value as drawn, every digit that matters (the browser test reads it).
std::string exact(double value) {
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.10g", value);
  return text.data();
}

// 1234567 -> "1.2M": the axis of the token charts (a scale, not a figure).
std::string compact(double value) {
  std::array<char, 32> text{};
  if (value >= 1e9) {
    std::snprintf(text.data(), text.size(), "%.1fB", value / 1e9);
  } else if (value >= 1e6) {
    std::snprintf(text.data(), text.size(), "%.1fM", value / 1e6);
  } else if (value >= 1e3) {
    std::snprintf(text.data(), text.size(), "%.1fk", value / 1e3);
  } else {
    std::snprintf(text.data(), text.size(), "%.0f", value);
  }
  return text.data();
}

// A table cell or inline figure: its text, and where it comes from.
std::string fig(const std::string& tag, const Json& path, const std::string& text,
                const char* css = "num") {
  return "<" + tag + " class=\"" + css + "\"" + figure_ref(path) + ">" + html(text) + "</" + tag +
         ">";
}

// The usage fields of daily --json, the names every data-f uses.
constexpr const char* kCost = "cost";
void usage_cells(std::string& out, const Json& path, const Usage& u, bool all_tokens) {
  auto cell = [&](const char* field, const std::string& text) {
    Json p = path;
    p.push_back(field);
    out += fig("td", p, text);
  };
  if (all_tokens) {
    cell("inputTokens", grouped(u.input));
    cell("outputTokens", grouped(u.output));
    cell("cacheCreationTokens", grouped(u.cache_write));
    cell("cacheReadTokens", grouped(u.cache_read));
  }
  cell("totalTokens", grouped(u.total));
  cell(kCost, cost_text(u));
}

// ---------------------------------------------------------------------------
// What the page shows, read from the views.

struct Period {
  std::string day;
  std::vector<std::string> models;
  Usage usage;
};

// A part of a day: an agent's (model empty) or an agent's model.
struct Part {
  std::string day;
  std::string agent;
  std::optional<std::string> model;
  Usage usage;
};

struct Page {
  std::string owner;
  Range range;
  Zone zone;
  std::vector<Period> days;
  Usage totals;
  std::vector<Part> by_agent;
  std::vector<Part> by_model;
};

// The views of the days (UTC or local) and their day column.
struct DayViews {
  std::string column;
  std::string all;
  std::string agent;
  std::string model;
  std::string project;
};

DayViews day_views(const Zone& zone) {
  if (zone.utc) {
    return {"day", "usage_daily", "usage_daily_by_agent", "usage_daily_by_model",
            "usage_daily_by_project"};
  }
  return {"local_day", "usage_local_daily", "usage_local_daily_by_agent",
          "usage_local_daily_by_model", "usage_local_daily_by_project"};
}

// ?1 owner, ?2 from, ?3 to: the parameters of every query of the page.
void bind_range(Statement& st, const Page& page) {
  st.bind(1, page.owner).bind(2, page.range.since).bind(3, page.range.until);
}

void read_days(const Database& db, const DayViews& v, Page& page) {
  const std::string where =
      " WHERE owner = ?1 AND " + v.column + " BETWEEN ?2 AND ?3 ORDER BY " + v.column;
  // The rows and totals of `lethe daily` (usage_reports.cpp period_report).
  const std::string rows_sql =
      "SELECT " + v.column + ", models, " + kUsageColumns + " FROM " + v.all + where;
  Statement days(db, rows_sql);
  bind_range(days, page);
  while (days.step()) {
    page.days.push_back({days.bytes(0), split_list(days.bytes(1)), read_usage(days, 2)});
  }
  page.totals = query_totals(db, rows_sql, page.owner, page.range.since, page.range.until);

  Statement agents(db, "SELECT " + v.column + ", tool, " + kUsageColumns + " FROM " + v.agent +
                           where + ", tool");
  bind_range(agents, page);
  while (agents.step()) {
    page.by_agent.push_back(
        {agents.bytes(0), agents.bytes(1), std::nullopt, read_usage(agents, 2)});
  }
  // The model rows `lethe daily` shows (its modelBreakdowns).
  Statement models(
      db, "SELECT " + v.column + ", tool, model, " + kUsageColumns + " FROM " + v.model +
              " WHERE owner = ?1 AND " + v.column +
              " BETWEEN ?2 AND ?3 AND (model IS NOT NULL OR billable_turns > 0) ORDER BY " +
              v.column + ", tool, model");
  bind_range(models, page);
  while (models.step()) {
    page.by_model.push_back(
        {models.bytes(0), models.bytes(1), models.text(2), read_usage(models, 3)});
  }
}

// ---------------------------------------------------------------------------
// The charts: one stacked bar per day of usage_daily, a segment per agent (or
// agent and model), at the day's place on a time axis.

std::int64_t day_number(const std::string& day) {
  std::tm parts{};
  parts.tm_year = std::stoi(day.substr(0, 4)) - 1900;
  parts.tm_mon = std::stoi(day.substr(5, 2)) - 1;
  parts.tm_mday = std::stoi(day.substr(8, 2));
  parts.tm_hour = 12;
  return static_cast<std::int64_t>(timegm(&parts) / 86400);
}

constexpr std::array<const char*, 10> kColors = {"#d97706", "#059669", "#2563eb", "#7c3aed",
                                                 "#db2777", "#0891b2", "#65a30d", "#dc2626",
                                                 "#4b5563", "#ca8a04"};

std::string agent_color(const std::string& agent, std::size_t index) {
  static const std::map<std::string, std::size_t> known = {{"claude-code", 0}, {"codex", 1},
                                                           {"gemini-cli", 2},  {"copilot-cli", 3},
                                                           {"qwen-code", 4},   {"cursor-cli", 5}};
  const auto found = known.find(agent);
  return kColors[(found != known.end() ? found->second : index) % kColors.size()];
}

struct Series {
  std::string key;    // agent, or agent + '\x1f' + model
  std::string label;  // shown
  std::string color;
};

struct Chart {
  std::string id;
  std::string title;
  bool cost;       // else tokens
  bool per_model;  // else per agent
};

// The series a part is drawn in.
std::string series_key(const Part& p, bool per_model) {
  return per_model ? p.agent + '\x1f' + p.model.value_or("") : p.agent;
}

// The height a figure gives its bar: a known cost, else its known part (the
// bar is hatched: at least this much), or the tokens.
double bar_value(const Usage& u, bool cost) {
  if (!cost) return static_cast<double>(u.total);
  if (u.cost) return *u.cost;
  return u.priced.value_or(0.0);
}

std::vector<Series> series_of(const std::vector<Part>& parts, bool per_model) {
  std::map<std::string, std::string> labels;
  for (const Part& p : parts) {
    const std::string label = per_model ? p.agent + " " + p.model.value_or("(no model)") : p.agent;
    labels.emplace(series_key(p, per_model), label);
  }
  std::vector<Series> all;
  std::size_t index = 0;
  for (const auto& [key, label] : labels) {
    const std::string agent = key.substr(0, key.find('\x1f'));
    all.push_back(
        {key, label, per_model ? kColors[index % kColors.size()] : agent_color(agent, index)});
    ++index;
  }
  return all;
}

Json part_source(const Part& p, bool per_model) {
  if (per_model) return Json::array({"model", p.day, p.agent, name_or_null(p.model)});
  return Json::array({"agent", p.day, p.agent});
}

// The top of a chart's scale: the highest bar rounded up to four steps of
// 1, 2, 2.5 or 5 times a power of ten, so the scale's labels read well.
double scale_top(double highest) {
  if (highest <= 0) return 1;
  const double step = highest / 4;
  const double power = std::pow(10.0, std::floor(std::log10(step)));
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * power >= step) return 4 * m * power;
  }
  return 4 * 10 * power;
}

void render_chart(std::string& out, const Page& page, const Chart& chart) {
  const std::vector<Part>& parts = chart.per_model ? page.by_model : page.by_agent;
  const std::vector<Series> series = series_of(parts, chart.per_model);
  std::map<std::string, const Series*> by_key;
  for (const Series& s : series) by_key[s.key] = &s;

  constexpr double kWidth = 960;
  constexpr double kHeight = 260;
  constexpr double kLeft = 70;
  constexpr double kRight = 10;
  constexpr double kTop = 10;
  constexpr double kBottom = 30;
  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom;

  double highest = 0;
  for (const Period& d : page.days) highest = std::max(highest, bar_value(d.usage, chart.cost));
  const double top = scale_top(highest);
  const std::int64_t first = page.days.empty() ? 0 : day_number(page.days.front().day);
  const std::int64_t slots = page.days.empty() ? 1 : day_number(page.days.back().day) - first + 1;
  const double slot = plot_w / static_cast<double>(slots);
  const double bar_w = std::clamp(slot * 0.8, 1.0, 48.0);

  out += "<figure class=\"chart\" id=\"" + chart.id + "\"><figcaption>" + chart.title +
         "</figcaption>";
  out += "<svg viewBox=\"0 0 " + number(kWidth) + " " + number(kHeight) +
         "\" role=\"img\" data-top=\"" + exact(top) + "\" data-plot-h=\"" + number(plot_h) +
         "\" data-base=\"" + number(kTop + plot_h) + "\">";
  // The scale: four lines, labelled.
  for (int i = 0; i <= 4; ++i) {
    const double value = top * i / 4.0;
    const double y = kTop + plot_h - plot_h * i / 4.0;
    out += "<line class=\"grid\" x1=\"" + number(kLeft) + "\" x2=\"" + number(kWidth - kRight) +
           "\" y1=\"" + number(y) + "\" y2=\"" + number(y) + "\"/>";
    out += "<text class=\"tick\" x=\"" + number(kLeft - 6) + "\" y=\"" + number(y + 4) +
           "\" text-anchor=\"end\">" + (chart.cost ? dollars(value) : compact(value)) + "</text>";
  }
  // The days, each in its place; a label under about ten of them.
  const std::size_t every = std::max<std::size_t>(1, (page.days.size() + 9) / 10);
  std::size_t part_at = 0;
  for (std::size_t i = 0; i < page.days.size(); ++i) {
    const Period& d = page.days[i];
    const double x =
        kLeft + slot * static_cast<double>(day_number(d.day) - first) + (slot - bar_w) / 2;
    // A day's bar: its segments stacked from the bottom, each with its
    // figure as a tooltip (data-f: its source; data-v: the value drawn).
    out += "<g class=\"bar\" data-day=\"" + html(d.day) + "\" transform=\"translate(" + number(x) +
           ")\">";
    double y = kTop + plot_h;
    for (; part_at < parts.size() && parts[part_at].day < d.day; ++part_at) {
    }
    for (; part_at < parts.size() && parts[part_at].day == d.day; ++part_at) {
      const Part& p = parts[part_at];
      const double value = bar_value(p.usage, chart.cost);
      const double h = plot_h * value / top;
      const Series* s = by_key[series_key(p, chart.per_model)];
      const bool unknown = chart.cost && !p.usage.cost && p.usage.unpriced > 0;
      Json source = part_source(p, chart.per_model);
      source.push_back(chart.cost ? kCost : "totalTokens");
      const std::string text = chart.cost ? cost_text(p.usage) : grouped(p.usage.total);
      y -= h;
      out += std::string("<rect") + (unknown ? " class=\"unknown\"" : "") + " y=\"" + number(y) +
             "\" width=\"" + number(bar_w) + "\" height=\"" + number(h) + "\" fill=\"" +
             (s ? s->color : kColors.back()) + "\" data-v=\"" + exact(value) + "\"><title" +
             figure_ref(source) + ">" + html(d.day + " " + (s ? s->label : p.agent) + ": ") +
             html(text) + (unknown ? " (at least " + dollars(value) + ")" : "") + "</title></rect>";
    }
    out += "</g>";
    if (i % every == 0) {
      out += "<text class=\"lab\" x=\"" + number(x + bar_w / 2) + "\" y=\"" + number(kHeight - 10) +
             "\" text-anchor=\"middle\">" + html(d.day) + "</text>";
    }
  }
  out += "</svg><ul class=\"legend\">";
  for (const Series& s : series) {
    out += "<li><span class=\"swatch\" style=\"background:" + s.color + "\"></span>" +
           html(s.label) + "</li>";
  }
  if (chart.cost && page.totals.unpriced > 0) {
    out += "<li><span class=\"swatch hatch\"></span>unknown price: the priced part only</li>";
  }
  out += "</ul></figure>";
}

void render_charts(std::string& out, const Page& page) {
  const std::array<Chart, 4> charts = {{{"cost-agent", "Cost per day, by agent", true, false},
                                        {"cost-model", "Cost per day, by model", true, true},
                                        {"tokens-agent", "Tokens per day, by agent", false, false},
                                        {"tokens-model", "Tokens per day, by model", false, true}}};
  out += "<section id=\"days\"><h2>Per day</h2>";
  bool checked = true;
  for (const Chart& c : charts) {
    out += "<input type=\"radio\" name=\"chart\" id=\"show-" + c.id + "\"" +
           (checked ? " checked" : "") + "><label for=\"show-" + c.id + "\">" + c.title +
           "</label>";
    checked = false;
  }
  out += "<div class=\"charts\">";
  for (const Chart& c : charts) render_chart(out, page, c);
  out += "</div>";

  // The days as a table: lethe daily's rows.
  out += "<details><summary>Every day (" +
         fig("span", Json::array({"count", "days"}), std::to_string(page.days.size())) +
         ")</summary><table><thead><tr><th>Day</th><th>Models</th><th>Input</th><th>Output</th>"
         "<th>Cache Create</th><th>Cache Read</th><th>Total Tokens</th><th>Cost (USD)</th></tr>"
         "</thead><tbody>";
  for (const Period& d : page.days) {
    out += "<tr><td class=\"key\">" + html(d.day) + "</td><td class=\"key\">" +
           html(join(d.models, ", ")) + "</td>";
    usage_cells(out, Json::array({"day", d.day}), d.usage, true);
    out += "</tr>";
  }
  out += "</tbody></table></details></section>";
}

// ---------------------------------------------------------------------------
// The header: the period's totals (`lethe daily`'s Total row).

void render_header(std::string& out, const Page& page, const std::optional<Usage>& savings) {
  const std::string from = page.days.empty() ? page.range.since : page.days.front().day;
  const std::string to = page.days.empty() ? page.range.until : page.days.back().day;
  out += "<header><h1>AI coding usage of " + html(page.owner) + "</h1><p class=\"key\">";
  if (page.days.empty()) {
    out += "No usage in this period.";
  } else {
    out += html(from) + " to " + html(to) + " (" + html(page.zone.label) + "), " +
           fig("span", Json::array({"count", "days"}), std::to_string(page.days.size())) +
           " days with usage";
  }
  out += "</p><dl class=\"totals\">";
  auto card = [&](const char* title, const Json& path, const std::string& text,
                  const std::string& note) {
    out += "<div><dt>" + std::string(title) + "</dt>" + fig("dd", path, text, "num big") + note +
           "</div>";
  };
  const Usage& t = page.totals;
  // An unknown sum: its known part, and how many turns have no price.
  auto unknown_note = [](const char* source, const Usage& u) -> std::string {
    if (u.cost || u.unpriced == 0) return "";
    return "<dd class=\"note\">at least " +
           fig("span", Json::array({source, "pricedCost"}), u.priced ? dollars(*u.priced) : "-") +
           "; " + fig("span", Json::array({source, "unpricedTurns"}), grouped(u.unpriced)) +
           (u.unpriced == 1 ? " turn has" : " turns have") + " no price</dd>";
  };
  const std::string cost_note = unknown_note("totals", t);
  card("Cost (USD)", Json::array({"totals", kCost}), cost_text(t), cost_note);
  card("Total tokens", Json::array({"totals", "totalTokens"}), grouped(t.total), "");
  card("Input", Json::array({"totals", "inputTokens"}), grouped(t.input), "");
  card("Output", Json::array({"totals", "outputTokens"}), grouped(t.output), "");
  card("Cache writes", Json::array({"totals", "cacheCreationTokens"}), grouped(t.cache_write), "");
  card("Cache reads", Json::array({"totals", "cacheReadTokens"}), grouped(t.cache_read), "");
  if (savings) {
    card("Cache savings", Json::array({"savings-total", "saved"}), cost_text(*savings),
         unknown_note("savings-total", *savings));
  }
  out += "</dl></header>";
}

// ---------------------------------------------------------------------------
// The tables below the charts.

std::string usage_header(const char* first_columns) {
  return std::string("<table><thead><tr>") + first_columns +
         "<th>Total Tokens</th><th>Cost (USD)</th></tr></thead><tbody>";
}

void render_sessions(std::string& out, const Database& db, const Page& page) {
  out += "<section id=\"sessions\"><h2>Most expensive sessions</h2>" +
         usage_header(
             "<th>Session</th><th>Agent</th><th>Project</th><th>Last activity (UTC)</th>"
             "<th>Models</th>");
  Statement st(db, "SELECT * FROM (" + session_rows_sql() +
                       ") ORDER BY coalesce(cost_usd, priced_cost_usd) DESC NULLS LAST, "
                       "total_tokens DESC, tool, session_id LIMIT " +
                       std::to_string(kTopRows));
  bind_range(st, page);
  int rows = 0;
  while (st.step()) {
    const std::string tool = st.bytes(0);
    const std::string session = st.bytes(1);
    out += "<tr><td class=\"key id\">" + html(session) + "</td><td class=\"key\">" + html(tool) +
           "</td><td class=\"key\">" + html(st.text(2).value_or("-")) + "</td><td class=\"key\">" +
           html(st.bytes(3)) + "</td><td class=\"key\">" +
           html(join(split_list(st.bytes(4)), ", ")) + "</td>";
    usage_cells(out, Json::array({"session", tool, session}), read_usage(st, 5), false);
    out += "</tr>";
    ++rows;
  }
  out += "</tbody></table>";
  if (rows == 0) out += "<p>No session ended in this period.</p>";
  out += "</section>";
}

void render_projects(std::string& out, const Database& db, const DayViews& v, const Page& page) {
  out += "<section id=\"projects\"><h2>Most expensive projects</h2>" +
         usage_header("<th>Project</th><th>Agents</th>");
  Statement st(
      db, "SELECT * FROM (SELECT project, group_concat(agents) AS agents, " + usage_sums_sql() +
              " FROM " + v.project + " WHERE owner = ?1 AND " + v.column +
              " BETWEEN ?2 AND ?3 GROUP BY project) "
              "ORDER BY coalesce(cost_usd, priced_cost_usd) DESC NULLS LAST, total_tokens DESC, "
              "project LIMIT " +
              std::to_string(kTopRows));
  bind_range(st, page);
  while (st.step()) {
    const std::optional<std::string> project = st.text(0);
    std::set<std::string> agents;
    for (const std::string& a : split_list(st.bytes(1))) agents.insert(a);
    out += "<tr><td class=\"key\">" + html(project.value_or("(no folder)")) +
           "</td><td class=\"key\">" +
           html(join(std::vector<std::string>(agents.begin(), agents.end()), ", ")) + "</td>";
    usage_cells(out, Json::array({"project", name_or_null(project)}), read_usage(st, 2), false);
    out += "</tr>";
  }
  out += "</tbody></table></section>";
}

void render_blocks(std::string& out, const Database& db, const Page& page) {
  // The latest blocks, each with the number of blocks in range (one read of
  // usage_blocks, which walks every block).
  Statement st(db, "SELECT * FROM (SELECT *, count(*) OVER () FROM (" + block_rows_sql() +
                       ") ORDER BY block_start DESC LIMIT " + std::to_string(kBlockRows) +
                       ") ORDER BY block_start");
  bind_range(st, page);
  std::string rows;
  std::string count = "0";
  while (st.step()) {
    const std::string start = st.bytes(0);
    rows += "<tr><td class=\"key\">" + html(start) + "</td><td class=\"key\">" +
            (st.integer(3).value_or(0) != 0 ? "active" : "") + "</td><td class=\"key\">" +
            html(join(split_list(st.bytes(4)), ", ")) + "</td>";
    usage_cells(rows, Json::array({"block", start}), read_usage(st, 5), false);
    rows += "</tr>";
    count = st.bytes(5 + kUsageColumnCount);
  }
  out += "<section id=\"blocks\"><h2>Claude Code's 5-hour blocks</h2><p>" +
         fig("span", Json::array({"count", "blocks"}), count) + " blocks in this period";
  if (std::stoll(count) > kBlockRows) {
    out += ", <span class=\"key\">the latest " + std::to_string(kBlockRows) + " below</span>";
  }
  out += ".</p>" + usage_header("<th>Start (UTC)</th><th>Status</th><th>Models</th>") + rows +
         "</tbody></table></section>";
}

// The cache savings of usage_cache_savings over the period, per agent and
// model and in all, summed by the pack's rule (unknown when a turn has no
// price). Returns the total.
Usage render_savings(std::string& out, const Database& db, const DayViews& v, const Page& page) {
  const std::string sums =
      "sum(cache_read_tokens), "
      "CASE WHEN coalesce(sum(turns), 0) = 0 OR sum(unpriced_turns) > 0 THEN NULL "
      "ELSE round(total(saved_usd), 6) END, "
      "sum(unpriced_turns), "
      "CASE WHEN sum(turns) > sum(unpriced_turns) THEN round(total(priced_saved_usd), 6) END";
  const std::string where =
      " FROM usage_cache_savings WHERE owner = ?1 AND " + v.column + " BETWEEN ?2 AND ?3";
  auto read = [](const Statement& st, int first) {
    Usage u;
    u.cache_read = st.integer(first).value_or(0);
    u.cost = st.real(first + 1);
    u.unpriced = st.integer(first + 2).value_or(0);
    u.priced = st.real(first + 3);
    return u;
  };
  out +=
      "<section id=\"savings\"><h2>Cache savings</h2><p>What the cache reads would have "
      "cost at the input price, minus what they cost at the cache-read price (the usage "
      "pack's prices; view <code>usage_cache_savings</code>).</p><table><thead><tr>"
      "<th>Agent</th><th>Model</th><th>Cache Read</th><th>Saved (USD)</th></tr></thead><tbody>";
  Statement st(db, "SELECT tool, model, " + sums + where +
                       " GROUP BY tool, model "
                       "ORDER BY tool, model");
  bind_range(st, page);
  auto cells = [&](const Json& path, const Usage& u) {
    Json reads = path;
    reads.push_back("cacheReadTokens");
    Json saved = path;
    saved.push_back("saved");
    out += fig("td", reads, grouped(u.cache_read)) + fig("td", saved, cost_text(u));
  };
  while (st.step()) {
    const std::string tool = st.bytes(0);
    const std::optional<std::string> model = st.text(1);
    out += "<tr><td class=\"key\">" + html(tool) + "</td><td class=\"key\">" +
           html(model.value_or("(no model)")) + "</td>";
    cells(Json::array({"savings", tool, name_or_null(model)}), read(st, 2));
    out += "</tr>";
  }
  Statement total(db, "SELECT " + sums + where);
  bind_range(total, page);
  total.step();
  const Usage sum = read(total, 0);
  out += "<tr class=\"total\"><td class=\"key\">Total</td><td></td>";
  cells(Json::array({"savings-total"}), sum);
  out += "</tr></tbody></table></section>";
  return sum;
}

constexpr const char* kStyle = R"(
:root{color-scheme:light;--ink:#1f2937;--mute:#6b7280;--line:#e5e7eb;--bg:#f9fafb}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0 auto;max-width:1000px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
header p{color:var(--mute);margin:0 0 14px}
.totals{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:0}
.totals div{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:8px 10px}
.totals dt{color:var(--mute);font-size:12px}.totals dd{margin:0}.big{font-size:18px;font-weight:600;overflow-wrap:anywhere}
.note{font-size:12px;color:var(--mute)}
input[type=radio]{position:absolute;opacity:0}
label{display:inline-block;padding:4px 10px;margin:0 6px 6px 0;border:1px solid var(--line);border-radius:14px;cursor:pointer;color:var(--mute)}
.chart{display:none;margin:0}
#show-cost-agent:checked~.charts #cost-agent,#show-cost-model:checked~.charts #cost-model,
#show-tokens-agent:checked~.charts #tokens-agent,#show-tokens-model:checked~.charts #tokens-model{display:block}
#show-cost-agent:checked+label,#show-cost-model:checked+label,#show-tokens-agent:checked+label,#show-tokens-model:checked+label{background:var(--ink);color:#fff;border-color:var(--ink)}
figcaption{font-weight:600;margin:4px 0}
svg{width:100%;height:auto;display:block}
.grid{stroke:var(--line)}.tick,.lab{font-size:11px;fill:var(--mute)}
.bar rect:hover{opacity:.8}.unknown{fill-opacity:.45;stroke:#111;stroke-dasharray:3 2}
.legend{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
.hatch{background:repeating-linear-gradient(45deg,#9ca3af 0 2px,#fff 2px 4px);border:1px dashed #111}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--mute);font-weight:500}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.id{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.total td{font-weight:600}details{margin-top:10px}summary{cursor:pointer;color:var(--mute)}
footer{margin-top:28px;color:var(--mute);font-size:12px}
)";

std::string render_page(const Database& db, const Page& page) {
  const DayViews v = day_views(page.zone);
  std::string body;
  render_charts(body, page);
  render_sessions(body, db, page);
  render_projects(body, db, v, page);
  render_blocks(body, db, page);
  std::string savings_html;
  const Usage savings = render_savings(savings_html, db, v, page);
  body += savings_html;

  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>lethe report: " +
      html(page.owner) + "</title><style>" + kStyle + "</style></head><body>";
  render_header(out, page, savings);
  out += body;
  out += "<footer>Made by lethe " + html(kVersion) + " at " + html(utc_now()) +
         " from the usage pack's views: each API response counted once; a cost is unknown, "
         "never $0, when a model has no price (add one: <code>lethe sql \"INSERT INTO "
         "model_prices ...\"</code>).</footer></body></html>\n";
  return out;
}

void write_page(const std::string& path, const std::string& page) {
  if (path == "-") {
    std::cout << page;
    std::cout.flush();
    if (!std::cout) throw Failure("could not write the page to stdout");
    return;
  }
  // Written beside its place, then renamed: a reader never sees half a page.
  const std::string temporary = path + ".lethe-tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << page;
    file.close();
    if (!file) {
      std::remove(temporary.c_str());
      throw Failure("could not write " + log_value(path) + ": " + std::strerror(errno));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temporary.c_str());
    throw Failure("could not write " + log_value(path) + ": " + reason);
  }
}

void require_views(const Database& db, const Zone& zone) {
  const DayViews v = day_views(zone);
  for (const std::string& view :
       {v.all, v.agent, v.model, v.project, std::string("usage_cache_savings"),
        std::string("session_summary"), std::string("usage_blocks")}) {
    if (!db.has_view(view)) {
      throw Failure("the archive's usage pack has no view " + view +
                    " (sql/usage.sql): this lethe was built without it");
    }
  }
}

}  // namespace

int run_html_report(const Args& raw) {
  const Arguments args("report", raw,
                       {{"out", true},
                        {"since", true},
                        {"until", true},
                        {"tz", true},
                        {"owner", true},
                        {"db", true},
                        {"help", false}});
  if (args.flag("help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (!args.positional().empty()) {
    throw UsageError("report", "unexpected argument '" + args.positional().front() + "'");
  }
  const std::string out_path = args.value("out").value_or("lethe-report.html");
  if (out_path.empty()) throw UsageError("report", "--out needs a file name (or - for stdout)");
  Page page;
  page.range = parse_range(args);
  page.zone = choose_zone(args);
  const Database db = open_archive(choose_database(args.value("db")), OpenMode::kExisting);
  require_views(db, page.zone);
  page.owner = choose_owner(db, args);
  std::string html_page;
  {
    const LocalDays local_days(db, page.zone);
    read_days(db, day_views(page.zone), page);
    html_page = render_page(db, page);
  }
  write_page(out_path, html_page);
  if (out_path != "-") {
    std::cout << "lethe report: wrote " << printable(out_path) << " (" << page.days.size()
              << " days";
    if (!page.days.empty()) {
      std::cout << ", " << page.days.front().day << " to " << page.days.back().day;
    }
    std::cout << ")\n";
  }
  return kExitOk;
}

}  // namespace lethe::cli
