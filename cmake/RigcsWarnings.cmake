add_library(rigcs_warnings INTERFACE)
target_compile_options(rigcs_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wno-unused-parameter>)
if(RIGCS_SANITIZE)
  target_compile_options(rigcs_warnings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(rigcs_warnings INTERFACE -fsanitize=address,undefined)
endif()
