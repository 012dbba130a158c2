# modules.rules: the build enforces ARCHITECTURE.md's module map, so a module
# cannot include the headers of a module it may not use.
#
#   cmake -DCOMPILE_COMMANDS=<build>/compile_commands.json -DSOURCE_DIR=<repo>
#         -DWORK_DIR=<scratch dir> -P check_module_rules.cmake
#
# A probe is a translation unit holding one #include, compiled with
# -fsyntax-only and the command line of one of the including module's own
# sources, as compile_commands.json records it: the module's real flags and
# include directories. For every pair (A, B) that the table below does not
# allow, A's probe of B's header must fail because that header is not found;
# a probe that compiles, or fails for any other reason, fails the check. The
# controls, allowed includes, must compile: they show the probes' flags work.
# Registered by tests/CMakeLists.txt (label unit).
cmake_minimum_required(VERSION 3.25)

# What each module may include besides its own headers: ARCHITECTURE.md's
# "may depend on", with what those modules depend on in turn (their headers
# include theirs). asio has no headers: its users include Asio's own.
set(may_use_core "")
set(may_use_asio "")
set(may_use_schedule core)
set(may_use_config core schedule)
set(may_use_metrics core)
set(may_use_source core)
set(may_use_store core config schedule)
set(may_use_emarsys core)
set(may_use_sync core config schedule source store emarsys)
set(may_use_admin core)
set(may_use_service core config schedule metrics source store emarsys sync admin)
set(modules core asio schedule config metrics source store emarsys sync admin service)

# The header each probe of a module includes (asio has none): light ones, so
# that the controls compile fast.
set(header_core core/result.hpp)
set(header_schedule schedule/schedule.hpp)
set(header_config config/config.hpp)
set(header_metrics metrics/registry.hpp)
set(header_source source/copy_text.hpp)
set(header_store store/write_probe.hpp)
set(header_emarsys emarsys/token_bucket.hpp)
set(header_sync sync/email.hpp)
set(header_admin admin/table.hpp)
set(header_service service/run_registry.hpp)

# Allowed includes (includer:included) that must compile: each module its own
# header, and includes across modules, direct and through a dependency.
set(controls core:core schedule:schedule config:config metrics:metrics source:source store:store
  emarsys:emarsys sync:sync admin:admin service:service
  config:schedule sync:store sync:emarsys sync:schedule service:sync service:admin)

foreach(variable COMPILE_COMMANDS SOURCE_DIR WORK_DIR)
  if(NOT ${variable})
    message(FATAL_ERROR "usage: cmake -DCOMPILE_COMMANDS=... -DSOURCE_DIR=... -DWORK_DIR=... "
      "-P check_module_rules.cmake")
  endif()
endforeach()

# Every folder of lib/ is in the table: a new module cannot escape the check.
file(GLOB lib_entries LIST_DIRECTORIES true RELATIVE ${SOURCE_DIR}/lib ${SOURCE_DIR}/lib/*)
foreach(entry IN LISTS lib_entries)
  if(IS_DIRECTORY ${SOURCE_DIR}/lib/${entry} AND NOT entry IN_LIST modules)
    message(FATAL_ERROR "lib/${entry} is not in the table of ${CMAKE_CURRENT_LIST_FILE}: "
      "add what it may include (ARCHITECTURE.md, module map)")
  endif()
endforeach()
foreach(module IN LISTS modules)
  if(DEFINED header_${module} AND NOT EXISTS ${SOURCE_DIR}/lib/${header_${module}})
    message(FATAL_ERROR "lib/${header_${module}} no longer exists: name another header of "
      "${module} in ${CMAKE_CURRENT_LIST_FILE}")
  endif()
endforeach()

# command_<module>, directory_<module>: how one source of the module is
# compiled (one without a precompiled header, which a probe does not need).
file(READ ${COMPILE_COMMANDS} compile_commands)
string(JSON entry_count LENGTH "${compile_commands}")
math(EXPR last_entry "${entry_count} - 1")
set(modules_found "")
foreach(index RANGE ${last_entry})
  string(JSON file GET "${compile_commands}" ${index} file)
  string(FIND "${file}" "${SOURCE_DIR}/lib/" prefix)
  string(LENGTH "${SOURCE_DIR}/lib/" prefix_length)
  string(SUBSTRING "${file}" ${prefix_length} -1 in_lib)
  if(prefix EQUAL 0 AND in_lib MATCHES "^([a-z_]+)/[^/]+\\.cpp$")
    set(module ${CMAKE_MATCH_1})
    string(JSON command GET "${compile_commands}" ${index} command)
    if(NOT module IN_LIST modules_found AND NOT command MATCHES "cmake_pch")
      set(command_${module} "${command}")
      string(JSON directory_${module} GET "${compile_commands}" ${index} directory)
      list(APPEND modules_found ${module})
    endif()
  endif()
endforeach()
foreach(module IN LISTS modules)
  if(NOT module IN_LIST modules_found)
    message(FATAL_ERROR "${COMPILE_COMMANDS} compiles no source of lib/${module}")
  endif()
endforeach()

file(MAKE_DIRECTORY ${WORK_DIR})
set(failures "")

# Compiles `header` with `includer`'s flags; sets `outcome` to "compiles",
# "not found" (the header, and only it, was not found) or the compiler's
# output.
function(probe includer header)
  string(MAKE_C_IDENTIFIER "${includer}_includes_${header}" name)
  set(source ${WORK_DIR}/${name}.cpp)
  file(WRITE ${source} "#include \"${header}\"\n")
  separate_arguments(arguments UNIX_COMMAND "${command_${includer}}")
  set(command "")
  set(skip_next FALSE)
  set(replace_next "")
  foreach(argument IN LISTS arguments)
    if(skip_next)
      set(skip_next FALSE)
    elseif(replace_next)
      list(APPEND command "${replace_next}")
      set(replace_next "")
    elseif(argument STREQUAL "-o")
      list(APPEND command -o)
      set(replace_next ${WORK_DIR}/${name}.o)
    elseif(argument STREQUAL "-c")
      list(APPEND command -c)
      set(replace_next ${source})
    elseif(argument MATCHES "^-(MF|MT|MQ)$")
      set(skip_next TRUE)  # no dependency file of the real build is touched
    elseif(NOT argument MATCHES "^-M")
      list(APPEND command "${argument}")
    endif()
  endforeach()
  execute_process(COMMAND ${command} -fsyntax-only WORKING_DIRECTORY ${directory_${includer}}
    RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  # GCC: "<probe>:1:10: fatal error: <header>: No such file or directory",
  # clang: "<probe>:1:10: fatal error: '<header>' file not found"; not an
  # include of that header ("In file included from <probe>:1").
  string(REPLACE "." "\\." header_pattern "${header}")
  if(status EQUAL 0)
    set(outcome "compiles" PARENT_SCOPE)
  elseif(output MATCHES "${name}\\.cpp:1:[0-9]+: fatal error: '?${header_pattern}'?:? "
         AND output MATCHES "No such file or directory|file not found"
         AND NOT output MATCHES "In file included from")
    set(outcome "not found" PARENT_SCOPE)
  else()
    set(outcome "${output}" PARENT_SCOPE)
  endif()
endfunction()

set(refused 0)
foreach(includer IN LISTS modules)
  foreach(included IN LISTS modules)
    if(DEFINED header_${included} AND NOT included STREQUAL includer
       AND NOT included IN_LIST may_use_${includer})
      probe(${includer} ${header_${included}})
      if(outcome STREQUAL "not found")
        math(EXPR refused "${refused} + 1")
      elseif(outcome STREQUAL "compiles")
        string(APPEND failures "\n${includer} may not include ${header_${included}}, "
          "but its probe compiles")
      else()
        string(APPEND failures "\n${includer} may not include ${header_${included}}; its probe "
          "fails, but not because that header is not found:\n${outcome}")
      endif()
    endif()
  endforeach()
endforeach()

foreach(control IN LISTS controls)
  string(REPLACE ":" ";" pair ${control})
  list(GET pair 0 includer)
  list(GET pair 1 included)
  probe(${includer} ${header_${included}})
  if(NOT outcome STREQUAL "compiles")
    string(APPEND failures "\n${includer} may include ${header_${included}}, but its probe "
      "does not compile:\n${outcome}")
  endif()
endforeach()

if(failures)
  message(FATAL_ERROR "the build does not enforce the module map (ARCHITECTURE.md):${failures}")
endif()
list(LENGTH controls control_count)
message(STATUS "module rules hold: ${refused} forbidden includes not found, "
  "${control_count} allowed ones compile")
