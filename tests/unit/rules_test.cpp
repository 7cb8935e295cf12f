// The account's Rules (delivery/rules): the model and its XML, validation, RulesAllowed, the
// edits of a Rule set, storage in account settings, the automatic-reply record, and the
// evaluator (RuleEngine) against real messages.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <future>

#include "base/error.hpp"
#include "delivery/rules/auto_reply_record.hpp"
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
  template <class F>
  void write(F work) {
    std::promise<void> done;
    store_->backend().submit([&](store::Repository& r) { work(r); },
                             [&](std::exception_ptr e) {
                               if (e) done.set_exception(e);
                               else done.set_value();
                             },
                             {});
    done.get_future().get();
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
