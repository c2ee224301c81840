// Each importer, run as the real `hearth import` process against a real data
// node, checked event by event; then imported again: nothing doubled.
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "ingest/support/ingest_node.h"

namespace hearth::ingest {
namespace {

using ingest_testing::CommandResult;
using ingest_testing::Node;
using ingest_testing::RunHearth;
using ingest_testing::TempDir;

const std::string kData = std::string(HEARTH_SOURCE_DIR) + "/tests/ingest/testdata/";

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<Node>(tmp_.Sub("node"));
    std::string error;
    ASSERT_TRUE(node_->Start(&error)) << error;
  }
  CommandResult Import(const std::string& kind, const std::string& path, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--log-level", "warn", "import", kind, path, "--data", node_->url(),
                                     "--token", node_->token(), "--spool", tmp_.Sub("spool"), "--no-progress"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunHearth(args, {{"TZ", "UTC"}});
  }
  // Imports twice; the second run must store nothing new.
  std::vector<nlohmann::json> ImportTwice(const std::string& kind, const std::string& path,
                                          std::vector<std::string> extra, CommandResult* first) {
    *first = Import(kind, path, extra);
    EXPECT_EQ(first->exit_code, 0) << first->err;
    auto events = node_->Events();
    CommandResult again = Import(kind, path, extra);
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find(" 0 new, " + std::to_string(events.size()) + " duplicates"), std::string::npos)
        << again.err;
    EXPECT_EQ(node_->Events().size(), events.size());
    return events;
  }
  TempDir tmp_;
  std::unique_ptr<Node> node_;
};

TEST_F(ImportTest, GpxPointsWithOffsetsDstAndCorruptPoints) {
  CommandResult r;
  auto ev = ImportTwice("gpx", kData + "track.gpx", {}, &r);
  ASSERT_EQ(ev.size(), 4u) << r.err;
  EXPECT_EQ(ev[0]["layer"], "environmental");
  EXPECT_EQ(ev[0]["kind"], "gps.fix");
  EXPECT_EQ(ev[0]["time"], "2021-03-28T00:59:30Z");
  EXPECT_DOUBLE_EQ(ev[0]["geo"]["lat"].get<double>(), 48.8566);
  EXPECT_DOUBLE_EQ(ev[0]["data"]["ele"].get<double>(), 35.2);
  // After the DST change, the writer's +02:00 offset is kept.
  EXPECT_EQ(ev[1]["time"], "2021-03-28T03:00:10+02:00");
  EXPECT_EQ(ev[2]["time"], "2021-03-28T01:01:00.250000Z");
  // No offset: UTC, as the GPX standard says.
  EXPECT_EQ(ev[3]["time"], "2021-03-28T01:03:00Z");
  EXPECT_NE(r.err.find("track.gpx:line 15: bad latitude"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("track.gpx:line 16: missing time"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("track.gpx:line 18: bad time"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("track.gpx:line 19: missing lat/lon"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("track.gpx:line 22: missing time"), std::string::npos) << r.err;  // the <wpt/>
  EXPECT_NE(r.err.find("4 new, 0 duplicates; 5 skipped"), std::string::npos) << r.err;
}

TEST_F(ImportTest, GpxBrokenXmlIsReportedWithItsLineAndKeepsWhatCameBefore) {
  const std::string path = tmp_.Sub("broken.gpx");
  std::ofstream(path) << "<gpx>\n<trk><trkseg>\n<trkpt lat=\"1\" lon=\"2\"><time>2020-01-01T00:00:00Z</time></trkpt>\n"
                         "<trkpt lat=\"1\" lon=\"2\"><time>2020-01-01T00:00:01Z</trkpt>\n";
  CommandResult r = Import("gpx", path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 4: end tag </trkpt> does not match <time>"), std::string::npos) << r.err;
  EXPECT_EQ(node_->Events().size(), 1u);
}

TEST_F(ImportTest, WhatsAppUsFormatMultilineEmojiAndDst) {
  CommandResult r;
  auto ev = ImportTwice("whatsapp", kData + "WhatsApp Chat with Mina.txt", {"--tz", "America/New_York"}, &r);
  ASSERT_EQ(ev.size(), 7u) << r.err;
  EXPECT_EQ(ev[0]["kind"], "chat.system");
  EXPECT_EQ(ev[0]["time"], "2021-12-31T23:58:00-05:00");
  EXPECT_EQ(ev[1]["kind"], "chat.message");
  EXPECT_EQ(ev[1]["layer"], "text");
  EXPECT_EQ(ev[1]["data"]["sender"], "Mina");
  EXPECT_EQ(ev[1]["data"]["chat"], "Mina");
  EXPECT_EQ(ev[1]["text"], "Happy new year almost! \xF0\x9F\x8E\x89");
  EXPECT_EQ(ev[2]["data"]["sender"], "Sam");
  EXPECT_EQ(ev[2]["text"], "see you at\nthe bridge\n\nbring \xF0\x9F\xA5\x82");
  EXPECT_EQ(ev[3]["time"], "2022-01-01T00:00:00-05:00");
  // Two identical messages in the same minute are two events.
  EXPECT_EQ(ev[4]["text"], "ok");
  EXPECT_NE(ev[3]["id"], ev[4]["id"]);
  EXPECT_EQ(ev[5]["time"], "2022-01-13T09:05:00-05:00");
  // 01:30 happens twice on 2022-11-06: the first (daylight) one.
  EXPECT_EQ(ev[6]["time"], "2022-11-06T01:30:00-04:00");
  EXPECT_NE(r.err.find(":line 10: bad date or time"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":line 11: bad date or time"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("does not exist in time zone America/New_York"), std::string::npos) << r.err;
}

TEST_F(ImportTest, WhatsAppIosFormatDayFirst) {
  CommandResult r;
  auto ev = ImportTwice("whatsapp", kData + "ios_chat.txt", {"--tz", "Europe/Berlin"}, &r);
  ASSERT_EQ(ev.size(), 3u) << r.err;
  EXPECT_EQ(ev[0]["time"], "2021-12-31T23:59:59+01:00");
  EXPECT_EQ(ev[0]["data"]["sender"], "Mina");
  EXPECT_EQ(ev[1]["text"], "Danke!\nZweite Zeile");
  EXPECT_EQ(ev[2]["time"], "2022-01-02T10:00:00+01:00");
}

TEST_F(ImportTest, WhatsAppAmbiguousOrderNeedsDateOrderAndBadZoneIsRefused) {
  const std::string path = tmp_.Sub("chat.txt");
  std::ofstream(path) << "1/2/22, 10:00 - A: hi\n";
  CommandResult r = Import("whatsapp", path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("pass --date-order dmy or mdy"), std::string::npos) << r.err;
  r = Import("whatsapp", path, {"--date-order", "dmy", "--tz", "Mars/Olympus"});
  EXPECT_NE(r.err.find("unknown time zone 'Mars/Olympus'"), std::string::npos) << r.err;
  r = Import("whatsapp", path, {"--date-order", "dmy", "--tz", "UTC"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ev = node_->Events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["time"], "2022-02-01T10:00:00Z");
}

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
}

TEST_F(ImportTest, ChromeHistoryWebKitEpoch) {
  const std::string path = tmp_.Sub("History");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  Exec(db, "CREATE TABLE urls(id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR, visit_count INTEGER);"
           "CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER, visit_time INTEGER, from_visit INTEGER);"
           "INSERT INTO urls VALUES(1,'https://example.org/caf\xC3\xA9','Caf\xC3\xA9 \xF0\x9F\x98\x80',2);"
           "INSERT INTO urls VALUES(2,'https://news.example/','',1);"
           // 2021-03-28T01:30:00Z = 1616895000 s after 1970 = +11644473600 s after 1601.
           "INSERT INTO visits VALUES(1,1,13261368600000000,0);"
           "INSERT INTO visits VALUES(2,2,13261368600500000,0);"
           "INSERT INTO visits VALUES(3,1,0,0);");
  sqlite3_close(db);
  CommandResult r;
  auto ev = ImportTwice("chrome", path, {}, &r);
  ASSERT_EQ(ev.size(), 2u) << r.err;
  EXPECT_EQ(ev[0]["layer"], "behavioral");
  EXPECT_EQ(ev[0]["kind"], "browser.visit");
  EXPECT_EQ(ev[0]["time"], "2021-03-28T01:30:00Z");
  EXPECT_EQ(ev[0]["data"]["url"], "https://example.org/caf\xC3\xA9");
  EXPECT_EQ(ev[0]["data"]["title"], "Caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(ev[1]["time"], "2021-03-28T01:30:00.500000Z");
  EXPECT_NE(r.err.find(":visit id 3: bad visit time"), std::string::npos) << r.err;
}

TEST_F(ImportTest, FirefoxPlacesPrTime) {
  const std::string path = tmp_.Sub("places.sqlite");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  Exec(db, "PRAGMA journal_mode=WAL;"
           "CREATE TABLE moz_places(id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR);"
           "CREATE TABLE moz_historyvisits(id INTEGER PRIMARY KEY, from_visit INTEGER, place_id INTEGER,"
           " visit_date INTEGER, visit_type INTEGER);"
           "INSERT INTO moz_places VALUES(1,'https://mozilla.org/','Mozilla');"
           "INSERT INTO moz_historyvisits VALUES(1,0,1,1616895000000000,1);"
           "INSERT INTO moz_historyvisits VALUES(2,0,1,1616898600000001,1);");
  // Left open: the visits live in the -wal file, as with a running browser.
  CommandResult r;
  auto ev = ImportTwice("firefox", path, {}, &r);
  sqlite3_close(db);
  ASSERT_EQ(ev.size(), 2u) << r.err;
  EXPECT_EQ(ev[0]["time"], "2021-03-28T01:30:00Z");
  EXPECT_EQ(ev[1]["time"], "2021-03-28T02:30:00.000001Z");
  EXPECT_EQ(ev[1]["data"]["browser"], "firefox");
}

TEST_F(ImportTest, HomeAssistantCsv) {
  CommandResult r;
  auto ev = ImportTwice("home-assistant", kData + "ha_history.csv", {"--tz", "Europe/Paris"}, &r);
  ASSERT_EQ(ev.size(), 5u) << r.err;
  EXPECT_EQ(ev[0]["layer"], "residential");
  EXPECT_EQ(ev[0]["kind"], "home.state");
  EXPECT_EQ(ev[0]["data"]["entity_id"], "light.kitchen");
  EXPECT_EQ(ev[0]["data"]["state"], "on");
  EXPECT_EQ(ev[0]["time"], "2023-03-26T00:59:59Z");
  EXPECT_EQ(ev[2]["time"], "2023-03-26T01:30:00Z");
  EXPECT_EQ(ev[3]["data"]["entity_id"], "sensor.front_door \"main\"");
  // No offset: read in --tz, after the 02:00 change Paris is +02:00.
  EXPECT_EQ(ev[4]["time"], "2023-03-26T03:00:00+02:00");
  EXPECT_NE(r.err.find("ha_history.csv:line 6: too few columns"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ha_history.csv:line 7: bad last_changed"), std::string::npos) << r.err;
}

TEST_F(ImportTest, TakeoutRecordsJson) {
  CommandResult r;
  auto ev = ImportTwice("takeout-location", kData + "Records.json", {}, &r);
  ASSERT_EQ(ev.size(), 3u) << r.err;
  EXPECT_EQ(ev[0]["time"], "2022-03-27T00:59:00.123000Z");
  EXPECT_DOUBLE_EQ(ev[0]["geo"]["lat"].get<double>(), 48.8566);
  EXPECT_DOUBLE_EQ(ev[0]["geo"]["acc"].get<double>(), 12);
  EXPECT_EQ(ev[1]["time"], "2022-03-27T02:01:00Z");  // timestampMs 1648346460000
  EXPECT_EQ(ev[2]["time"], "2022-03-27T03:03:00+02:00");
  EXPECT_NE(r.err.find("Records.json:record 2: missing latitudeE7/longitudeE7"), std::string::npos) << r.err;
}

TEST_F(ImportTest, TakeoutTruncatedJsonNamesTheByte) {
  const std::string path = tmp_.Sub("Records.json");
  std::ofstream(path) << R"({"locations": [{"latitudeE7": 1, "longitudeE7": 2, "timestamp": "2022-01-01T00:00:00Z"}, {"lat)";
  CommandResult r = Import("takeout-location", path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("byte "), std::string::npos) << r.err;
  EXPECT_EQ(node_->Events().size(), 1u);
}

TEST_F(ImportTest, MarkdownNotesFrontMatterOrMtime) {
  const std::string dir = tmp_.Sub("notes");
  std::filesystem::create_directories(dir + "/sub");
  std::ofstream(dir + "/a.md") << "---\ntitle: x\ndate: 2021-10-31 02:30\n---\n# Halloween\nPumpkins \xF0\x9F\x8E\x83\n";
  std::ofstream(dir + "/sub/b.md") << "plain note\n";
  std::ofstream(dir + "/bad.md") << "---\ndate: yesterday\n---\nbody\n";
  std::ofstream(dir + "/skip.txt") << "not markdown";
  struct timespec times[2] = {{1600000000, 0}, {1600000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (dir + "/sub/b.md").c_str(), times, 0), 0);
  CommandResult r;
  auto ev = ImportTwice("notes", dir, {"--tz", "Europe/Paris"}, &r);
  ASSERT_EQ(ev.size(), 2u) << r.err;
  EXPECT_EQ(ev[0]["kind"], "note");
  // 02:30 happens twice on 2021-10-31 in Paris: the first (daylight) one.
  EXPECT_EQ(ev[0]["time"], "2021-10-31T02:30:00+02:00");
  EXPECT_EQ(ev[0]["data"]["title"], "Halloween");
  EXPECT_EQ(ev[0]["text"], "# Halloween\nPumpkins \xF0\x9F\x8E\x83\n");
  EXPECT_EQ(ev[1]["data"]["path"], "sub/b.md");
  EXPECT_EQ(ev[1]["time"], "2020-09-13T14:26:40+02:00");
  EXPECT_NE(r.err.find("bad.md:line 2: bad front-matter date"), std::string::npos) << r.err;
}

TEST_F(ImportTest, UnknownKindAndUnreachableNodeKeepTheQueue) {
  CommandResult r = Import("polaroid", kData + "track.gpx");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown kind 'polaroid'"), std::string::npos);
  node_->Stop(SIGKILL);
  r = Import("gpx", kData + "track.gpx", {"--patience", "0"});
  EXPECT_EQ(r.exit_code, 75) << r.err;
  EXPECT_NE(r.err.find("stay queued"), std::string::npos) << r.err;
  std::string error;
  ASSERT_TRUE(node_->Start(&error)) << error;
  // The next import (of anything) sends the queued batch first.
  r = Import("home-assistant", kData + "ha_history.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(node_->Events().size(), 4u + 5u);
}

}  // namespace
}  // namespace hearth::ingest
