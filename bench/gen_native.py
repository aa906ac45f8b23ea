#!/usr/bin/env python3
"""Deterministic generator of native agent transcripts for bench/run.

Usage:
    python3 bench/gen_native.py --format claude-code|codex|gemini-cli|qwen-code|copilot-cli|cursor-cli
                                [--mb M] [--seed K] --out FILE

Writes about M megabytes (default 100) of one agent's own file format in the
shape of the real files (docs/reference/adapters.md): one long session, as each
agent writes one file per session.
  - claude-code: a typed prompt, an API response split over 1 to 4 records
    that repeat a growing usage (text, thinking, tool_use), a tool_result,
    a progress record now and then;
  - codex: the {timestamp, type, payload} envelope, session_meta,
    turn_context, user message and its event_msg mirror, reasoning,
    function_call + output, assistant message, token_count events (some
    re-emitted, before or after their items);
  - gemini-cli: the .jsonl log: a header, messages written and rewritten as
    their tokens and tool results arrive, $set updates;
  - qwen-code: a prompt, an attribution snapshot, per model call its
    ui_telemetry api_response then the assistant record (thought, text or a
    functionCall), the tool call's telemetry and its tool_result; now and
    then a call that made no assistant record;
  - copilot-cli: the events.jsonl log: a prompt, turn start, messages with
    reasoning and a tool request, the tool's start and result, turn end; a
    shutdown with per-model totals and a resume every 50 exchanges;
  - cursor-cli: role lines: a prompt with its <timestamp> tag, answers with
    thinking, text and tool_use blocks, a tool_result line.
The same arguments give byte-identical output (random.Random(seed)).
"""
import argparse
import datetime
import json
import random
import sys

WORDS = ("the of and to in is that for it as with was on be by this are from at or an have not "
         "file test run build error fix function value return import module cache session").split()


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.ms = 1767225600000  # 2026-01-01
        self.n = 0

    def text(self, k):
        return " ".join(self.r.choice(WORDS) for _ in range(self.r.randint(k // 2, k)))

    def ts(self):
        self.ms += self.r.randint(1, 4000)
        s, ms = divmod(self.ms, 1000)
        t = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=s)
        return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % ms

    def uid(self, prefix):
        self.n += 1
        return "%s-%08x-%04x" % (prefix, self.n, self.r.getrandbits(16))


def dump(r):
    return json.dumps(r, separators=(",", ":"), ensure_ascii=False)


def claude(g, session):
    base = {"parentUuid": None, "isSidechain": False, "userType": "external",
            "cwd": "/home/ana/proj", "sessionId": session, "version": "2.1.40", "gitBranch": "main"}

    def rec(**kw):
        r = dict(base)
        r.update(kw)
        return r
    out = [rec(type="user", uuid=g.uid("u"), timestamp=g.ts(),
               message={"role": "user", "content": g.text(60)})]
    if g.r.random() < 0.2:
        out.append(rec(type="progress", uuid=g.uid("p"), timestamp=g.ts(),
                       data={"type": "hook_progress", "hookEvent": "PreToolUse"}))
    mid, req, output = g.uid("msg"), g.uid("req"), 8
    tool_id = None
    for part in range(g.r.randint(1, 4)):
        output += g.r.randint(0, 400)
        kind = g.r.choice(["text", "text", "thinking", "tool_use"])
        if kind == "tool_use":
            tool_id = g.uid("toolu")
            block = {"type": "tool_use", "id": tool_id, "name": "Bash",
                     "input": {"command": g.text(10), "timeout": 120000}}
        elif kind == "thinking":
            block = {"type": "thinking", "thinking": g.text(150), "signature": "sig" + g.text(4)}
        else:
            block = {"type": "text", "text": g.text(200)}
        out.append(rec(type="assistant", uuid=g.uid("a"), timestamp=g.ts(), requestId=req,
                       message={"model": "claude-sonnet-4-5", "id": mid, "type": "message",
                                "role": "assistant", "content": [block], "stop_reason": None,
                                "usage": {"input_tokens": 3, "cache_creation_input_tokens": 300,
                                          "cache_read_input_tokens": 25000,
                                          "output_tokens": output, "service_tier": "standard"}}))
    if tool_id:
        out.append(rec(type="user", uuid=g.uid("t"), timestamp=g.ts(),
                       message={"role": "user", "content": [
                           {"type": "tool_result", "tool_use_id": tool_id, "content": g.text(600)}]}))
    return out


def codex_session_head(g, session):
    t = g.ts()
    return [{"timestamp": t, "type": "session_meta",
             "payload": {"id": session, "timestamp": t, "cwd": "/home/ana/proj",
                         "originator": "codex_cli_rs", "cli_version": "0.98.0", "source": "cli",
                         "model_provider": "openai", "git": {"branch": "main"}}}]


def codex(g, state):
    def env(kind, payload):
        return {"timestamp": g.ts(), "type": kind, "payload": payload}
    prompt = g.text(60)
    out = [env("turn_context", {"cwd": "/home/ana/proj", "model": "gpt-5.1-codex", "effort": "medium"}),
           env("response_item", {"type": "message", "role": "user",
                                 "content": [{"type": "input_text", "text": prompt}]}),
           env("event_msg", {"type": "user_message", "message": prompt, "images": []})]

    def tokens():
        last = {"input_tokens": g.r.randint(5000, 30000), "cached_input_tokens": 4000,
                "output_tokens": g.r.randint(10, 800), "reasoning_output_tokens": 64}
        last["total_tokens"] = last["input_tokens"] + last["output_tokens"]
        for k, v in last.items():
            state[k] = state.get(k, 0) + v
        ev = env("event_msg", {"type": "token_count",
                               "info": {"total_token_usage": dict(state), "last_token_usage": last,
                                        "model_context_window": 272000}, "rate_limits": None})
        return [ev] * g.r.randint(1, 3)  # re-emits
    for _ in range(g.r.randint(0, 3)):
        before = g.r.random() < 0.5
        if before:
            out += tokens()
        call = g.uid("call")
        out.append(env("response_item", {"type": "reasoning", "summary": [
            {"type": "summary_text", "text": g.text(20)}], "content": None, "encrypted_content": g.text(30)}))
        out.append(env("response_item", {"type": "function_call", "name": "shell",
                                         "arguments": json.dumps({"command": ["bash", "-lc", g.text(8)]}),
                                         "call_id": call}))
        out.append(env("response_item", {"type": "function_call_output", "call_id": call,
                                         "output": json.dumps({"output": g.text(500), "metadata": {"exit_code": 0}})}))
        if not before:
            out += tokens()
    answer = g.text(150)
    out.append(env("event_msg", {"type": "agent_message", "message": answer}))
    out.append(env("response_item", {"type": "message", "role": "assistant",
                                     "content": [{"type": "output_text", "text": answer}]}))
    out += tokens()
    return out


def gemini(g):
    out = []
    user = {"id": g.uid("m"), "timestamp": g.ts(), "type": "user", "content": [{"text": g.text(60)}]}
    out.append(user)
    out.append({"$set": {"lastUpdated": g.ts()}})
    mid, t = g.uid("m"), g.ts()
    call = {"id": g.uid("read_file"), "name": "read_file", "args": {"file_path": "/p/" + g.text(2)},
            "status": "executing", "timestamp": t, "displayName": "ReadFile", "result": None}
    msg = {"id": mid, "timestamp": t, "type": "gemini", "content": "", "model": "gemini-2.5-pro",
           "thoughts": [{"subject": g.text(4), "description": g.text(60), "timestamp": t}],
           "toolCalls": [call]}
    out.append(dict(msg))
    msg = dict(msg)
    msg["tokens"] = {"input": g.r.randint(5000, 30000), "output": g.r.randint(10, 500), "cached": 4000,
                     "thoughts": g.r.randint(0, 300), "tool": 0}
    msg["tokens"]["total"] = msg["tokens"]["input"] + msg["tokens"]["output"] + msg["tokens"]["thoughts"]
    out.append(dict(msg))
    done = dict(call, status="success", result=[{"functionResponse": {
        "id": call["id"], "name": "read_file", "response": {"output": g.text(600)}}}])
    msg["toolCalls"] = [done]
    msg["content"] = g.text(150)
    out.append(msg)
    return out


def qwen(g, session, state):
    def rec(kind, **kw):
        uuid = g.uid("q")
        r = {"uuid": uuid, "parentUuid": state.get("parent"), "sessionId": session,
             "timestamp": g.ts(), "type": kind, "provenance": {"user": "real_user", "assistant": "assistant_output",
                                                               "tool_result": "tool_result"}.get(kind, "system"),
             "cwd": "/home/ana/proj", "version": "0.21.6", "gitBranch": "main"}
        r.update(kw)
        state["parent"] = uuid
        return r

    def call():
        i, o = g.r.randint(5000, 30000), g.r.randint(10, 800)
        return rec("system", subtype="ui_telemetry", systemPayload={"uiEvent": {
            "event.name": "qwen-code.api_response", "event.timestamp": g.ts(), "response_id": g.uid("chatcmpl"),
            "model": "qwen3-coder-plus", "status_code": 200, "duration_ms": g.r.randint(500, 60000),
            "input_token_count": i, "output_token_count": o, "cached_content_token_count": 4000,
            "thoughts_token_count": o // 2, "tool_token_count": 0, "total_token_count": i + o,
            "prompt_id": session + "########0", "auth_type": "openai"}})

    def usage():
        return {"promptTokenCount": 9000, "candidatesTokenCount": 300, "thoughtsTokenCount": 100,
                "totalTokenCount": 9300, "cachedContentTokenCount": 4000}
    out = [rec("user", message={"role": "user", "parts": [{"text": g.text(60)}]}),
           rec("system", subtype="attribution_snapshot", systemPayload={"snapshot": {
               "type": "attribution-snapshot", "version": 1, "surface": "cli", "fileStates": {},
               "promptCount": 1, "promptCountAtLastCommit": 0}})]
    for _ in range(g.r.randint(0, 3)):
        out.append(call())
        cid = g.uid("call")
        out.append(rec("assistant", model="qwen3-coder-plus", message={"role": "model", "parts": [
            {"text": g.text(60), "thought": True},
            {"functionCall": {"id": cid, "name": "read_file", "args": {"file_path": "/p/" + g.text(2)}}}]},
            usageMetadata=usage(), contextWindowSize=1000000))
        out.append(rec("system", subtype="ui_telemetry", systemPayload={"uiEvent": {
            "event.name": "qwen-code.tool_call", "event.timestamp": g.ts(), "call_id": cid,
            "function_name": "read_file", "status": "success", "success": True}}))
        out.append(rec("tool_result", message={"role": "user", "parts": [{"functionResponse": {
            "id": cid, "name": "read_file", "response": {"output": g.text(600)}}}]},
            toolCallResult={"callId": cid, "status": "success", "resultDisplay": ""}))
        if g.r.random() < 0.1:
            out.append(call())  # a call that made no assistant record
    out.append(call())
    out.append(rec("assistant", model="qwen3-coder-plus", message={"role": "model", "parts": [
        {"text": g.text(60), "thought": True}, {"text": g.text(150)}]},
        usageMetadata=usage(), contextWindowSize=1000000))
    return out


def copilot(g, state):
    def ev(kind, data):
        g.n += 1
        eid = "%08x-%04x-4000-8000-%012x" % (g.r.getrandbits(32), g.r.getrandbits(16), g.n)
        r = {"type": kind, "data": data, "id": eid, "timestamp": g.ts(), "parentId": state.get("parent")}
        state["parent"] = eid
        return r
    turn = str(state.get("turns", 0))
    out = [ev("user.message", {"content": g.text(60), "transformedContent": g.text(80), "attachments": [],
                               "delivery": "idle", "interactionId": "i" + turn}),
           ev("assistant.turn_start", {"turnId": turn, "interactionId": "i" + turn})]
    for _ in range(g.r.randint(0, 3)):
        cid = g.uid("toolu")
        output = g.r.randint(10, 800)
        state["output"] = state.get("output", 0) + output
        out.append(ev("assistant.message", {"messageId": g.uid("m"), "model": "claude-sonnet-4.6", "content": "",
                                            "toolRequests": [{"toolCallId": cid, "name": "view",
                                                              "arguments": {"path": "/p/" + g.text(2)}, "type": "function"}],
                                            "reasoningText": g.text(60), "outputTokens": output}))
        out.append(ev("tool.execution_start", {"toolCallId": cid, "toolName": "view",
                                               "arguments": {"path": "/p"}, "turnId": turn}))
        out.append(ev("tool.execution_complete", {"toolCallId": cid, "success": True, "turnId": turn,
                                                  "result": {"content": g.text(600), "detailedContent": g.text(20)}}))
    output = g.r.randint(10, 800)
    state["output"] = state.get("output", 0) + output
    out.append(ev("assistant.message", {"messageId": g.uid("m"), "model": "claude-sonnet-4.6",
                                        "content": g.text(150), "toolRequests": [], "outputTokens": output}))
    out.append(ev("assistant.turn_end", {"turnId": turn}))
    state["turns"] = state.get("turns", 0) + 1
    if state["turns"] % 50 == 0:
        out.append(ev("session.shutdown", {"shutdownType": "routine", "modelMetrics": {"claude-sonnet-4.6": {
            "requests": {"count": 200, "cost": 1}, "usage": {
                "inputTokens": 2000000, "outputTokens": state["output"] + 1000, "cacheReadTokens": 1800000,
                "cacheWriteTokens": 50000, "reasoningTokens": 0}}}}))
        out.append(ev("session.resume", {"resumeTime": g.ts(), "eventCount": 1}))
        state["output"] = 0
    return out


def cursor(g):
    g.ts()
    stamp = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=g.ms)
    tag = stamp.strftime("%A, %b %d, %Y, %I:%M %p") + " (UTC+1)"
    out = [{"role": "user", "message": {"content": [{"type": "text", "text": "<timestamp>%s</timestamp>\n"
                                                     "<user_query>\n%s\n</user_query>" % (tag, g.text(60))}]}}]
    for _ in range(g.r.randint(0, 3)):
        tid = g.uid("tu")
        out.append({"role": "assistant", "message": {"content": [
            {"type": "thinking", "thinking": g.text(60)}, {"type": "text", "text": g.text(30)},
            {"type": "tool_use", "id": tid, "name": "Read", "input": {"path": "/p/" + g.text(2)}}]}})
        out.append({"role": "user", "message": {"content": [
            {"type": "tool_result", "tool_use_id": tid, "content": g.text(600)}]}})
    out.append({"role": "assistant", "message": {"content": [{"type": "text", "text": g.text(150)}]}})
    return out


def write_session(f, fmt, g, target):
    """Writes one session of agent `fmt` (one file, as each agent writes one
    file per session) to the text file f, exchange after exchange until it
    holds `target` bytes; returns (bytes, exchanges). bench/gen_home.py
    calls it once per file of its home folder."""
    size = 0
    exchanges = 0
    session = None
    state = {}
    while size < target:
        records = []
        if exchanges == 0:
            session = "%08x-0000-4000-8000-%012x" % (g.r.getrandbits(32), exchanges)
            state = {}
            if fmt == "codex":
                records += codex_session_head(g, session)
            elif fmt == "gemini-cli":
                records.append({"sessionId": session, "projectHash": "ab14fe39", "startTime": g.ts(),
                                "lastUpdated": g.ts(), "kind": "main"})
            elif fmt == "copilot-cli":
                start = g.ts()
                records.append({"type": "session.start", "data": {
                    "sessionId": session, "version": 1, "producer": "copilot-agent", "copilotVersion": "1.0.78",
                    "startTime": start, "context": {"cwd": "/home/ana/proj", "branch": "main"}},
                    "id": g.uid("e"), "timestamp": start, "parentId": None})
        if fmt == "claude-code":
            records += claude(g, session)
        elif fmt == "codex":
            records += codex(g, state)
        elif fmt == "qwen-code":
            records += qwen(g, session, state)
        elif fmt == "copilot-cli":
            records += copilot(g, state)
        elif fmt == "cursor-cli":
            records += cursor(g)
        else:
            records += gemini(g)
        exchanges += 1
        for r in records:
            line = dump(r) + "\n"
            f.write(line)
            size += len(line.encode("utf-8"))
    return size, exchanges


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--format", required=True, choices=["claude-code", "codex", "gemini-cli", "qwen-code", "copilot-cli",
                                                      "cursor-cli"])
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.out, "w", encoding="utf-8") as f:
        size, exchanges = write_session(f, a.format, Gen(a.seed), int(a.mb * 1e6))
    print(f"{a.format}: {size} bytes, {exchanges} exchanges", file=sys.stderr)

if __name__ == "__main__":
    main()
