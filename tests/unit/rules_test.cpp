// The account's Rules (delivery/rules): the model and its XML, validation, RulesAllowed, the
// edits of a Rule set, storage in account settings, the automatic-reply record, and the
// evaluator (RuleEngine) against real messages.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>

#include "base/error.hpp"
#include "delivery/rules/auto_reply_record.hpp"
#include "delivery/rules/rule_conditions.hpp"
#include "delivery/rules/rule_engine.hpp"
#include "delivery/rules/rule_set.hpp"
#include "delivery/rules/rule_store.hpp"
#include "delivery/rules/rule_values.hpp"
#include "delivery/rules/rule_xml.hpp"
#include "formats/xml/request_parser.hpp"

using namespace ximssd;
using namespace ximssd::delivery;

namespace {

// The example of E-im-roster-files-more.md section 6, verbatim.
constexpr std::string_view kSpecExample = R"(<rule type="mailIn" name="Junk Filter" priority="2" > <condition opCode="Header Field" operator="is">X-Junk: 5*</condition>
 <condition opCode="Source" operator="is not">authenticated</condition>
 <action opCode="Store in">Junk</action>
 <action opCode="Discard"></action>
 <comment>This is my test Rule!</comment>
 </rule>)";

Rule rule_from_xml(std::string_view xml, RuleSetType type = RuleSetType::mail_in) {
  pugi::xml_document doc;
  auto result = doc.load_buffer(xml.data(), xml.size());
  if (!result) throw std::runtime_error(std::string("test XML: ") + result.description());
  auto node = doc.first_child();
  Rule rule;
  rule.name = node.attribute("name").value();
  rule.priority = parse_rule_priority(node.attribute("priority").value());
  rule.stage = node.attribute("stage").value();
  read_rule_body(node, rule);
  validate_rule(type, rule);
  return rule;
}

Rule make_rule(std::string name, int priority, std::vector<RuleCondition> conditions, std::vector<RuleAction> actions) {
  Rule r;
  r.name = std::move(name);
  r.priority = priority;
  r.conditions = std::move(conditions);
  r.actions = std::move(actions);
  validate_rule(RuleSetType::mail_in, r);
  return r;
}

// The text of the Failure `f` throws, and its code.
template <class F>
std::pair<ErrorCode, std::string> failure_of(F f) {
  try {
    f();
  } catch (const Failure& e) {
    return {e.code(), e.what()};
  }
  return {ErrorCode::internal, "no failure"};
}

void expect_bad(const std::string& condition_or_action_xml, const std::string& says) {
  auto [code, text] = failure_of([&] { rule_from_xml("<rule name='r' priority='5'>" + condition_or_action_xml + "</rule>"); });
  EXPECT_EQ(code, ErrorCode::badRequest) << condition_or_action_xml << ": " << text;
  EXPECT_NE(text.find(says), std::string::npos) << "\"" << text << "\" should say \"" << says << "\"";
}

}  // namespace

// ---- the model and its XML -----------------------------------------------------------------

TEST(RulesModel, ReadsTheSpecExample) {
  Rule rule = rule_from_xml(kSpecExample);
  EXPECT_EQ(rule.name, "Junk Filter");
  EXPECT_EQ(rule.priority, 2);
  ASSERT_EQ(rule.conditions.size(), 2u);
  EXPECT_EQ(rule.conditions[0], (RuleCondition{"Header Field", "is", "X-Junk: 5*"}));
  EXPECT_EQ(rule.conditions[1], (RuleCondition{"Source", "is not", "authenticated"}));
  ASSERT_EQ(rule.actions.size(), 2u);
  EXPECT_EQ(rule.actions[0], (RuleAction{"Store in", "Junk"}));
  EXPECT_EQ(rule.actions[1], (RuleAction{"Discard", ""}));
  EXPECT_EQ(rule.comment, "This is my test Rule!");
}

TEST(RulesModel, RuleSetRoundTripsThroughItsStoredForm) {
  RuleSet rules{rule_from_xml(kSpecExample),
                make_rule("Vacation & <more>", 7, {{"Human Generated", "", ""}},
                          {{"Reply with", "Away until \"Monday\" <back> & later\n2nd line"}})};
  rules[1].comment = "";
  std::string stored = serialize_rule_set(rules);
  std::vector<std::string> problems;
  auto back = parse_rule_set(RuleSetType::mail_in, stored, &problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(back, rules);
}

TEST(RulesModel, CanonicalSpellingOfOpCodesOperatorsAndParameters) {
  Rule rule = rule_from_xml(
      "<rule name='r' priority='10'><condition opCode='subject' operator='IS NOT'>x</condition>"
      "<condition opCode='human generated'/>"
      "<action opCode='store IN'>inbox/Lists</action><action opCode='mark'>read, flagged,label3</action>"
      "<action opCode='add header'>X-Seen-By :  rules</action>"
      "<action opCode='redirect to'> a@b.dom ,c@d.dom</action><action opCode='stop processing'>ignored</action></rule>");
  EXPECT_EQ(rule.conditions[0], (RuleCondition{"Subject", "is not", "x"}));
  EXPECT_EQ(rule.conditions[1], (RuleCondition{"Human Generated", "", ""}));
  EXPECT_EQ(rule.actions[0], (RuleAction{"Store in", "INBOX/Lists"}));
  EXPECT_EQ(rule.actions[1], (RuleAction{"Mark", "Seen,Flagged,$Label3"}));
  EXPECT_EQ(rule.actions[2], (RuleAction{"Add Header", "X-Seen-By: rules"}));
  EXPECT_EQ(rule.actions[3], (RuleAction{"Redirect to", "a@b.dom,c@d.dom"}));
  EXPECT_EQ(rule.actions[4], (RuleAction{"Stop Processing", ""}));
}

TEST(RulesModel, EveryConditionAndActionOfTheVocabularyIsAccepted) {
  for (std::string op_code : {"From", "Sender", "Return-Path", "To", "Cc", "Any To or Cc", "Each To or Cc", "Reply-To",
                              "Subject", "Message-ID", "Any Recipient", "Each Recipient", "Source"})
    for (std::string op : {"is", "is not", "in", "not in"})
      EXPECT_NO_THROW(make_rule("r", 1, {{op_code, op, "*x*"}}, {})) << op_code << " " << op;
  for (std::string op : {"greater than", "less than"}) {
    EXPECT_NO_THROW(make_rule("r", 1, {{"Message Size", op, "10K"}}, {}));
    EXPECT_NO_THROW(make_rule("r", 1, {{"Current Date", op, "2024-05-31"}}, {}));
    EXPECT_NO_THROW(make_rule("r", 1, {{"Current Time", op, "17:30"}}, {}));
  }
  EXPECT_NO_THROW(make_rule("r", 1, {{"Header Field", "in", "X-Spam: yes*, high*"}}, {}));
  EXPECT_NO_THROW(make_rule("r", 1, {{"Current Day", "in", "Sat, Sunday"}}, {}));
  EXPECT_NO_THROW(make_rule("r", 1, {{"Human Generated", "is not", ""}}, {}));
  EXPECT_NO_THROW(make_rule("r", 1, {},
                            {{"Store in", "Junk"}, {"Mark", "Seen"}, {"Add Header", "X-A: b"}, {"Tag Subject", "[x]"},
                             {"Discard", ""}, {"Reject with", ""}, {"Reject with", "go away"}, {"Stop Processing", ""},
                             {"Mirror to", "a@b.dom"}, {"Redirect to", "a@b.dom"}, {"Forward to", "a@b.dom, c@d.dom"},
                             {"Reply with", "text"}, {"Reply to All with", "text"}}));
}

TEST(RulesModel, ValidationErrorsSayWhatIsWrong) {
  expect_bad("<condition opCode='Colour' operator='is'>red</condition>", "unknown Rule condition \"Colour\"");
  expect_bad("<condition opCode='From' operator='resembles'>x</condition>", "unknown Rule operator \"resembles\"");
  expect_bad("<condition opCode='From' operator='greater than'>x</condition>", "does not take the operator");
  expect_bad("<condition opCode='Message Size' operator='is'>10K</condition>", "does not take the operator");
  expect_bad("<condition opCode='From' operator='is'></condition>", "needs a parameter");
  expect_bad("<condition opCode='Message Size' operator='less than'>ten</condition>", "needs a size");
  expect_bad("<condition opCode='Current Date' operator='less than'>tomorrow</condition>", "needs a date");
  expect_bad("<condition opCode='Current Time' operator='less than'>25:00</condition>", "needs a time of day");
  expect_bad("<condition opCode='Current Day' operator='is'>Caturday</condition>", "day names");
  expect_bad("<condition opCode='Header Field' operator='is'>no colon</condition>", "Field-Name: value");
  expect_bad("<condition operator='is'>x</condition>", "needs an opCode");
  expect_bad("<action opCode='Explode'/>", "unknown Rule action \"Explode\"");
  expect_bad("<action opCode='Store in'></action>", "needs a mailbox name");
  expect_bad("<action opCode='Store in'>a//b</action>", "");
  expect_bad("<action opCode='Store in'>~other/INBOX</action>", "own mailboxes");
  expect_bad("<action opCode='Mark'>Shiny</action>", "unknown flag \"Shiny\"");
  expect_bad("<action opCode='Add Header'>no header</action>", "Field-Name: value");
  expect_bad("<action opCode='Redirect to'>not an address</action>", "needs addresses");
  expect_bad("<action opCode='Forward to'></action>", "needs addresses");
  expect_bad("<action opCode='Reply with'> </action>", "needs a parameter");
  expect_bad("<action opCode='Tag Subject'></action>", "needs a parameter");
  expect_bad("<frobnicate/>", "unexpected element <frobnicate>");
  expect_bad("<comment>a</comment><comment>b</comment>", "at most one comment");
  // Control characters would not read back from the stored XML as they were set.
  expect_bad("<action opCode='Tag Subject'>[&#6;junk]</action>", "has a control character");
  expect_bad("<action opCode='Reply with'>away&#13;back</action>", "has a control character");
  expect_bad("<comment>bell&#7;</comment>", "has a control character");
  auto [code, text] = failure_of([] { rule_from_xml("<rule name='r' priority='1' stage='now'/>"); });
  EXPECT_EQ(code, ErrorCode::badRequest);
  EXPECT_NE(text.find("only signal Rules have a stage"), std::string::npos);
  EXPECT_EQ(failure_of([] { rule_from_xml("<rule name='' priority='1'/>"); }).second, "a Rule needs a name");
}

TEST(RulesModel, PrioritiesRunFromZeroToTen) {
  EXPECT_EQ(parse_rule_priority("0"), 0);
  EXPECT_EQ(parse_rule_priority("10"), 10);
  for (std::string bad : {"11", "-1", "high", "", "5.5", "99999999999999999999"}) {
    auto [code, text] = failure_of([&] { parse_rule_priority(bad); });
    EXPECT_EQ(code, ErrorCode::badRequest) << bad;
    EXPECT_NE(text.find("from 0 (inactive) to 10"), std::string::npos) << text;
  }
}

TEST(RulesModel, SignalRulesAreCheckedForTheirFormOnly) {
  Rule rule = rule_from_xml(
      "<rule name='calls' priority='5' stage='15'><condition opCode='Method' operator='is'>INVITE</condition>"
      "<action opCode='Fork to'>#voicemail</action></rule>",
      RuleSetType::signal);
  EXPECT_EQ(rule.stage, "15");
  EXPECT_EQ(rule.actions[0].op_code, "Fork to");
  EXPECT_THROW(rule_from_xml("<rule name='c' priority='5'><action opCode=''/></rule>", RuleSetType::signal), Failure);
}

TEST(RulesModel, StoredRuleThatNoLongerValidatesIsSkippedAndReported) {
  std::string stored =
      "<rules><rule name='good' priority='3'><action opCode='Discard'/></rule>"
      "<rule name='bad' priority='3'><action opCode='Explode'/></rule></rules>";
  std::vector<std::string> problems;
  auto rules = parse_rule_set(RuleSetType::mail_in, stored, &problems);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].name, "good");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("\"bad\""), std::string::npos);
  problems.clear();
  EXPECT_TRUE(parse_rule_set(RuleSetType::mail_in, "<rules><rule", &problems).empty());
  EXPECT_EQ(problems.size(), 1u);
}

// ---- values ---------------------------------------------------------------------------------

TEST(RulesValues, Pictures) {
  using rule_values::wildcard_match;
  EXPECT_TRUE(wildcard_match("*@example.COM", "joe@Example.com"));
  EXPECT_TRUE(wildcard_match("*", ""));
  EXPECT_TRUE(wildcard_match("a*b*c", "aXXbYYbc"));
  EXPECT_TRUE(wildcard_match("5*", "5"));
  EXPECT_FALSE(wildcard_match("5*", "45"));
  EXPECT_FALSE(wildcard_match("abc", "abcd"));
  EXPECT_FALSE(wildcard_match("", "x"));
  EXPECT_TRUE(wildcard_match("**x**", "x"));
}

TEST(RulesValues, SizesDatesTimesDays) {
  using namespace rule_values;
  EXPECT_EQ(parse_size("100"), 100u);
  EXPECT_EQ(parse_size("10K"), 10240u);
  EXPECT_EQ(parse_size("2m"), 2u * 1024 * 1024);
  EXPECT_EQ(parse_size("1G"), 1024ull * 1024 * 1024);
  EXPECT_FALSE(parse_size("K"));
  EXPECT_FALSE(parse_size("1T"));
  EXPECT_EQ(parse_date("2024-05-31"), 20240531);
  EXPECT_EQ(parse_date("20240531T120000"), 20240531);
  EXPECT_FALSE(parse_date("2024-13-01"));
  EXPECT_EQ(parse_time_of_day("17:30"), 17 * 3600 + 30 * 60);
  EXPECT_EQ(parse_time_of_day("00:00:59"), 59);
  EXPECT_FALSE(parse_time_of_day("24:00"));
  EXPECT_EQ(parse_weekday("sat"), 6);
  EXPECT_EQ(parse_weekday("Sunday"), 0);
  EXPECT_FALSE(parse_weekday("Caturday"));
}

// ---- RulesAllowed and the edits -----------------------------------------------------------

TEST(RulesRights, NamesOfTheSetting) {
  EXPECT_EQ(parse_rules_right(std::nullopt), RulesRight::any);
  EXPECT_EQ(parse_rules_right("any"), RulesRight::any);
  EXPECT_EQ(parse_rules_right("No Redirect"), RulesRight::no_redirect);
  EXPECT_EQ(parse_rules_right("filter only"), RulesRight::filter_only);
  EXPECT_EQ(parse_rules_right("None"), RulesRight::none);
  EXPECT_EQ(parse_rules_right("garbage"), RulesRight::none);  // fails closed
}

TEST(RulesRights, WhichActionsEachRightAllows) {
  Rule filter = make_rule("f", 1, {}, {{"Store in", "Junk"}, {"Mark", "Seen"}, {"Add Header", "X-A: b"},
                                       {"Tag Subject", "[x]"}, {"Discard", ""}, {"Reject with", "no"},
                                       {"Stop Processing", ""}});
  Rule reply = make_rule("v", 1, {}, {{"Reply with", "away"}});
  Rule redirect = make_rule("r", 1, {}, {{"Mark", "Seen"}, {"Redirect to", "a@b.dom"}});
  for (auto* rule : {&filter, &reply, &redirect}) EXPECT_NO_THROW(check_rule_allowed(*rule, RulesRight::any));
  EXPECT_NO_THROW(check_rule_allowed(filter, RulesRight::no_redirect));
  EXPECT_NO_THROW(check_rule_allowed(reply, RulesRight::no_redirect));
  for (std::string op : {"Mirror to", "Redirect to", "Forward to"}) {
    Rule r = make_rule("x", 1, {}, {{op, "a@b.dom"}});
    auto [code, text] = failure_of([&] { check_rule_allowed(r, RulesRight::no_redirect); });
    EXPECT_EQ(code, ErrorCode::permissionDenied) << op;
    EXPECT_NE(text.find("\"" + op + "\""), std::string::npos) << text;
  }
  EXPECT_NO_THROW(check_rule_allowed(filter, RulesRight::filter_only));
  EXPECT_EQ(failure_of([&] { check_rule_allowed(reply, RulesRight::filter_only); }).first, ErrorCode::permissionDenied);
  EXPECT_EQ(failure_of([&] { check_rule_allowed(redirect, RulesRight::filter_only); }).first, ErrorCode::permissionDenied);
  auto [code, text] = failure_of([&] { check_rule_allowed(filter, RulesRight::none); });
  EXPECT_EQ(code, ErrorCode::permissionDenied);
  EXPECT_EQ(text, "this account may not set Rules");
}

TEST(RulesEdits, SetReplacesSortsAndChecksBothRules) {
  RuleSet rules;
  set_rule(rules, make_rule("b", 5, {}, {{"Discard", ""}}), RulesRight::any);
  set_rule(rules, make_rule("a", 5, {}, {{"Discard", ""}}), RulesRight::any);
  set_rule(rules, make_rule("c", 9, {}, {{"Redirect to", "x@y.dom"}}), RulesRight::any);
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].name, "c");  // higher priority first
  EXPECT_EQ(rules[1].name, "a");  // equal priorities by name
  EXPECT_EQ(rules[2].name, "b");
  // Replacing "c" under No Redirect: the old Rule redirects, so it may not be replaced.
  EXPECT_EQ(failure_of([&] { set_rule(rules, make_rule("c", 1, {}, {{"Discard", ""}}), RulesRight::no_redirect); }).first,
            ErrorCode::permissionDenied);
  EXPECT_EQ(rules[0].actions[0].op_code, "Redirect to");
  // Nor may a new Rule that redirects be set.
  EXPECT_EQ(failure_of([&] { set_rule(rules, make_rule("d", 1, {}, {{"Forward to", "x@y.dom"}}), RulesRight::no_redirect); }).first,
            ErrorCode::permissionDenied);
  set_rule(rules, make_rule("a", 1, {}, {{"Mark", "Flagged"}}), RulesRight::no_redirect);
  EXPECT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[2].name, "a");
  EXPECT_EQ(rules[2].actions[0].op_code, "Mark");
}

TEST(RulesEdits, UpdateRenameRemove) {
  RuleSet rules;
  set_rule(rules, make_rule("one", 1, {}, {{"Discard", ""}}), RulesRight::any);
  set_rule(rules, make_rule("two", 2, {}, {{"Redirect to", "x@y.dom"}}), RulesRight::any);
  update_rule(rules, "one", 8, std::nullopt, RulesRight::any);
  EXPECT_EQ(rules[0].name, "one");
  EXPECT_EQ(rules[0].priority, 8);
  EXPECT_EQ(failure_of([&] { update_rule(rules, "three", 1, std::nullopt, RulesRight::any); }).first, ErrorCode::notFound);
  EXPECT_EQ(failure_of([&] { update_rule(rules, "two", 1, std::nullopt, RulesRight::filter_only); }).first,
            ErrorCode::permissionDenied);
  EXPECT_EQ(failure_of([&] { rename_rule(rules, "one", "two", RulesRight::any); }).first, ErrorCode::alreadyExists);
  EXPECT_EQ(failure_of([&] { rename_rule(rules, "nope", "x", RulesRight::any); }).first, ErrorCode::notFound);
  EXPECT_EQ(failure_of([&] { rename_rule(rules, "two", "2", RulesRight::no_redirect); }).first, ErrorCode::permissionDenied);
  rename_rule(rules, "one", "first", RulesRight::any);
  EXPECT_TRUE(find_rule(rules, "first"));
  EXPECT_FALSE(find_rule(rules, "one"));
  EXPECT_EQ(failure_of([&] { remove_rule(rules, "two", RulesRight::none); }).first, ErrorCode::permissionDenied);
  remove_rule(rules, "two", RulesRight::any);
  EXPECT_EQ(rules.size(), 1u);
  EXPECT_EQ(failure_of([&] { remove_rule(rules, "two", RulesRight::any); }).first, ErrorCode::notFound);
}

TEST(RulesEdits, ASetHoldsALimitedNumberOfRules) {
  RuleSet rules;
  for (size_t i = 0; i < kMaxRulesPerSet; ++i) set_rule(rules, make_rule("r" + std::to_string(i), 1, {}, {}), RulesRight::any);
  EXPECT_EQ(failure_of([&] { set_rule(rules, make_rule("one more", 1, {}, {}), RulesRight::any); }).first,
            ErrorCode::limitExceeded);
  set_rule(rules, make_rule("r0", 2, {}, {}), RulesRight::any);  // replacing is still fine
}

// ---- the automatic-reply record -------------------------------------------------------------

TEST(RulesAutoReplyRecord, OncePerSenderPerPeriod) {
  AutoReplyRecord record;
  EXPECT_TRUE(record.claim("Joe@Example.com", 1000, 100));
  EXPECT_FALSE(record.claim("joe@example.COM", 1050, 100));
  EXPECT_TRUE(record.claim("ann@example.com", 1050, 100));
  auto back = AutoReplyRecord::parse(record.serialize());
  EXPECT_EQ(back.size(), 2u);
  EXPECT_FALSE(back.claim("joe@example.com", 1099, 100));
  EXPECT_TRUE(back.claim("joe@example.com", 1100, 100));  // the period has passed
  EXPECT_EQ(back.size(), 2u);                             // and ann's entry is still in it
  EXPECT_TRUE(back.claim("bob@example.com", 2000, 100));
  EXPECT_EQ(back.size(), 1u);  // expired entries are dropped
}

TEST(RulesAutoReplyRecord, StaysBounded) {
  AutoReplyRecord record;
  for (size_t i = 0; i < kMaxAutoReplyEntries + 50; ++i)
    ASSERT_TRUE(record.claim("s" + std::to_string(i) + "@x.dom", static_cast<int64_t>(1000 + i), 1000000));
  EXPECT_LE(record.size(), kMaxAutoReplyEntries);
  EXPECT_FALSE(record.claim("s" + std::to_string(kMaxAutoReplyEntries + 49) + "@x.dom", 20000, 1000000));
}

// ---- storage in account settings ----------------------------------------------------------

namespace {

std::string temp_dir() {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("ximssd-rules-unit-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

class RuleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir();
    store_ = store::Store::open_embedded(dir_, true);
    write([&](store::Repository& r) {
      int64_t domain = r.insert_domain("example.dom", false);
      account_ = r.insert_account(domain, "u", "", store::StoredSecrets{"h", std::string(32, 'x'), "s"}, "", 1);
    });
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A blocking write beside the writer thread, as admin commands do.
  template <class F>
  void write(F work) {
    store_->write_now(work);
  }
  // Runs one RuleStore edit to completion; rethrows its failure.
  template <class Make>
  void run(Make make) {
    boost::asio::io_context io;
    std::exception_ptr error;
    boost::asio::co_spawn(io, make(), [&](std::exception_ptr e) { error = e; });
    io.run();
    if (error) std::rethrow_exception(error);
  }
  void set_right(const std::string& value) {
    write([&](store::Repository& r) { r.set_account_setting(account_, "RulesAllowed", value); });
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  int64_t account_ = 0;
};

}  // namespace

TEST_F(RuleStoreTest, EditsAreStoredPerAccountAndType) {
  RuleStore rules(*store_);
  run([&] { return rules.set(account_, RuleSetType::mail_in, rule_from_xml(kSpecExample)); });
  run([&] { return rules.set(account_, RuleSetType::mail_in, make_rule("High", 9, {}, {{"Mark", "Flagged"}})); });
  Rule signal = rule_from_xml("<rule name='calls' priority='3' stage='Busy'><action opCode='Fork to'>#vm</action></rule>",
                              RuleSetType::signal);
  run([&] { return rules.set(account_, RuleSetType::signal, signal); });
  auto mail = rules.read(account_, RuleSetType::mail_in);
  ASSERT_EQ(mail.size(), 2u);
  EXPECT_EQ(mail[0].name, "High");
  EXPECT_EQ(mail[1], rule_from_xml(kSpecExample));
  auto signals = rules.read(account_, RuleSetType::signal);
  ASSERT_EQ(signals.size(), 1u);
  EXPECT_EQ(signals[0].stage, "Busy");
  // Kept as account settings, readable by any later reader.
  EXPECT_TRUE(store_->reader().account_setting(account_, "Rules.mailIn"));
  EXPECT_TRUE(store_->reader().account_setting(account_, "Rules.signal"));

  run([&] { return rules.update(account_, RuleSetType::mail_in, "Junk Filter", 10, std::nullopt); });
  EXPECT_EQ(rules.read(account_, RuleSetType::mail_in)[0].name, "Junk Filter");
  run([&] { return rules.rename(account_, RuleSetType::mail_in, "High", "Flag all"); });
  EXPECT_TRUE(find_rule(rules.read(account_, RuleSetType::mail_in), "Flag all"));
  EXPECT_THROW(run([&] { return rules.rename(account_, RuleSetType::mail_in, "Flag all", "Junk Filter"); }), Failure);
  run([&] { return rules.remove(account_, RuleSetType::mail_in, "Flag all"); });
  EXPECT_EQ(rules.read(account_, RuleSetType::mail_in).size(), 1u);
  EXPECT_THROW(run([&] { return rules.remove(account_, RuleSetType::mail_in, "Flag all"); }), Failure);
}

TEST_F(RuleStoreTest, RightsAreReadInsideTheWrite) {
  RuleStore rules(*store_);
  run([&] { return rules.set(account_, RuleSetType::mail_in, make_rule("fwd", 5, {}, {{"Forward to", "a@b.dom"}})); });
  set_right("No Redirect");
  EXPECT_EQ(rules.right(account_), RulesRight::no_redirect);
  try {
    run([&] { return rules.remove(account_, RuleSetType::mail_in, "fwd"); });
    FAIL() << "removing a forwarding Rule under No Redirect succeeded";
  } catch (const Failure& f) {
    EXPECT_EQ(f.code(), ErrorCode::permissionDenied);
  }
  EXPECT_EQ(rules.read(account_, RuleSetType::mail_in).size(), 1u);  // the failed write changed nothing
  set_right("None");
  EXPECT_THROW(run([&] { return rules.set(account_, RuleSetType::mail_in, make_rule("m", 1, {}, {})); }), Failure);
  set_right("Any");
  run([&] { return rules.remove(account_, RuleSetType::mail_in, "fwd"); });
  EXPECT_TRUE(rules.read(account_, RuleSetType::mail_in).empty());
}

TEST_F(RuleStoreTest, AutoReplyClaimIsDurableAndOncePerPeriod) {
  RuleStore rules(*store_);
  EXPECT_TRUE(rules.claim_auto_reply(account_, "joe@example.com", 1000, 60));
  EXPECT_FALSE(rules.claim_auto_reply(account_, "JOE@example.com", 1059, 60));
  EXPECT_TRUE(rules.claim_auto_reply(account_, "ann@example.com", 1059, 60));
  EXPECT_TRUE(rules.claim_auto_reply(account_, "joe@example.com", 1060, 60));
  auto stored = store_->reader().account_setting(account_, std::string(kAutoReplySetting));
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->find("1060 joe@example.com"), std::string::npos);
}

// ---- conditions ------------------------------------------------------------------------------

namespace {

const std::string kMessage =
    "From: \"Joe Sender\" <joe@remote.example>\r\n"
    "Sender: list-bounces@lists.example\r\n"
    "Reply-To: replies@remote.example\r\n"
    "To: u@example.dom, Ann <ann@example.dom>\r\n"
    "Cc: team: bob@other.example, carl@other.example;\r\n"
    "Subject: =?UTF-8?B?0J/RgNC40LLQtdGC?= weekly\r\n"
    " report\r\n"
    "Message-ID: <abc123@remote.example>\r\n"
    "X-Junk: 5 (spam)\r\n"
    "X-Junk: 2\r\n"
    "\r\n"
    "Body text.\r\n";

struct ConditionCase {
  std::vector<std::string> recipients{"u@example.dom", "v@example.dom"};
  std::string return_path = "bounce@remote.example";
  Source source = Source::lmtp;
  std::string message = kMessage;
  int date = 20240531, time = 17 * 3600, weekday = 5;  // Friday 17:00

  bool holds(std::string op_code, std::string op, std::string parameter) const {
    RuleCondition c{std::move(op_code), std::move(op), std::move(parameter)};
    Rule rule;
    rule.name = "t";
    rule.conditions.push_back(c);
    validate_rule(RuleSetType::mail_in, rule);  // what is evaluated is always validated
    RuleMessage m(message);
    ConditionInput in{m, return_path, recipients, source, date, time, weekday};
    return condition_holds(rule.conditions[0], in);
  }
};

}  // namespace

TEST(RulesConditions, AddressFields) {
  ConditionCase t;
  EXPECT_TRUE(t.holds("From", "is", "*@remote.example"));
  EXPECT_TRUE(t.holds("From", "is", "Joe*"));  // the display name form
  EXPECT_FALSE(t.holds("From", "is", "ann@*"));
  EXPECT_TRUE(t.holds("From", "is not", "ann@*"));
  EXPECT_TRUE(t.holds("From", "in", "x@y.z, JOE@remote.example"));
  EXPECT_FALSE(t.holds("From", "not in", "x@y.z, joe@remote.example"));
  EXPECT_TRUE(t.holds("Sender", "is", "*-bounces@*"));
  EXPECT_TRUE(t.holds("Reply-To", "is", "replies@*"));
  EXPECT_TRUE(t.holds("To", "is", "ann@example.dom"));  // any of the field's addresses
  EXPECT_TRUE(t.holds("Cc", "is", "carl@*"));           // group members count
  EXPECT_TRUE(t.holds("Return-Path", "is", "bounce@*"));
  ConditionCase null_sender;
  null_sender.return_path = "";
  EXPECT_FALSE(null_sender.holds("Return-Path", "is", "*"));
  EXPECT_TRUE(null_sender.holds("Return-Path", "is not", "*"));
  ConditionCase no_from;
  no_from.message = "Subject: hi\r\n\r\nx\r\n";
  EXPECT_FALSE(no_from.holds("From", "is", "*"));
  EXPECT_TRUE(no_from.holds("From", "is not", "*@x"));  // a missing field meets is not
}

TEST(RulesConditions, AnyAndEach) {
  ConditionCase t;
  EXPECT_TRUE(t.holds("Any To or Cc", "is", "bob@*"));
  EXPECT_FALSE(t.holds("Each To or Cc", "is", "*@example.dom"));
  EXPECT_TRUE(t.holds("Each To or Cc", "is", "*@*.*"));
  EXPECT_TRUE(t.holds("Each To or Cc", "in", "*@example.dom, *@other.example"));
  EXPECT_TRUE(t.holds("Any To or Cc", "is not", "*@example.dom"));  // bob's address is not
  EXPECT_FALSE(t.holds("Each To or Cc", "not in", "u@*, ann@*"));
  EXPECT_TRUE(t.holds("Any Recipient", "is", "v@*"));
  EXPECT_FALSE(t.holds("Each Recipient", "is", "v@*"));
  EXPECT_TRUE(t.holds("Each Recipient", "is", "*@example.dom"));
  EXPECT_TRUE(t.holds("Each Recipient", "not in", "x@*, y@*"));
}

TEST(RulesConditions, TextFieldsAreDecoded) {
  ConditionCase t;
  EXPECT_TRUE(t.holds("Subject", "is", "Привет weekly report"));  // RFC 2047 decoded, unfolded
  EXPECT_TRUE(t.holds("Subject", "is", "*WEEKLY*"));
  EXPECT_FALSE(t.holds("Subject", "is", "weekly*"));
  EXPECT_TRUE(t.holds("Subject", "not in", "a, b"));
  EXPECT_TRUE(t.holds("Message-ID", "is", "<abc123@*>"));
  ConditionCase no_subject;
  no_subject.message = "From: a@b.c\r\n\r\nx\r\n";
  EXPECT_TRUE(no_subject.holds("Subject", "is", "*"));  // a missing field reads as ""
}

TEST(RulesConditions, HeaderField) {
  ConditionCase t;
  EXPECT_TRUE(t.holds("Header Field", "is", "X-Junk: 5*"));  // the spec's example
  EXPECT_TRUE(t.holds("Header Field", "is", "x-junk: 2"));   // every field of that name
  EXPECT_FALSE(t.holds("Header Field", "is", "X-Junk: 9*"));
  EXPECT_TRUE(t.holds("Header Field", "in", "X-Junk: 7, 8, 2"));
  EXPECT_TRUE(t.holds("Header Field", "is not", "X-Junk: 9*"));
  EXPECT_FALSE(t.holds("Header Field", "is", "X-Missing: *"));
  EXPECT_TRUE(t.holds("Header Field", "is not", "X-Missing: *"));
}

TEST(RulesConditions, SourceSizeHumanAndClock) {
  ConditionCase t;
  EXPECT_TRUE(t.holds("Source", "is not", "authenticated"));
  EXPECT_TRUE(t.holds("Source", "is", "LMTP"));
  t.source = Source::authenticated;
  EXPECT_TRUE(t.holds("Source", "is", "authenticated"));
  EXPECT_TRUE(t.holds("Source", "in", "SMTP, trusted"));
  t.source = Source::smtp;
  EXPECT_TRUE(t.holds("Source", "is", "smtp"));
  EXPECT_FALSE(t.holds("Source", "is", "trusted"));

  EXPECT_TRUE(t.holds("Message Size", "greater than", "100"));
  EXPECT_FALSE(t.holds("Message Size", "greater than", "1K"));
  EXPECT_TRUE(t.holds("Message Size", "less than", "1K"));

  EXPECT_TRUE(t.holds("Human Generated", "", ""));
  EXPECT_FALSE(t.holds("Human Generated", "is not", ""));
  for (std::string field : {"Auto-Submitted: auto-replied", "Precedence: bulk", "List-Id: <l.example>"}) {
    ConditionCase bulk;
    bulk.message = field + "\r\n" + kMessage;
    EXPECT_FALSE(bulk.holds("Human Generated", "", "")) << field;
    EXPECT_TRUE(bulk.holds("Human Generated", "is not", "")) << field;
  }

  EXPECT_TRUE(t.holds("Current Date", "greater than", "2024-05-30"));
  EXPECT_FALSE(t.holds("Current Date", "greater than", "2024-05-31"));
  EXPECT_TRUE(t.holds("Current Date", "less than", "20240601"));
  EXPECT_TRUE(t.holds("Current Time", "greater than", "09:00"));
  EXPECT_FALSE(t.holds("Current Time", "less than", "17:00"));
  EXPECT_TRUE(t.holds("Current Day", "is", "Fri"));
  EXPECT_TRUE(t.holds("Current Day", "is", "friday"));
  EXPECT_TRUE(t.holds("Current Day", "not in", "Sat, Sun"));
  EXPECT_FALSE(t.holds("Current Day", "in", "Sat, Sun"));
}

// ---- the evaluator -----------------------------------------------------------------------------

namespace {

class RuleEngineTest : public RuleStoreTest {
 protected:
  void SetUp() override {
    RuleStoreTest::SetUp();
    account_record_ = *store_->reader().find_account_by_id(account_);
    engine_ = std::make_unique<RuleEngine>(*store_, settings_, [this] { return now_; });
  }
  void add(Rule rule) {
    RuleStore rules(*store_);
    run([&] { return rules.set(account_, RuleSetType::mail_in, rule); });
  }
  RuleOutcome deliver(const std::string& message = kMessage, std::string sender = "joe@remote.example",
                      Source source = Source::lmtp) {
    Envelope envelope{std::move(sender), {{"u@example.dom"}}, {}, false};
    RuleInput input{account_record_, "u@example.dom", envelope, message, source};
    return engine_->evaluate(input);
  }

  store::AccountRecord account_record_;
  RulesSettings settings_{std::chrono::seconds(3600)};
  int64_t now_ = 1717174800;  // 2024-05-31 17:00:00 UTC, a Friday
  std::unique_ptr<RuleEngine> engine_;
};

}  // namespace

TEST_F(RuleEngineTest, NoRulesNoOutcome) {
  auto out = deliver();
  EXPECT_TRUE(out.matched.empty());
  EXPECT_FALSE(out.reject || out.discard || out.message || out.reply);
}

TEST_F(RuleEngineTest, TheSpecExample) {
  add(rule_from_xml(kSpecExample));
  auto out = deliver(kMessage);
  EXPECT_EQ(out.matched, std::vector<std::string>{"Junk Filter"});
  EXPECT_EQ(out.store_in, std::vector<std::string>{"Junk"});
  EXPECT_TRUE(out.discard);
  // Not from authenticated users.
  auto authenticated = deliver(kMessage, "joe@remote.example", Source::authenticated);
  EXPECT_TRUE(authenticated.matched.empty());
  EXPECT_FALSE(authenticated.discard);
}

TEST_F(RuleEngineTest, PriorityOrderAllConditionsAndStopProcessing) {
  add(make_rule("b-second", 5, {{"Subject", "is", "*weekly*"}}, {{"Mark", "Flagged"}, {"Store in", "B"}}));
  add(make_rule("a-first", 5, {{"Subject", "is", "*weekly*"}}, {{"Mark", "Seen"}, {"Store in", "A"}}));
  add(make_rule("top", 9, {{"From", "is", "joe@*"}, {"Subject", "is", "*nothing*"}}, {{"Discard", ""}}));
  add(make_rule("inactive", 0, {}, {{"Discard", ""}}));
  add(make_rule("last", 1, {}, {{"Store in", "Last"}}));
  auto out = deliver();
  EXPECT_EQ(out.matched, (std::vector<std::string>{"a-first", "b-second", "last"}));  // "top" needs both conditions
  EXPECT_EQ(out.store_in, (std::vector<std::string>{"A", "B", "Last"}));
  EXPECT_EQ(out.flags, (std::vector<std::string>{"Seen", "Flagged"}));
  EXPECT_FALSE(out.discard);

  add(make_rule("b-second", 5, {{"Subject", "is", "*weekly*"}},
                {{"Mark", "Flagged"}, {"Stop Processing", ""}, {"Store in", "Never"}}));
  out = deliver();
  EXPECT_EQ(out.matched, (std::vector<std::string>{"a-first", "b-second"}));
  EXPECT_EQ(out.store_in, (std::vector<std::string>{"A"}));  // nothing after Stop Processing
}

TEST_F(RuleEngineTest, MessageEditsAndMarks) {
  add(make_rule("edit", 5, {},
                {{"Add Header", "X-Filtered: by rules"}, {"Tag Subject", "[weekly]"}, {"Mark", "Seen,Label2"}}));
  add(make_rule("again", 4, {}, {{"Tag Subject", "[list]"}, {"Add Header", "X-Note: Grüße"}}));
  auto out = deliver("From: a@b.example\r\nSubject: Hello\r\n\r\nbody\r\n");
  ASSERT_TRUE(out.message);
  EXPECT_EQ(*out.message,
            "X-Note: =?UTF-8?B?R3LDvMOfZQ==?=\r\nX-Filtered: by rules\r\nFrom: a@b.example\r\n"
            "Subject: [list] [weekly] Hello\r\n\r\nbody\r\n");
  EXPECT_EQ(out.flags, (std::vector<std::string>{"Seen", "$Label2"}));
  // The tag is not added twice, and a message without Subject gets one.
  add(make_rule("edit", 5, {}, {{"Tag Subject", "[weekly]"}}));
  add(make_rule("again", 4, {}, {{"Tag Subject", "[WEEKLY]"}}));
  out = deliver("From: a@b.example\r\n\r\nbody\r\n");
  ASSERT_TRUE(out.message);
  EXPECT_EQ(*out.message, "Subject: [weekly]\r\nFrom: a@b.example\r\n\r\nbody\r\n");
}

TEST_F(RuleEngineTest, RejectEndsEvaluationAndSendsNothing) {
  add(make_rule("reply", 9, {}, {{"Reply with", "away"}, {"Redirect to", "x@y.example"}}));
  add(make_rule("reject", 5, {{"Subject", "is", "*weekly*"}}, {{"Reject with", "no weekly reports"}}));
  add(make_rule("later", 1, {}, {{"Store in", "Later"}}));
  auto out = deliver();
  EXPECT_EQ(out.reject, "no weekly reports");
  EXPECT_EQ(out.matched, (std::vector<std::string>{"reply", "reject"}));
  EXPECT_TRUE(out.redirect_to.empty());
  EXPECT_FALSE(out.reply);
  EXPECT_TRUE(out.store_in.empty());
  // The reply that was not sent does not count against the period.
  add(make_rule("reject", 5, {{"Subject", "is", "nothing"}}, {{"Reject with", ""}}));
  out = deliver();
  EXPECT_TRUE(out.reply);
  add(make_rule("reject", 5, {}, {{"Reject with", ""}}));
  EXPECT_EQ(deliver().reject, "delivery refused by the recipient's Rules");  // the default text
}

TEST_F(RuleEngineTest, CopiesToOtherAddresses) {
  add(make_rule("copies", 5, {},
                {{"Mirror to", "m@x.example"}, {"Redirect to", "r@x.example, u@example.dom"},
                 {"Forward to", "f@x.example,f2@x.example"}, {"Discard", ""}}));
  auto out = deliver();
  EXPECT_EQ(out.mirror_to, std::vector<std::string>{"m@x.example"});
  EXPECT_EQ(out.redirect_to, std::vector<std::string>{"r@x.example"});  // never back to the recipient
  EXPECT_EQ(out.forward_to, (std::vector<std::string>{"f@x.example", "f2@x.example"}));
  EXPECT_TRUE(out.discard);
}

TEST_F(RuleEngineTest, GeneratedMessagesAreNotSentOn) {
  add(make_rule("copies", 5, {}, {{"Redirect to", "r@x.example"}, {"Mirror to", "m@x.example"},
                                  {"Forward to", "f@x.example"}, {"Store in", "Copies"}}));
  auto out = deliver(kMessage, "joe@remote.example", Source::generated);
  EXPECT_TRUE(out.redirect_to.empty() && out.mirror_to.empty() && out.forward_to.empty());
  EXPECT_EQ(out.store_in, std::vector<std::string>{"Copies"});  // the other actions still run
  EXPECT_EQ(deliver().redirect_to, std::vector<std::string>{"r@x.example"});
}

TEST_F(RuleEngineTest, AutomaticReplyOncePerSenderPerPeriod) {
  add(make_rule("vacation", 5, {}, {{"Reply with", "I am away."}}));
  auto out = deliver();
  ASSERT_TRUE(out.reply);
  EXPECT_EQ(out.reply->to, std::vector<std::string>{"replies@remote.example"});  // Reply-To first
  EXPECT_EQ(out.reply->text, "I am away.");
  now_ += 1800;
  EXPECT_FALSE(deliver().reply);  // the same sender within the period
  std::string other = "From: other@remote.example\r\nSubject: x\r\n\r\nx\r\n";
  auto other_out = deliver(other, "other@remote.example");
  ASSERT_TRUE(other_out.reply);
  EXPECT_EQ(other_out.reply->to, std::vector<std::string>{"other@remote.example"});  // From without Reply-To
  now_ += 1800;
  EXPECT_TRUE(deliver().reply);  // the period has passed
}

TEST_F(RuleEngineTest, NoAutomaticReplyToBulkNullSenderOrOurselves) {
  add(make_rule("vacation", 5, {}, {{"Reply with", "away"}}));
  EXPECT_FALSE(deliver(kMessage, "").reply);  // a bounce
  EXPECT_FALSE(deliver("Auto-Submitted: auto-replied\r\n" + kMessage).reply);
  EXPECT_FALSE(deliver("Precedence: list\r\n" + kMessage).reply);
  EXPECT_FALSE(deliver("List-Unsubscribe: <mailto:x@y>\r\n" + kMessage).reply);
  EXPECT_FALSE(deliver("From: u@example.dom\r\nSubject: note to self\r\n\r\nx\r\n", "u@example.dom").reply);
  // None of these used up the sender's reply.
  EXPECT_TRUE(deliver().reply);
}

TEST_F(RuleEngineTest, ReplyToAll) {
  add(make_rule("all", 5, {}, {{"Reply to All with", "noted"}}));
  auto out = deliver();
  ASSERT_TRUE(out.reply);
  EXPECT_EQ(out.reply->to, (std::vector<std::string>{"replies@remote.example", "ann@example.dom", "bob@other.example",
                                                     "carl@other.example"}));  // not u@example.dom itself
}

TEST_F(RuleEngineTest, ClockConditionsUseTheAccountsTimeZone) {
  add(make_rule("evening", 5, {{"Current Time", "greater than", "18:00"}}, {{"Mark", "Flagged"}}));
  EXPECT_TRUE(deliver().matched.empty());  // 17:00 UTC
  write([&](store::Repository& r) { r.set_account_setting(account_, "TimeZone", "Europe/Berlin"); });
  EXPECT_EQ(deliver().matched, std::vector<std::string>{"evening"});  // 19:00 in Berlin
}

TEST_F(RuleEngineTest, AStoredRuleThatDoesNotValidateIsSkipped) {
  write([&](store::Repository& r) {
    r.set_account_setting(account_, "Rules.mailIn",
                          "<rules><rule name='bad' priority='9'><action opCode='Explode'/></rule>"
                          "<rule name='good' priority='1'><action opCode='Mark'>Seen</action></rule></rules>");
  });
  EXPECT_EQ(deliver().matched, std::vector<std::string>{"good"});
}
