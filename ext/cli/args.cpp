#include "cli/args.hpp"

#include <charconv>

#include "cli/errors.hpp"

namespace lethe::cli {
namespace {

const OptionSpec* find_option(const std::vector<OptionSpec>& spec, std::string_view name) {
  for (const OptionSpec& option : spec) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

}  // namespace

Arguments::Arguments(std::string verb, const std::vector<std::string>& args,
                     const std::vector<OptionSpec>& spec)
    : verb_(std::move(verb)) {
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || arg.size() < 2 || arg[0] != '-') {
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (arg == "-h") {
      flags_.insert("help");
      continue;
    }
    if (arg.compare(0, 2, "--") != 0) {
      throw UsageError(verb_, "unknown option " + arg);
    }
    const std::size_t equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? equals : equals - 2);
    const OptionSpec* option = find_option(spec, name);
    if (option == nullptr) throw UsageError(verb_, "unknown option --" + name);
    if (!option->takes_value) {
      if (equals != std::string::npos) throw UsageError(verb_, "--" + name + " takes no value");
      flags_.insert(name);
      continue;
    }
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      throw UsageError(verb_, "--" + name + " needs a value");
    }
    if (!values_.emplace(name, value).second) {
      throw UsageError(verb_, "--" + name + " is given twice");
    }
  }
}

std::optional<std::string> Arguments::value(std::string_view name) const {
  const auto found = values_.find(name);
  if (found == values_.end()) return std::nullopt;
  return found->second;
}

std::optional<std::int64_t> Arguments::number(std::string_view name, std::int64_t minimum,
                                              std::int64_t maximum) const {
  const std::optional<std::string> text = value(name);
  if (!text) return std::nullopt;
  std::int64_t result = 0;
  const char* end = text->data() + text->size();
  const auto [stop, error] = std::from_chars(text->data(), end, result);
  if (error != std::errc() || stop != end || result < minimum || result > maximum) {
    throw UsageError(verb_, "--" + std::string(name) + " must be a whole number from " +
                                std::to_string(minimum) + " to " + std::to_string(maximum) +
                                ", not '" + *text + "'");
  }
  return result;
}

}  // namespace lethe::cli
