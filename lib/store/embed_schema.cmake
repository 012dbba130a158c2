# cmake -DSCHEMA_DIR=... -DOUTPUT=... -P embed_schema.cmake
#
# Writes OUTPUT: one `{version, "file", R"(sql)"},` initialiser per migration
# SCHEMA_DIR/NNN_name.sql, in order, so the binary needs no schema directory.
# Numbers must run 001, 002, ... without gaps.
file(GLOB names RELATIVE ${SCHEMA_DIR} ${SCHEMA_DIR}/*.sql)
list(SORT names)

set(expected 1)
set(body "// Generated from schema/*.sql by lib/store/embed_schema.cmake. Do not edit.\n")
foreach(name IN LISTS names)
  if(NOT name MATCHES "^([0-9][0-9][0-9])_[a-z0-9_]+\\.sql$")
    message(FATAL_ERROR "schema/${name}: migrations are named NNN_lower_case.sql")
  endif()
  string(REGEX REPLACE "^0+" "" version "${CMAKE_MATCH_1}")
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "schema/${name}: expected migration number ${expected} (no gaps)")
  endif()
  file(READ ${SCHEMA_DIR}/${name} sql)
  if(sql MATCHES "\\)emsync_sql")
    message(FATAL_ERROR "schema/${name} contains the raw-string delimiter ')emsync_sql'")
  endif()
  string(APPEND body "{${version}, \"${name}\", R\"emsync_sql(${sql})emsync_sql\"},\n")
  math(EXPR expected "${expected} + 1")
endforeach()

file(WRITE ${OUTPUT}.tmp "${body}")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
