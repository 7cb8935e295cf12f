// The skin string dictionaries sent by readStrings. They ship inside the binary (built from
// resources/strings/*.xml) and are pre-rendered once, so a readStrings reply is one copy.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/time_format.hpp"

namespace ximssd::ximss {

class StringsDictionary {
 public:
  struct Dictionary {
    std::string language;
    SysSeconds modified;
    std::string content;  // the <string>/<strings> children, rendered
  };

  StringsDictionary();  // loads the built-in dictionaries; throws if one is malformed
  // The dictionary for `language`; the default (English) when it is empty or unknown.
  const Dictionary& find(std::string_view language) const;
  bool has(std::string_view language) const;
  const std::string& default_language() const { return default_; }

 private:
  std::map<std::string, Dictionary, std::less<>> dictionaries_;  // lower-case language name
  std::string default_ = "English";
};

}  // namespace ximssd::ximss
