# cmake --install BUILD --prefix P: bin/rigcs, lib/librigcs.{a,so}, include/rigcs/ and the
# CMake package lib/cmake/rigcs (find_package(rigcs); doc/using_rigcs.md). Everything is
# relative to P, so P may be moved or copied after installing.
include(CMakePackageConfigHelpers)

get_target_property(RIGCS_LIBRARY_TYPE rigcs_lib TYPE)
set(RIGCS_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/rigcs)

# Run paths of the installed files: the executable finds librigcs.so through a path
# relative to itself ($ORIGIN), so that it runs from a moved prefix without
# LD_LIBRARY_PATH; dependencies outside the system directories (a LibTorch under /opt,
# an MPI or HDF5 module) are found where the build found them, unless the user decides
# otherwise with CMAKE_INSTALL_RPATH_USE_LINK_PATH.
if(NOT DEFINED CMAKE_INSTALL_RPATH_USE_LINK_PATH)
  set_target_properties(rigcs rigcs_lib PROPERTIES INSTALL_RPATH_USE_LINK_PATH TRUE)
endif()
if(RIGCS_LIBRARY_TYPE STREQUAL "SHARED_LIBRARY")
  file(RELATIVE_PATH _rigcs_bin_to_lib ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
  if(APPLE)
    set(_rigcs_origin @loader_path)
  else()
    set(_rigcs_origin $ORIGIN)
  endif()
  set_property(TARGET rigcs APPEND PROPERTY INSTALL_RPATH "${_rigcs_origin}/${_rigcs_bin_to_lib}")
endif()

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
