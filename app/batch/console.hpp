// SPDX-License-Identifier: MIT
// `gradmap batch`'s terminal output: one mutex, whole lines; on a terminal a progress bar redrawn
// on one line.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>

#include "job.hpp"

namespace gradmap::cli {

inline std::string fmt_seconds(double s) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(s < 10 ? 2 : 1) << s << " s";
  return o.str();
}

inline std::string fmt_duration(double s) {
  if (!(s >= 0) || s > 1e7) return "--:--";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

class Console {
  using Clock = std::chrono::steady_clock;

 public:
  Console(bool quiet, std::size_t total) : quiet_(quiet), tty_(::isatty(STDERR_FILENO) == 1), total_(total) {}

  bool tty() const { return tty_; }

  /// A file finished: a line per file on a non-terminal (unless --quiet); errors always.
  void file_done(const Job& j) {
    std::lock_guard<std::mutex> lock(m_);
    ++done_;
    if (j.status == JobStatus::failed) ++failed_;
    if (j.status == JobStatus::ok) ++processed_;
    clear_bar();
    if (!quiet_ && !tty_) {
      std::cout << "[" << done_ << "/" << total_ << "] " << std::left << std::setw(7) << status_name(j.status)
                << " " << j.in.rel;
      if (j.status == JobStatus::ok) std::cout << " (" << fmt_seconds(j.seconds) << ")";
      std::cout << "\n" << std::flush;
    }
    if (j.status == JobStatus::failed)
      std::cerr << "gradmap: error: " << j.outcome.reason << "\n" << std::flush;
    draw_bar();
  }

  void error(const std::string& text) { print(std::cerr, "gradmap: error: " + text); }
  void warning(const std::string& text) { print(std::cerr, "gradmap: warning: " + text); }
  void notice(const std::string& text) { print(std::cerr, "gradmap: " + text); }
  void out(const std::string& text) { print(std::cout, text); }

  void redraw() {
    std::lock_guard<std::mutex> lock(m_);
    clear_bar();
    draw_bar();
  }
  void end_bar() {
    std::lock_guard<std::mutex> lock(m_);
    clear_bar();
    bar_enabled_ = false;
  }
  void start_bar() {
    std::lock_guard<std::mutex> lock(m_);
    start_ = Clock::now();
    bar_enabled_ = tty_ && !quiet_;
    draw_bar();
  }

 private:
  void print(std::ostream& s, const std::string& line) {
    std::lock_guard<std::mutex> lock(m_);
    clear_bar();
    s << line << "\n" << std::flush;
    draw_bar();
  }
  void clear_bar() {
    if (bar_drawn_) std::cerr << "\r\033[K" << std::flush;
    bar_drawn_ = false;
  }
  void draw_bar() {
    if (!bar_enabled_) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : -1;
    constexpr int kWidth = 28;
    const int filled = total_ ? static_cast<int>(kWidth * done_ / total_) : kWidth;
    std::ostringstream b;
    b << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
      << std::string(static_cast<std::size_t>(kWidth - filled), '.') << "] " << done_ << "/" << total_ << "  "
      << std::fixed << std::setprecision(1) << rate << " img/s  ETA " << fmt_duration(eta) << "  failed "
      << failed_;
    std::cerr << b.str() << std::flush;
    bar_drawn_ = true;
  }

  std::mutex m_;
  const bool quiet_, tty_;
  const std::size_t total_;
  std::size_t done_ = 0, failed_ = 0, processed_ = 0;
  bool bar_enabled_ = false, bar_drawn_ = false;
  Clock::time_point start_ = Clock::now();
};

}  // namespace gradmap::cli
