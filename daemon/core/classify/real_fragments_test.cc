// The classifier's score on tests/fixtures/diagnose/real: fragments people really pasted
// (kubectl describe halves, Events tables, get-pods tables, dmesg lines, driver log excerpts),
// each with the reasons a reader would accept (INDEX.tsv). The verdict for a fragment is its
// diagnosis about the subject the index names, else its strongest. Prints "N/M acceptable" per
// reason; fails when the unambiguous score falls below the floor (a regression).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/core/classify/classify.h"

namespace sparkd::classify {
namespace {

// Unambiguous fragments read acceptably when this was last raised (51 of 51; the target
// was 95%, 49): fewer is a regression. Raise it with the classifier.
constexpr int kFloor = 51;

const std::string kDir = std::string(SPARKD_SOURCE_DIR) + "/tests/fixtures/diagnose/real";

struct Fragment {
  std::string file;
  std::string kind;
  std::string subject;  // as the index names it: "executor 3", "driver", a pod name, "unknown"
  std::vector<std::string> acceptable;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Split(const std::string& text, char by) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, by)) out.push_back(part);
  return out;
}

std::vector<Fragment> ReadIndex() {
  std::vector<Fragment> out;
  std::vector<std::string> lines = Split(ReadFile(kDir + "/INDEX.tsv"), '\n');
  for (size_t i = 1; i < lines.size(); ++i) {  // [0] is the header
    std::vector<std::string> cols = Split(lines[i], '\t');
    if (cols.size() < 5) continue;
    out.push_back({cols[0], cols[2], cols[3], Split(cols[4], '|')});
  }
  return out;
}

// The verdict about the subject the index names (its pod name, "executor N" or the driver);
// when the diagnoses name no such subject, the strongest one.
const Diagnosis& Verdict(const std::vector<Diagnosis>& ds, const std::string& subject) {
  std::string pod = subject.substr(0, subject.find(' '));
  size_t executor = subject.find("executor ");
  std::string executor_id =
      executor == std::string::npos ? "" : Split(subject.substr(executor + 9), ' ')[0];
  if (!executor_id.empty() && executor_id.back() == ')') executor_id.pop_back();
  for (const Diagnosis& d : ds) {
    bool named = d.pod_name == pod || d.id == pod ||
                 (!executor_id.empty() && d.id == executor_id) ||
                 (subject.starts_with("driver") && d.subject == Subject::kDriver);
    if (named) return d;
  }
  return *std::max_element(ds.begin(), ds.end(), [](const Diagnosis& a, const Diagnosis& b) {
    return a.strength < b.strength;
  });
}

struct Tally {
  int acceptable = 0;
  int total = 0;
};

TEST(RealFragmentsTest, ScoreOnWhatPeoplePaste) {
  std::vector<Fragment> fragments = ReadIndex();
  ASSERT_GE(fragments.size(), 40u);
  std::map<std::string, Tally> by_reason;  // unambiguous fragments, by their one reason
  Tally unambiguous, ambiguous;
  std::string misses;
  for (const Fragment& f : fragments) {
    std::string text = ReadFile(kDir + "/" + f.file);
    ASSERT_FALSE(text.empty()) << f.file;
    std::vector<Diagnosis> ds = DiagnoseText(text, f.file);
    ASSERT_FALSE(ds.empty()) << f.file;
    const Diagnosis& d = Verdict(ds, f.subject);
    std::string got(ExitReasonName(d.reason));
    bool ok = std::find(f.acceptable.begin(), f.acceptable.end(), got) != f.acceptable.end();
    Tally& tally = f.acceptable.size() == 1 ? unambiguous : ambiguous;
    ++tally.total;
    tally.acceptable += ok;
    if (f.acceptable.size() == 1) {
      ++by_reason[f.acceptable[0]].total;
      by_reason[f.acceptable[0]].acceptable += ok;
    }
    if (!ok) misses += "  " + f.file + " (" + f.kind + "): " + got + " | " + d.evidence + "\n";
  }
  std::printf("real fragments, unambiguous: %d/%d acceptable; ambiguous: %d/%d\n",
              unambiguous.acceptable, unambiguous.total, ambiguous.acceptable, ambiguous.total);
  for (const auto& [reason, tally] : by_reason) {
    std::printf("  %-18s %d/%d\n", reason.c_str(), tally.acceptable, tally.total);
  }
  std::printf("not acceptable:\n%s", misses.c_str());
  EXPECT_GE(unambiguous.acceptable, kFloor) << misses;
}

}  // namespace
}  // namespace sparkd::classify
