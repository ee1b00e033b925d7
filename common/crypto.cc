#include "common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <stdexcept>

namespace strata {
namespace {

// OpenSSL 3 looks algorithms up by name in its provider tables; the legacy
// EVP_sha256()-style handles and the one-shot HMAC() repeat that lookup on
// every call, which showed up as a tenth of a small GET's CPU (SigV4 runs
// five HMACs per request). Fetch each algorithm once; fetched objects are
// immutable and safe to share between threads.
const EVP_MD* Md(HashAlgorithm algo) {
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const EVP_MD* md = sha256;
  switch (algo) {
    case HashAlgorithm::kMd5: md = md5; break;
    case HashAlgorithm::kSha1: md = sha1; break;
    case HashAlgorithm::kSha256: md = sha256; break;
  }
  if (!md) throw std::runtime_error("OpenSSL lacks a digest");  // a broken installation
  return md;
}

// One HMAC context per thread and digest, keyed afresh on every call.
class HmacContext {
 public:
  explicit HmacContext(const char* digest) {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx_ = mac ? EVP_MAC_CTX_new(mac) : nullptr;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>(digest), 0),
        OSSL_PARAM_construct_end()};
    if (!ctx_ || !EVP_MAC_CTX_set_params(ctx_, params)) {
      throw std::runtime_error("HMAC context setup failed");
    }
  }
  ~HmacContext() { EVP_MAC_CTX_free(ctx_); }
  HmacContext(const HmacContext&) = delete;
  HmacContext& operator=(const HmacContext&) = delete;

  std::string Mac(std::string_view key, std::string_view data) {
    // A zero-length key still needs a non-null pointer to count as "set".
    static const unsigned char kEmpty = 0;
    const auto* k = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
    unsigned char out[EVP_MAX_MD_SIZE];
    size_t len = 0;
    if (!EVP_MAC_init(ctx_, k, key.size(), nullptr) ||
        !EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) ||
        !EVP_MAC_final(ctx_, out, &len, sizeof(out))) {
      throw std::runtime_error("HMAC failed");  // only on out-of-memory
    }
    return std::string(reinterpret_cast<char*>(out), len);
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
};

}  // namespace

struct Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

std::string Digest(HashAlgorithm algo, ByteSpan data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), out, &len, Md(algo), nullptr)) {
    throw std::runtime_error("EVP_Digest failed");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  thread_local HmacContext ctx("SHA256");
  return ctx.Mac(key, data);
}
std::string HmacSha1(std::string_view key, std::string_view data) {
  thread_local HmacContext ctx("SHA1");
  return ctx.Mac(key, data);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Hasher::Hasher(HashAlgorithm algo) : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (!ctx_->md || !EVP_DigestInit_ex(ctx_->md, Md(algo), nullptr)) {
    throw std::runtime_error("EVP_DigestInit failed");
  }
}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::Update(ByteSpan data) { EVP_DigestUpdate(ctx_->md, data.data(), data.size()); }

std::string Hasher::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

namespace {

constexpr size_t kGcmNonce = 12, kGcmTag = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

std::string SealAesGcm(std::string_view key, std::string_view plaintext, std::string_view aad) {
  if (key.size() != 32) throw std::invalid_argument("AES-256-GCM needs a 32-byte key");
  std::string out = RandomBytes(kGcmNonce);
  out.resize(kGcmNonce + plaintext.size() + kGcmTag);
  auto* ct = reinterpret_cast<unsigned char*>(out.data() + kGcmNonce);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(out)) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), ct, &len, U(plaintext),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTag,
                                ct + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
  return out;
}

std::optional<std::string> OpenAesGcm(std::string_view key, std::string_view sealed,
                                      std::string_view aad) {
  if (key.size() != 32 || sealed.size() < kGcmNonce + kGcmTag) return std::nullopt;
  std::string_view nonce = sealed.substr(0, kGcmNonce);
  std::string_view ct = sealed.substr(kGcmNonce, sealed.size() - kGcmNonce - kGcmTag);
  std::string tag(sealed.substr(sealed.size() - kGcmTag));
  std::string out(ct.size(), '\0');
  auto* pt = reinterpret_cast<unsigned char*>(out.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(nonce)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), pt, &len, U(ct), static_cast<int>(ct.size())) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTag, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), pt + len, &len) == 1;
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace strata
