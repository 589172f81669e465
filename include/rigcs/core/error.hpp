// Errors with context. RIGCS_CHECK is always on: it validates input, files and
// invariants that a user can break; it never compiles away (unlike assert).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace rigcs {

// Every error the library throws for bad input, bad files or failed checks.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
[[noreturn]] void throw_error(const char* file, int line, const std::string& msg);
}  // namespace detail

}  // namespace rigcs

// RIGCS_CHECK(cond, "text " << value): throws rigcs::Error with the message when cond fails.
#define RIGCS_CHECK(cond, msg)                                          \
  do {                                                                  \
    if (!(cond)) {                                                      \
      std::ostringstream rigcs_check_os_;                               \
      rigcs_check_os_ << msg;                                           \
      ::rigcs::detail::throw_error(__FILE__, __LINE__, rigcs_check_os_.str()); \
    }                                                                   \
  } while (0)

// RIGCS_FAIL("text " << value): throws unconditionally.
#define RIGCS_FAIL(msg) RIGCS_CHECK(false, msg)
