// A plain text table for a terminal: a header, rows, columns two spaces
// apart, numbers right-aligned. And the number formats the reports use.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace lethe::cli {

class Table {
 public:
  // `right[i]`: column i is right-aligned (numbers).
  Table(std::vector<std::string> header, std::vector<bool> right);
  void add(std::vector<std::string> row);
  // A line under the rows, before the next ones (a total).
  void add_rule();
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;  // an empty row is a rule
};

// 1234567 -> "1,234,567".
std::string grouped(std::int64_t value);
// 1.5 -> "$1.50" (below a cent: "$0.0042").
std::string dollars(double value);

}  // namespace lethe::cli
