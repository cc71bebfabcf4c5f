#include "daemon/kube/api_error.h"

namespace sparkd::kube {
namespace {

StatusCode CodeFor(int http_status, std::string_view reason) {
  switch (http_status) {
    case 400:
    case 413:
    case 415:
    case 422:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 405:
    case 501:
      return StatusCode::kUnimplemented;
    case 409:
      return reason == "AlreadyExists" ? StatusCode::kAlreadyExists : StatusCode::kAborted;
    case 410:
      return StatusCode::kOutOfRange;
    case 429:
      return StatusCode::kUnavailable;
    default:
      break;
  }
  if (http_status >= 500 && http_status < 600) return StatusCode::kUnavailable;
  return StatusCode::kUnknown;
}

std::string StringField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A proxy's HTML or plain text error, on one line and short.
std::string Quote(std::string_view body) {
  auto end = body.find_last_not_of(" \t\r\n");
  body = body.substr(0, end == std::string_view::npos ? 0 : end + 1);
  std::string out;
  for (char c : body.substr(0, 200)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (body.size() > 200) out += "...";
  return out;
}

// The field causes of a 422 that its message does not already spell out.
std::string MissingCauses(const nlohmann::json& status, const std::string& message) {
  auto details = status.find("details");
  if (details == status.end() || !details->is_object()) return "";
  auto causes = details->find("causes");
  if (causes == details->end() || !causes->is_array()) return "";
  std::string out;
  for (const auto& cause : *causes) {
    if (!cause.is_object()) continue;
    std::string field = StringField(cause, "field");
    std::string text = StringField(cause, "message");
    std::string item = field.empty() ? text : field + ": " + text;
    if (item.empty() || message.find(item) != std::string::npos) continue;
    out += (out.empty() ? "" : "; ") + item;
  }
  return out;
}

Status FromStatusObject(std::string_view what, int http_status, const nlohmann::json& status) {
  std::string message = StringField(status, "message");
  std::string reason = StringField(status, "reason");
  std::string causes = MissingCauses(status, message);
  std::string text(what);
  text += ": " + (message.empty() ? std::string("the API server gave no message") : message);
  if (!causes.empty()) text += " [" + causes + "]";
  text += " (";
  if (!reason.empty()) text += reason + ", ";
  text += "HTTP " + std::to_string(http_status) + ")";
  return Status(CodeFor(http_status, reason), std::move(text));
}

}  // namespace

std::string DescribeRequest(std::string_view verb, std::string_view api_version,
                            std::string_view plural, std::string_view ns, std::string_view name) {
  std::string resource(plural);
  if (auto slash = api_version.find('/'); slash != std::string_view::npos) {
    resource += ".";
    resource += api_version.substr(0, slash);
  }
  std::string out = std::string(verb) + " " + resource;
  if (!name.empty()) {
    out += " \"";
    if (!ns.empty()) out += std::string(ns) + "/";
    return out + std::string(name) + "\"";
  }
  return out + (ns.empty() ? " cluster-wide" : " in namespace \"" + std::string(ns) + "\"");
}

Status ApiError(std::string_view what, int http_status, std::string_view body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && StringField(doc, "kind") == "Status") {
    return FromStatusObject(what, http_status, doc);
  }
  std::string text = std::string(what) + ": HTTP " + std::to_string(http_status);
  if (!body.empty()) text += ": " + Quote(body);
  return Status(CodeFor(http_status, ""), std::move(text));
}

Status WatchError(std::string_view what, const nlohmann::json& status_object) {
  int code = 500;
  if (auto it = status_object.find("code"); it != status_object.end() && it->is_number_integer()) {
    code = it->get<int>();
  }
  return FromStatusObject(std::string(what) + " (an ERROR event)", code, status_object);
}

Status TransportError(std::string_view what, std::string_view url, std::string_view error) {
  return Unavailable(std::string(what) + ": no answer from the API server " + std::string(url) +
                     ": " + std::string(error));
}

}  // namespace sparkd::kube
