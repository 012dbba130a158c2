#include <catch2/catch.hpp>

#include "core/crypto.hpp"
#include "emarsys/wsse.hpp"

using namespace emsync;
using namespace emsync::emarsys;

TEST_CASE("wsse digest matches the documented test vectors", "[emarsys][wsse]") {
  CHECK(sha1_hex("d36e316282959a9ed4c89851497a717f2014-03-20T12:51:45Zcustomersecret") ==
        "ad25a9cbd966e558863d375a46edd0f89b6ee98c");
  CHECK(wsse_digest("d36e316282959a9ed4c89851497a717f", "2014-03-20T12:51:45Z", "customersecret") ==
        "YWQyNWE5Y2JkOTY2ZTU1ODg2M2QzNzVhNDZlZGQwZjg5YjZlZTk4Yw==");
  CHECK(wsse_digest("5398e214ae99c2e50afb709a3bc423f9", "2019-10-14T00:00:00.000Z", "secret") ==
        "ZmNjN2I3MmJlZDY4ZTBkNTgyZWJlZjNhODhiZmZiMGIwNjMwYmY0MQ==");
}

TEST_CASE("wsse digest is base64 of the hex text, not of the raw digest bytes", "[emarsys][wsse]") {
  const auto digest =
      wsse_digest("d36e316282959a9ed4c89851497a717f", "2014-03-20T12:51:45Z", "customersecret");
  CHECK(digest != "rSWpy9lm5ViGPTdaRu3Q+Jtu6Yw=");
  CHECK(digest.size() == 56);
}

TEST_CASE("wsse header carries user, digest, nonce and created", "[emarsys][wsse]") {
  CHECK(wsse_header("acme001", "customersecret", "d36e316282959a9ed4c89851497a717f",
                    "2014-03-20T12:51:45Z") ==
        "UsernameToken Username=\"acme001\", "
        "PasswordDigest=\"YWQyNWE5Y2JkOTY2ZTU1ODg2M2QzNzVhNDZlZGQwZjg5YjZlZTk4Yw==\", "
        "Nonce=\"d36e316282959a9ed4c89851497a717f\", Created=\"2014-03-20T12:51:45Z\"");
}

TEST_CASE("wsse nonces are 32 lowercase hex characters and differ", "[emarsys][wsse]") {
  const auto a = wsse_nonce();
  const auto b = wsse_nonce();
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
}

TEST_CASE("wsse created is UTC with seconds and a Z", "[emarsys][wsse]") {
  using namespace std::chrono;
  const auto t = sys_days{year{2014} / 3 / 20} + hours{12} + minutes{51} + seconds{45} +
                 milliseconds{999};
  CHECK(wsse_created(t) == "2014-03-20T12:51:45Z");
}

TEST_CASE("base64 pads to a multiple of four", "[emarsys][wsse]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("id:secret") == "aWQ6c2VjcmV0");
}
