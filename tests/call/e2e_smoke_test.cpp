#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

using namespace lethe_test;

TEST(Smoke, IngestsOneLineAndRejectsOne) {
  Db db;
  db.apply_schema();
  Ingest r = ingest(db, "alice", line() + "\nnot json\n");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 2);
  EXPECT_EQ(r.rejects[0].code, "INVALID_JSON");
  EXPECT_EQ(db.count("SELECT count(*) FROM turns WHERE owner='alice'"), 1);
}
