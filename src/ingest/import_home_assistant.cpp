// Home Assistant history CSV export (entity_id,state,last_changed) ->
// residential home.state events. last_changed carries its offset (HA writes
// UTC with 'Z' or +00:00); a time without an offset is read in --tz.
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "ingest/importer.h"

namespace hearth::ingest {
namespace {

// Splits one CSV record (RFC 4180 quoting; no newlines inside fields).
bool SplitCsv(const std::string& line, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') { cur.push_back('"'); ++i; }
      else if (c == '"') quoted = false;
      else cur.push_back(c);
    } else if (c == '"' && cur.empty()) {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (quoted) return false;
  fields->push_back(std::move(cur));
  return true;
}

}  // namespace

Status ImportHomeAssistantCsv(const std::string& path, const ImportOptions& options, ImportSink& sink) {
  HEARTH_ASSIGN_OR_RETURN(LocalZone zone, LocalZone::Open(options.tz));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IoError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
  std::string line;
  std::vector<std::string> fields;
  int64_t number = 0;
  int col_entity = -1, col_state = -1, col_time = -1;
  char* buf = nullptr;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&buf, &cap, f)) >= 0) {
    ++number;
    line.assign(buf, static_cast<size_t>(n));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // BOM
    if (line.empty()) continue;
    const std::string where = fmt::format("line {}", number);
    if (!SplitCsv(line, &fields)) {
      sink.Malformed(path, where, "unterminated quote");
      continue;
    }
    if (col_entity < 0) {
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "entity_id") col_entity = static_cast<int>(i);
        if (fields[i] == "state") col_state = static_cast<int>(i);
        if (fields[i] == "last_changed") col_time = static_cast<int>(i);
      }
      if (col_entity < 0 || col_state < 0 || col_time < 0) {
        std::free(buf);
        return Status::InvalidArgument(
            fmt::format("{}:line 1: header must name entity_id, state and last_changed", path));
      }
      continue;
    }
    const size_t need = static_cast<size_t>(std::max({col_entity, col_state, col_time})) + 1;
    if (fields.size() < need) {
      sink.Malformed(path, where, "too few columns", fmt::format("{} of {}", fields.size(), need));
      continue;
    }
    const std::string& entity = fields[static_cast<size_t>(col_entity)];
    const std::string& state = fields[static_cast<size_t>(col_state)];
    std::string when = fields[static_cast<size_t>(col_time)];
    if (entity.empty() || entity.find('.') == std::string::npos) {
      sink.Malformed(path, where, "bad entity_id", entity);
      continue;
    }
    if (when.size() > 10 && when[10] == ' ') when[10] = 'T';
    Result<Timestamp> ts = ParseRfc3339(when);
    if (!ts.ok()) {
      int y, mo, d, h, mi, s = 0;
      char tail = 0;
      if (std::sscanf(when.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail) >= 6 && tail == 0) {
        ts = zone.ToTimestamp(y, mo, d, h, mi, s);
      }
    }
    if (!ts.ok()) {
      sink.Malformed(path, where, "bad last_changed", ts.status().message());
      continue;
    }
    nlohmann::json ev = {
        {"id", StableId("home-assistant", {entity, std::to_string(ts->utc_micros), state})},
        {"layer", "residential"},
        {"kind", "home.state"},
        {"time", FormatRfc3339(*ts)},
        {"data", {{"entity_id", entity}, {"state", state}, {"source", "home-assistant"}}},
    };
    Status st = sink.Emit(std::move(ev));
    if (!st.ok()) {
      std::free(buf);
      return st;
    }
  }
  std::free(buf);
  return Status::Ok();
}

}  // namespace hearth::ingest
