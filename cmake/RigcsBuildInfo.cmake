# The git hash is compiled in so that every output file names the exact source.
find_package(Git QUIET)
set(RIGCS_GIT_HASH "unknown")
if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE RIGCS_GIT_HASH OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
  if(NOT RIGCS_GIT_HASH)
    set(RIGCS_GIT_HASH "unknown")
  endif()
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/build_info.cpp.in
               ${PROJECT_BINARY_DIR}/generated/build_info.cpp @ONLY)
