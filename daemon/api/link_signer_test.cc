#include "daemon/api/link_signer.h"

#include <gtest/gtest.h>

namespace sparkd::api {
namespace {

class TestClock : public Clock {
 public:
  TimePoint Now() override { return now; }
  TimePoint now = TimePoint(std::chrono::seconds(1'700'000'000));
};

// The keys "in the database": what the signer's loader returns.
struct Keys {
  std::vector<LinkKey> active = {{1, "key-one", {}}};
  int loads = 0;
  LinkSigner::KeyLoader Loader() {
    return [this]() -> StatusOr<std::vector<LinkKey>> {
      ++loads;
      return active;
    };
  }
};

struct SignerTest : ::testing::Test {
  TestClock clock;
  Keys keys;
  LinkSigner signer{keys.Loader(), &clock,
                    LinkSignerOptions{std::chrono::hours(24 * 7), std::chrono::seconds(30)}};
  void SetUp() override { ASSERT_TRUE(signer.Load().ok()); }
};

TEST_F(SignerTest, ALinkOpensItsJobUntilItExpires) {
  LinkSignature s = signer.Sign("j1");
  EXPECT_EQ(s.kid, "1");
  EXPECT_EQ(s.exp, std::to_string(1'700'000'000 + 7 * 86400));
  EXPECT_TRUE(signer.Verify("j1", s).ok());
  clock.now += std::chrono::hours(24 * 7) - std::chrono::seconds(1);
  EXPECT_TRUE(signer.Verify("j1", s).ok());
  clock.now += std::chrono::seconds(1);
  Status expired = signer.Verify("j1", s);
  EXPECT_EQ(expired.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(expired.message().find("this link expired at 2023-11-21T22:13:20.000Z"),
            std::string::npos)
      << expired.message();
  EXPECT_NE(expired.message().find("sparkd status JOB_ID"), std::string::npos);
}

TEST_F(SignerTest, EveryOtherSpellingOfALinkIsRefused) {
  LinkSignature good = signer.Sign("j1");
  auto with = [&](auto change) {
    LinkSignature s = good;
    change(s);
    return s;
  };
  const std::pair<std::string, LinkSignature> cases[] = {
      {"another job", good},
      {"later expiry",
       with([](LinkSignature& s) { s.exp = std::to_string(std::stoll(s.exp) + 1); })},
      {"no expiry (an old link)", with([](LinkSignature& s) { s.exp = ""; })},
      {"no key id", with([](LinkSignature& s) { s.kid = ""; })},
      {"unknown key id", with([](LinkSignature& s) { s.kid = "2"; })},
      {"signature of another key",
       with([](LinkSignature& s) { s.sig = LinkMac("x", "j1", s.exp); })},
      {"truncated signature", with([](LinkSignature& s) { s.sig.pop_back(); })},
      {"upper-case signature", with([](LinkSignature& s) { s.sig[0] = 'A'; })},
      {"empty signature", with([](LinkSignature& s) { s.sig = ""; })},
      {"negative expiry", with([](LinkSignature& s) { s.exp = "-1"; })},
      {"expiry with junk", with([](LinkSignature& s) { s.exp += "x"; })},
  };
  for (const auto& [name, s] : cases) {
    std::string job = name == "another job" ? "j2" : "j1";
    EXPECT_EQ(signer.Verify(job, s).code(), StatusCode::kUnauthenticated) << name;
  }
  EXPECT_NE(
      signer.Verify("j1", with([](LinkSignature& s) { s.exp = ""; })).message().find("no expiry"),
      std::string::npos);
}

TEST_F(SignerTest, ANewKeyFromAnotherReplicaIsLoadedWhenALinkNamesIt) {
  LinkSignature old_link = signer.Sign("j1");
  keys.active.push_back({2, "key-two", {}});
  LinkSignature from_other_replica{old_link.exp, "2", LinkMac("key-two", "j1", old_link.exp)};
  EXPECT_TRUE(signer.Verify("j1", from_other_replica).ok());
  EXPECT_EQ(signer.Sign("j1").kid, "2");            // the newest signs
  EXPECT_TRUE(signer.Verify("j1", old_link).ok());  // the older one still verifies
}

TEST_F(SignerTest, ARetiredKeyStopsWorkingWithinTheRefreshPeriod) {
  LinkSignature s = signer.Sign("j1");
  keys.active = {{2, "key-two", {}}};        // key 1 retired by a rotation elsewhere
  EXPECT_TRUE(signer.Verify("j1", s).ok());  // not refreshed yet
  clock.now += std::chrono::seconds(30);
  Status retired = signer.Verify("j1", s);
  EXPECT_EQ(retired.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(retired.message().find("retired"), std::string::npos) << retired.message();
}

TEST_F(SignerTest, UnknownKeyIdsDoNotHammerTheDatabase) {
  int before = keys.loads;
  LinkSignature s = signer.Sign("j1");
  for (int i = 0; i < 20; ++i) {
    s.kid = std::to_string(100 + i);
    EXPECT_FALSE(signer.Verify("j1", s).ok());
  }
  EXPECT_LE(keys.loads - before, 1);
}

TEST(LinkSignatureTest, CompactFormRoundTrips) {
  LinkSignature s{"1700000000", "3", "abcdef"};
  LinkSignature back = LinkSignature::FromCompact(s.Compact());
  EXPECT_EQ(back.exp, s.exp);
  EXPECT_EQ(back.kid, s.kid);
  EXPECT_EQ(back.sig, s.sig);
  EXPECT_TRUE(LinkSignature::FromCompact("garbage").sig.empty());
  EXPECT_EQ(s.Query(), "exp=1700000000&kid=3&sig=abcdef");
}

}  // namespace
}  // namespace sparkd::api
