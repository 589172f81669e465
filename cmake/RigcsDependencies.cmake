# Every dependency through the usual find_package, so that CMAKE_PREFIX_PATH can point
# at any LibTorch (Debian's CPU build, or a CUDA build on a cluster).
find_package(Threads REQUIRED)
find_package(Torch REQUIRED)
find_package(MPI REQUIRED COMPONENTS C)
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

# Torch's exported targets carry their own flags (-D_GLIBCXX_USE_CXX11_ABI etc.).
add_library(rigcs_torch INTERFACE)
target_link_libraries(rigcs_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(rigcs_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})

add_library(rigcs_hdf5 INTERFACE)
target_include_directories(rigcs_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS})
target_link_libraries(rigcs_hdf5 INTERFACE ${HDF5_C_LIBRARIES} ${HDF5_LIBRARIES})
target_compile_definitions(rigcs_hdf5 INTERFACE ${HDF5_C_DEFINITIONS} ${HDF5_DEFINITIONS})
