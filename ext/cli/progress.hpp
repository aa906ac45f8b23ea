// A line on the terminal that says a long run is still going. When stderr is
// a terminal and the run takes more than a second, "<label> 3s, 12 files"
// is written there every second (\r, on one line) and cleared when the run
// ends. Nothing at all otherwise (cron, a pipe, a log file).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace lethe::cli {

class Progress {
 public:
  Progress(std::string label, std::string unit);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  Progress(Progress&&) = delete;
  Progress& operator=(Progress&&) = delete;

  // How many <unit> are done so far (shown when more than 0).
  void set_count(std::int64_t count) noexcept { count_.store(count, std::memory_order_relaxed); }
  // Stops and clears the line; the destructor does it too.
  void stop() noexcept;

 private:
  void run() noexcept;
  void show_until_stopped();

  std::string label_;
  std::string unit_;
  std::atomic<std::int64_t> count_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lethe::cli
