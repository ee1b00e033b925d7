// The one place where a strata::Code becomes an S3 error: {HTTP status, S3 Code, message}
// and the <Error> document a client receives.
//
// Handlers and everything under them return Status; only the response writer calls into
// this header. HTTP statuses, S3 codes and default messages follow the AWS S3 "Error
// responses" list (API reference, ErrorResponses.html) and what the service sends; the
// mapping of Strata's internal codes, which have no AWS twin, is documented beside each
// entry in s3_errors.cc.
//
// Messages: a Status message is meant for the client (common/status.h), so it replaces the
// table's message, except for internal codes (kInternal, kIoError, kCorruption, kNotFound,
// kAlreadyExists, kUnavailable, kTimeout, kAborted): their messages come from the storage
// layer and may name drives, paths or nodes, so the client only ever sees the table's text.
//
// Thread safety: the table is immutable; all functions are pure.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace strata::gw {

struct ErrorInfo {
  unsigned http_status;      // 3xx, 4xx or 5xx
  std::string_view s3_code;  // <Code>, e.g. "NoSuchKey"
  std::string_view message;  // default <Message>, AWS's wording
  bool internal;             // true: the Status message is never sent to the client
};

// The entry for `code`. Every Code below kLast has one; anything else (kLast, a value cast
// from garbage) gets the InternalError entry. kOk maps to InternalError too: rendering an
// error for an OK status is a bug, and a 500 is the honest answer.
const ErrorInfo& LookupError(Code code);

// <?xml ...?><Error><Code/><Message/><Resource/><RequestId/></Error>, every value escaped.
// `resource` is the request path as S3 shows it ("/bucket/key"). For kNotModified (304) the
// caller sends no body, but the document is still well-formed.
std::string RenderErrorXml(const Status& status, std::string_view resource,
                           std::string_view request_id);

}  // namespace strata::gw
