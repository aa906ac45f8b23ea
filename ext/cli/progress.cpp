#include "cli/progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <system_error>

namespace lethe::cli {

Progress::Progress(std::string label, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)) {
  if (::isatty(STDERR_FILENO) == 0) return;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error&) {
    // No thread, no progress line: the run itself does not need one.
  }
}

Progress::~Progress() { stop(); }

void Progress::stop() noexcept {
  if (!thread_.joinable()) return;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Progress::run() noexcept {
  try {
    show_until_stopped();
  } catch (...) {
    // Out of memory for a line of text: stop showing it.
  }
}

void Progress::show_until_stopped() {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  bool shown = false;
  std::unique_lock<std::mutex> lock(mutex_);
  for (int second = 1;; ++second) {
    if (wake_.wait_until(lock, start + std::chrono::seconds(second),
                         [this] { return stopping_; })) {
      break;
    }
    const std::int64_t count = count_.load(std::memory_order_relaxed);
    std::string line = "\r\033[K" + label_ + " " + std::to_string(second) + "s";
    if (count > 0) line += ", " + std::to_string(count) + " " + unit_;
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    shown = true;
  }
  if (shown) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

}  // namespace lethe::cli
