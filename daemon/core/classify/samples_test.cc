// Every labelled sample of tests/fixtures/diagnose/samples must classify as INDEX.tsv says,
// including the exit code column.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/core/classify/classify.h"

namespace sparkd::classify {
namespace {

struct Row {
  std::string file;
  std::string id;  // after '#', "" for the file's first subject of that kind
  std::string subject;
  std::string reason;
  std::string exit_code;  // "-" = none
  std::string note;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Row> ReadIndex() {
  std::vector<Row> rows;
  std::istringstream in(ReadFile(std::string(SPARKD_SAMPLES_DIR) + "/INDEX.tsv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::istringstream fields(line);
    std::string col;
    while (std::getline(fields, col, '\t')) cols.push_back(col);
    if (cols.size() < 5) continue;
    Row row;
    size_t hash = cols[0].find('#');
    row.file = cols[0].substr(0, hash);
    if (hash != std::string::npos) row.id = cols[0].substr(hash + 1);
    row.subject = cols[2];
    row.reason = cols[3];
    row.exit_code = cols[4];
    if (cols.size() > 5) row.note = cols[5];
    rows.push_back(row);
  }
  return rows;
}

const Diagnosis* Find(const std::vector<Diagnosis>& ds, const Row& row) {
  for (const Diagnosis& d : ds) {
    if (SubjectName(d.subject) != row.subject) continue;
    if (row.id.empty() || d.id == row.id || d.pod_name == row.id) return &d;
  }
  return nullptr;
}

std::string Describe(const std::vector<Diagnosis>& ds) {
  std::string out;
  for (const Diagnosis& d : ds) {
    out += std::string(SubjectName(d.subject)) + " " + d.id.value_or("-") + " " +
           std::string(ExitReasonName(d.reason)) + " " +
           (d.exit_code ? std::to_string(*d.exit_code) : "-") + " | " + d.evidence + "\n";
  }
  return out;
}

void Check(const Row& row, const std::string& content, const std::string& variant) {
  std::vector<Diagnosis> ds = DiagnoseText(content, row.file);
  const Diagnosis* d = Find(ds, row);
  ASSERT_NE(d, nullptr) << row.file << " (" << variant << "): no " << row.subject << " " << row.id
                        << " in:\n"
                        << Describe(ds);
  EXPECT_EQ(ExitReasonName(d->reason), row.reason)
      << row.file << " (" << variant << ") " << row.note << "\n"
      << Describe(ds);
  std::string code = d->exit_code ? std::to_string(*d->exit_code) : "-";
  EXPECT_EQ(code, row.exit_code) << row.file << " (" << variant << ")\n" << Describe(ds);
  EXPECT_FALSE(d->evidence.empty());
  EXPECT_FALSE(d->advice.empty());
  EXPECT_EQ(d->source, row.file);
}

std::string WithCrlf(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

TEST(SamplesTest, EverySampleClassifiesAsLabelled) {
  std::vector<Row> rows = ReadIndex();
  ASSERT_GE(rows.size(), 20u);
  for (const Row& row : rows) {
    std::string content = ReadFile(std::string(SPARKD_SAMPLES_DIR) + "/" + row.file);
    ASSERT_FALSE(content.empty()) << row.file;
    Check(row, content, "as is");
    // The same input pasted from Windows must give the same answer.
    Check(row, WithCrlf(content), "CRLF");
  }
}

TEST(SamplesTest, KindsAreDetected) {
  for (const Row& row : ReadIndex()) {
    std::string content = ReadFile(std::string(SPARKD_SAMPLES_DIR) + "/" + row.file);
    InputKind kind = DetectInputKind(content);
    std::string expected = row.file.ends_with(".json")                      ? "pod-json"
                           : row.file.ends_with(".yaml")                    ? "pod-yaml"
                           : row.file.ends_with(".jsonl")                   ? "log"
                           : row.file.find("describe") != std::string::npos ? "describe"
                           : row.file.find("get-pods") != std::string::npos ? "get-pods"
                                                                            : "log";
    EXPECT_EQ(InputKindName(kind), expected) << row.file;
  }
}

}  // namespace
}  // namespace sparkd::classify
