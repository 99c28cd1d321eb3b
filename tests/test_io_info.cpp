// SPDX-License-Identifier: MIT
// `gradmap info` end to end on the committed samples.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "test_util.hpp"

namespace {

using gradmap_test::shell_quote;
using gradmap_test::source_path;
using gradmap_test::TempDir;

#if defined(GRADMAP_CLI) && defined(GRADMAP_HAVE_ITK) && defined(GRADMAP_HAVE_OPENCV)

TEST(InfoCli, JsonDescribesVolumeAndRasterInNumpyOrder) {
  auto r =
      gradmap_test::run_cli("info --json " + shell_quote(source_path("sample_images/head_phantom.nrrd")) +
                            " " + shell_quote(source_path("sample_images/raccoon_color.jpg")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  const auto& v = j[0];
  EXPECT_EQ(v["format"], "nrrd");
  EXPECT_EQ(v["shape"], (std::vector<long>{32, 64, 64}));
  EXPECT_EQ(v["shape_xyz"], (std::vector<long>{64, 64, 32}));
  EXPECT_EQ(v["axes"], (std::vector<std::string>{"z", "y", "x"}));
  EXPECT_EQ(v["dtype"], "int16");
  EXPECT_EQ(v["unit"], "mm");
  EXPECT_NEAR(v["spacing"][0].get<double>(), 2.5, 1e-12);
  EXPECT_NEAR(v["spacing"][1].get<double>(), 0.8, 1e-12);
  EXPECT_NEAR(v["spacing"][2].get<double>(), 0.7, 1e-12);
  EXPECT_NEAR(v["origin"][0].get<double>(), -12.0, 1e-12);
  EXPECT_EQ(v["direction"].size(), 3u);
  // The phantom is air (-1000 HU) around a skull (900 HU), with Gaussian noise of σ = 4.
  EXPECT_LT(v["min"].get<double>(), -980);
  EXPECT_GT(v["max"].get<double>(), 880);
  const auto& c = j[1];
  EXPECT_EQ(c["format"], "jpeg");
  EXPECT_EQ(c["shape"], (std::vector<long>{3, 384, 512}));
  EXPECT_EQ(c["axes"], (std::vector<std::string>{"c", "y", "x"}));
  EXPECT_EQ(c["dtype"], "uint8");
  EXPECT_EQ(c["series_axes"], 1);
  EXPECT_EQ(c["unit"], "px");
}

TEST(InfoCli, TextShowsBothAxisOrders) {
  auto r = gradmap_test::run_cli("info " + shell_quote(source_path("sample_images/head_phantom_dicom")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(12, 64, 64)  numpy order (z, y, x)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("64 × 64 × 12  (x × y × z)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dicom"), std::string::npos) << r.out;
}

TEST(InfoCli, UnreadableInputExitsWithInputErrorNamingTheFile) {
  TempDir tmp;
  const std::string missing = tmp / "missing.nii.gz";
  auto r = gradmap_test::run_cli("info " + shell_quote(missing) + " " +
                                 shell_quote(source_path("sample_images/ascent_gray.png")));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("ascent_gray.png"), std::string::npos) << "the readable file is still described";
}

#endif

}  // namespace
