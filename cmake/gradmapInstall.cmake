# SPDX-License-Identifier: MIT
# Installation and the CMake package (issue #7): headers, libraries, one export set per component
# (so that `COMPONENTS core` never loads OpenCV or ITK), gradmapConfig.cmake with its version file,
# and gradmap-core.pc. Included from the top-level CMakeLists.txt after lib/ when GRADMAP_INSTALL.
include(CMakePackageConfigHelpers)

set(GRADMAP_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gradmap
    CACHE STRING "Where gradmapConfig.cmake is installed, relative to the prefix")
mark_as_advanced(GRADMAP_INSTALL_CMAKEDIR)

# Installed shared libraries and the CLI find their siblings relative to themselves, so a prefix
# can be moved (and `cmake --install --prefix` anywhere works) without LD_LIBRARY_PATH.
if(NOT APPLE AND NOT DEFINED CMAKE_INSTALL_RPATH)
  set(CMAKE_INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
endif()

# Components in dependency order; `gradmap` (the umbrella gradmap::gradmap) comes last.
set(GRADMAP_COMPONENTS core)
set(_gradmap_header_excludes)
if(TARGET gradmap_opencv)
  list(APPEND GRADMAP_COMPONENTS opencv)
else()
  # overview.hpp declares what gradmap::opencv defines (write_overview).
  list(APPEND _gradmap_header_excludes PATTERN opencv.hpp EXCLUDE PATTERN overview.hpp EXCLUDE)
endif()
if(TARGET gradmap_itk)
  list(APPEND GRADMAP_COMPONENTS itk)
else()
  list(APPEND _gradmap_header_excludes PATTERN itk.hpp EXCLUDE)
endif()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/include/gradmap DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT gradmap_development ${_gradmap_header_excludes})

foreach(component IN LISTS GRADMAP_COMPONENTS ITEMS gradmap)
  set_target_properties(gradmap_${component} PROPERTIES INSTALL_RPATH "$ORIGIN")
  install(TARGETS gradmap_${component} EXPORT gradmap-${component}-targets
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT gradmap_runtime
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT gradmap_runtime
                  NAMELINK_COMPONENT gradmap_development
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT gradmap_development)
  install(EXPORT gradmap-${component}-targets NAMESPACE gradmap:: DESTINATION ${GRADMAP_INSTALL_CMAKEDIR}
          COMPONENT gradmap_development)
endforeach()

if(TARGET gradmap_imgcodecs)
  # gradmap::opencv's consumers link gradmap::imgcodecs (in the opencv export set); the CLI loads the
  # same code as a module from <libdir>/gradmap, where lib/src/core/module.cpp looks for it.
  set_target_properties(gradmap_imgcodecs PROPERTIES INSTALL_RPATH "$ORIGIN")
  install(TARGETS gradmap_imgcodecs EXPORT gradmap-opencv-targets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT gradmap_runtime
                  NAMELINK_COMPONENT gradmap_development
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT gradmap_development)
  install(TARGETS gradmap_imgcodecs_module LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/gradmap
          COMPONENT gradmap_runtime)
endif()

if(TARGET gradmap_itk_module)
  install(TARGETS gradmap_itk_module LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/gradmap COMPONENT gradmap_runtime)
endif()

# What the config needs to know about this build: static libraries carry their private
# dependencies (oneTBB, SLEEF, libdeflate, zlib, libjpeg, libpng) into the consumer's link; shared ones do not.
# pkg-config: a static libgradmap-core.a is unusable without them, so the .pc of a static build
# lists them in Requires/Libs, not the .private fields, and `pkg-config --cflags --libs
# gradmap-core` links without --static (which would also pull every dependency's own private libs).
get_target_property(_gradmap_core_type gradmap_core TYPE)
if(_gradmap_core_type STREQUAL "STATIC_LIBRARY")
  set(GRADMAP_STATIC ON)
  set(GRADMAP_PC_CFLAGS " -DGRADMAP_STATIC_DEFINE")
  set(GRADMAP_PC_REQUIRES "tbb zlib libjpeg libpng")
  set(GRADMAP_PC_LIBS_STATIC " -lsleef -ldeflate")
else()
  set(GRADMAP_STATIC OFF)
  set(GRADMAP_PC_CFLAGS "")
  set(GRADMAP_PC_REQUIRES "")
  set(GRADMAP_PC_LIBS_STATIC "")
endif()
set(GRADMAP_OPENCV_COMPONENTS core imgproc imgcodecs)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/gradmapConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/gradmapConfig.cmake
                              INSTALL_DESTINATION ${GRADMAP_INSTALL_CMAKEDIR})
# 0.x: SameMinorVersion. Before 1.0 a minor release may change the API and ABI (the SONAME is
# major.minor too), so find_package(gradmap 0.1) must accept 0.1.z and refuse 0.2; SameMajorVersion
# would hand a 0.1 consumer a 0.2 that it may not compile against.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gradmapConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gradmapConfig.cmake ${PROJECT_BINARY_DIR}/gradmapConfigVersion.cmake
        DESTINATION ${GRADMAP_INSTALL_CMAKEDIR} COMPONENT gradmap_development)

# pkg-config: prefix computed from the .pc file's own location, so `cmake --install --prefix`
# (which overrides CMAKE_INSTALL_PREFIX after configuration) still yields correct paths.
set(_gradmap_pcdir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE ${_gradmap_pcdir})
  set(GRADMAP_PC_PREFIX ${CMAKE_INSTALL_PREFIX})
else()
  file(RELATIVE_PATH _gradmap_up /root/${_gradmap_pcdir} /root)
  set(GRADMAP_PC_PREFIX "\${pcfiledir}/${_gradmap_up}")
  string(REGEX REPLACE "/$" "" GRADMAP_PC_PREFIX "${GRADMAP_PC_PREFIX}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/gradmap-core.pc.in ${PROJECT_BINARY_DIR}/gradmap-core.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/gradmap-core.pc DESTINATION ${_gradmap_pcdir} COMPONENT gradmap_development)
