# cmake --install BUILD --prefix P: bin/rigcs, lib/librigcs.{a,so}, include/rigcs/ and the
# CMake package lib/cmake/rigcs (find_package(rigcs); doc/using_rigcs.md). Everything is
# relative to P, so P may be moved or copied after installing.
include(CMakePackageConfigHelpers)

get_target_property(RIGCS_LIBRARY_TYPE rigcs_lib TYPE)
set(RIGCS_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/rigcs)

# Only the library is exported: rigcs_base stays in the build (its objects are inside).
install(TARGETS rigcs_lib EXPORT rigcsTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS rigcs RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/rigcs DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT rigcsTargets NAMESPACE rigcs:: DESTINATION ${RIGCS_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/rigcsConfig.cmake.in
  ${PROJECT_BINARY_DIR}/rigcsConfig.cmake INSTALL_DESTINATION ${RIGCS_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API (semantic versioning), so find_package(rigcs 0.1)
# accepts 0.1.z only; from 1.0 on, any 1.y.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_rigcs_compatibility SameMinorVersion)
else()
  set(_rigcs_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rigcsConfigVersion.cmake
  COMPATIBILITY ${_rigcs_compatibility})
install(FILES ${PROJECT_BINARY_DIR}/rigcsConfig.cmake ${PROJECT_BINARY_DIR}/rigcsConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/rigcsFindHDF5C.cmake
        DESTINATION ${RIGCS_INSTALL_CMAKEDIR})
