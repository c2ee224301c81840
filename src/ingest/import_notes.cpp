// A folder of Markdown notes -> text-layer note events.
//
// The time is the front-matter `date:` (RFC 3339, or "YYYY-MM-DD[ HH:MM[:SS]]"
// read in --tz), else the file's modification time. The id covers the
// relative path and the content, so an edited note becomes a new event and
// an unchanged one is never stored twice.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "common/paths.h"
#include "ingest/importer.h"

namespace hearth::ingest {
namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\"'");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\"'");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

Status ImportNotes(const std::string& path, const ImportOptions& options, ImportSink& sink) {
  HEARTH_ASSIGN_OR_RETURN(LocalZone zone, LocalZone::Open(options.tz));
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return Status::InvalidArgument(fmt::format("{}: not a directory", path));
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    if (it->is_regular_file() && (it->path().extension() == ".md" || it->path().extension() == ".markdown")) {
      files.push_back(it->path());
    }
  }
  if (ec) return Status::IoError(fmt::format("cannot list {}: {}", path, ec.message()));
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    const std::string rel = std::filesystem::relative(file, path, ec).string();
    auto content = ReadFileToString(file.string());
    if (!content.ok()) {
      sink.Malformed(file.string(), "file", "unreadable", content.status().message());
      continue;
    }
    std::string body = *content;
    std::string date;
    int64_t date_line = 0;
    if (body.rfind("---\n", 0) == 0 || body.rfind("---\r\n", 0) == 0) {
      size_t end = body.find("\n---", 3);
      if (end == std::string::npos) {
        sink.Malformed(file.string(), "line 1", "unterminated front matter");
        continue;
      }
      std::string_view fm(body.data(), end);
      int64_t line_no = 1;
      for (size_t pos = fm.find('\n'); pos != std::string_view::npos; ) {
        size_t next = fm.find('\n', pos + 1);
        std::string_view l = fm.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
        ++line_no;
        if (l.rfind("date:", 0) == 0) {
          date = Trim(l.substr(5));
          date_line = line_no;
        }
        pos = next;
      }
      size_t after = body.find('\n', end + 4);
      body = after == std::string::npos ? "" : body.substr(after + 1);
    }
    Result<Timestamp> ts = Status::Internal("unset");
    if (!date.empty()) {
      std::string d = date;
      if (d.size() > 10 && d[10] == ' ') d[10] = 'T';
      ts = ParseRfc3339(d);
      if (!ts.ok()) {
        int y, mo, dd, h = 0, mi = 0, s = 0;
        char tail = 0;
        int n = std::sscanf(d.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &dd, &h, &mi, &s, &tail);
        if (n == 3 && d.size() == 10) ts = zone.ToTimestamp(y, mo, dd, 0, 0, 0);
        else if ((n == 5 || n == 6) && tail == 0) ts = zone.ToTimestamp(y, mo, dd, h, mi, n == 6 ? s : 0);
      }
      if (!ts.ok()) {
        sink.Malformed(file.string(), fmt::format("line {}", date_line), "bad front-matter date", date);
        continue;
      }
    } else {
      struct stat st;
      if (::stat(file.c_str(), &st) != 0) {
        sink.Malformed(file.string(), "file", "cannot stat");
        continue;
      }
      time_t secs = st.st_mtim.tv_sec;
      (void)zone.ToTimestamp(2000, 1, 1, 0, 0, 0);  // selects the zone for localtime_r
      std::tm local{};
      localtime_r(&secs, &local);
      ts = zone.ToTimestamp(local.tm_year + 1900, local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min,
                            local.tm_sec);
      if (ts.ok()) ts->utc_micros = static_cast<int64_t>(secs) * 1000000 + st.st_mtim.tv_nsec / 1000;
      else ts = Timestamp{static_cast<int64_t>(secs) * 1000000, 0};
    }
    std::string title = file.stem().string();
    if (body.rfind("# ", 0) == 0) title = Trim(std::string_view(body).substr(2, body.find('\n') - 2));
    nlohmann::json ev = {
        {"id", StableId("note", {rel, *content})},
        {"layer", "text"},
        {"kind", "note"},
        {"time", FormatRfc3339(*ts)},
        {"text", body},
        {"data", {{"path", rel}, {"title", title}, {"source", "notes"}}},
    };
    HEARTH_RETURN_IF_ERROR(sink.Emit(std::move(ev)));
  }
  return Status::Ok();
}

}  // namespace hearth::ingest
