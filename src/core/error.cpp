#include "rigcs/core/error.hpp"

namespace rigcs::detail {

void throw_error(const char* /*file*/, int /*line*/, const std::string& msg) {
  // The message is for physicists, not developers: source locations stay out of it.
  throw Error(msg);
}

}  // namespace rigcs::detail
