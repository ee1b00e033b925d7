// The building blocks of SigV4 (and the header helpers SigV2 shares), exposed
// for gateway/sigv4.cc, sigv2.cc, aws_chunked.cc and their tests. Not a
// public interface: handlers call Authenticate (gateway/auth.h).
//
// The SigV4 chain, per the AWS documentation:
//
//   CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n
//                      CanonicalHeaders \n SignedHeaders \n PayloadHash
//   StringToSign     = "AWS4-HMAC-SHA256" \n AmzDate \n Scope \n hex(SHA256(CanonicalRequest))
//   SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
//                           "aws4_request")
//   Signature        = hex(HMAC(SigningKey, StringToSign))
//
// aws-chunked bodies chain one signature per chunk from the request's own
// signature (the seed), and a trailer signature from the last chunk's.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "gateway/auth.h"

namespace strata::gw::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kStreamingSigned = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
inline constexpr std::string_view kStreamingSignedTrailer =
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
inline constexpr std::string_view kStreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
// hex(SHA256("")), the payload hash of an empty body and of every chunk's
// (empty) chunk header in the chunk string-to-sign.
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ASCII lower-casing and case-insensitive comparison (header names).
std::string ToLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Every value of header `name` (any case) in order, or nullopt when absent.
// Repeated headers are joined with ',' (as HTTP allows and SigV4 signs them).
std::optional<std::string> HeaderValue(const RequestView& req, std::string_view name);
size_t HeaderCount(const RequestView& req, std::string_view name);

// Splits a request-target into its path and its query (without '?').
void SplitTarget(std::string_view target, std::string_view* path, std::string_view* query);

// The canonical URI of an S3 request: the path exactly as the client sent it
// (S3 does not normalise or double-encode), except that bytes a client should
// have escaped but sent raw (a space, a UTF-8 byte, '+', '$'...) are encoded,
// so "/a b" and "/a%20b" canonicalise alike. Existing %XX escapes are kept as
// sent.
std::string CanonicalUri(std::string_view raw_path);

// The canonical query: every parameter decoded, re-encoded with UriEncode,
// sorted by encoded name then value, "name=value" joined by '&' (a parameter
// without '=' gets an empty value). drop_signature removes X-Amz-Signature
// (presigned requests). A malformed escape -> kInvalidArgument.
Result<std::string> CanonicalQuery(std::string_view raw_query, bool drop_signature);

// A header value as SigV4 signs it: outer whitespace trimmed, inner runs of
// whitespace collapsed to one space.
std::string CanonicalHeaderValue(std::string_view value);

// "name:value\n" for each signed header, in the given order. A signed header
// that the request lacks -> kSignatureDoesNotMatch naming it.
Result<std::string> CanonicalHeaders(const RequestView& req,
                                     const std::vector<std::string>& signed_headers);

struct CanonicalRequestParts {
  std::string_view method;
  std::string_view canonical_uri;
  std::string_view canonical_query;
  std::string_view canonical_headers;  // ends with '\n' after the last header
  std::string_view signed_headers;     // "host;x-amz-date"
  std::string_view payload_hash;
};
std::string CanonicalRequest(const CanonicalRequestParts& parts);

// "20130524/us-east-1/s3/aws4_request"
std::string Scope(std::string_view date, std::string_view region, std::string_view service);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// Raw 32 bytes.
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);
// Lower-case hex HMAC-SHA256.
std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign);

// aws-chunked: the string-to-sign of one chunk, given the hex SHA256 of its
// data and the previous signature (the seed for the first chunk).
std::string ChunkStringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view previous_signature,
                              std::string_view chunk_sha256_hex);
// aws-chunked: the string-to-sign of the trailer, given the hex SHA256 of its
// canonical form ("name:value\n" per trailer, sorted by name).
std::string TrailerStringToSign(std::string_view amz_date, std::string_view scope,
                                std::string_view previous_signature,
                                std::string_view trailer_sha256_hex);

}  // namespace strata::gw::sigv4
