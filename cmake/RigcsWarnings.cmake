# rigcs_build_settings(target...): build-only settings of the rigcs targets (library,
# executable, tests, benchmarks): warnings, sanitizers and ISO C++ without GNU
# extensions. All PRIVATE, so nothing of it is exported: a consumer of the installed
# package keeps its own flags; what it must have (C++17) is a compile feature of
# rigcs::rigcs (src/CMakeLists.txt).
function(rigcs_build_settings)
  foreach(_target IN LISTS ARGN)
    set_target_properties(${_target} PROPERTIES CXX_EXTENSIONS OFF)
    target_compile_options(${_target} PRIVATE
      $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wno-unused-parameter>)
    if(RIGCS_SANITIZE)
      target_compile_options(${_target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
      target_link_options(${_target} PRIVATE -fsanitize=address,undefined)
    endif()
  endforeach()
endfunction()
