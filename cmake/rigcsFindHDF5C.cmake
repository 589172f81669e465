# Part of the installed rigcs package (included by rigcsConfig.cmake): HDF5's C library
# for a consumer that has not enabled the C language, where FindHDF5's C component
# cannot run. Asks the HDF5 C wrapper (h5cc, or h5pcc for parallel HDF5), as FindHDF5
# does, honouring HDF5_ROOT, HDF5_C_COMPILER_EXECUTABLE and HDF5_USE_STATIC_LIBRARIES,
# and defines the target FindHDF5 would, HDF5::HDF5. On failure it defines nothing and
# says why in rigcs_HDF5_MESSAGE.
if(rigcs_PARALLEL_HDF5)
  set(_rigcs_h5_names h5pcc h5cc)
else()
  set(_rigcs_h5_names h5cc h5pcc)
endif()
find_program(HDF5_C_COMPILER_EXECUTABLE NAMES ${_rigcs_h5_names} NAMES_PER_DIR
             HINTS ${HDF5_ROOT} ENV HDF5_ROOT PATH_SUFFIXES bin Bin
             DOC "HDF5 C wrapper compiler, used only to read HDF5's compile and link flags")
mark_as_advanced(HDF5_C_COMPILER_EXECUTABLE)
unset(_rigcs_h5_names)

set(rigcs_HDF5_MESSAGE "")
if(NOT HDF5_C_COMPILER_EXECUTABLE)
  set(rigcs_HDF5_MESSAGE "no h5cc or h5pcc found (set HDF5_ROOT or HDF5_C_COMPILER_EXECUTABLE, or enable the C language so that FindHDF5 is used)")
  return()
endif()
if(HDF5_USE_STATIC_LIBRARIES)
  set(_rigcs_h5_kind -noshlib)
else()
  set(_rigcs_h5_kind -shlib)
endif()
execute_process(COMMAND ${HDF5_C_COMPILER_EXECUTABLE} -show ${_rigcs_h5_kind}
                OUTPUT_VARIABLE _rigcs_h5_line ERROR_VARIABLE _rigcs_h5_err
                RESULT_VARIABLE _rigcs_h5_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
unset(_rigcs_h5_kind)
if(NOT _rigcs_h5_rc EQUAL 0)
  set(rigcs_HDF5_MESSAGE "${HDF5_C_COMPILER_EXECUTABLE} -show exited with ${_rigcs_h5_rc} ${_rigcs_h5_err}")
  return()
endif()

# The line is "<compiler> -I.. -D.. -L.. -lname /path/libx.so ...". The high-level
# library (hdf5_hl) is left out: rigcs uses the C library only.
separate_arguments(_rigcs_h5_args UNIX_COMMAND "${_rigcs_h5_line}")
list(REMOVE_AT _rigcs_h5_args 0)
set(_rigcs_h5_includes "")
set(_rigcs_h5_defines "")
set(_rigcs_h5_dirs "")
set(_rigcs_h5_libs "")
foreach(_arg IN LISTS _rigcs_h5_args)
  if(_arg MATCHES "^-I(.+)$" AND IS_DIRECTORY "${CMAKE_MATCH_1}")
    list(APPEND _rigcs_h5_includes "${CMAKE_MATCH_1}")
  elseif(_arg MATCHES "^-D(.+)$")
    list(APPEND _rigcs_h5_defines "${CMAKE_MATCH_1}")
  elseif(_arg MATCHES "^-L(.+)$")
    list(APPEND _rigcs_h5_dirs "${CMAKE_MATCH_1}")
  elseif(_arg MATCHES "^-l(.+)$")
    set(_name "${CMAKE_MATCH_1}")
    if(NOT _name MATCHES "^hdf5_hl")
      # A full path, so that CMake gives the consumer's executable its run path.
      find_library(rigcs_HDF5_${_name}_LIBRARY NAMES ${_name} HINTS ${_rigcs_h5_dirs})
      mark_as_advanced(rigcs_HDF5_${_name}_LIBRARY)
      if(rigcs_HDF5_${_name}_LIBRARY)
        list(APPEND _rigcs_h5_libs "${rigcs_HDF5_${_name}_LIBRARY}")
      else()
        list(APPEND _rigcs_h5_libs "${_name}")
      endif()
    endif()
  elseif(_arg MATCHES "^/.*\\.(a|so[.0-9]*|dylib)$" AND NOT _arg MATCHES "hdf5_hl")
    list(APPEND _rigcs_h5_libs "${_arg}")
  endif()
endforeach()

if(NOT _rigcs_h5_libs MATCHES "hdf5")
  set(rigcs_HDF5_MESSAGE "\"${_rigcs_h5_line}\" (from ${HDF5_C_COMPILER_EXECUTABLE}) names no hdf5 library")
else()
  add_library(HDF5::HDF5 INTERFACE IMPORTED)
  set_target_properties(HDF5::HDF5 PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_rigcs_h5_includes}"
    INTERFACE_COMPILE_DEFINITIONS "${_rigcs_h5_defines}"
    INTERFACE_LINK_LIBRARIES "${_rigcs_h5_libs}")
endif()
unset(_arg)
unset(_name)
unset(_rigcs_h5_args)
unset(_rigcs_h5_line)
unset(_rigcs_h5_err)
unset(_rigcs_h5_rc)
unset(_rigcs_h5_includes)
unset(_rigcs_h5_defines)
unset(_rigcs_h5_dirs)
unset(_rigcs_h5_libs)
