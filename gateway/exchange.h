// Exchange: one HTTP request/response on a connection, as the S3 service sees
// it. The session (http_server.cc) implements it over a plain or TLS stream;
// handlers read the request body and write the response through it without
// knowing which.
//
// Thread safety: none; an exchange lives inside one session coroutine.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "common/encoding.h"
#include "common/status.h"
#include "server/drive.h"

namespace strata::gw {

namespace http = boost::beast::http;
using server::Task;

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual const http::request_header<>& request() const = 0;
  virtual bool secure() const = 0;           // arrived over TLS
  virtual bool loopback_peer() const = 0;

  // The request body as sent after HTTP framing (Content-Length or chunked
  // transfer coding is undone). 0 = the body ended. Answers "100 Continue"
  // first when the client asked for it.
  virtual Task<Result<size_t>> ReadBody(MutableByteSpan out) = 0;
  virtual bool body_done() const = 0;
  // Sends "100 Continue" now if the client asked for it and it was not sent yet.
  virtual Task<Status> Continue() = 0;

  // A whole response (XML, errors, small objects).
  virtual Task<Status> Send(http::response<http::string_body> response) = 0;
  // A streamed response: header first (with Content-Length), then the bytes.
  virtual Task<Status> StartStream(http::response_header<> header, uint64_t content_length) = 0;
  virtual Task<Status> WriteStream(ByteSpan data) = 0;
  virtual Task<Status> FinishStream() = 0;
  virtual bool response_started() const = 0;

  // After this response the connection is closed (e.g. an unread body).
  virtual void CloseAfterResponse() = 0;

  // What this exchange moved so far, for metrics and the access log: request
  // body bytes read, response bytes written (header included) and the status
  // sent (0 before the response started).
  struct Traffic {
    uint64_t received = 0;
    uint64_t sent = 0;
    unsigned status = 0;
  };
  virtual const Traffic& traffic() const = 0;
};

}  // namespace strata::gw
