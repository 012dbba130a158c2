# Two interface targets every first-party target links: settings (definitions) and warnings.
add_library(emsync_settings INTERFACE)
target_compile_features(emsync_settings INTERFACE cxx_std_20)
target_include_directories(emsync_settings INTERFACE ${PROJECT_SOURCE_DIR}/lib)
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

# emsync_module(NAME SOURCES... DEPS ...): one static library per lib/ folder.
function(emsync_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(emsync_${name} STATIC ${ARG_SOURCES})
  target_link_libraries(emsync_${name} PUBLIC emsync_settings ${ARG_DEPS} PRIVATE emsync_warnings)
endfunction()
