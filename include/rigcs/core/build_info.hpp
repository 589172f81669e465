#pragma once

namespace rigcs {
const char* version();   // semantic version of the program
const char* git_hash();  // git describe of the source it was built from
}  // namespace rigcs
