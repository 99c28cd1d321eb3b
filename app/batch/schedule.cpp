// SPDX-License-Identifier: MIT
#include "schedule.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <system_error>

#include "gradmap/formats.hpp"

namespace gradmap::cli {

namespace fs = std::filesystem;

std::size_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page)
                               : (std::size_t{4} << 30);
}

std::size_t estimate_before_reading(const BatchInput& in) {
  std::error_code ec;
  std::size_t bytes = 0;
  if (fs::is_directory(in.path, ec)) {
    for (fs::directory_iterator it(in.path, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec)) bytes += static_cast<std::size_t>(it->file_size(ec));
  } else {
    const auto size = fs::file_size(in.path, ec);
    bytes = ec ? 0 : static_cast<std::size_t>(size);
  }
  const FileFormat* f = format_of(in.path);
  const double expand = f ? f->expansion : 1;
  return static_cast<std::size_t>(static_cast<double>(bytes) * expand * 12);
}

SignalWatcher::SignalWatcher(Handler first, Handler again)
    : first_(std::move(first)), again_(std::move(again)) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  // Before any other thread exists (oneTBB's workers, the ticker): they inherit the mask, so the
  // signals stay pending for the signalfd instead of killing the process.
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
  signals_fd_ = ::signalfd(-1, &set_, SFD_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (signals_fd_ < 0 || wake_fd_ < 0) {
    const int e = errno;
    if (signals_fd_ >= 0) ::close(signals_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    throw std::system_error(e, std::generic_category(), "gradmap: cannot watch for SIGINT/SIGTERM");
  }
  thread_ = std::thread([this] {
    pollfd fds[2] = {{signals_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      signalfd_siginfo info;
      if (::read(signals_fd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
      const int s = static_cast<int>(info.ssi_signo);
      if (signo_.load() == 0) {
        signo_ = s;
        first_(s);
      } else {
        again_(s);
      }
    }
  });
}

SignalWatcher::~SignalWatcher() {
  const std::uint64_t one = 1;
  while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
  thread_.join();
  ::close(signals_fd_);
  ::close(wake_fd_);
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

void remove_own_temporaries(const std::set<std::string>& dirs) {
  const std::string mark = ".gradmap-tmp-" + std::to_string(::getpid()) + "-";
  for (const auto& d : dirs) {
    std::error_code ec;
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (!name.empty() && name[0] == '.' && name.find(mark) != std::string::npos) fs::remove(it->path(), ec);
    }
  }
}

}  // namespace gradmap::cli
