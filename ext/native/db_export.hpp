// What the readers of an agent database's export share (Goose, Crush): the
// lines ext/write/agent_db/<agent>.sql gives, one JSON object each with a
// "record" kind, every session's lines opening with its "session" record
// (docs/reference/native-formats.md, "Agent databases").
#pragma once

#include <map>
#include <optional>
#include <string>

#include "native/reader.hpp"

namespace lethe::native {

class DbExportReader : public Reader {
 public:
  DbExportReader(std::string_view data, Output& out) : out_(out), records_(data, out) {}

  bool step() final {
    ParsedRecord parsed;
    Json& record = parsed.value;
    Position at;
    if (!records_.next(record, at)) {
      close_session();
      return false;
    }
    const std::string* kind = string_member(record, "record");
    if (kind == nullptr) {
      out_.problem(at, member(record, "record") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "record", "an export line needs its record kind (a string)");
      return true;
    }
    if (*kind == "session") {
      close_session();
      open(record, at);
      return true;
    }
    const std::string* session = string_member(record, "session");
    if (session != nullptr && !session->empty() && (!open_ || *session != session_id_)) {
      orphan(*session, at);
    } else if (!open_) {
      out_.problem(at, ErrorCode::MissingField, "session",
                   "no readable session record before this line");
      return true;
    }
    if (!read_record(*kind, record, at)) out_.skip();
    return true;
  }

 protected:
  // A session record: true when it names a session its lines belong to.
  virtual bool start_session(Json& record, Position at) = 0;
  // Any other record of the open session: false when its kind is not read.
  virtual bool read_record(const std::string& kind, Json& record, Position at) = 0;
  // The session's lines are all read (the next session record, or the end).
  virtual void end_session() {}

  // The session a session record names, opened: its index in Output, its
  // start from created_at when none is known yet, and that time; nullopt
  // (said) when the record has no id.
  struct Opened {
    std::size_t index;
    std::optional<NormalizedTime> created;
  };
  std::optional<Opened> open_session_record(const Json& record, Position at) {
    const std::string* id = string_member(record, "id");
    if (id == nullptr || id->empty()) {
      out_.problem(at, member(record, "id") ? ErrorCode::InvalidField : ErrorCode::MissingField,
                   "id", "a session record needs the session's id");
      return std::nullopt;
    }
    const std::size_t index = out_.session(*id);
    const auto created = optional_time(record, "created_at");
    Session& session = out_.session_at(index);
    if (!session.started_at) session.started_at = created;
    return Opened{index, created};
  }

  // A native id as a turn id, unique in its session: the n-th repeat of an
  // id (a provider's counter restarting) is "<id>#<n>", stable while the
  // rows keep their order.
  std::string unique_turn_id(const std::string& id) {
    const int seen = turn_ids_[id]++;
    return seen == 0 ? id : id + "#" + std::to_string(seen + 1);
  }

  Output& out_;

 private:
  void open(Json& record, Position at) {
    open_ = start_session(record, at);
    turn_ids_.clear();
    const std::string* id = string_member(record, "id");
    session_id_ = open_ && id != nullptr ? *id : "";
  }

  // Rows whose session row is missing (the agent deleted it, or never
  // wrote it): read under the id they name, without the session's facts,
  // and said once.
  void orphan(const std::string& id, Position at) {
    close_session();
    std::string quoted = dump(Json(id));  // one line, whatever the id holds
    quoted.resize(character_boundary(quoted, kMaxQuotedBytes));
    out_.problem(at, ErrorCode::MissingField, "session",
                 "the database has no session row for session " + quoted +
                     ": its rows are read without the session's facts");
    Json record = {{"record", "session"}, {"id", id}};
    open(record, at);
  }

  void close_session() {
    if (!open_) return;
    open_ = false;
    end_session();
  }

  RecordReader records_;
  bool open_ = false;
  std::string session_id_;  // of the open session
  std::map<std::string, int> turn_ids_;
};

}  // namespace lethe::native
