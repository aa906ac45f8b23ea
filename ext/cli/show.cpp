// `lethe show SESSION`: the show pack's view session_transcript
// (sql/show.sql), which makes the Markdown; this finds the session by its id
// or the start of it, and prints.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/archive.hpp"
#include "cli/args.hpp"
#include "cli/errors.hpp"
#include "cli/output.hpp"
#include "cli/verbs.hpp"

namespace lethe::cli {
namespace {

constexpr const char* kHelp = R"(Usage: lethe show SESSION [--agent NAME] [--json] [--db PATH]

Print one archived session as a Markdown transcript: a header (agent, machines,
project, start and end, turns, tokens, models), then every turn with its time
(UTC): prompts and answers quoted, the reasoning folded, each tool call with
its arguments, each tool result under the call it answers, tokens per answer.
Save it with: lethe show SESSION > session.md

SESSION is a session id (lethe session lists them; lethe search finds the
session of a text), or the start of one when no other session starts so. A
session synced from several machines is shown once.

Options:
  --agent NAME  only the sessions of this agent (claude-code, codex,
              gemini-cli, ...), for an id that two agents share
  --json      one JSON object instead: owner, tool, session_id, hosts,
              started_at, ended_at, project and markdown
  --db PATH   the database (default: $LETHE_DB, else
              ${XDG_DATA_HOME:-~/.local/share}/lethe/agents.db)

Exit status: 0 shown; 2 when no session or several match (they are listed),
or the archive could not be read.
)";

struct Session {
  std::string owner, tool, session_id, hosts, started_at;
};

// The sessions (of `agent`, when not empty) whose id is `id`, else those
// whose id starts with it.
std::vector<Session> sessions_matching(const Database& db, const std::string& id,
                                       const std::string& agent) {
  constexpr const char* kExact =
      "SELECT owner, tool, session_id, hosts, started_at FROM transcript_sessions "
      "WHERE session_id = ?1 AND (?2 = '' OR tool = ?2) ORDER BY started_at, tool, owner";
  constexpr const char* kPrefix =
      "SELECT owner, tool, session_id, hosts, started_at FROM transcript_sessions "
      "WHERE substr(session_id, 1, length(?1)) = ?1 AND (?2 = '' OR tool = ?2) "
      "ORDER BY started_at, tool, owner, session_id";
  std::vector<Session> found;
  for (const char* sql : {kExact, kPrefix}) {
    Statement st(db, sql);
    st.bind(1, id).bind(2, agent);
    while (st.step()) {
      found.push_back({st.bytes(0), st.bytes(1), st.bytes(2), st.bytes(3), st.bytes(4)});
    }
    if (!found.empty()) break;
  }
  return found;
}

std::string candidate_list(const std::vector<Session>& sessions) {
  constexpr std::size_t kShown = 20;
  std::string list;
  for (std::size_t i = 0; i < sessions.size() && i < kShown; ++i) {
    const Session& s = sessions[i];
    list += "\n  " + printable(s.session_id) + "  " + printable(s.tool) + "  " +
            printable(s.hosts) + "  " + printable(s.started_at) + "  (owner " + printable(s.owner) +
            ")";
  }
  if (sessions.size() > kShown) {
    list += "\n  ... and " + std::to_string(sessions.size() - kShown) + " more";
  }
  return list;
}

}  // namespace

int run_show(const Args& raw) {
  const Arguments args("show", raw,
                       {{"json", false}, {"agent", true}, {"db", true}, {"help", false}});
  if (args.flag("help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    throw UsageError("show", args.positional().empty()
                                 ? "which session is missing: lethe show SESSION"
                                 : "give one session id: lethe show SESSION");
  }
  const std::string& id = args.positional().front();
  if (id.empty()) throw UsageError("show", "the session id is empty");
  const Database db = open_archive(choose_database(args.value("db")), OpenMode::kExisting);
  const std::string agent = args.value("agent").value_or("");
  const std::vector<Session> found = sessions_matching(db, id, agent);
  if (found.empty()) {
    throw Failure("no session" + (agent.empty() ? "" : " of " + log_value(agent)) + " has the id " +
                  log_value(id) +
                  " or an id that starts with it: `lethe session` lists the sessions, "
                  "`lethe search TEXT` finds the session of a text");
  }
  if (found.size() > 1) {
    const bool same_id = std::all_of(found.begin(), found.end(), [&](const Session& s) {
      return s.session_id == found.front().session_id;
    });
    throw Failure(log_value(id) + " matches " + std::to_string(found.size()) + " sessions; " +
                  (same_id ? "several agents have a session of this id: add --agent NAME"
                           : "give more of the id") +
                  ":" + candidate_list(found));
  }
  const Session& session = found.front();
  Statement st(db,
               args.flag("json")
                   ? "SELECT json_object('owner', owner, 'tool', tool, 'session_id', "
                     "session_id, 'hosts', (SELECT json_group_array(host) FROM (SELECT o.host "
                     "FROM sessions AS o WHERE o.owner = ?1 AND o.tool = ?2 AND o.session_id = ?3 "
                     "ORDER BY o.host)), 'started_at', started_at, 'ended_at', ended_at, "
                     "'project', project, 'markdown', markdown) "
                     "FROM session_transcript WHERE owner = ?1 AND tool = ?2 AND session_id = ?3"
                   : "SELECT markdown FROM session_transcript "
                     "WHERE owner = ?1 AND tool = ?2 AND session_id = ?3");
  st.bind(1, session.owner).bind(2, session.tool).bind(3, session.session_id);
  if (!st.step()) throw Failure("the session " + log_value(id) + " went away while being read");
  std::cout << valid_utf8(st.bytes(0), args.flag("json")) << '\n';
  std::cout.flush();
  return kExitOk;
}

}  // namespace lethe::cli
