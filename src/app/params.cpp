#include "rigcs/app/params.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>

#include "rigcs/core/error.hpp"

namespace po = boost::program_options;

namespace rigcs {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string format_number(double x) {
  std::ostringstream os;
  os << std::setprecision(15) << x;
  return os.str();
}

bool parse_int(const std::string& text, std::int64_t& out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(t.c_str(), &end, 10);
  if (errno != 0 || end == t.c_str() || *end != '\0') return false;
  out = v;
  return true;
}

bool parse_real(const std::string& text, double& out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (errno != 0 || end == t.c_str() || *end != '\0' || !std::isfinite(v)) return false;
  out = v;
  return true;
}

bool parse_bool(const std::string& text, bool& out) {
  std::string t = trim(text);
  std::transform(t.begin(), t.end(), t.begin(), ::tolower);
  if (t == "true" || t == "1" || t == "yes" || t == "on") { out = true; return true; }
  if (t == "false" || t == "0" || t == "no" || t == "off") { out = false; return true; }
  return false;
}

// Levenshtein distance, for "did you mean" hints on misspelt keys.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string ParamSpec::type_name() const {
  switch (type) {
    case ParamType::Int: return "integer";
    case ParamType::Real: return "real number";
    case ParamType::String: return "string";
    case ParamType::Bool: return "boolean (true/false)";
    case ParamType::IntList: return "comma-separated list of integers";
    case ParamType::RealList: return "comma-separated list of real numbers";
  }
  return "?";
}

std::string ParamSpec::allowed() const {
  std::ostringstream os;
  os << type_name();
  if (!choices.empty()) {
    os << ", one of: ";
    for (std::size_t i = 0; i < choices.size(); ++i) os << (i ? ", " : "") << choices[i];
  }
  if (min || max) {
    os << (type == ParamType::IntList || type == ParamType::RealList ? ", each in " : " in ");
    os << (min_exclusive ? "(" : "[") << (min ? format_number(*min) : "-inf") << ", "
       << (max ? format_number(*max) : "inf") << "]";
  }
  return os.str();
}

// ---- Params ---------------------------------------------------------------

const ParamSpec& Params::spec(const std::string& key) const {
  auto it = specs_.find(key);
  RIGCS_CHECK(it != specs_.end(), "internal: parameter '" << key << "' is not declared for this command");
  return it->second;
}

const std::string& Params::raw(const std::string& key, ParamType want) const {
  const ParamSpec& s = spec(key);
  RIGCS_CHECK(s.type == want, "internal: parameter '" << key << "' is a " << s.type_name());
  return values_.at(key);
}

std::int64_t Params::get_int(const std::string& key) const {
  std::int64_t v = 0;
  parse_int(raw(key, ParamType::Int), v);
  return v;
}

double Params::get_real(const std::string& key) const {
  double v = 0;
  parse_real(raw(key, ParamType::Real), v);
  return v;
}

const std::string& Params::get_string(const std::string& key) const {
  return raw(key, ParamType::String);
}

bool Params::get_bool(const std::string& key) const {
  bool v = false;
  parse_bool(raw(key, ParamType::Bool), v);
  return v;
}

std::vector<std::int64_t> Params::get_int_list(const std::string& key) const {
  std::vector<std::int64_t> out;
  for (const auto& item : split_list(raw(key, ParamType::IntList))) {
    std::int64_t v = 0;
    parse_int(item, v);
    out.push_back(v);
  }
  return out;
}

std::vector<double> Params::get_real_list(const std::string& key) const {
  std::vector<double> out;
  for (const auto& item : split_list(raw(key, ParamType::RealList))) {
    double v = 0;
    parse_real(item, v);
    out.push_back(v);
  }
  return out;
}

void Params::set(const std::string& key, const std::string& value) {
  auto it = specs_.find(key);
  RIGCS_CHECK(it != specs_.end(), "unknown key '" << key << "'");
  values_[key] = value;
  explicitly_set_[key] = true;
}

std::string Params::to_deck_text() const {
  std::ostringstream os;
  std::string section;
  for (const auto& [key, value] : values_) {
    const auto dot = key.find('.');
    const std::string sec = key.substr(0, dot);
    if (sec != section) {
      os << (section.empty() ? "" : "\n") << "[" << sec << "]\n";
      section = sec;
    }
    os << key.substr(dot + 1) << " = " << value << "\n";
  }
  return os.str();
}

// ---- ParamRegistry --------------------------------------------------------

ParamRegistry& ParamRegistry::add(ParamSpec s) {
  RIGCS_CHECK(s.key.find('.') != std::string::npos, "internal: key '" << s.key << "' needs a section");
  if (index_.count(s.key)) {
    order_[index_[s.key]] = std::move(s);  // a command may refine a shared default
  } else {
    index_[s.key] = order_.size();
    order_.push_back(std::move(s));
  }
  return *this;
}

ParamRegistry& ParamRegistry::add_int(const std::string& key, std::int64_t fallback,
                                      std::int64_t min, std::int64_t max, const std::string& help) {
  return add({key, ParamType::Int, std::to_string(fallback), help, double(min), double(max), {}});
}

ParamRegistry& ParamRegistry::add_real(const std::string& key, double fallback, double min,
                                       double max, const std::string& help, bool min_exclusive) {
  ParamSpec s{key, ParamType::Real, format_number(fallback), help, min, max, {}};
  if (!std::isfinite(min)) s.min.reset();
  if (!std::isfinite(max)) s.max.reset();
  s.min_exclusive = min_exclusive;
  return add(std::move(s));
}

ParamRegistry& ParamRegistry::add_string(const std::string& key, const std::string& fallback,
                                         const std::string& help, std::vector<std::string> choices) {
  return add({key, ParamType::String, fallback, help, std::nullopt, std::nullopt, std::move(choices)});
}

ParamRegistry& ParamRegistry::add_bool(const std::string& key, bool fallback, const std::string& help) {
  return add({key, ParamType::Bool, fallback ? "true" : "false", help, std::nullopt, std::nullopt, {}});
}

ParamRegistry& ParamRegistry::add_int_list(const std::string& key, const std::string& fallback,
                                           std::int64_t min, std::int64_t max, const std::string& help) {
  return add({key, ParamType::IntList, fallback, help, double(min), double(max), {}});
}

ParamRegistry& ParamRegistry::add_real_list(const std::string& key, const std::string& fallback,
                                            double min, double max, const std::string& help,
                                            bool min_exclusive) {
  ParamSpec s{key, ParamType::RealList, fallback, help, min, max, {}};
  s.min_exclusive = min_exclusive;
  return add(std::move(s));
}

void ParamRegistry::validate(const ParamSpec& s, const std::string& value,
                             const std::string& origin) const {
  auto fail = [&](const std::string& why) {
    RIGCS_FAIL(s.key << " = '" << value << "' " << origin << ": " << why << "; allowed: " << s.allowed());
  };
  auto check_range = [&](double v) {
    if (s.min && (s.min_exclusive ? v <= *s.min : v < *s.min)) fail("out of range");
    if (s.max && v > *s.max) fail("out of range");
  };
  switch (s.type) {
    case ParamType::Int: {
      std::int64_t v = 0;
      if (!parse_int(value, v)) fail("not an integer");
      check_range(static_cast<double>(v));
      break;
    }
    case ParamType::Real: {
      double v = 0;
      if (!parse_real(value, v)) fail("not a finite real number");
      check_range(v);
      break;
    }
    case ParamType::Bool: {
      bool v = false;
      if (!parse_bool(value, v)) fail("not a boolean");
      break;
    }
    case ParamType::String:
      if (!s.choices.empty() && std::find(s.choices.begin(), s.choices.end(), trim(value)) == s.choices.end())
        fail("not an allowed value");
      break;
    case ParamType::IntList:
    case ParamType::RealList:
      for (const auto& item : split_list(value)) {
        double v = 0;
        std::int64_t iv = 0;
        if (s.type == ParamType::IntList ? !parse_int(item, iv) : !parse_real(item, v))
          fail("element '" + item + "' is not a " + (s.type == ParamType::IntList ? "an integer" : "number"));
        check_range(s.type == ParamType::IntList ? static_cast<double>(iv) : v);
      }
      break;
  }
}

Params ParamRegistry::parse(const std::string& deck_path, const std::vector<std::string>& overrides) const {
  std::string text;
  if (!deck_path.empty()) {
    std::error_code ec;
    RIGCS_CHECK(!std::filesystem::is_directory(deck_path, ec),
                "deck '" << deck_path << "' is a directory, not an INI file");
    std::ifstream in(deck_path);
    RIGCS_CHECK(in, "cannot open deck '" << deck_path << "': " << std::strerror(errno));
    std::ostringstream os;
    os << in.rdbuf();
    text = os.str();
    // Editors on some systems start UTF-8 files with a byte-order mark, which would
    // otherwise make an invisible "invalid line" of the first line.
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  }
  return parse_text(text, deck_path.empty() ? "" : "in " + deck_path, overrides);
}

Params ParamRegistry::parse_text(const std::string& deck_text, const std::string& origin,
                                 const std::vector<std::string>& overrides) const {
  auto unknown = [&](const std::string& key, const std::string& where) {
    std::string best;
    std::size_t best_d = 4;
    for (const auto& s : order_) {
      const std::size_t d = edit_distance(key, s.key);
      if (d < best_d) { best_d = d; best = s.key; }
    }
    std::ostringstream os;
    os << "unknown key '" << key << "'" << (where.empty() ? "" : " " + where);
    if (!best.empty()) os << " (did you mean '" << best << "'?)";
    os << "; 'rigcs help <command>' lists the keys";
    RIGCS_FAIL(os.str());
  };

  Params p;
  for (const auto& s : order_) {
    p.specs_[s.key] = s;
    p.values_[s.key] = s.fallback;
  }

  // The deck: Boost.Program_options reads the INI syntax ([section] key = value,
  // '#' comments) and refuses keys it was not told about.
  po::options_description desc;
  for (const auto& s : order_) desc.add_options()(s.key.c_str(), po::value<std::string>());
  std::istringstream in(deck_text);
  po::variables_map vm;
  try {
    po::store(po::parse_config_file(in, desc, /*allow_unregistered=*/false), vm);
  } catch (const po::unknown_option& e) {
    unknown(e.get_option_name(), origin);
  } catch (const po::multiple_occurrences& e) {
    RIGCS_FAIL("key '" << e.get_option_name() << "' is given more than once " << origin);
  } catch (const po::error& e) {
    RIGCS_FAIL("cannot read deck " << origin << ": " << e.what());
  }
  for (const auto& [key, value] : vm) {
    const std::string v = trim(value.as<std::string>());
    validate(order_[index_.at(key)], v, origin);
    p.values_[key] = v;
    p.explicitly_set_[key] = true;
  }

  // Command-line overrides win over the deck.
  for (const auto& ov : overrides) {
    const auto eq = ov.find('=');
    RIGCS_CHECK(eq != std::string::npos,
                "command-line option '--" << ov << "' needs a value: --section.key=value");
    const std::string key = trim(ov.substr(0, eq));
    const std::string value = trim(ov.substr(eq + 1));
    if (!index_.count(key)) unknown(key, "on the command line");
    validate(order_[index_.at(key)], value, "on the command line");
    p.values_[key] = value;
    p.explicitly_set_[key] = true;
  }
  return p;
}

std::string ParamRegistry::help_text() const {
  std::ostringstream os;
  std::string section;
  for (const auto& s : order_) {
    const std::string sec = s.key.substr(0, s.key.find('.'));
    if (sec != section) {
      os << "\n[" << sec << "]\n";
      section = sec;
    }
    os << "  " << std::left << std::setw(26) << s.key << " " << s.help << "\n"
       << "  " << std::setw(26) << "" << " " << s.allowed() << "; default: "
       << (s.fallback.empty() ? "(empty)" : s.fallback) << "\n";
  }
  return os.str();
}

}  // namespace rigcs
