// SORT and THREAD (RFC 5256): base subjects, every sort key with REVERSE and ties, the two
// threading algorithms on sets with replies, missing parents, loops, duplicates and subject
// merging, and the readers of their arguments.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/command_parser.hpp"
#include "imap/sort_thread.hpp"

using namespace ximssd::imap;

namespace {

using Ids = std::vector<uint32_t>;
using Criteria = std::vector<SortCriterion>;

// A message for threading: `message_id` and `references` are written as header values.
SortThreadMessage mail(uint32_t id, int64_t date, std::string subject, std::string message_id = "",
                       std::string references = "", std::string in_reply_to = "") {
  SortThreadMessage m;
  m.id = id;
  m.internal_date = 1'000'000 + id;  // arrival order differs from the sent dates on purpose
  m.sent_date = date;
  m.subject = std::move(subject);
  m.message_id = std::move(message_id);
  m.references = std::move(references);
  m.in_reply_to = std::move(in_reply_to);
  return m;
}

std::string references(const std::vector<SortThreadMessage>& messages) {
  return thread_messages(messages, ThreadAlgorithm::references);
}

std::string ordered_subject(const std::vector<SortThreadMessage>& messages) {
  return thread_messages(messages, ThreadAlgorithm::orderedsubject);
}

Criteria criteria(std::string_view text) {
  ArgumentReader args(text);
  Criteria out = read_sort_criteria(args);
  args.expect_end();
  return out;
}

Ids sorted(const std::vector<SortThreadMessage>& messages, std::string_view text) {
  Criteria c = criteria(text);
  return sort_messages(messages, c);
}

}  // namespace

// ---- Base subject --------------------------------------------------------------------------

TEST(ImapBaseSubject, PlainSubjectsStay) {
  EXPECT_EQ(base_subject("Hello"), "Hello");
  EXPECT_EQ(base_subject(""), "");
  EXPECT_EQ(base_subject("Reply: later"), "Reply: later");
  EXPECT_EQ(base_subject("Fwdx: y"), "Fwdx: y");
  EXPECT_EQ(base_subject("Re"), "Re");
  EXPECT_EQ(base_subject("Are: you there"), "Are: you there");
  EXPECT_EQ(base_subject("Hello (fwd) there"), "Hello (fwd) there");
}

TEST(ImapBaseSubject, WhitespaceIsCollapsedAndTrimmed) {
  EXPECT_EQ(base_subject("  Hello \t  world  "), "Hello world");
  EXPECT_EQ(base_subject("Hello\r\n world"), "Hello world");
  EXPECT_EQ(base_subject(" \t "), "");
}

TEST(ImapBaseSubject, ReplyAndForwardLeaders) {
  EXPECT_EQ(base_subject("Re: Hello"), "Hello");
  EXPECT_EQ(base_subject("RE: hello"), "hello");
  EXPECT_EQ(base_subject("re:hello"), "hello");
  EXPECT_EQ(base_subject("Re : Hello"), "Hello");
  EXPECT_EQ(base_subject("Fw: Hello"), "Hello");
  EXPECT_EQ(base_subject("FWD: Hello"), "Hello");
  EXPECT_EQ(base_subject("Re: Re: Fwd: Re: lunch"), "lunch");
  EXPECT_EQ(base_subject("Fwd:Fwd:lunch"), "lunch");
  EXPECT_EQ(base_subject("Re:"), "");
  EXPECT_EQ(base_subject("Re:Re"), "Re");
}

TEST(ImapBaseSubject, BlobsInAndBeforeLeaders) {
  EXPECT_EQ(base_subject("Re[2]: lunch"), "lunch");
  EXPECT_EQ(base_subject("Re [2]: lunch"), "lunch");
  EXPECT_EQ(base_subject("Fwd[3] : lunch"), "lunch");
  EXPECT_EQ(base_subject("[list] Re: lunch"), "lunch");
  EXPECT_EQ(base_subject("[a][b] Re: lunch"), "lunch");
  EXPECT_EQ(base_subject("[PATCH 1/2] Re: fix"), "fix");
  EXPECT_EQ(base_subject("Re: [list] lunch"), "lunch");
  EXPECT_EQ(base_subject("Re: [list] Re: [list] lunch"), "lunch");
  EXPECT_EQ(base_subject("[Список] Re: тема"), "тема");
}

TEST(ImapBaseSubject, BlobIsRemovedOnlyWhenTextRemains) {
  EXPECT_EQ(base_subject("[list] lunch"), "lunch");
  EXPECT_EQ(base_subject("[a] [b] lunch"), "lunch");
  EXPECT_EQ(base_subject("[list]"), "[list]");
  EXPECT_EQ(base_subject("[a] [b]"), "[b]");
  EXPECT_EQ(base_subject("Fwd: Fwd: [x]"), "[x]");
  EXPECT_EQ(base_subject("Re: [unclosed subject"), "[unclosed subject");
  EXPECT_EQ(base_subject("[a[b] c"), "[a[b] c");
}

TEST(ImapBaseSubject, ForwardTrailers) {
  EXPECT_EQ(base_subject("lunch (fwd)"), "lunch");
  EXPECT_EQ(base_subject("lunch (FWD) (fwd)  "), "lunch");
  EXPECT_EQ(base_subject("lunch(fwd)"), "lunch");
  EXPECT_EQ(base_subject("(fwd)"), "");
  EXPECT_EQ(base_subject("Re: (fwd)"), "");
}

TEST(ImapBaseSubject, ForwardWrappers) {
  EXPECT_EQ(base_subject("[Fwd: lunch]"), "lunch");
  EXPECT_EQ(base_subject("[fwd: Re: lunch] (fwd)"), "lunch");
  EXPECT_EQ(base_subject("Re: [fwd: [list] hi]"), "hi");
  EXPECT_EQ(base_subject("[fwd: [fwd: deep]]"), "deep");
  EXPECT_EQ(base_subject("[fwd: lunch (fwd)]"), "lunch");
  EXPECT_EQ(base_subject("[fwd:]"), "");
  EXPECT_EQ(base_subject("[fwd: unclosed"), "[fwd: unclosed");
  EXPECT_EQ(base_subject("[fwd] lunch]"), "lunch]");
}

// ---- SORT ----------------------------------------------------------------------------------

TEST(ImapSortCriteria, ReadsKeysAndReverse) {
  EXPECT_EQ(criteria("(ARRIVAL)"), (Criteria{{SortField::arrival}}));
  EXPECT_EQ(criteria("(reverse Date subject)"), (Criteria{{SortField::date, true}, {SortField::subject}}));
  EXPECT_EQ(criteria("(CC FROM SIZE TO REVERSE ARRIVAL)"),
            (Criteria{{SortField::cc}, {SortField::from}, {SortField::size}, {SortField::to}, {SortField::arrival, true}}));
  EXPECT_EQ(criteria("(DISPLAYFROM REVERSE displayto)"),
            (Criteria{{SortField::display_from}, {SortField::display_to, true}}));
}

TEST(ImapSortCriteria, StopsAfterTheList) {
  std::string_view text = "(DATE) UTF-8 ALL";
  ArgumentReader args(text);
  EXPECT_EQ(read_sort_criteria(args), (Criteria{{SortField::date}}));
  EXPECT_EQ(args.offset(), 6u);
}

TEST(ImapSortCriteria, RejectsBadLists) {
  auto offset_of_error = [](std::string_view text) -> size_t {
    ArgumentReader args(text);
    try {
      read_sort_criteria(args);
    } catch (const SyntaxError& error) {
      return error.offset();
    }
    ADD_FAILURE() << "accepted " << text;
    return 0;
  };
  EXPECT_EQ(offset_of_error("()"), 1u);
  EXPECT_EQ(offset_of_error("(REVERSE)"), 8u);
  EXPECT_EQ(offset_of_error("(REVERSE REVERSE DATE)"), 9u);
  EXPECT_EQ(offset_of_error("(DATE FOO)"), 6u);
  EXPECT_EQ(offset_of_error("(DATES)"), 1u);
  EXPECT_EQ(offset_of_error("DATE"), 0u);
  EXPECT_EQ(offset_of_error("(DATE"), 5u);
  EXPECT_EQ(offset_of_error("(DATE  SIZE)"), 6u);
  EXPECT_EQ(offset_of_error("( DATE)"), 1u);
  EXPECT_EQ(offset_of_error("(\"DATE\")"), 1u);
  EXPECT_EQ(offset_of_error(""), 0u);
}

namespace {

// Five messages whose keys disagree with one another and with their ids.
std::vector<SortThreadMessage> sort_set() {
  std::vector<SortThreadMessage> m(5);
  struct Row {
    uint32_t id;
    int64_t arrival;
    std::optional<int64_t> sent;
    int64_t size;
    const char* subject;
    const char* from;
    const char* to;
    const char* cc;
    const char* display_from;
    const char* display_to;
  };
  const Row rows[] = {
      {1, 500, 300, 40, "Re: banana", "carol", "bob", "", "Zed", "alice@example.dom"},
      {2, 100, std::nullopt, 10, "apple", "alice", "", "dave", "carol@example.dom", "Yvonne"},
      {3, 300, 100, 30, "[list] Cherry", "bob", "alice", "bob", "Bob", "Xavier"},
      {4, 200, 400, 20, "Fwd: APPLE", "Alice", "dave", "alice", "alice", "bob"},
      {5, 400, 200, 50, "banana (fwd)", "", "carol", "carol", "", "Carol"},
  };
  for (size_t i = 0; i < 5; ++i) {
    m[i].id = rows[i].id;
    m[i].internal_date = rows[i].arrival;
    m[i].sent_date = rows[i].sent;
    m[i].size = rows[i].size;
    m[i].subject = rows[i].subject;
    m[i].from_mailbox = rows[i].from;
    m[i].to_mailbox = rows[i].to;
    m[i].cc_mailbox = rows[i].cc;
    m[i].from_display = rows[i].display_from;
    m[i].to_display = rows[i].display_to;
  }
  return m;
}

}  // namespace

TEST(ImapSort, EachKey) {
  auto m = sort_set();
  EXPECT_EQ(sorted(m, "(ARRIVAL)"), (Ids{2, 4, 3, 5, 1}));
  // Message 2 has no Date: its arrival (100) stands in, a tie with 3's sent date (100).
  EXPECT_EQ(sorted(m, "(DATE)"), (Ids{2, 3, 5, 1, 4}));
  EXPECT_EQ(sorted(m, "(SIZE)"), (Ids{2, 4, 3, 1, 5}));
  // Base subjects apple, APPLE, banana, banana, Cherry: case-insensitive, ties in id order.
  EXPECT_EQ(sorted(m, "(SUBJECT)"), (Ids{2, 4, 1, 5, 3}));
  // A missing address sorts as the empty string, first; "alice" and "Alice" are equal.
  EXPECT_EQ(sorted(m, "(FROM)"), (Ids{5, 2, 4, 3, 1}));
  EXPECT_EQ(sorted(m, "(TO)"), (Ids{2, 3, 1, 5, 4}));
  EXPECT_EQ(sorted(m, "(CC)"), (Ids{1, 4, 3, 5, 2}));
  EXPECT_EQ(sorted(m, "(DISPLAYFROM)"), (Ids{5, 4, 3, 2, 1}));
  EXPECT_EQ(sorted(m, "(DISPLAYTO)"), (Ids{1, 4, 5, 3, 2}));
}

TEST(ImapSort, ReverseReversesOneKeyButNotTheTieBreak) {
  auto m = sort_set();
  EXPECT_EQ(sorted(m, "(REVERSE ARRIVAL)"), (Ids{1, 5, 3, 4, 2}));
  // Ties (2 = 4, 1 = 5) stay in id order: REVERSE SUBJECT is not SUBJECT backwards.
  EXPECT_EQ(sorted(m, "(REVERSE SUBJECT)"), (Ids{3, 1, 5, 2, 4}));
  EXPECT_EQ(sorted(m, "(REVERSE DATE)"), (Ids{4, 1, 5, 2, 3}));
}

TEST(ImapSort, LaterKeysBreakTies) {
  auto m = sort_set();
  EXPECT_EQ(sorted(m, "(SUBJECT REVERSE SIZE)"), (Ids{4, 2, 5, 1, 3}));
  EXPECT_EQ(sorted(m, "(SUBJECT ARRIVAL)"), (Ids{2, 4, 5, 1, 3}));
  EXPECT_EQ(sorted(m, "(REVERSE SUBJECT REVERSE DATE)"), (Ids{3, 1, 5, 4, 2}));
  EXPECT_EQ(sorted(m, "(FROM SIZE)"), (Ids{5, 2, 4, 3, 1}));
  EXPECT_EQ(sorted(m, "(FROM REVERSE SIZE)"), (Ids{5, 4, 2, 3, 1}));
}

TEST(ImapSort, AllEqualKeepsMailboxOrder) {
  std::vector<SortThreadMessage> m;
  for (uint32_t id : {7u, 3u, 9u, 1u}) m.push_back(mail(id, 5, "same"));
  EXPECT_EQ(sorted(m, "(SUBJECT)"), (Ids{1, 3, 7, 9}));
  EXPECT_EQ(sorted(m, "(REVERSE DATE)"), (Ids{1, 3, 7, 9}));
  EXPECT_EQ(sort_messages(m, {}), (Ids{1, 3, 7, 9}));
  EXPECT_EQ(sort_messages({}, criteria("(DATE)")), Ids{});
}

TEST(ImapSort, StringsCollateAsUnicodeCasemap) {
  std::vector<SortThreadMessage> m;
  const char* names[] = {"zoe", "Émile", "emile", "adam", "ÉMILE", "Ｆｉｏｎａ", "Fiona"};
  for (uint32_t i = 0; i < 7; ++i) {
    m.push_back(mail(i + 1, 0, ""));
    m.back().from_display = names[i];
  }
  // Titlecased and decomposed: "É" is "E" and a combining accent (after plain "E..."), and
  // fullwidth "Ｆｉｏｎａ" is "FIONA", a tie with "Fiona".
  EXPECT_EQ(sorted(m, "(DISPLAYFROM)"), (Ids{4, 3, 2, 5, 6, 7, 1}));
}

// ---- THREAD=ORDEREDSUBJECT -----------------------------------------------------------------

TEST(ImapThreadOrderedSubject, GroupsByBaseSubjectAndOrdersByDate) {
  std::vector<SortThreadMessage> m = {
      mail(1, 100, "Hello"),     mail(2, 200, "Re: Hello"), mail(3, 150, "Other"),
      mail(4, 300, "re: HELLO"), mail(5, 250, "Fwd: Hello"), mail(6, 50, "Third"),
      mail(7, 160, "Re: Other"),
  };
  // The first message of a thread is the parent of all the others: one child "(3 7)",
  // several "(1 (2)(5)(4))".
  EXPECT_EQ(ordered_subject(m), "(6)(1 (2)(5)(4))(3 7)");
}

TEST(ImapThreadOrderedSubject, ThreadStartsWithTheEarliestMessageNotTheFirstId) {
  std::vector<SortThreadMessage> m = {mail(1, 300, "Re: x"), mail(2, 100, "x"), mail(3, 200, "Re: x")};
  EXPECT_EQ(ordered_subject(m), "(2 (3)(1))");
}

TEST(ImapThreadOrderedSubject, TiesAndMissingDates) {
  std::vector<SortThreadMessage> m = {mail(4, 10, "b"), mail(2, 10, "a"), mail(3, 10, "Re: a"), mail(1, 10, "c")};
  m[0].sent_date.reset();  // falls back to its arrival, far later than the others' dates
  EXPECT_EQ(ordered_subject(m), "(1)(2 3)(4)");
}

TEST(ImapThreadOrderedSubject, EmptySubjectsAreOneThread) {
  std::vector<SortThreadMessage> m = {mail(1, 1, ""), mail(2, 2, "Re:"), mail(3, 3, "x")};
  EXPECT_EQ(ordered_subject(m), "(1 2)(3)");
  EXPECT_EQ(ordered_subject({}), "");
}

// ---- THREAD=REFERENCES ---------------------------------------------------------------------

TEST(ImapThreadReferences, RepliesNestUnderTheirParents) {
  std::vector<SortThreadMessage> m = {
      mail(1, 1, "A", "<1@x>"),
      mail(2, 2, "Re: A", "<2@x>", "<1@x>"),
      mail(3, 3, "Re: A", "<3@x>", "<1@x> <2@x>"),
      mail(4, 4, "Re: A", "<4@x>", "", "<1@x>"),  // In-Reply-To only
      mail(5, 5, "B", "<5@x>"),
  };
  EXPECT_EQ(references(m), "(1 (2 3)(4))(5)");
}

TEST(ImapThreadReferences, TheRfcsExampleShape) {
  // "(2)(3 6 (4 23)(44 7 96))": 3 → 6 → {4 → 23, 44 → 7 → 96}.
  std::vector<SortThreadMessage> m = {
      mail(2, 1, "first", "<2@x>"),
      mail(3, 2, "second", "<3@x>"),
      mail(4, 4, "Re: second", "<4@x>", "<3@x> <6@x>"),
      mail(6, 3, "Re: second", "<6@x>", "<3@x>"),
      mail(7, 7, "Re: second", "<7@x>", "<3@x> <6@x> <44@x>"),
      mail(23, 5, "Re: second", "<23@x>", "<3@x> <6@x> <4@x>"),
      mail(44, 6, "Re: second", "<44@x>", "<3@x> <6@x>"),
      mail(96, 8, "Re: second", "<96@x>", "<3@x> <6@x> <44@x> <7@x>"),
  };
  EXPECT_EQ(references(m), "(2)(3 6 (4 23)(44 7 96))");
}

TEST(ImapThreadReferences, MissingParents) {
  std::vector<SortThreadMessage> m = {
      // Two replies to a message not here: one thread without a root, "((5)(6))".
      mail(5, 10, "Topic", "<5@x>", "<gone@x>"),
      mail(6, 11, "Other topic", "<6@x>", "<gone@x>"),
      // One reply to a missing message stands alone.
      mail(7, 12, "Lonely", "<7@x>", "<absent@x>"),
      // A missing message between two present ones disappears from the chain.
      mail(8, 13, "Chain", "<8@x>"),
      mail(9, 14, "Re: Chain", "<9@x>", "<8@x> <lost@x>"),
  };
  EXPECT_EQ(references(m), "((5)(6))(7)(8 9)");
}

TEST(ImapThreadReferences, MissingMessageInsideAThreadGivesItsChildrenToItsParent) {
  std::vector<SortThreadMessage> m = {
      mail(1, 1, "root", "<1@x>"),
      mail(2, 3, "Re: root", "<2@x>", "<1@x> <gone@x>"),
      mail(3, 5, "Re: root", "<3@x>", "<1@x> <gone@x>"),
      mail(4, 4, "Re: root", "<4@x>", "<1@x>"),
  };
  // 2 and 3 become siblings of 4, all ordered by date, not a nested group.
  EXPECT_EQ(references(m), "(1 (2)(4)(3))");
}

TEST(ImapThreadReferences, ChildrenOfAMissingRootAreOrderedByDate) {
  std::vector<SortThreadMessage> m = {
      mail(1, 30, "Late", "<1@x>", "<gone@x>"),
      mail(2, 10, "Early", "<2@x>", "<gone@x>"),
      mail(3, 20, "Between", "<3@x>"),
  };
  // The rootless thread sorts by its first child (2, date 10).
  EXPECT_EQ(references(m), "((2)(1))(3)");
}

TEST(ImapThreadReferences, ReplyBeforeItsParentInTheMailbox) {
  std::vector<SortThreadMessage> m = {
      mail(1, 2, "Re: p", "<c@x>", "<p@x>"),
      mail(2, 1, "p", "<p@x>"),
  };
  EXPECT_EQ(references(m), "(2 1)");
}

TEST(ImapThreadReferences, LoopsAreNotCreated) {
  // Each claims the other as its parent: the first link made stands.
  std::vector<SortThreadMessage> m = {
      mail(1, 1, "one", "<a@x>", "<b@x>"),
      mail(2, 2, "two", "<b@x>", "<a@x>"),
  };
  EXPECT_EQ(references(m), "(2 1)");
  // A message that refers to itself, and references that go round in a circle.
  std::vector<SortThreadMessage> n = {
      mail(1, 1, "self", "<s@x>", "<s@x>"),
      mail(2, 2, "circle", "<c@x>", "<r1@x> <r2@x> <r1@x>"),
      mail(3, 3, "three", "<t@x>", "<u@x> <t@x>", ""),
  };
  EXPECT_EQ(references(n), "(1)(2)(3)");
}

TEST(ImapThreadReferences, LongerChainsLoopingBackAreCut) {
  // 1 ← 2 ← 3, then 1 claims 3 as its parent.
  std::vector<SortThreadMessage> m = {
      mail(2, 2, "x2", "<2@x>", "<1@x>"),
      mail(3, 3, "x3", "<3@x>", "<1@x> <2@x>"),
      mail(4, 1, "x1", "<1@x>", "<3@x>"),
  };
  EXPECT_EQ(references(m), "(4 2 3)");
}

TEST(ImapThreadReferences, TheMessagesOwnReferencesOverrideEarlierGuesses) {
  // 2 says q follows m; q itself says its parent is "other" (missing): q's word wins (1.B),
  // and q keeps its child 2.
  std::vector<SortThreadMessage> m = {
      mail(1, 1, "m", "<m@x>"),
      mail(2, 3, "r", "<r@x>", "<m@x> <q@x>"),
      mail(3, 2, "q", "<q@x>", "<other@x>"),
  };
  EXPECT_EQ(references(m), "(1)(3 2)");
  // A reference that already has a parent keeps it (1.A): the truncated list of 3 does not
  // move 2 under "z".
  std::vector<SortThreadMessage> n = {
      mail(1, 1, "a", "<a@x>"),
      mail(2, 2, "b", "<b@x>", "<a@x>"),
      mail(3, 3, "c", "<c@x>", "<z@x> <b@x>"),
  };
  EXPECT_EQ(references(n), "(1 2 3)");
}

TEST(ImapThreadReferences, ReferencesWinOverInReplyTo) {
  std::vector<SortThreadMessage> m = {
      mail(1, 1, "a", "<a@x>"),
      mail(2, 2, "b", "<b@x>"),
      mail(3, 3, "c", "<c@x>", "<b@x>", "<a@x>"),
      // References without a valid id: In-Reply-To's first id is the parent.
      mail(4, 4, "d", "<d@x>", "garbage <no-at-sign>", "<a@x> <b@x>"),
  };
  EXPECT_EQ(references(m), "(1 4)(2 3)");
}

TEST(ImapThreadReferences, MessageIdsAreReadLikeHeaders) {
  std::vector<SortThreadMessage> m = {
      mail(1, 1, "a", "  <a@x> (comment <b@x>)"),
      mail(2, 2, "b", "<b@x>", "(see <a@x>) <broken <b2@x>"),  // the comment does not count
      mail(3, 3, "c", "<c@x>", "<a@\r\n x>"),                   // folded id
      mail(4, 4, "d", "<d@x>", "<A@X>"),                        // ids are case-sensitive
  };
  // 2's References hold "<b2@x>" (after an unclosed "<broken"): a missing parent.
  EXPECT_EQ(references(m), "(1 3)(2)(4)");
}

TEST(ImapThreadReferences, SameSubjectWithoutReferences) {
  std::vector<SortThreadMessage> m = {
      mail(1, 1, "Meeting", "<1@x>"),
      mail(2, 2, "Re: Meeting", "<2@x>"),
      mail(3, 3, "meeting", "<3@x>"),
      mail(4, 4, "Unrelated", "<4@x>"),
  };
  // A reply joins the original; two originals become siblings under a dummy.
  EXPECT_EQ(references(m), "((1 2)(3))(4)");
}

TEST(ImapThreadReferences, OriginalIsPreferredOverAnEarlierReply) {
  std::vector<SortThreadMessage> m = {
      mail(1, 1, "Re: Plans", "<1@x>"),
      mail(2, 2, "Plans", "<2@x>"),
      mail(3, 3, "Fwd: Plans", "<3@x>"),
      mail(4, 4, "Plans (fwd)", "<4@x>"),
  };
  // The table holds 2 (an original beats the earlier reply 1): every reply or forward
  // becomes its child.
  EXPECT_EQ(references(m), "(2 (1)(3)(4))");
}

TEST(ImapThreadReferences, RootlessThreadAbsorbsSameSubject) {
  std::vector<SortThreadMessage> m = {
      mail(1, 1, "Plans", "<1@x>"),
      mail(2, 2, "Re: Plans", "<2@x>", "<gone@x>"),
      mail(3, 3, "Re: Plans", "<3@x>", "<gone@x>"),
      mail(4, 4, "Re: Plans", "<4@x>", "<gone2@x>"),
      mail(5, 5, "Re: Plans", "<5@x>", "<gone2@x>"),
  };
  // Both dummies' children join the first dummy; 1 is an original but the table prefers a
  // dummy, so 1 joins it too.
  EXPECT_EQ(references(m), "((1)(2)(3)(4)(5))");
}

TEST(ImapThreadReferences, EmptySubjectsAreNotMerged) {
  std::vector<SortThreadMessage> m = {mail(1, 1, "", "<1@x>"), mail(2, 2, "Re:", "<2@x>"), mail(3, 3, "", "<3@x>")};
  EXPECT_EQ(references(m), "(1)(2)(3)");
}

TEST(ImapThreadReferences, MessagesWithoutMessageIds) {
  std::vector<SortThreadMessage> m = {
      mail(1, 1, "a"),
      mail(2, 2, "b", "not an id"),
      mail(3, 3, "c", "", "<1@x>"),  // nothing here is <1@x>
      mail(4, 4, "d", "<no-at-sign>"),
      mail(5, 5, "e", "<e@x>", "<no-at-sign>"),  // not a valid reference either
  };
  EXPECT_EQ(references(m), "(1)(2)(3)(4)(5)");
}

TEST(ImapThreadReferences, DuplicateMessageIdsBelongToTheFirst) {
  std::vector<SortThreadMessage> m = {
      mail(1, 5, "Dup", "<d@x>"),
      mail(2, 1, "Copy", "<d@x>"),  // earlier date, later in the mailbox
      mail(3, 6, "Re: Dup", "<r@x>", "<d@x>"),
      mail(4, 7, "Re: Copy", "<s@x>", "<d@x>"),
  };
  EXPECT_EQ(references(m), "(2)(1 (3)(4))");
  // The order of the span does not matter: the lower id is first in the mailbox.
  std::vector<SortThreadMessage> reversed(m.rbegin(), m.rend());
  EXPECT_EQ(references(reversed), "(2)(1 (3)(4))");
}

TEST(ImapThreadReferences, SiblingsByDateThenMailboxOrder) {
  std::vector<SortThreadMessage> m = {
      mail(1, 1, "root", "<1@x>"),
      mail(2, 9, "Re: root", "<2@x>", "<1@x>"),
      mail(3, 5, "Re: root", "<3@x>", "<1@x>"),
      mail(4, 5, "Re: root", "<4@x>", "<1@x>"),
      mail(5, 0, "Re: root", "<5@x>", "<1@x> <2@x>"),
      mail(6, 3, "Re: root", "<6@x>", "<1@x> <2@x>"),
      mail(7, 2, "Re: root", "<7@x>", "<1@x>"),
  };
  m[6].sent_date.reset();  // its arrival (1000007) stands in: the latest
  EXPECT_EQ(references(m), "(1 (3)(4)(2 (5)(6))(7))");
}

TEST(ImapThreadReferences, DeepChainsNeedNoRecursion) {
  std::vector<SortThreadMessage> m;
  const uint32_t n = 200'000;
  m.reserve(n);
  for (uint32_t i = 1; i <= n; ++i)
    m.push_back(mail(i, i, i == 1 ? "deep" : "Re: deep", "<" + std::to_string(i) + "@x>",
                     i == 1 ? "" : "<" + std::to_string(i - 1) + "@x>"));
  std::string text = references(m);
  EXPECT_EQ(text.substr(0, 8), "(1 2 3 4");
  EXPECT_EQ(text.substr(text.size() - 8), " 200000)");
  EXPECT_EQ(std::count(text.begin(), text.end(), '('), 1);
}

// ---- THREAD arguments ----------------------------------------------------------------------

TEST(ImapThreadAlgorithm, ReadsNamesCaseInsensitively) {
  ArgumentReader a("REFERENCES UTF-8 ALL");
  EXPECT_EQ(read_thread_algorithm(a), ThreadAlgorithm::references);
  EXPECT_EQ(a.offset(), 10u);
  ArgumentReader b("orderedSubject");
  EXPECT_EQ(read_thread_algorithm(b), ThreadAlgorithm::orderedsubject);
  EXPECT_TRUE(b.at_end());
}

TEST(ImapThreadAlgorithm, RejectsOthers) {
  for (std::string_view text : {"REFS", "REFERENCESX", "", "(REFERENCES)", "\"REFERENCES\"", " REFERENCES"}) {
    ArgumentReader args(text);
    EXPECT_THROW(read_thread_algorithm(args), SyntaxError) << text;
    EXPECT_EQ(args.offset(), 0u) << text;
  }
}
