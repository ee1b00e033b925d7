// The internal API end to end in one process: an object layer over
// RemoteDrives talking to a NodeService (real HTTP on loopback, port 0)
// that serves six real LocalDrives; plus what the node refuses.
#include "gateway/remote_drive.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include "common/crypto.h"
#include "gateway/http_server.h"
#include "gateway/node_auth.h"
#include "gateway/node_client.h"
#include "gateway/node_codec.h"
#include "gateway/node_service.h"
#include "tests/gateway/object_layer_test_util.h"

namespace strata::gw {
namespace {

const std::string kSecret = "test-cluster-secret-0123";

class RemoteCluster {
 public:
  RemoteCluster() {
    std::string pattern = (TestCluster::ScratchParent() / "strata-remote-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    root_ = pattern;
    NodeServiceOptions node;
    node.node = "node1";
    node.cluster_secret = kSecret;
    for (int i = 0; i < 6; ++i) {
      std::string name = "hot/drive" + std::to_string(i);
      std::string dir = (root_ / name).string();
      std::filesystem::create_directories(dir);
      server::LocalDriveOptions o{name, dir, blocking_.get_executor()};
      o.block_cache_bytes = 1 << 20;
      auto d = server::OpenLocalDrive(o);
      REQUIRE(d.ok());
      node.drives[name] = std::shared_ptr<server::Drive>(std::move(*d));
      names_.push_back(name);
    }
    auto service = std::make_shared<NodeService>(node);
    HttpServerOptions http;
    http.port = 0;
    http.threads = 2;
    auto listener = HttpServer::Start(http, [service](Exchange& ex) { return service->Handle(ex); });
    REQUIRE(listener.ok());
    listener_ = std::move(*listener);
    NodeClientOptions co;
    co.node = "node1";
    co.address = "127.0.0.1:" + std::to_string(listener_->port());
    co.cluster_secret = kSecret;
    co.call_timeout = std::chrono::milliseconds(3000);
    auto client = NodeClient::Create(co);
    REQUIRE(client.ok());
    client_ = *client;
    ErasureSet set;
    for (const auto& name : names_) {
      drives_.push_back(std::make_shared<RemoteDrive>(name, client_));
      set.drives.push_back(drives_.back());
    }
    Ping();
    ObjectLayerOptions options;
    options.pools.push_back(Pool{"hot", {std::move(set)}});
    auto layer = ObjectLayer::Create(std::move(options));
    REQUIRE(layer.ok());
    layer_ = std::move(*layer);
  }
  ~RemoteCluster() {
    layer_.reset();
    listener_->Stop();
    blocking_.join();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  void Ping() {
    auto answer = Run(client_->Ping());
    REQUIRE(answer.ok());
    for (auto& d : drives_) {
      for (const auto& e : (*answer)["drives"]) {
        if (e["name"] == d->name()) d->Update(e);
      }
    }
  }

  template <typename T>
  T Run(Task<T> task) {
    return RunOn(io_, std::move(task));
  }

  ObjectLayer& layer() { return *layer_; }
  NodeClient& client() { return *client_; }
  uint16_t port() const { return listener_->port(); }
  RemoteDrive& drive(int i) { return *drives_[i]; }
  void StopNode() { listener_->Stop(); }

 private:
  std::filesystem::path root_;
  boost::asio::io_context io_;
  boost::asio::thread_pool blocking_{4};
  std::unique_ptr<HttpServer> listener_;
  std::shared_ptr<NodeClient> client_;
  std::vector<std::string> names_;
  std::vector<std::shared_ptr<RemoteDrive>> drives_;
  std::unique_ptr<ObjectLayer> layer_;
};

Result<meta::VersionRecord> Put(RemoteCluster& c, const std::string& key, const std::string& data) {
  StringSource body(data, 100000);  // short reads: many frames per shard
  PutObjectArgs args;
  args.bucket = "bkt";
  args.key = key;
  args.size = data.size();
  return c.Run(c.layer().PutObject(std::move(args), body, EtagOf(data)));
}

Result<std::string> Get(RemoteCluster& c, const std::string& key) {
  auto head = c.Run(c.layer().HeadObject("bkt", key));
  if (!head.ok()) return head.status();
  StringSink sink;
  Status st = c.Run(c.layer().ReadObject("bkt", key, *head, 0, head->size, sink));
  if (!st.ok()) return st;
  return sink.data();
}

TEST_CASE("the object layer works over remote drives", "[remote]") {
  RemoteCluster c;
  for (int i = 0; i < 6; ++i) CHECK(c.drive(i).online());
  CHECK(c.drive(0).Usage().ok());
  REQUIRE(c.Run(c.layer().CreateBucket("bkt", "us-east-1")).ok());
  const std::string big = RandomBytes((3 << 20) + 5, 21), small = "tiny object";
  REQUIRE(Put(c, "big", big).ok());
  REQUIRE(Put(c, "small", small).ok());
  CHECK(Get(c, "big").value() == big);
  CHECK(Get(c, "small").value() == small);
  ListArgs list;
  list.bucket = "bkt";
  auto listed = c.Run(c.layer().ListObjects(list));
  REQUIRE(listed.ok());
  REQUIRE(listed->objects.size() == 2);
  CHECK(listed->objects[0].first == "big");
  // Versions, tags and deletes travel too.
  REQUIRE(c.Run(c.layer().SetBucketVersioning("bkt", "Enabled")).ok());
  auto v2 = Put(c, "big", "second");
  REQUIRE(v2.ok());
  CHECK(Get(c, "big").value() == "second");
  REQUIRE(c.Run(c.layer().SetObjectTags("bkt", "big", VersionRef::Latest(), {{"a", "b"}})).ok());
  CHECK(c.Run(c.layer().HeadObject("bkt", "big"))->tags == meta::StringPairs{{"a", "b"}});
  REQUIRE(c.Run(c.layer().DeleteObject("bkt", "small")).ok());
  CHECK(c.Run(c.layer().HeadObject("bkt", "small"))->delete_marker);
  ListVersionsArgs lv;
  lv.bucket = "bkt";
  CHECK(c.Run(c.layer().ListObjectVersions(lv))->versions.size() == 4);
}

TEST_CASE("multipart uploads work over remote drives", "[remote]") {
  RemoteCluster c;
  REQUIRE(c.Run(c.layer().CreateBucket("bkt", "us-east-1")).ok());
  UploadArgs args;
  args.bucket = "bkt";
  args.key = "mp";
  auto id = c.Run(c.layer().CreateUpload(args));
  REQUIRE(id.ok());
  const std::string p1 = RandomBytes(5 << 20, 22), p2 = "last part";
  std::vector<CompletePart> parts;
  uint32_t n = 0;
  for (const std::string* p : {&p1, &p2}) {
    StringSource body(*p);
    auto part = c.Run(c.layer().PutPart("bkt", "mp", *id, ++n, p->size(), body, EtagOf(*p)));
    REQUIRE(part.ok());
    parts.push_back({n, part->segment.etag});
  }
  REQUIRE(c.Run(c.layer().CompleteUpload("bkt", "mp", *id, parts)).ok());
  CHECK(Get(c, "mp").value() == p1 + p2);
}

TEST_CASE("a node that goes away fails calls fast, and comes back", "[remote]") {
  RemoteCluster c;
  REQUIRE(c.Run(c.layer().CreateBucket("bkt", "us-east-1")).ok());
  c.StopNode();
  auto start = std::chrono::steady_clock::now();
  CHECK(Put(c, "k", "data").status().code() == Code::kUnavailable);
  // Backing off: the drives are offline now and the next call fails at once.
  CHECK_FALSE(c.drive(0).online());
  CHECK(Put(c, "k", "data").status().code() == Code::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

// Raw requests to the node, signed or not, to see what it refuses.
struct Raw {
  uint16_t port;
  std::pair<unsigned, std::string> Send(const std::string& method, const std::string& target,
                                        const std::string& body, const std::string& key,
                                        const std::string& body_hash) {
    namespace http = boost::beast::http;
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket sock(io);
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    std::string date = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
    std::string nonce = HexEncode(strata::RandomBytes(16));
    req.set(http::field::host, "node");
    req.set("x-strata-date", date);
    req.set("x-strata-nonce", nonce);
    req.set("x-strata-content-sha256", body_hash);
    if (!key.empty()) {
      req.set(http::field::authorization,
              std::string(node::kAuthScheme) + " " +
                  node::RequestSignature(key, method, target, date, nonce, body_hash));
    }
    req.body() = body;
    req.prepare_payload();
    http::write(sock, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    boost::system::error_code ec;
    http::read(sock, buf, res, ec);
    return {res.result_int(), res.body()};
  }
};

TEST_CASE("the node refuses unsigned, mis-signed and malformed requests", "[remote]") {
  RemoteCluster c;
  Raw raw{c.port()};
  const std::string key = node::SigningKey(kSecret);
  std::vector<uint8_t> cbor = nlohmann::json::to_cbor(nlohmann::json{{"op", "list_buckets"}});
  std::string body(cbor.begin(), cbor.end());
  const std::string target = "/internal/v1/rpc?drive=hot%2Fdrive0";
  CHECK(raw.Send("POST", target, body, key, Sha256Hex(body)).first == 200);
  CHECK(raw.Send("POST", target, body, "", Sha256Hex(body)).first == 403);
  CHECK(raw.Send("POST", target, body, node::SigningKey("wrong-secret-0123456789"),
                 Sha256Hex(body)).first == 403);
  // A body other than the signed one.
  CHECK(raw.Send("POST", target, body, key, Sha256Hex("something else")).first == 403);
  // Signed garbage is refused cleanly, never a crash.
  for (std::string junk : {std::string("\xff\x00\x13", 3), std::string(100, '\xbf'),
                           std::string("{\"op\":1}")}) {
    auto [status, answer] = raw.Send("POST", target, junk, key, Sha256Hex(junk));
    CHECK(status == 400);
  }
  std::vector<uint8_t> unknown = nlohmann::json::to_cbor(nlohmann::json{{"op", "format_disk"}});
  std::string unknown_body(unknown.begin(), unknown.end());
  CHECK(raw.Send("POST", target, unknown_body, key, Sha256Hex(unknown_body)).first == 400);
  CHECK(raw.Send("POST", "/internal/v1/rpc?drive=nope", body, key, Sha256Hex(body)).first == 400);
  // A streamed shard whose closing HMAC is wrong is never committed.
  std::string frames("\x00\x00\x00\x04" "data" "\x00\x00\x00\x00", 12);
  frames += std::string(32 + 64, '0');
  auto [status, answer] = raw.Send("PUT", "/internal/v1/shard?drive=hot%2Fdrive0&id=" +
                                              std::string(32, 'a'),
                                   frames, key, std::string(node::kStreamingBody));
  CHECK(status == 403);
  std::byte out[16];
  CHECK(c.Run(c.drive(0).ReadShard(std::string(32, 'a'), 0, MutableByteSpan(out, 16)))
            .status()
            .code() != Code::kOk);
}

}  // namespace
}  // namespace strata::gw
