#include "daemon/kube/token_file.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sparkd::kube {
namespace {

std::string Trim(std::string s) {
  auto end = s.find_last_not_of(" \t\r\n");
  auto begin = s.find_first_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  return s.substr(begin, end - begin + 1);
}

}  // namespace

StatusOr<std::string> TokenFile::Get() {
  std::lock_guard lock(mu_);
  struct stat st {};
  std::string problem;
  if (stat(path_.c_str(), &st) != 0) {
    problem = std::strerror(errno);
  } else {
    Stamp stamp{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                static_cast<uint64_t>(st.st_size),
                static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
    if (read_ && stamp == stamp_) return token_;
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream text;
    if (in.is_open()) text << in.rdbuf();
    std::string token = Trim(text.str());
    if (!in.is_open() || in.bad()) {
      problem = "cannot read it";
    } else if (token.empty()) {
      problem = "it is empty";
    } else {
      if (read_) spdlog::info("kube: re-read the bearer token file {} (it changed)", path_);
      token_ = std::move(token);
      stamp_ = stamp;
      read_ = true;
      warned_ = false;
      return token_;
    }
  }
  if (read_) {
    if (!warned_) {
      spdlog::warn("kube: bearer token file {}: {}; keeping the token read before", path_, problem);
      warned_ = true;
    }
    return token_;
  }
  return Unauthenticated("bearer token file " + path_ + ": " + problem);
}

}  // namespace sparkd::kube
