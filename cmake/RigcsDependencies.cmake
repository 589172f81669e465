# Every dependency through the usual find_package, so that CMAKE_PREFIX_PATH can point
# at any LibTorch (Debian's CPU build, or a CUDA build on a cluster). Only imported
# targets are linked, never the paths they resolve to: the installed package names the
# same targets and finds them again on the consumer's machine (cmake/rigcsConfig.cmake.in,
# which must ask for the same components as here).
find_package(Threads REQUIRED)
find_package(Torch REQUIRED)
# The CXX component: the C API through mpi.h, compiled as C++ (the C++ bindings are
# switched off in src/CMakeLists.txt). It is the one a C++-only consumer can find.
find_package(MPI REQUIRED COMPONENTS CXX)
if(RIGCS_PARALLEL_HDF5)
  set(HDF5_PREFER_PARALLEL TRUE)
endif()
find_package(HDF5 REQUIRED COMPONENTS C)
if(RIGCS_PARALLEL_HDF5 AND NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "RIGCS_PARALLEL_HDF5=ON but the HDF5 found is serial")
endif()
find_package(Boost REQUIRED COMPONENTS program_options)

# CUDA as a language is optional: LibTorch carries its own CUDA kernels, so rigcs needs
# nvcc only for its own (optional) kernels.
include(CheckLanguage)
check_language(CUDA)
if(CMAKE_CUDA_COMPILER)
  message(STATUS "rigcs: CUDA compiler found: ${CMAKE_CUDA_COMPILER}")
else()
  message(STATUS "rigcs: no CUDA compiler; CUDA devices are still used through LibTorch if it has them")
endif()

# TORCH_LIBRARIES mixes targets (torch, torch_library) with absolute paths (libc10.so,
# CUDA libraries) that the targets bring in again through their own interfaces. Only the
# targets are kept, so that the exported rigcs::rigcs names nothing of this machine.
set(RIGCS_TORCH_TARGETS "")
foreach(_lib IN LISTS TORCH_LIBRARIES)
  if(TARGET ${_lib})
    list(APPEND RIGCS_TORCH_TARGETS ${_lib})
  endif()
endforeach()
if(NOT RIGCS_TORCH_TARGETS)
  message(FATAL_ERROR "rigcs: TORCH_LIBRARIES (${TORCH_LIBRARIES}) names no CMake target")
endif()
