#pragma once

namespace lethe {
inline constexpr const char* kVersion = "1.0.0";
// STRICT tables (sql/schema.sql) need SQLite 3.37.0.
inline constexpr int kMinimumSqliteVersion = 3037000;
inline constexpr const char* kMinimumSqliteVersionText = "3.37.0";
}  // namespace lethe
