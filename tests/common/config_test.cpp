#include "common/config.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(ConfigTest, FileValuesAreFlattened) {
  auto cfg = Config::Parse("[data]\nlisten = \"127.0.0.1:9000\"\nmax_batch = 50\n", "test.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->GetOr("data.listen", ""), "127.0.0.1:9000");
  EXPECT_EQ(cfg->GetOr("data.max_batch", ""), "50");
  EXPECT_FALSE(cfg->Get("data.missing").has_value());
}

TEST(ConfigTest, EnvironmentBeatsFileAndFlagsBeatEnvironment) {
  auto cfg = Config::Parse("[data]\nlisten = \"file\"\n", "test.toml");
  ASSERT_TRUE(cfg.ok());
  ::setenv("HEARTH_DATA_LISTEN", "env", 1);
  EXPECT_EQ(cfg->GetOr("data.listen", ""), "env");
  cfg->Set("data.listen", "flag");
  EXPECT_EQ(cfg->GetOr("data.listen", ""), "flag");
  ::unsetenv("HEARTH_DATA_LISTEN");
}

TEST(ConfigTest, SyntaxErrorNamesFileAndLine) {
  auto cfg = Config::Parse("[data]\nlisten = = 3\n", "bad.toml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("bad.toml:2"), std::string::npos) << cfg.status().message();
}

TEST(ConfigTest, MissingExplicitFileIsAnError) {
  auto cfg = Config::Load("/nonexistent/hearth.toml");
  EXPECT_FALSE(cfg.ok());
}

TEST(ConfigTest, EnvNameMapping) { EXPECT_EQ(Config::EnvName("engine.mem_budget"), "HEARTH_ENGINE_MEM_BUDGET"); }

}  // namespace
}  // namespace hearth
