// The verbs of the `lethe` command, one function each: they take the
// arguments after the verb and return the exit status (errors.hpp); a Failure
// they throw is printed by main.
#pragma once

#include <string>
#include <vector>

namespace lethe::cli {

using Args = std::vector<std::string>;

int run_sync(const Args& args);    // sync.cpp
int run_search(const Args& args);  // search.cpp
int run_merge(const Args& args);   // merge.cpp
int run_sql(const Args& args);     // shell.cpp
int run_show(const Args& args);    // show.cpp
// daily, monthly, session, blocks (usage_reports.cpp).
int run_report(const std::string& verb, const Args& args);
int run_html_report(const Args& args);  // report: the HTML page (html_report.cpp)

}  // namespace lethe::cli
