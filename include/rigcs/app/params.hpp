// Input decks. Every key is declared once with its type, default, allowed range or
// choices and help text; decks (INI files read by Boost.Program_options) and
// command-line overrides (--section.key=value) are checked against the
// declarations. Unknown keys, wrong types and out-of-range values are refused
// with a message that names the key and what is allowed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rigcs {

enum class ParamType { Int, Real, String, Bool, IntList, RealList };

struct ParamSpec {
  std::string key;      // "model.N"
  ParamType type;
  std::string fallback; // default, as text ("" for list keys means empty list)
  std::string help;
  std::optional<double> min;  // inclusive bounds for numbers (and list elements)
  std::optional<double> max;
  std::vector<std::string> choices;  // allowed values for strings
  bool min_exclusive = false;

  std::string allowed() const;  // "integer in [1, 4096]", "one of: a, b"
  std::string type_name() const;
};

class ParamRegistry;

// The effective parameter set of one run: every declared key with its value.
class Params {
 public:
  std::int64_t get_int(const std::string& key) const;
  double get_real(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  std::vector<std::int64_t> get_int_list(const std::string& key) const;
  std::vector<double> get_real_list(const std::string& key) const;
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  // The value as text, whatever its type.
  const std::string& text(const std::string& key) const { spec(key); return values_.at(key); }
  // True when the value came from the deck or the command line, not the default.
  bool is_set(const std::string& key) const { return explicitly_set_.count(key) != 0; }

  // The full effective deck as INI text, grouped by section; stored in every output.
  std::string to_deck_text() const;
  // Set a value (checked against the registry), e.g. from a flag such as --overwrite.
  void set(const std::string& key, const std::string& value);

 private:
  friend class ParamRegistry;
  const ParamSpec& spec(const std::string& key) const;
  const std::string& raw(const std::string& key, ParamType want) const;
  std::map<std::string, std::string> values_;
  std::map<std::string, ParamSpec> specs_;
  std::map<std::string, bool> explicitly_set_;
};

class ParamRegistry {
 public:
  bool has(const std::string& key) const { return index_.count(key) != 0; }
  // Declarations. Bounds are inclusive unless stated.
  ParamRegistry& add_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                         std::int64_t max, const std::string& help);
  ParamRegistry& add_real(const std::string& key, double fallback, double min, double max,
                          const std::string& help, bool min_exclusive = false);
  ParamRegistry& add_string(const std::string& key, const std::string& fallback,
                            const std::string& help, std::vector<std::string> choices = {});
  ParamRegistry& add_bool(const std::string& key, bool fallback, const std::string& help);
  ParamRegistry& add_int_list(const std::string& key, const std::string& fallback,
                              std::int64_t min, std::int64_t max, const std::string& help);
  ParamRegistry& add_real_list(const std::string& key, const std::string& fallback, double min,
                               double max, const std::string& help, bool min_exclusive = false);

  // Parse a deck file (may be empty: defaults only) and then overrides of the form
  // "section.key=value" (leading dashes already stripped). Throws rigcs::Error.
  Params parse(const std::string& deck_path, const std::vector<std::string>& overrides) const;
  // Parse deck text directly (used by tests and to re-read a stored deck).
  Params parse_text(const std::string& deck_text, const std::string& origin,
                    const std::vector<std::string>& overrides) const;

  const std::vector<ParamSpec>& specs() const { return order_; }
  std::string help_text() const;

 private:
  ParamRegistry& add(ParamSpec s);
  void validate(const ParamSpec& s, const std::string& value, const std::string& origin) const;
  std::vector<ParamSpec> order_;
  std::map<std::string, std::size_t> index_;
};

// Parse "1, 2,3" into numbers; throws with the key named on a bad element.
std::vector<std::string> split_list(const std::string& text);

}  // namespace rigcs
