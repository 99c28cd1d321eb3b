// SPDX-License-Identifier: MIT
// `gradmap batch` input discovery: which files of a folder are inputs, in a stable order, and which
// of them a shard processes. Kept apart from the runner so the rules are testable by reading them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace gradmap::cli {

/// One input: a file, or a directory holding one DICOM series.
struct BatchInput {
  std::string path;  ///< as opened (INDIR joined with rel)
  std::string rel;   ///< relative to INDIR, '/'-separated; the sort key and the glob subject
};

/// A directory that could not be listed, a symlink loop, ...: reported, not fatal.
struct DiscoveryProblem {
  std::string path;
  std::string reason;
  /// Inputs may have been missed (an unreadable directory): counts as a failure. A symlink loop
  /// loses nothing (the directory was visited once) and is only a warning.
  bool missed_inputs = true;
};

struct DiscoverOptions {
  bool recursive = false;
  std::vector<std::string> include;  ///< fnmatch patterns on rel; empty: everything
  std::vector<std::string> exclude;  ///< fnmatch patterns on rel (also prune directories)
  std::string skip_dir;              ///< a directory never entered (the output directory)
};

struct Discovery {
  std::vector<BatchInput> inputs;  ///< sorted by rel (byte order)
  std::vector<DiscoveryProblem> problems;
  std::size_t ignored = 0;  ///< files that are not supported inputs or were filtered out
};

/// Finds the supported inputs in `indir`: files gradmap::is_supported_input accepts, and
/// directories that hold DICOM files (one volume each; not descended into). Hidden entries (names
/// starting with '.') are skipped, among them gradmap's own temporaries. Subfolders only with
/// options.recursive. Symlinks are followed: a linked file is an input under the link's name (a
/// dangling one is an input that fails to read); a linked folder is searched after every real
/// folder, and only if it was not searched already, so a loop or a second path to a folder is a
/// warning (DiscoveryProblem::missed_inputs false), never a hang or a duplicate.
Discovery discover(const std::string& indir, const DiscoverOptions& options);

/// fnmatch(3) without FNM_PATHNAME: '*' also matches '/', so "*.png" selects PNGs at any depth.
bool glob_match(const std::string& pattern, const std::string& rel);

/// Parses "I/N" (0 <= I < N); throws InvalidArgument otherwise.
std::pair<std::size_t, std::size_t> parse_shard(const std::string& text);

/// The inputs of shard I of N: those whose index in the sorted list is I modulo N, so shards are
/// disjoint, cover everything, and do not change when nothing in the folder changes.
std::vector<BatchInput> shard_of(const std::vector<BatchInput>& all, std::size_t index, std::size_t count);

}  // namespace gradmap::cli
