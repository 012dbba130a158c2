// The admin server and the blocking client, in process, on a unix socket in
// a temporary directory. The io_context runs on a second thread.
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "admin/client.hpp"
#include "admin/server.hpp"

namespace asio = boost::asio;
using emsync::Errc;
using namespace emsync::admin;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Echoes the method, params and peer uid; "boom" throws, "slow" sleeps 2 s.
asio::awaitable<Response> echo(Request request) {
  if (request.method == "boom") {
    throw std::runtime_error("secret detail");
  }
  if (request.method == "slow") {
    asio::steady_timer timer(co_await asio::this_coro::executor, 2s);
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return Response::success(
      {{"method", request.method}, {"params", request.params}, {"uid", request.peer.uid}});
}

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/emsync-admin-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

// A started server whose io_context runs on its own thread until destruction.
struct RunningServer {
  explicit RunningServer(std::string path, ServerLimits limits = {}, ReservedFor reserved_for = {})
      : socket_path(std::move(path)),
        server(io.get_executor(), socket_path, echo, limits, std::move(reserved_for)) {
    auto started = server.start();
    REQUIRE(started);
    thread = std::thread([this] { io.run(); });
  }
  ~RunningServer() {
    asio::post(io, [this] {
      server.stop();
      io.stop();
    });
    thread.join();
  }

  std::string socket_path;
  asio::io_context io;
  Server server;
  std::thread thread;
};

// A raw blocking connection, for what the client does not do.
struct RawConnection {
  explicit RawConnection(const std::string& path) : fd(::socket(AF_UNIX, SOCK_STREAM, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~RawConnection() { ::close(fd); }

  void send(const std::string& data) const {
    REQUIRE(::send(fd, data.data(), data.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(data.size()));
  }
  // The next line, or "" at EOF.
  std::string read_line() const {
    std::string line;
    char c = 0;
    while (::recv(fd, &c, 1, 0) == 1) {
      line += c;
      if (c == '\n') {
        break;
      }
    }
    return line;
  }

  int fd;
};

}  // namespace

TEST_CASE("the server answers a request on a 0660 socket with the peer uid", "[admin]") {
  TempDir dir;
  RunningServer running(dir.path + "/control.sock");

  struct stat st {};
  REQUIRE(::stat(running.socket_path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0660);

  auto reply = call(running.socket_path, Request{"show", {{"name", "crm"}}}, 5s);
  REQUIRE(reply);
  REQUIRE(reply->ok);
  CHECK(reply->result["method"] == "show");
  CHECK(reply->result["params"] == json{{"name", "crm"}});
  CHECK(reply->result["uid"] == static_cast<int>(::getuid()));
}

TEST_CASE("one connection carries several requests in turn", "[admin]") {
  TempDir dir;
  RunningServer running(dir.path + "/control.sock");
  RawConnection connection(running.socket_path);
  connection.send(encode_request({"ping", {}}) + encode_request({"list", {}}));
  CHECK(decode_response(connection.read_line())->result["method"] == "ping");
  CHECK(decode_response(connection.read_line())->result["method"] == "list");
}

TEST_CASE("bad requests get error replies and the connection stays usable", "[admin]") {
  TempDir dir;
  RunningServer running(dir.path + "/control.sock");
  RawConnection connection(running.socket_path);
  connection.send("{\"protocol\":7,\"method\":\"ping\"}\nnonsense\n" +
                  encode_request({"boom", {}}) + encode_request({"ping", {}}));
  CHECK(decode_response(connection.read_line())->error_code == "unsupported_protocol");
  CHECK(decode_response(connection.read_line())->error_code == "invalid_input");
  auto internal = decode_response(connection.read_line());
  CHECK(internal->error_code == "internal");
  CHECK_THAT(internal->error_message, !Catch::Contains("secret detail"));
  CHECK(decode_response(connection.read_line())->ok);
}

TEST_CASE("a line over the limit gets invalid_input and a closed connection", "[admin]") {
  TempDir dir;
  RunningServer running(dir.path + "/control.sock");
  RawConnection connection(running.socket_path);
  std::thread writer([&] {
    std::string big(k_max_message_bytes + 10, 'a');
    ::send(connection.fd, big.data(), big.size(), MSG_NOSIGNAL);  // may fail once closed
  });
  auto reply = decode_response(connection.read_line());
  writer.join();
  REQUIRE(reply);
  CHECK(reply->error_code == "invalid_input");
  CHECK(connection.read_line().empty());
}

TEST_CASE("connections over the limit are refused with a reply", "[admin]") {
  TempDir dir;
  RunningServer running(dir.path + "/control.sock", ServerLimits{1, 5min});
  RawConnection first(running.socket_path);
  first.send(encode_request({"ping", {}}));
  REQUIRE(decode_response(first.read_line())->ok);  // now registered

  auto refused = call(running.socket_path, Request{"ping", {}}, 5s);
  REQUIRE(refused);
  CHECK_FALSE(refused->ok);
  CHECK(refused->error_code == "transient");
}

TEST_CASE("a reserved slot serves the peers it is for when the others are taken", "[admin]") {
  TempDir dir;
  std::atomic<bool> operator_peer = false;
  std::mutex seen_mutex;
  Peer seen;
  RunningServer running(dir.path + "/control.sock", ServerLimits{1, 5min, 1},
                        [&](const Peer& peer) {
                          const std::lock_guard lock(seen_mutex);
                          seen = peer;
                          return operator_peer.load();
                        });
  RawConnection first(running.socket_path);
  first.send(encode_request({"ping", {}}));
  REQUIRE(decode_response(first.read_line())->ok);  // the one regular slot is taken

  auto refused = call(running.socket_path, Request{"ping", {}}, 5s);
  REQUIRE(refused);
  CHECK(refused->error_code == "transient");
  {  // the server asked with this process's credentials, groups included
    const std::lock_guard lock(seen_mutex);
    CHECK(seen.uid == static_cast<int>(::geteuid()));
    CHECK(seen.gid == static_cast<int>(::getegid()));
    CHECK(seen.pid == static_cast<int>(::getpid()));
    std::vector<gid_t> groups(static_cast<std::size_t>(::getgroups(0, nullptr)));
    REQUIRE(::getgroups(static_cast<int>(groups.size()), groups.data()) >= 0);
    CHECK(seen.groups == std::vector<int>(groups.begin(), groups.end()));
  }

  operator_peer = true;
  RawConnection reserved(running.socket_path);
  reserved.send(encode_request({"ping", {}}));
  CHECK(decode_response(reserved.read_line())->ok);
  auto beyond = call(running.socket_path, Request{"ping", {}}, 5s);  // the reserve is used up
  REQUIRE(beyond);
  CHECK(beyond->error_code == "transient");
}

TEST_CASE("an idle connection is closed, with or without part of a request", "[admin]") {
  TempDir dir;
  RunningServer running(dir.path + "/control.sock", ServerLimits{16, 50ms});
  RawConnection idle(running.socket_path);
  CHECK(idle.read_line().empty());
  RawConnection partial(running.socket_path);
  partial.send(R"({"protocol":1,"method":)");
  CHECK(partial.read_line().empty());
}

TEST_CASE("a client that does not read its responses is closed", "[admin]") {
  TempDir dir;
  RunningServer running(dir.path + "/control.sock", ServerLimits{16, 200ms});
  RawConnection connection(running.socket_path);
  // Echoed replies of 600 KB fill the socket buffers while nobody reads: the
  // server is stuck writing the first one and reads no further request, so
  // the writer blocks until the server gives up and closes the connection.
  const std::string request = encode_request({"ping", {{"pad", std::string(600'000, 'x')}}});
  std::atomic<bool> closed = false;
  std::thread writer([&] {
    for (int i = 0; i < 100 && !closed; ++i) {
      closed = ::send(connection.fd, request.data(), request.size(), MSG_NOSIGNAL) < 0;
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  CHECK(closed);
  ::shutdown(connection.fd, SHUT_RDWR);  // unblocks the writer if the server did not close
  writer.join();
}

TEST_CASE("the client gives up at its deadline", "[admin]") {
  TempDir dir;
  RunningServer running(dir.path + "/control.sock");
  auto reply = call(running.socket_path, Request{"slow", {}}, 100ms);
  REQUIRE_FALSE(reply);
  CHECK(reply.error().code == Errc::timeout);
}

TEST_CASE("the client reports a missing daemon as not_found", "[admin]") {
  TempDir dir;
  auto reply = call(dir.path + "/control.sock", Request{"ping", {}}, 1s);
  REQUIRE_FALSE(reply);
  CHECK(reply.error().code == Errc::not_found);
}

TEST_CASE("start replaces a stale socket and refuses a live one or a file", "[admin]") {
  TempDir dir;
  const std::string path = dir.path + "/control.sock";
  {
    RunningServer first(path);
    asio::io_context io;
    Server second(io.get_executor(), path, echo);
    auto started = second.start();
    REQUIRE_FALSE(started);
    CHECK(started.error().code == Errc::io_error);
  }
  CHECK_FALSE(std::filesystem::exists(path));  // stop() removed it

  int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);  // bound, never listening
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  REQUIRE(::bind(stale, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  ::close(stale);
  { RunningServer replaced(path); }

  std::ofstream(path) << "not a socket";
  asio::io_context io;
  Server server(io.get_executor(), path, echo);
  auto started = server.start();
  REQUIRE_FALSE(started);
  CHECK(started.error().code == Errc::invalid_input);
  CHECK(std::filesystem::is_regular_file(path));
}
