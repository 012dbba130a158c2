# Two interface targets every first-party target links: settings (definitions) and warnings.
# Neither adds an include directory: a module's headers are seen only through
# its own target (emsync_module below).
add_library(emsync_settings INTERFACE)
target_compile_features(emsync_settings INTERFACE cxx_std_20)
# Asio and Beast are compiled once, in lib/asio (see asio_impl.cpp).
target_compile_definitions(emsync_settings INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION BOOST_ASIO_NO_DEPRECATED
  EMSYNC_VERSION="${PROJECT_VERSION}")

add_library(emsync_warnings INTERFACE)
target_compile_options(emsync_warnings INTERFACE -Wall -Wextra -Wpedantic)
option(EMSYNC_WERROR "Treat warnings as errors" OFF)
if(EMSYNC_WERROR)
  target_compile_options(emsync_warnings INTERFACE -Werror)
endif()

# ASan + UBSan for everything built (libraries, tests, fuzz targets). UBSan is
# fatal: the first report aborts, so a test or a corpus run fails on it.
option(EMSYNC_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
if(EMSYNC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
endif()

# libFuzzer targets (fuzz/): clang only. Every object gets libFuzzer's coverage
# instrumentation (-fsanitize=fuzzer-no-link); the fuzz executables alone link
# libFuzzer's main (-fsanitize=fuzzer, see fuzz/CMakeLists.txt).
option(EMSYNC_FUZZ "Build the libFuzzer targets in fuzz/ (clang, with EMSYNC_SANITIZE)" OFF)
if(EMSYNC_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT EMSYNC_SANITIZE)
    message(FATAL_ERROR "EMSYNC_FUZZ needs clang and EMSYNC_SANITIZE=ON: use the asan preset")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# emsync_module(NAME SOURCES... DEPS ...): one static library per lib/ folder,
# emsync_<NAME>, whose DEPS are the modules (and packages) it may use.
#
# The dependency rules are enforced by the compiler: lib/ itself is no include
# directory. Each module gets a directory of its own in the build tree,
# include/<NAME>/, holding one symlink <NAME> -> lib/<NAME>, as the PUBLIC
# include directory of emsync_<NAME>. It propagates along the PUBLIC links, so
# "core/result.hpp" resolves in every module (all link emsync_core), while
# "store/state_store.hpp" in a module that does not link emsync_store is "No
# such file or directory". The ctest test modules.rules checks it (ARCHITECTURE.md).
# The list of modules is the global property EMSYNC_MODULES (tests/CMakeLists.txt
# requires a unit test folder for each).
function(emsync_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  set(include_dir ${PROJECT_BINARY_DIR}/include/${name})
  file(MAKE_DIRECTORY ${include_dir})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/lib/${name} ${include_dir}/${name} SYMBOLIC)
  add_library(emsync_${name} STATIC ${ARG_SOURCES})
  target_include_directories(emsync_${name} PUBLIC ${include_dir})
  target_link_libraries(emsync_${name} PUBLIC emsync_settings ${ARG_DEPS} PRIVATE emsync_warnings)
  set_property(GLOBAL APPEND PROPERTY EMSYNC_MODULES ${name})
endfunction()
