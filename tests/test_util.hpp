// SPDX-License-Identifier: MIT
// Helpers shared by the tests: scratch directories, running the numpy oracle and the CLI.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace gradmap_test {

namespace fs = std::filesystem;

/// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gradmap-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

/// Runs a shell command line, capturing stdout and stderr.
inline CommandResult run_command(const std::string& cmdline) {
  TempDir tmp;
  std::string out = tmp / "out.txt", err = tmp / "err.txt";
  std::string full = cmdline + " >" + out + " 2>" + err + " </dev/null";
  int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  };
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

/// Single-quotes a string for /bin/sh.
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs a Python script (text) with the numpy oracle interpreter; extra args follow the script.
inline CommandResult run_python(const std::string& script, const std::string& args = "") {
  TempDir tmp;
  std::string path = tmp / "script.py";
  std::ofstream(path) << script;
  return run_command(std::string(GRADMAP_PYTHON) + " " + path + " " + args);
}

#ifdef GRADMAP_CLI
/// Runs the gradmap CLI with the given (already quoted) arguments.
inline CommandResult run_cli(const std::string& args) {
  return run_command(std::string(GRADMAP_CLI) + " " + args);
}
#endif

inline std::string source_path(const std::string& rel) { return std::string(GRADMAP_SOURCE_DIR) + "/" + rel; }

}  // namespace gradmap_test
