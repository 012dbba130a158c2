// The simulator behind a real socket, for the tests that need the server's
// side of a fault (resets, slow replies): a Server on an ephemeral port run
// on a background thread, and a blocking one-request-per-connection client.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "sim/server.hpp"
#include "sim_fixture.hpp"

namespace emsync::sim::test {

struct HttpReply {
  boost::system::error_code error;  // set when the connection failed (a reset fault)
  int status = 0;
  std::string body;
};

// One request on a fresh connection to 127.0.0.1:`port`.
inline HttpReply http_send(std::uint16_t port, const std::string& method, const std::string& target,
                           const std::string& body,
                           const std::map<std::string, std::string>& headers) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) {
    request.set(name, value);
  }
  request.body() = body;
  request.prepare_payload();
  HttpReply reply;
  http::write(socket, request, reply.error);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  if (!reply.error) {
    http::read(socket, buffer, response, reply.error);
  }
  if (!reply.error) {
    reply.status = response.result_int();
    reply.body = response.body();
  }
  return reply;
}

// An /api/v2 call as acme001 (SimFixture's user), WSSE created now.
inline HttpReply http_api(std::uint16_t port, const std::string& method, const std::string& path,
                          const std::string& body = "") {
  const std::string created = iso(Clock::now());
  return http_send(port, method, "/api/v2" + path, body,
                   {{"X-WSSE", wsse_header("acme001", "s3cret", created, random_hex(16))}});
}

class RunningSim {
 public:
  explicit RunningSim(Config c = SimFixture::default_config())
      : m_config(std::move(c)),
        m_simulator(m_config),
        m_server(m_config, m_simulator),
        m_thread([this] { m_server.run(); }) {}
  ~RunningSim() {
    m_server.stop();
    m_thread.join();
  }
  RunningSim(const RunningSim&) = delete;
  RunningSim& operator=(const RunningSim&) = delete;

  std::uint16_t port() const { return m_server.port(); }

  HttpReply api(const std::string& method, const std::string& path, const std::string& body = "") {
    return http_api(port(), method, path, body);
  }

  // A /sim/ control call, in-process (no fault applies to /sim/).
  Json control(const std::string& method, const std::string& path, const std::string& body = "") {
    return Json::parse(m_simulator.handle(Request{method, path, {}, body}, Clock::now()).body);
  }

 private:
  Config m_config;
  Simulator m_simulator;
  Server m_server;
  std::thread m_thread;
};

}  // namespace emsync::sim::test
