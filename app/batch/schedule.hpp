// SPDX-License-Identifier: MIT
// How `gradmap batch` runs files side by side: a memory budget across the files in flight, signal
// handling in a normal thread, and the clean-up of this process's temporaries.
#pragma once

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "discover.hpp"

namespace gradmap::cli {

/// A counting semaphore on estimated bytes across the files in flight.
class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t limit) : limit_(limit) {}

  /// Waits until `bytes` fit, or nothing else is in flight (a single file larger than the budget
  /// still runs, alone: the reader's own --max-memory check decides whether it may).
  void acquire(std::size_t bytes) {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return used_ == 0 || used_ + bytes <= limit_; });
    used_ += bytes;
  }
  /// Replaces a reservation by the real figure once the file is read. Never waits: a file that
  /// already holds its pixels must be able to finish, or two growing files could wait on each
  /// other forever. New files wait while the budget is overdrawn.
  void resize(std::size_t& held, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(m_);
    used_ = used_ - held + bytes;
    held = bytes;
    cv_.notify_all();
  }
  void release(std::size_t held) {
    std::lock_guard<std::mutex> lock(m_);
    used_ -= held;
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  const std::size_t limit_;
  std::size_t used_ = 0;
};

/// Physical memory in bytes (4 GiB when unknown).
std::size_t physical_memory();

/// Bytes a file needs before it is read, from its size on disk: compressed formats expand, and the
/// float results are several times the pixels. Corrected by MemoryBudget::resize after reading.
std::size_t estimate_before_reading(const BatchInput& in);

// ---------------------------------------------------------------------------------------------
// Signals: SIGINT/SIGTERM are blocked in every thread and taken by one watcher thread, so the
// handling runs in normal code (locks, allocation) instead of an async-signal handler.

class SignalWatcher {
 public:
  using Handler = std::function<void(int)>;
  SignalWatcher(Handler first, Handler again);
  /// Returns at once: the watcher sleeps in poll() on the signals and on a wake-up descriptor, so
  /// ending a run never waits for a timeout (a 100 ms one cost every CLI run 0-100 ms).
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  int signal() const { return signo_.load(); }

 private:
  Handler first_, again_;
  sigset_t set_{}, old_{};
  int signals_fd_ = -1, wake_fd_ = -1;
  std::atomic<int> signo_{0};
  std::thread thread_;
};

/// Removes this process's write_atomically temporaries (".<stem>.gradmap-tmp-<pid>-...") from
/// `dirs`. Other processes' temporaries are left alone: shards may share an output directory.
void remove_own_temporaries(const std::set<std::string>& dirs);

}  // namespace gradmap::cli
