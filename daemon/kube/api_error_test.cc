#include "daemon/kube/api_error.h"

#include <gtest/gtest.h>

namespace sparkd::kube {
namespace {

// Bodies as kube-apiserver v1.37 writes them.
constexpr char kForbidden[] =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is )"
    R"(forbidden: User \"sparkd\" cannot create resource \"pods\" in API group \"\" in the )"
    R"(namespace \"x\"","reason":"Forbidden","details":{"kind":"pods"},"code":403})";
constexpr char kNotFound[] =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":)"
    R"("configmaps \"nope\" not found","reason":"NotFound","details":{"name":"nope",)"
    R"("kind":"configmaps"},"code":404})";
constexpr char kAlreadyExists[] =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":)"
    R"("pods \"j1-driver\" already exists","reason":"AlreadyExists","details":{"name":)"
    R"("j1-driver","kind":"pods"},"code":409})";
constexpr char kConflict[] =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":)"
    R"("Operation cannot be fulfilled on configmaps \"c\": the object has been modified; )"
    R"(please apply your changes to the latest version and try again","reason":"Conflict",)"
    R"("details":{"name":"c","kind":"configmaps"},"code":409})";
constexpr char kExpired[] =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":)"
    R"j("too old resource version: 1 (2045)","reason":"Expired","code":410})j";
constexpr char kInvalid[] =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":)"
    R"("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a )"
    R"(lowercase RFC 1123 subdomain","reason":"Invalid","details":{"name":"Bad_Name","kind":)"
    R"("ConfigMap","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: )"
    R"(\"Bad_Name\": a lowercase RFC 1123 subdomain","field":"metadata.name"}]},"code":422})";
// A cause the message leaves out must still reach the user.
constexpr char kInvalidTerse[] =
    R"({"kind":"Status","message":"Pod \"p\" is invalid","reason":"Invalid","details":)"
    R"({"causes":[{"reason":"FieldValueRequired","message":"Required value","field":)"
    R"("spec.containers[0].image"}]},"code":422})";
constexpr char kUnauthorized[] =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":)"
    R"("Unauthorized","reason":"Unauthorized","code":401})";
constexpr char kTooMany[] =
    R"({"kind":"Status","message":"Too many requests, please try again later.","reason":)"
    R"("TooManyRequests","details":{"retryAfterSeconds":1},"code":429})";

struct Case {
  int http_status;
  std::string body;
  StatusCode code;
  std::vector<std::string> says;
};

TEST(ApiErrorTest, MapsEveryStatusToItsCodeWithTheServersWords) {
  const std::string what = R"(create pods "x/j1-driver")";
  const std::vector<Case> cases = {
      {403,
       kForbidden,
       StatusCode::kPermissionDenied,
       {what + ": pods is forbidden: User \"sparkd\" cannot create resource \"pods\"",
        "(Forbidden, HTTP 403)"}},
      {404, kNotFound, StatusCode::kNotFound, {"configmaps \"nope\" not found", "HTTP 404"}},
      {409, kAlreadyExists, StatusCode::kAlreadyExists, {"already exists", "AlreadyExists"}},
      {409, kConflict, StatusCode::kAborted, {"the object has been modified", "Conflict"}},
      {410, kExpired, StatusCode::kOutOfRange, {"too old resource version: 1 (2045)", "Expired"}},
      {422, kInvalid, StatusCode::kInvalidArgument, {"metadata.name: Invalid value"}},
      {422,
       kInvalidTerse,
       StatusCode::kInvalidArgument,
       {"Pod \"p\" is invalid [spec.containers[0].image: Required value]"}},
      {401, kUnauthorized, StatusCode::kUnauthenticated, {"Unauthorized (Unauthorized, HTTP 401)"}},
      {429, kTooMany, StatusCode::kUnavailable, {"Too many requests"}},
      {400,
       R"({"kind":"Status","message":"bad","reason":"BadRequest","code":400})",
       StatusCode::kInvalidArgument,
       {"bad (BadRequest, HTTP 400)"}},
      {405,
       R"({"kind":"Status","reason":"MethodNotAllowed","code":405})",
       StatusCode::kUnimplemented,
       {"the API server gave no message"}},
      {500,
       R"({"kind":"Status","message":"etcdserver: leader changed","code":500})",
       StatusCode::kUnavailable,
       {"etcdserver: leader changed (HTTP 500)"}},
      {503, "", StatusCode::kUnavailable, {what + ": HTTP 503"}},
      {504,
       "<html>\n<body>gateway timeout</body></html>",
       StatusCode::kUnavailable,
       {"HTTP 504: <html> <body>gateway timeout</body></html>"}},
      {418, "teapot", StatusCode::kUnknown, {"HTTP 418: teapot"}},
  };
  for (const auto& c : cases) {
    Status status = ApiError(what, c.http_status, c.body);
    EXPECT_EQ(status.code(), c.code) << c.http_status << " " << status.ToString();
    EXPECT_EQ(status.message().rfind(what, 0), 0u) << status.message();
    for (const auto& text : c.says) {
      EXPECT_NE(status.message().find(text), std::string::npos)
          << "missing \"" << text << "\" in: " << status.message();
    }
  }
}

TEST(ApiErrorTest, QuotesOnlyTheStartOfAProxysPage) {
  std::string page(5000, 'x');
  Status status = ApiError("get pods \"a/b\"", 502, page);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_LT(status.message().size(), 300u);
  EXPECT_NE(status.message().find("..."), std::string::npos);
}

TEST(ApiErrorTest, WatchErrorEventsUseTheirCode) {
  Status expired = WatchError("watch pods cluster-wide", nlohmann::json::parse(kExpired));
  EXPECT_EQ(expired.code(), StatusCode::kOutOfRange);
  EXPECT_NE(expired.message().find("ERROR event"), std::string::npos);
  EXPECT_NE(expired.message().find("too old resource version"), std::string::npos);
  Status forbidden = WatchError("watch pods cluster-wide", nlohmann::json::parse(kForbidden));
  EXPECT_EQ(forbidden.code(), StatusCode::kPermissionDenied);
  Status no_code = WatchError("watch pods cluster-wide", {{"kind", "Status"}, {"message", "?"}});
  EXPECT_EQ(no_code.code(), StatusCode::kUnavailable);
}

TEST(ApiErrorTest, TransportErrorsNameTheServer) {
  Status status = TransportError("get pods \"a/b\"", "https://127.0.0.1:6443",
                                 "Failed to connect to 127.0.0.1 port 6443: Connection refused");
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message(),
            "get pods \"a/b\": no answer from the API server https://127.0.0.1:6443: Failed to "
            "connect to 127.0.0.1 port 6443: Connection refused");
}

TEST(ApiErrorTest, DescribesRequests) {
  struct Describe {
    std::string verb, api_version, plural, ns, name, want;
  };
  const std::vector<Describe> cases = {
      {"create", "v1", "pods", "x", "j1-driver", R"(create pods "x/j1-driver")"},
      {"get", "v1", "namespaces", "", "x", R"(get namespaces "x")"},
      {"list", "v1", "configmaps", "x", "", R"(list configmaps in namespace "x")"},
      {"watch", "v1", "pods", "", "", "watch pods cluster-wide"},
      {"patch", "sparkoperator.k8s.io/v1beta2", "sparkapplications", "x", "a",
       R"(patch sparkapplications.sparkoperator.k8s.io "x/a")"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DescribeRequest(c.verb, c.api_version, c.plural, c.ns, c.name), c.want);
  }
}

}  // namespace
}  // namespace sparkd::kube
