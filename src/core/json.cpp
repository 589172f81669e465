#include "rigcs/core/json.hpp"

#include <cmath>
#include <cstdio>

namespace rigcs {

std::string json_escape(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

JsonObject& JsonObject::add(const std::string& key, double value) {
  if (!std::isfinite(value)) {
    items_.emplace_back(key, "null");
  } else {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    items_.emplace_back(key, buf);
  }
  return *this;
}

JsonObject& JsonObject::add(const std::string& key, long long value) {
  items_.emplace_back(key, std::to_string(value));
  return *this;
}

JsonObject& JsonObject::add(const std::string& key, const std::string& value) {
  items_.emplace_back(key, json_escape(value));
  return *this;
}

JsonObject& JsonObject::add(const std::string& key, const JsonObject& value) {
  items_.emplace_back(key, value.str());
  return *this;
}

JsonObject& JsonObject::add_bool(const std::string& key, bool value) {
  items_.emplace_back(key, value ? "true" : "false");
  return *this;
}

JsonObject& JsonObject::add_strings(const std::string& key, const std::vector<std::string>& values) {
  std::string a = "[";
  for (std::size_t i = 0; i < values.size(); ++i) a += (i ? ", " : "") + json_escape(values[i]);
  items_.emplace_back(key, a + "]");
  return *this;
}

std::string JsonObject::str() const {
  std::string out = "{";
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (i) out += ", ";
    out += json_escape(items_[i].first) + ": " + items_[i].second;
  }
  return out + "}";
}

}  // namespace rigcs
