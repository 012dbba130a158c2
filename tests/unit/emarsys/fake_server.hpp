// A scripted HTTP/1.1 server on 127.0.0.1 for the Client tests: it answers
// requests in arrival order (over all connections) from a list of canned
// replies, each maybe delayed, and records what it received. Plain Asio, no Beast, so these tests compile quickly.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace emsync::emarsys::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Reply {
  int status = 200;
  std::string body = R"({"replyCode":0,"replyText":"OK","data":[]})";
  std::string headers;        // extra header lines, each ending in \r\n
  bool close_after = false;   // close without saying so (a keep-alive timeout)
  bool silent = false;        // never answer (to provoke a client timeout)
  std::chrono::milliseconds delay{0};  // answer this late (a slow server)
};

inline Reply answer(int status, std::string body, std::string headers = "") {
  Reply reply;
  reply.status = status;
  reply.body = std::move(body);
  reply.headers = std::move(headers);
  return reply;
}

struct Received {
  std::string head;  // request line and headers, header names lowercased
  std::string body;
  int connection = 0;
};

inline std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

class FakeServer {
 public:
  FakeServer(asio::io_context& io, std::vector<Reply> script)
      : m_acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        m_script(script.begin(), script.end()) {
    asio::co_spawn(io, accept_loop(), asio::detached);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(m_acceptor.local_endpoint().port()) + path;
  }

  std::vector<Received> received;
  int connections = 0;

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto socket = co_await m_acceptor.async_accept(asio::use_awaitable);
      asio::co_spawn(m_acceptor.get_executor(), serve(std::move(socket), ++connections),
                     asio::detached);
    }
  }

  static std::size_t content_length(const std::string& head) {
    const auto at = head.find("content-length:");
    return at == std::string::npos ? 0 : std::stoul(head.substr(at + 15));
  }

  asio::awaitable<void> serve(tcp::socket socket, int connection) {
    constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
    std::string buffer;
    for (;;) {
      auto [ec, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer),
                                                     "\r\n\r\n", use_tuple);
      if (ec) {
        co_return;
      }
      Received request{lowercase(buffer.substr(0, n)), "", connection};
      buffer.erase(0, n);
      const auto length = content_length(request.head);
      if (buffer.size() < length) {
        co_await asio::async_read(socket, asio::dynamic_buffer(buffer),
                                  asio::transfer_exactly(length - buffer.size()), use_tuple);
      }
      request.body = buffer.substr(0, length);
      buffer.erase(0, length);
      received.push_back(std::move(request));
      if (m_script.empty()) {
        co_return;
      }
      const Reply reply = m_script.front();
      m_script.pop_front();
      if (reply.silent || reply.delay.count() > 0) {
        asio::steady_timer timer(socket.get_executor(),
                                 reply.silent ? std::chrono::seconds(30) : reply.delay);
        co_await timer.async_wait(use_tuple);
        if (reply.silent) {
          co_return;
        }
      }
      const std::string text = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n" +
                               "Content-Type: text/html; charset=utf-8\r\n" + reply.headers +
                               "Content-Length: " + std::to_string(reply.body.size()) +
                               "\r\n\r\n" + reply.body;
      co_await asio::async_write(socket, asio::buffer(text), use_tuple);
      if (reply.close_after) {
        co_return;
      }
    }
  }

  tcp::acceptor m_acceptor;
  std::deque<Reply> m_script;
};

// Runs `task` on `io` until it completes (the server's loops are abandoned;
// a later run() picks them up again).
template <class T>
T run(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        out.emplace(co_await std::move(task));
        io.stop();
      },
      asio::detached);
  io.restart();
  io.run();
  return std::move(*out);
}

}  // namespace emsync::emarsys::test
