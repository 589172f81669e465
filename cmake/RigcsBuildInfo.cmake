# The git hash is compiled in so that every output file names the exact source. It is
# read at every build, not only at configure time (a stale hash would name the wrong
# source); the generated file changes, and one small file recompiles, only when the
# hash does.
set(RIGCS_BUILD_INFO_CPP ${PROJECT_BINARY_DIR}/generated/build_info.cpp)
set(_rigcs_build_info_args
    -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DOUTPUT=${RIGCS_BUILD_INFO_CPP}
    -DPROJECT_VERSION=${PROJECT_VERSION}
    -P ${PROJECT_SOURCE_DIR}/cmake/RigcsWriteBuildInfo.cmake)
# Once now, so that the file exists for the first build.
execute_process(COMMAND ${CMAKE_COMMAND} ${_rigcs_build_info_args})
add_custom_target(rigcs_build_info
                  COMMAND ${CMAKE_COMMAND} ${_rigcs_build_info_args}
                  BYPRODUCTS ${RIGCS_BUILD_INFO_CPP}
                  COMMENT "rigcs: git hash for build_info.cpp")
