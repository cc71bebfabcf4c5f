#include "daemon/api/link_signer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>

#include "daemon/core/job_json.h"

namespace sparkd::api {
namespace {

constexpr std::string_view kFreshLinkHint =
    ": open the job's page with your team token, or run `sparkd status JOB_ID`, which prints "
    "fresh links";

// "7 days", "12 hours", "8 seconds": how long links last, for people.
std::string DurationText(std::chrono::seconds d) {
  const std::pair<int64_t, const char*> units[] = {
      {86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
  for (const auto& [size, name] : units) {
    if (d.count() % size == 0 || size == 1) {
      int64_t n = d.count() / size;
      return std::to_string(n) + " " + name + (n == 1 ? "" : "s");
    }
  }
  return "";
}

int64_t UnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::optional<int64_t> ParseUnix(std::string_view text) {
  int64_t value = 0;
  if (text.empty() || text.size() > 18) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::string LinkMac(std::string_view key, std::string_view job_id, std::string_view exp) {
  std::string message = "sparkd-link\n" + std::string(job_id) + "\n" + std::string(exp);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", mac[i]);
    hex += byte;
  }
  return hex;
}

std::string LinkSignature::Query() const { return "exp=" + exp + "&kid=" + kid + "&sig=" + sig; }

std::string LinkSignature::Compact() const { return exp + "." + kid + "." + sig; }

LinkSignature LinkSignature::FromCompact(std::string_view text) {
  LinkSignature out;
  size_t first = text.find('.');
  size_t second = first == std::string_view::npos ? first : text.find('.', first + 1);
  if (second == std::string_view::npos) return out;
  out.exp = text.substr(0, first);
  out.kid = text.substr(first + 1, second - first - 1);
  out.sig = text.substr(second + 1);
  return out;
}

LinkSigner::LinkSigner(KeyLoader load, Clock* clock, LinkSignerOptions options)
    : load_(std::move(load)), clock_(clock), options_(options) {}

Status LinkSigner::Load() {
  ASSIGN_OR_RETURN(std::vector<LinkKey> keys, load_());
  if (keys.empty()) return Internal("no link signing key");
  std::lock_guard lock(mu_);
  keys_.clear();
  for (auto& key : keys) keys_[key.id] = std::move(key);
  loaded_at_ = clock_->Now();
  return Status::Ok();
}

void LinkSigner::MaybeReload(bool force) const {
  {
    std::lock_guard lock(mu_);
    TimePoint now = clock_->Now();
    if (reloading_) return;
    if (force) {
      if (now - forced_at_ < std::chrono::seconds(1)) return;
      forced_at_ = now;
    } else if (now - loaded_at_ < options_.refresh) {
      return;
    }
    loaded_at_ = now;  // also after a failure: the next attempt waits a refresh period
    reloading_ = true;
  }
  auto keys = load_();
  std::lock_guard lock(mu_);
  reloading_ = false;
  if (!keys.ok() || keys->empty()) {
    spdlog::warn("reloading the link signing keys: {}",
                 keys.ok() ? "none" : keys.status().ToString());
    return;
  }
  keys_.clear();
  for (auto& key : *keys) keys_[key.id] = std::move(key);
}

LinkSignature LinkSigner::Sign(std::string_view job_id) const {
  return Sign(job_id, clock_->Now() + options_.ttl);
}

LinkSignature LinkSigner::Sign(std::string_view job_id, TimePoint expires) const {
  MaybeReload(false);
  std::lock_guard lock(mu_);
  const LinkKey& newest = keys_.rbegin()->second;
  LinkSignature out;
  out.exp = std::to_string(UnixSeconds(expires));
  out.kid = std::to_string(newest.id);
  out.sig = LinkMac(newest.secret, job_id, out.exp);
  return out;
}

Status LinkSigner::Verify(std::string_view job_id, const LinkSignature& s) const {
  if (s.exp.empty()) {
    return Unauthenticated(
        "this link has no expiry (it was made by an older sparkd) and is no "
        "longer accepted" +
        std::string(kFreshLinkHint));
  }
  std::optional<int64_t> exp = ParseUnix(s.exp);
  std::optional<int64_t> kid = ParseUnix(s.kid);
  if (!exp || !kid || s.sig.empty()) {
    return Unauthenticated("exp, kid, sig: not a sparkd link signature");
  }
  MaybeReload(false);
  bool known;
  {
    std::lock_guard lock(mu_);
    known = keys_.contains(*kid);
  }
  if (!known) MaybeReload(true);
  std::string key;
  {
    std::lock_guard lock(mu_);
    auto it = keys_.find(*kid);
    if (it == keys_.end()) {
      return Unauthenticated(
          "this link was signed with a key that was retired (or never "
          "existed)" +
          std::string(kFreshLinkHint));
    }
    key = it->second.secret;
  }
  std::string expected = LinkMac(key, job_id, s.exp);
  if (s.sig.size() != expected.size() ||
      CRYPTO_memcmp(expected.data(), s.sig.data(), expected.size()) != 0) {
    return Unauthenticated("sig: not a valid link signature for job " + std::string(job_id));
  }
  TimePoint expires{std::chrono::seconds(*exp)};
  if (clock_->Now() >= expires) {
    return Unauthenticated("this link expired at " + FormatRfc3339(expires) +
                           " (links are valid for " + DurationText(options_.ttl) + ")" +
                           std::string(kFreshLinkHint));
  }
  return Status::Ok();
}

}  // namespace sparkd::api
