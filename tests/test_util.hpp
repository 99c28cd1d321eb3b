// SPDX-License-Identifier: MIT
// Helpers shared by the tests: scratch directories, running the numpy oracle and the CLI.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

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

/// Runs `script` with the numpy oracle interpreter (it has cv2 and nibabel) after a preamble that
/// imports numpy as np, sys and os, sets `d` to `dir` and `rng` to a generator seeded with `seed`;
/// fails the test when the script fails.
inline void python_in(const std::string& script, const std::string& dir, int seed = 7) {
  const auto r = run_python("import numpy as np, sys, os\nd = sys.argv[1]\nrng = np.random.default_rng(" +
                                std::to_string(seed) + ")\n" + script,
                            shell_quote(dir));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

/// Saves the numpy expression `numpy_expr` (which may use `rng`, seeded with `seed`) as `path`.
inline void make_npy(const std::string& path, const std::string& numpy_expr, int seed = 5) {
  const auto r = run_python("import numpy as np, sys\nrng = np.random.default_rng(" + std::to_string(seed) +
                                ")\nnp.save(sys.argv[1], " + numpy_expr + ")\n",
                            shell_quote(path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

/// `n` random gray PNGs of h×w named img000.png ... in `dir` (created).
inline void make_pngs(const std::string& dir, int n, int h, int w, int seed = 7) {
  python_in("import cv2\nos.makedirs(d, exist_ok=True)\nfor i in range(" + std::to_string(n) +
                "):\n    cv2.imwrite(f'{d}/img{i:03d}.png', (rng.random((" + std::to_string(h) + ", " +
                std::to_string(w) + ")) * 255).astype(np.uint8))\n",
            dir, seed);
}

}  // namespace gradmap_test
