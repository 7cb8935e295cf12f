#include "imap/sort_thread.hpp"

#include <glib.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <unordered_map>
#include <utility>

#include "base/text.hpp"

namespace ximssd::imap {

namespace {

// ---- Collation -----------------------------------------------------------------------------

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// i;unicode-casemap (RFC 5051): every character titlecased, then in its compatibility
// decomposition (NFKD); keys compare as octets. For ASCII that is just uppercasing, the common
// case, done without glib. glib's normalizer stops at a NUL, so the text is taken between NULs.
std::string collation_key(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  if (is_ascii(text)) {
    for (char c : text) out += c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    return out;
  }
  std::string valid = to_valid_utf8(text);
  std::string titled;
  size_t pos = 0;
  for (;;) {
    size_t nul = valid.find('\0', pos);
    size_t end = nul == std::string::npos ? valid.size() : nul;
    titled.clear();
    for (const char* p = valid.data() + pos; p < valid.data() + end; p = g_utf8_next_char(p)) {
      char buffer[6];
      int n = g_unichar_to_utf8(g_unichar_totitle(g_utf8_get_char(p)), buffer);
      titled.append(buffer, static_cast<size_t>(n));
    }
    if (!titled.empty()) {
      char* normalized = g_utf8_normalize(titled.data(), static_cast<gssize>(titled.size()), G_NORMALIZE_NFKD);
      out += normalized ? normalized : titled.c_str();
      g_free(normalized);
    }
    if (nul == std::string::npos) return out;
    out += '\0';
    pos = nul + 1;
  }
}

// ---- Base subject (RFC 5256 section 2.1) ---------------------------------------------------

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool has_prefix_at(std::string_view s, size_t pos, std::string_view lowercase_word) {
  if (s.size() - pos < lowercase_word.size()) return false;
  for (size_t i = 0; i < lowercase_word.size(); ++i)
    if (lower(s[pos + i]) != lowercase_word[i]) return false;
  return true;
}

constexpr size_t npos = std::string_view::npos;

// subj-blob = "[" *BLOBCHAR "]" *WSP, starting at `pos`; the end, or npos. BLOBCHAR is any
// character but "[" and "]": the RFC's grammar lists 7-bit ones only, but the subject is
// decoded UTF-8 by now and a list tag such as "[Список]" is as much a blob as "[list]".
size_t match_blob(std::string_view s, size_t pos) {
  if (pos >= s.size() || s[pos] != '[') return npos;
  size_t end = pos + 1;
  while (end < s.size() && s[end] != '[' && s[end] != ']' && s[end] != '\0') ++end;
  if (end >= s.size() || s[end] != ']') return npos;
  ++end;
  while (end < s.size() && s[end] == ' ') ++end;
  return end;
}

// *subj-blob subj-refwd, subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"; the end, or
// npos. Taking blobs greedily loses nothing: after fewer of them the next character is "[",
// which cannot start a subj-refwd.
size_t match_blobs_refwd(std::string_view s, size_t pos) {
  for (size_t next; (next = match_blob(s, pos)) != npos;) pos = next;
  if (has_prefix_at(s, pos, "re")) {
    pos += 2;
  } else if (has_prefix_at(s, pos, "fw")) {
    pos += has_prefix_at(s, pos, "fwd") ? 3 : 2;
  } else {
    return npos;
  }
  while (pos < s.size() && s[pos] == ' ') ++pos;
  if (size_t blob = match_blob(s, pos); blob != npos) pos = blob;
  return pos < s.size() && s[pos] == ':' ? pos + 1 : npos;
}

struct SubjectParts {
  std::string base;
  // Extraction removed a subj-refwd, a "(fwd)" trailer or a "[fwd: ...]" wrapper: the message
  // is a reply or a forward, which THREAD=REFERENCES (step 5) ranks below an original.
  bool reply_or_forward = false;
};

SubjectParts analyse_subject(std::string_view subject) {
  SubjectParts parts;
  // (1) Tabs and line breaks (continuations) become spaces; runs of spaces become one.
  std::string& s = parts.base;
  s.reserve(subject.size());
  for (char c : subject) {
    if (c == '\t' || c == '\r' || c == '\n') c = ' ';
    if (c == ' ' && !s.empty() && s.back() == ' ') continue;
    s += c;
  }
  for (;;) {
    // (2) Trailing subj-trailer ("(fwd)" / WSP), as long as one is there.
    for (;;) {
      if (!s.empty() && s.back() == ' ') {
        s.pop_back();
      } else if (s.size() >= 5 && has_prefix_at(s, s.size() - 5, "(fwd)")) {
        s.resize(s.size() - 5);
        parts.reply_or_forward = true;
      } else {
        break;
      }
    }
    // (3) Leading subj-leader ((*subj-blob subj-refwd) / WSP); (4) one leading subj-blob when
    // text remains after it; (5) again until neither applies.
    size_t pos = 0;
    for (;;) {
      for (;;) {
        if (pos < s.size() && s[pos] == ' ') {
          ++pos;
        } else if (size_t end = match_blobs_refwd(s, pos); end != npos) {
          pos = end;
          parts.reply_or_forward = true;
        } else {
          break;
        }
      }
      size_t end = match_blob(s, pos);
      if (end == npos || end >= s.size()) break;
      pos = end;
    }
    s.erase(0, pos);
    // (6) "[fwd:" ... "]" around everything: unwrap and start over from (2).
    if (s.size() >= 6 && has_prefix_at(s, 0, "[fwd:") && s.back() == ']') {
      s = s.substr(5, s.size() - 6);
      parts.reply_or_forward = true;
      continue;
    }
    return parts;
  }
}

// ---- SORT ----------------------------------------------------------------------------------

struct SortKeyName {
  std::string_view name;
  SortField field;
};
constexpr std::array<SortKeyName, 9> kSortKeys = {{{"ARRIVAL", SortField::arrival},
                                                   {"CC", SortField::cc},
                                                   {"DATE", SortField::date},
                                                   {"FROM", SortField::from},
                                                   {"SIZE", SortField::size},
                                                   {"SUBJECT", SortField::subject},
                                                   {"TO", SortField::to},
                                                   {"DISPLAYFROM", SortField::display_from},
                                                   {"DISPLAYTO", SortField::display_to}}};

int64_t sent_date(const SortThreadMessage& m) { return m.sent_date.value_or(m.internal_date); }

bool is_string_field(SortField field) {
  return field != SortField::arrival && field != SortField::date && field != SortField::size;
}

std::string string_key(const SortThreadMessage& m, SortField field) {
  switch (field) {
    case SortField::cc: return collation_key(m.cc_mailbox);
    case SortField::from: return collation_key(m.from_mailbox);
    case SortField::to: return collation_key(m.to_mailbox);
    case SortField::subject: return collation_key(base_subject(m.subject));
    case SortField::display_from: return collation_key(m.from_display);
    case SortField::display_to: return collation_key(m.to_display);
    default: return {};
  }
}

int64_t number_key(const SortThreadMessage& m, SortField field) {
  switch (field) {
    case SortField::arrival: return m.internal_date;
    case SortField::date: return sent_date(m);
    case SortField::size: return m.size;
    default: return 0;
  }
}

// ---- Threads -------------------------------------------------------------------------------

// The threads as a tree: nodes are messages or dummies (a message referred to but not among
// the threaded ones), children in response order.
struct Forest {
  static constexpr int kDummy = -1;
  std::vector<int> message;  // per node: index into the messages, or kDummy
  std::vector<std::vector<int>> children;
  std::vector<int> roots;

  int add(int message_index) {
    message.push_back(message_index);
    children.emplace_back();
    return static_cast<int>(message.size()) - 1;
  }
  bool dummy(int node) const { return message[static_cast<size_t>(node)] == kDummy; }
  std::vector<int>& kids(int node) { return children[static_cast<size_t>(node)]; }
};

// The response text, written without recursion (a chain of replies may be as deep as the
// mailbox is long). A thread is "(" its members ")"; a message's members are its id, then its
// only child's members after a space, or each of several children as "(" members ")". A dummy
// has no id of its own: its children follow one another, each in parentheses.
std::string format_forest(Forest& forest, std::span<const SortThreadMessage> messages) {
  std::string out;
  struct Step {
    int node;  // -1: emit `text`
    const char* text;
  };
  std::vector<Step> stack;
  auto push_in_parentheses = [&](const std::vector<int>& nodes) {
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      stack.push_back({-1, ")"});
      stack.push_back({*it, nullptr});
      stack.push_back({-1, "("});
    }
  };
  push_in_parentheses(forest.roots);
  while (!stack.empty()) {
    Step step = stack.back();
    stack.pop_back();
    if (step.node < 0) {
      out += step.text;
      continue;
    }
    const std::vector<int>& kids = forest.kids(step.node);
    if (forest.dummy(step.node)) {
      push_in_parentheses(kids);
      continue;
    }
    out += std::to_string(messages[static_cast<size_t>(forest.message[static_cast<size_t>(step.node)])].id);
    if (kids.empty()) continue;
    out += ' ';
    if (kids.size() == 1)
      stack.push_back({kids[0], nullptr});
    else
      push_in_parentheses(kids);
  }
  return out;
}

// ORDEREDSUBJECT (RFC 5256 section 3): messages sorted by base subject, then sent date; each
// run of one base subject is a thread whose first message is the parent of all the others;
// threads in the order of their first messages' sent dates.
std::string thread_ordered_subject(std::span<const SortThreadMessage> messages) {
  std::vector<std::string> subjects;
  subjects.reserve(messages.size());
  for (const auto& m : messages) subjects.push_back(collation_key(base_subject(m.subject)));
  auto by_date = [&](size_t a, size_t b) {
    int64_t da = sent_date(messages[a]), db = sent_date(messages[b]);
    return da != db ? da < db : messages[a].id < messages[b].id;
  };
  std::vector<size_t> order(messages.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    int c = subjects[a].compare(subjects[b]);
    return c != 0 ? c < 0 : by_date(a, b);
  });
  Forest forest;
  for (size_t i = 0; i < order.size();) {
    int first = forest.add(static_cast<int>(order[i]));
    forest.roots.push_back(first);
    size_t j = i + 1;
    for (; j < order.size() && subjects[order[j]] == subjects[order[i]]; ++j) {
      int child = forest.add(static_cast<int>(order[j]));  // before kids(): add reallocates
      forest.kids(first).push_back(child);
    }
    i = j;
  }
  std::sort(forest.roots.begin(), forest.roots.end(), [&](int a, int b) {
    return by_date(static_cast<size_t>(forest.message[static_cast<size_t>(a)]),
                   static_cast<size_t>(forest.message[static_cast<size_t>(b)]));
  });
  return format_forest(forest, messages);
}

// The msg-ids of a header value, in order: "<" ... ">" with an "@" inside (as Dovecot and
// Courier require), whitespace (folding) removed. Text between ids, comments included, is
// skipped; a comment may hold "<" and ">" of its own.
std::vector<std::string> message_ids(std::string_view value) {
  std::vector<std::string> ids;
  size_t pos = 0;
  while (pos < value.size()) {
    char c = value[pos];
    if (c == '(') {
      int depth = 0;
      for (; pos < value.size(); ++pos) {
        if (value[pos] == '\\') {
          ++pos;
        } else if (value[pos] == '(') {
          ++depth;
        } else if (value[pos] == ')' && --depth == 0) {
          break;
        }
      }
      ++pos;
      continue;
    }
    if (c != '<') {
      ++pos;
      continue;
    }
    size_t close = value.find_first_of("<>", pos + 1);
    if (close == npos) break;
    if (value[close] == '<') {  // "<" without ">": the next "<" may start a good one
      pos = close;
      continue;
    }
    std::string id;
    for (char ch : value.substr(pos + 1, close - pos - 1))
      if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') id += ch;
    if (id.find('@') != std::string::npos) ids.push_back(std::move(id));
    pos = close + 1;
  }
  return ids;
}

// REFERENCES (RFC 5256 section 3; J. Zawinski's algorithm), steps numbered as in the RFC.
class ReferencesThreader {
 public:
  explicit ReferencesThreader(std::span<const SortThreadMessage> messages) : messages_(messages) {}

  std::string run() {
    // Step 1, message by message in mailbox order, so that of messages sharing a Message-ID
    // the first keeps it.
    std::vector<size_t> order(messages_.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return messages_[a].id < messages_[b].id; });
    for (size_t index : order) link_message(index);
    build_children();   // step 2
    prune();            // step 3
    sort_roots();       // step 4
    gather_subjects();  // step 5
    sort_all();         // step 6
    return format_forest(forest_, messages_);
  }

 private:
  int node_for_reference(const std::string& id) {
    auto [it, inserted] = by_id_.try_emplace(id, 0);
    if (inserted) it->second = new_node();
    return it->second;
  }

  // Whether making `parent` the parent of `child` would close a loop: `parent` is `child` or
  // one of its descendants. A node without children has no descendants, which spares the walk
  // up a long chain of replies each time its newest message is linked.
  bool would_loop(int parent, int child) const {
    if (parent == child) return true;
    if (child_count_[static_cast<size_t>(child)] == 0) return false;
    for (int n = parent; n >= 0; n = parent_[static_cast<size_t>(n)])
      if (n == child) return true;
    return false;
  }

  void set_parent(int child, int parent) {
    int& link = parent_[static_cast<size_t>(child)];
    if (link >= 0) --child_count_[static_cast<size_t>(link)];
    link = parent;
    if (parent >= 0) ++child_count_[static_cast<size_t>(parent)];
  }

  int new_node() {
    parent_.push_back(-1);
    child_count_.push_back(0);
    return forest_.add(Forest::kDummy);
  }

  void link_message(size_t index) {
    const SortThreadMessage& m = messages_[index];
    // The message's own node: a dummy that earlier references created under its Message-ID
    // becomes it; without a valid Message-ID, or with one an earlier message already has, it
    // gets a node no reference can find (a "unique Message ID").
    int self = -1;
    std::vector<std::string> own = message_ids(m.message_id);
    if (!own.empty()) {
      auto it = by_id_.find(own.front());
      if (it == by_id_.end()) {
        self = node_for_reference(own.front());
      } else if (forest_.dummy(it->second)) {
        self = it->second;
      }
    }
    if (self < 0) self = new_node();
    forest_.message[static_cast<size_t>(self)] = static_cast<int>(index);

    // The references: the References field's msg-ids, or else the first of In-Reply-To's.
    std::vector<std::string> references = message_ids(m.references);
    if (references.empty()) {
      std::vector<std::string> in_reply_to = message_ids(m.in_reply_to);
      if (!in_reply_to.empty()) references.push_back(std::move(in_reply_to.front()));
    }
    // (1.A) Each reference the parent of the next, unless the next already has a parent
    // (the list may be truncated or out of order) or the link would close a loop.
    int previous = -1;
    for (const std::string& reference : references) {
      int node = node_for_reference(reference);
      if (previous >= 0 && parent_[static_cast<size_t>(node)] < 0 && !would_loop(previous, node))
        set_parent(node, previous);
      previous = node;
    }
    // (1.B) The last reference is the message's parent, replacing a parent an earlier
    // message's references gave it; none when the link would close a loop.
    set_parent(self, -1);
    if (previous >= 0 && !would_loop(previous, self)) set_parent(self, previous);
  }

  // (2) Children lists from the parent links; the parentless nodes are the root's children.
  void build_children() {
    for (size_t n = 0; n < parent_.size(); ++n) {
      int p = parent_[n];
      if (p < 0)
        forest_.roots.push_back(static_cast<int>(n));
      else
        forest_.kids(p).push_back(static_cast<int>(n));
    }
  }

  // Nodes below the root, children before their parents.
  std::vector<int> post_order() const {
    std::vector<int> out;
    std::vector<std::pair<int, size_t>> stack;
    for (int root : forest_.roots) {
      stack.push_back({root, 0});
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        const auto& kids = forest_.children[static_cast<size_t>(node)];
        if (next < kids.size()) {
          int child = kids[next++];
          stack.push_back({child, 0});
        } else {
          out.push_back(node);
          stack.pop_back();
        }
      }
    }
    return out;
  }

  // (3) Dummies go: one without children is deleted, one with children gives them to its
  // parent in its place, except that a dummy at the top keeps two or more children (they
  // stay one thread). Children first, so a dummy's children list is final when its parent
  // looks at it.
  void prune() {
    for (int node : post_order()) forest_.kids(node) = without_dummies(forest_.kids(node), false);
    forest_.roots = without_dummies(forest_.roots, true);
  }

  std::vector<int> without_dummies(const std::vector<int>& nodes, bool top) {
    std::vector<int> out;
    out.reserve(nodes.size());
    for (int node : nodes) {
      if (!forest_.dummy(node)) {
        out.push_back(node);
        continue;
      }
      const std::vector<int>& kids = forest_.kids(node);
      if (top && kids.size() > 1)
        out.push_back(node);
      else
        out.insert(out.end(), kids.begin(), kids.end());
    }
    return out;
  }

  // The message a node stands for in date order and subject: itself, or a dummy's first child.
  int representative(int node) const {
    while (forest_.dummy(node) && !forest_.children[static_cast<size_t>(node)].empty())
      node = forest_.children[static_cast<size_t>(node)].front();
    return forest_.message[static_cast<size_t>(node)];
  }

  void sort_by_date(std::vector<int>& nodes) const {
    std::sort(nodes.begin(), nodes.end(), [&](int a, int b) {
      const SortThreadMessage& ma = messages_[static_cast<size_t>(representative(a))];
      const SortThreadMessage& mb = messages_[static_cast<size_t>(representative(b))];
      int64_t da = sent_date(ma), db = sent_date(mb);
      return da != db ? da < db : ma.id < mb.id;
    });
  }

  // (4) The top level by sent date, a dummy by its first child once its children are sorted.
  void sort_roots() {
    for (int root : forest_.roots)
      if (forest_.dummy(root)) sort_by_date(forest_.kids(root));
    sort_by_date(forest_.roots);
  }

  const SubjectParts& subject_of(int message) {
    auto [it, inserted] = subjects_.try_emplace(message);
    if (inserted) {
      it->second = analyse_subject(messages_[static_cast<size_t>(message)].subject);
      it->second.base = collation_key(it->second.base);
    }
    return it->second;
  }

  // (5) Threads whose subjects (their first message's base subject) are equal become one.
  void gather_subjects() {
    // (B) One thread per subject in the table: the first one, unless a later one is a dummy
    // (several threads already) or an original where the table holds a reply or forward.
    std::unordered_map<std::string, int> table;
    for (int root : forest_.roots) {
      const SubjectParts& subject = subject_of(representative(root));
      if (subject.base.empty()) continue;
      auto [it, inserted] = table.try_emplace(subject.base, root);
      if (inserted || forest_.dummy(it->second)) continue;
      if (forest_.dummy(root) || (subject_of(representative(it->second)).reply_or_forward && !subject.reply_or_forward))
        it->second = root;
    }
    // (C) Every other thread with that subject merges into the table's.
    std::vector<int> roots = forest_.roots;
    std::unordered_map<int, size_t> position;
    for (size_t i = 0; i < roots.size(); ++i) position[roots[i]] = i;
    for (size_t i = 0; i < roots.size(); ++i) {
      int current = roots[i];
      if (current < 0) continue;
      const SubjectParts& subject = subject_of(representative(current));
      if (subject.base.empty()) continue;
      int& kept = table.at(subject.base);
      if (kept == current) continue;
      bool current_reply = subject.reply_or_forward;
      bool kept_reply = subject_of(representative(kept)).reply_or_forward;
      if (forest_.dummy(kept) && forest_.dummy(current)) {
        auto& from = forest_.kids(current);
        auto& to = forest_.kids(kept);
        to.insert(to.end(), from.begin(), from.end());
        from.clear();
      } else if (forest_.dummy(kept) || (current_reply && !kept_reply)) {
        forest_.kids(kept).push_back(current);
      } else {
        int dummy = forest_.add(Forest::kDummy);
        forest_.kids(dummy) = {kept, current};
        roots[position.at(kept)] = dummy;
        position[dummy] = position.at(kept);
        kept = dummy;
      }
      roots[i] = -1;
    }
    std::erase(roots, -1);
    forest_.roots = std::move(roots);
  }

  // (6) Every set of siblings by sent date, deepest first, so that a top-level dummy is placed
  // by its earliest child.
  void sort_all() {
    for (int node : post_order()) sort_by_date(forest_.kids(node));
    sort_by_date(forest_.roots);
  }

  std::span<const SortThreadMessage> messages_;
  Forest forest_;
  std::vector<int> parent_;  // per node, during step 1; -1 for none
  std::vector<uint32_t> child_count_;  // per node, during step 1
  std::unordered_map<std::string, int> by_id_;
  std::unordered_map<int, SubjectParts> subjects_;
};

}  // namespace

std::string base_subject(std::string_view subject) { return analyse_subject(subject).base; }

std::vector<SortCriterion> read_sort_criteria(ArgumentReader& args) {
  std::vector<SortCriterion> criteria;
  args.list_begin();
  for (;;) {
    SortCriterion criterion{SortField::arrival};
    if (args.accept_word("REVERSE")) {
      criterion.reverse = true;
      args.sp();
    }
    std::string_view word = args.peek_atom();
    auto key = std::find_if(kSortKeys.begin(), kSortKeys.end(),
                            [&](const SortKeyName& k) { return iequals(k.name, word); });
    if (word.empty() || key == kSortKeys.end())
      args.fail("expected a sort key (ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT, TO, DISPLAYFROM, DISPLAYTO)");
    args.atom();
    criterion.field = key->field;
    criteria.push_back(criterion);
    if (args.accept_list_end()) return criteria;
    args.sp();
  }
}

std::vector<uint32_t> sort_messages(std::span<const SortThreadMessage> messages,
                                    std::span<const SortCriterion> criteria) {
  // Each criterion's keys once per message, not once per comparison.
  std::vector<std::vector<std::string>> strings(criteria.size());
  std::vector<std::vector<int64_t>> numbers(criteria.size());
  for (size_t c = 0; c < criteria.size(); ++c) {
    SortField field = criteria[c].field;
    for (const auto& m : messages) {
      if (is_string_field(field))
        strings[c].push_back(string_key(m, field));
      else
        numbers[c].push_back(number_key(m, field));
    }
  }
  std::vector<size_t> order(messages.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    for (size_t c = 0; c < criteria.size(); ++c) {
      int cmp;
      if (is_string_field(criteria[c].field)) {
        cmp = strings[c][a].compare(strings[c][b]);
      } else {
        cmp = numbers[c][a] < numbers[c][b] ? -1 : numbers[c][a] > numbers[c][b] ? 1 : 0;
      }
      if (cmp != 0) return criteria[c].reverse ? cmp > 0 : cmp < 0;
    }
    return messages[a].id < messages[b].id;
  });
  std::vector<uint32_t> ids;
  ids.reserve(order.size());
  for (size_t i : order) ids.push_back(messages[i].id);
  return ids;
}

ThreadAlgorithm read_thread_algorithm(ArgumentReader& args) {
  if (args.accept_word("ORDEREDSUBJECT")) return ThreadAlgorithm::orderedsubject;
  if (args.accept_word("REFERENCES")) return ThreadAlgorithm::references;
  args.fail("expected a threading algorithm (ORDEREDSUBJECT or REFERENCES)");
}

std::string thread_messages(std::span<const SortThreadMessage> messages, ThreadAlgorithm algorithm) {
  if (messages.empty()) return {};
  if (algorithm == ThreadAlgorithm::orderedsubject) return thread_ordered_subject(messages);
  return ReferencesThreader(messages).run();
}

}  // namespace ximssd::imap
