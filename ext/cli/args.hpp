// The arguments of one verb: --name VALUE (or --name=VALUE), --flag, and
// positional arguments; `--` ends the options. Unknown options and missing
// values are UsageErrors that name the verb.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace lethe::cli {

struct OptionSpec {
  std::string_view name;  // without the dashes
  bool takes_value;
};

class Arguments {
 public:
  Arguments(std::string verb, const std::vector<std::string>& args,
            const std::vector<OptionSpec>& spec);

  bool flag(std::string_view name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(std::string_view name) const;
  // A value that must be a whole number in [minimum, maximum].
  std::optional<std::int64_t> number(std::string_view name, std::int64_t minimum,
                                     std::int64_t maximum) const;
  const std::vector<std::string>& positional() const { return positional_; }
  const std::string& verb() const { return verb_; }

 private:
  std::string verb_;
  std::map<std::string, std::string, std::less<>> values_;
  std::set<std::string, std::less<>> flags_;
  std::vector<std::string> positional_;
};

}  // namespace lethe::cli
