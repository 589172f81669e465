// A minimal JSON writer for --json output: objects of numbers, strings and
// nested objects. Non-finite numbers are written as null (JSON has no NaN).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace rigcs {

class JsonObject {
 public:
  JsonObject& add(const std::string& key, double value);
  JsonObject& add(const std::string& key, long long value);
  JsonObject& add(const std::string& key, const std::string& value);
  JsonObject& add(const std::string& key, const JsonObject& value);
  JsonObject& add_bool(const std::string& key, bool value);
  // An array of strings.
  JsonObject& add_strings(const std::string& key, const std::vector<std::string>& values);
  std::string str() const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;  // key -> encoded value
};

std::string json_escape(const std::string& s);

}  // namespace rigcs
