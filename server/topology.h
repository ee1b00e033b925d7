// Topology: pools of erasure sets of drives, from a config file or the
// embedded default. The same description is meant for every process of a
// cluster (a later issue); here it names local drive folders.
//
// Config file (JSON):
//   {
//     "pools": [
//       { "name": "hot", "data": 4, "parity": 2,
//         "sets": [ ["/mnt/nvme1", "/mnt/nvme2", ..., "/mnt/nvme6"] ] },
//       { "name": "cold", "data": 8, "parity": 3, "sets": [ [...11 drives...] ] }
//     ],
//     "storage_classes": { "STANDARD": "hot", "GLACIER": "cold" }
//   }
// A cluster adds "nodes": {"node1": {"address": "10.0.0.1:9100", "tls":
// false}, ...} and names every drive "node1:PATH" (PATH relative to that
// node's data directory); see conf/cluster-6-nodes.json.
// Relative drive paths are relative to the data directory. The first pool
// is the home pool (every key's version records live there). Without
// "storage_classes", STANDARD and REDUCED_REDUNDANCY map to the first pool
// and STANDARD_IA, GLACIER_IR and GLACIER to the second (or the first when
// there is one pool only).
//
// Thread safety: plain values.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace strata::server {

struct DriveSpec {
  std::string name;  // "hot/drive1"
  std::string path;
  std::string node;  // the node that owns it; empty for a local drive
};

// A storage node of a cluster: its name and the address of its internal API.
struct NodeSpec {
  std::string name;     // "node1"
  std::string address;  // "10.0.0.1:9100"
  bool tls = false;     // its internal API speaks TLS
};

struct SetSpec {
  std::vector<DriveSpec> drives;
};

struct PoolSpec {
  std::string name;
  int data = 4;    // k
  int parity = 2;  // m
  std::vector<SetSpec> sets;
};

struct Topology {
  std::vector<NodeSpec> nodes;  // empty: every drive is local (`strata server`)
  std::vector<PoolSpec> pools;
  std::map<std::string, std::string> storage_classes;  // class -> pool name
};

// The default class map over `pools` (see above).
std::map<std::string, std::string> DefaultStorageClasses(const std::vector<PoolSpec>& pools);

// DIR/hot/drive1..drive6 and DIR/cold/drive1..drive6, both 4+2.
Topology DefaultTopology(const std::string& data_dir);

// Parses and validates a config document (k, m ranges, set sizes, unique
// paths and names). Errors name the offending field.
Result<Topology> ParseTopology(std::string_view json, const std::string& data_dir);
Result<Topology> LoadTopology(const std::string& file, const std::string& data_dir);

}  // namespace strata::server
