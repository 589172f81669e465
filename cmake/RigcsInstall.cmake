include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS rigcs_lib rigcs_torch rigcs_hdf5 EXPORT rigcsTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS rigcs RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/rigcs DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT rigcsTargets NAMESPACE rigcs:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/rigcs)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/rigcsConfig.cmake.in
  ${PROJECT_BINARY_DIR}/rigcsConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/rigcs)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rigcsConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/rigcsConfig.cmake ${PROJECT_BINARY_DIR}/rigcsConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/rigcs)
