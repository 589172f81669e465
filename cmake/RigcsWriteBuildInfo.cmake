# cmake -DSOURCE_DIR=... -DOUTPUT=... -DPROJECT_VERSION=... -P RigcsWriteBuildInfo.cmake
# Writes OUTPUT from build_info.cpp.in with the current git hash; configure_file leaves
# the file (and its timestamp) alone when nothing changed.
find_package(Git QUIET)
set(RIGCS_GIT_HASH "unknown")
if(GIT_FOUND AND EXISTS ${SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
                  WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE RIGCS_GIT_HASH OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
  if(NOT RIGCS_GIT_HASH)
    set(RIGCS_GIT_HASH "unknown")
  endif()
endif()
configure_file(${SOURCE_DIR}/cmake/build_info.cpp.in ${OUTPUT} @ONLY)
