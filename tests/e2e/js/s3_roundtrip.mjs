// Drives a Strata server with the AWS SDK for JavaScript v3 (@aws-sdk/client-s3) over HTTPS,
// path-style, with the SDK's default flexible checksums (CRC32; streamed bodies go as
// aws-chunked with an x-amz-checksum-* trailer). Run by test_clients.py; standalone:
//
//   STRATA_ENDPOINT=https://127.0.0.1:PORT STRATA_ACCESS_KEY=... STRATA_SECRET_KEY=... \
//   STRATA_CA_FILE=server.crt [STRATA_BUCKET=name] node s3_roundtrip.mjs
//
// Exits 0 when every step matched; otherwise prints "FAIL <step>: <what>" to stderr and exits 1
// (2 for a bad environment). The last stdout line is a JSON summary; the object `keep/proof.bin`
// is left in the bucket so the caller can check that this script really wrote to its server.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { Readable } from 'node:stream';

import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

const MiB = 1024 * 1024;

class Mismatch extends Error {}

let step = 'setup';

function check(condition, what) {
  if (!condition) throw new Mismatch(what);
}

function checkEqual(got, want, what) {
  check(got === want, `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`FAIL environment: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

const md5 = (data) => createHash('md5').update(data).digest('hex');
const sha256b64 = (data) => createHash('sha256').update(data).digest('base64');

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

function crc32b64(data) {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

// A body the SDK cannot buffer or measure: it must stream it (aws-chunked + trailer).
function streamOf(data) {
  const pieces = [];
  const size = 64 * 1024;
  for (let off = 0; off < data.length; off += size) pieces.push(data.subarray(off, off + size));
  return Readable.from(pieces);
}

async function readBody(body) {
  const bytes = await body.transformToByteArray();
  return Buffer.from(bytes);
}

// Records the headers of every request as sent (after signing), by command name.
function recordRequests(client) {
  const sent = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ command: context.commandName, headers: { ...args.request.headers } });
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'strataRecordRequests' },
  );
  return sent;
}

function lastSent(sent, command) {
  for (let i = sent.length - 1; i >= 0; i--) {
    if (sent[i].command === command) return sent[i].headers;
  }
  throw new Mismatch(`no ${command} request was recorded`);
}

function header(headers, name) {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

// The point of this suite: a streamed upload went as aws-chunked with a checksum trailer.
function checkTrailer(headers, algorithm) {
  checkEqual(header(headers, 'x-amz-trailer'), `x-amz-checksum-${algorithm}`, 'x-amz-trailer');
  checkEqual(header(headers, 'x-amz-content-sha256'), 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    'x-amz-content-sha256');
  check(String(header(headers, 'content-encoding') || '').includes('aws-chunked'),
    `content-encoding should include aws-chunked, got ${header(headers, 'content-encoding')}`);
}

async function getBytes(s3, Bucket, Key) {
  const got = await s3.send(new GetObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }));
  return { got, body: await readBody(got.Body) };
}

async function main() {
  const endpoint = env('STRATA_ENDPOINT');
  const ca = readFileSync(env('STRATA_CA_FILE'));
  const Bucket = process.env.STRATA_BUCKET || `js-${randomBytes(6).toString('hex')}`;
  check(endpoint.startsWith('https://'), `endpoint must be https, got ${endpoint}`);

  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,  // a wrong answer must not be retried away
    credentials: {
      accessKeyId: env('STRATA_ACCESS_KEY'),
      secretAccessKey: env('STRATA_SECRET_KEY'),
    },
    requestHandler: { httpsAgent: new Agent({ ca, keepAlive: true }), requestTimeout: 120000 },
  });
  const sent = recordRequests(s3);
  const summary = { bucket: Bucket, steps: [] };
  const done = (name) => summary.steps.push(name);

  step = 'CreateBucket';
  await s3.send(new CreateBucketCommand({ Bucket }));
  done(step);

  step = 'PutObject small';
  const small = Buffer.from('hello from the AWS SDK for JavaScript v3\n');
  const putSmall = await s3.send(new PutObjectCommand({
    Bucket, Key: 'dir/a.txt', Body: small, ContentType: 'text/plain', Metadata: { origin: 'js' },
  }));
  checkEqual(putSmall.ETag, `"${md5(small)}"`, 'small ETag');
  checkEqual(header(lastSent(sent, 'PutObjectCommand'), 'x-amz-checksum-crc32') ||
      putSmall.ChecksumCRC32, crc32b64(small), 'small CRC32 (sent or returned)');
  done(step);

  step = 'PutObject 6 MiB streamed (CRC32 trailer)';
  const big = randomBytes(6 * MiB);
  const putBig = await s3.send(new PutObjectCommand({
    Bucket, Key: 'dir/sub/big.bin', Body: streamOf(big), ContentLength: big.length,
  }));
  checkTrailer(lastSent(sent, 'PutObjectCommand'), 'crc32');
  checkEqual(putBig.ETag, `"${md5(big)}"`, '6 MiB ETag');
  checkEqual(putBig.ChecksumCRC32, crc32b64(big), '6 MiB ChecksumCRC32 in the PutObject response');
  done(step);

  step = 'PutObject streamed with ChecksumAlgorithm SHA256 (trailer)';
  const shaBody = randomBytes(300 * 1024 + 7);
  const putSha = await s3.send(new PutObjectCommand({
    Bucket, Key: 'dir/sub/sha.bin', Body: streamOf(shaBody), ContentLength: shaBody.length,
    ChecksumAlgorithm: 'SHA256',
  }));
  checkTrailer(lastSent(sent, 'PutObjectCommand'), 'sha256');
  checkEqual(putSha.ChecksumSHA256, sha256b64(shaBody), 'ChecksumSHA256 in the response');
  done(step);

  for (const algorithm of ['CRC32C', 'CRC64NVME']) {
    step = `PutObject streamed with ChecksumAlgorithm ${algorithm} (trailer)`;
    const data = randomBytes(200 * 1024 + 3);
    const key = `dir/sub/${algorithm.toLowerCase()}.bin`;
    const put = await s3.send(new PutObjectCommand({
      Bucket, Key: key, Body: streamOf(data), ContentLength: data.length,
      ChecksumAlgorithm: algorithm,
    }));
    checkTrailer(lastSent(sent, 'PutObjectCommand'), algorithm.toLowerCase());
    check(put[`Checksum${algorithm}`], `no Checksum${algorithm} in the PutObject response`);
    const { got, body } = await getBytes(s3, Bucket, key);  // the SDK validates the checksum
    checkEqual(md5(body), md5(data), `${algorithm} object content`);
    checkEqual(got[`Checksum${algorithm}`], put[`Checksum${algorithm}`],
      `${algorithm} checksum on GetObject`);
    done(step);
  }

  step = 'GetObject round trip';
  {
    const { got, body } = await getBytes(s3, Bucket, 'dir/a.txt');
    check(body.equals(small), 'small object content differs');
    checkEqual(got.ContentType, 'text/plain', 'ContentType');
    checkEqual(got.Metadata?.origin, 'js', 'user metadata');
    const second = await getBytes(s3, Bucket, 'dir/sub/big.bin');
    checkEqual(second.body.length, big.length, '6 MiB length');
    checkEqual(md5(second.body), md5(big), '6 MiB content');
    checkEqual(second.got.ChecksumCRC32, crc32b64(big), '6 MiB ChecksumCRC32 on GetObject');
    const ranged = await s3.send(new GetObjectCommand({
      Bucket, Key: 'dir/sub/big.bin', Range: `bytes=${MiB - 5}-${MiB + 4}`,
    }));
    check((await readBody(ranged.Body)).equals(big.subarray(MiB - 5, MiB + 5)), 'range content');
  }
  done(step);

  step = 'HeadObject';
  {
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'dir/sub/big.bin' }));
    checkEqual(head.ContentLength, big.length, 'HeadObject ContentLength');
    checkEqual(head.ETag, `"${md5(big)}"`, 'HeadObject ETag');
    let missing = null;
    try {
      await s3.send(new HeadObjectCommand({ Bucket, Key: 'dir/none' }));
    } catch (e) {
      missing = e;
    }
    check(missing, 'HeadObject of a missing key succeeded');
    checkEqual(missing.$metadata?.httpStatusCode, 404, 'HeadObject of a missing key: status');
  }
  done(step);

  step = 'CreateMultipartUpload/UploadPart/CompleteMultipartUpload';
  const partA = randomBytes(5 * MiB);
  const partB = randomBytes(MiB + 11);
  const mpuKey = 'mpu/object.bin';
  {
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: mpuKey }));
    check(created.UploadId, 'no UploadId');
    const UploadId = created.UploadId;
    const one = await s3.send(new UploadPartCommand({
      Bucket, Key: mpuKey, UploadId, PartNumber: 1, Body: streamOf(partA),
      ContentLength: partA.length,
    }));
    checkTrailer(lastSent(sent, 'UploadPartCommand'), 'crc32');
    checkEqual(one.ETag, `"${md5(partA)}"`, 'part 1 ETag');
    const two = await s3.send(new UploadPartCommand({
      Bucket, Key: mpuKey, UploadId, PartNumber: 2, Body: partB,
    }));
    checkEqual(two.ETag, `"${md5(partB)}"`, 'part 2 ETag');
    const done2 = await s3.send(new CompleteMultipartUploadCommand({
      Bucket, Key: mpuKey, UploadId,
      MultipartUpload: {
        Parts: [{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.ETag }],
      },
    }));
    const digests = Buffer.concat([partA, partB].map((p) => createHash('md5').update(p).digest()));
    checkEqual(done2.ETag, `"${md5(digests)}-2"`, 'multipart ETag');
    const { body } = await getBytes(s3, Bucket, mpuKey);
    checkEqual(body.length, partA.length + partB.length, 'multipart object length');
    checkEqual(md5(body), md5(Buffer.concat([partA, partB])), 'multipart object content');
  }
  done(step);

  step = 'ListObjectsV2 Prefix/Delimiter';
  {
    const listed = await s3.send(new ListObjectsV2Command({
      Bucket, Prefix: 'dir/', Delimiter: '/',
    }));
    checkEqual(JSON.stringify((listed.Contents || []).map((o) => o.Key)), '["dir/a.txt"]',
      'Contents');
    checkEqual(JSON.stringify((listed.CommonPrefixes || []).map((p) => p.Prefix)), '["dir/sub/"]',
      'CommonPrefixes');
    checkEqual(listed.KeyCount, 2, 'KeyCount');
    checkEqual(listed.Contents[0].Size, small.length, 'listed Size');
    const deep = await s3.send(new ListObjectsV2Command({
      Bucket, Prefix: 'dir/sub/', MaxKeys: 2,
    }));
    checkEqual(JSON.stringify(deep.Contents.map((o) => o.Key)),
      '["dir/sub/big.bin","dir/sub/crc32c.bin"]', 'first page under dir/sub/');
    checkEqual(deep.IsTruncated, true, 'IsTruncated');
    const rest = await s3.send(new ListObjectsV2Command({
      Bucket, Prefix: 'dir/sub/', ContinuationToken: deep.NextContinuationToken,
    }));
    checkEqual(JSON.stringify(rest.Contents.map((o) => o.Key)),
      '["dir/sub/crc64nvme.bin","dir/sub/sha.bin"]', 'second page under dir/sub/');
  }
  done(step);

  step = 'DeleteObjects';
  {
    const keys = ['dir/a.txt', 'dir/sub/big.bin', 'dir/sub/sha.bin', 'dir/sub/crc32c.bin',
      'dir/sub/crc64nvme.bin', mpuKey];
    const deleted = await s3.send(new DeleteObjectsCommand({
      Bucket, Delete: { Objects: keys.map((Key) => ({ Key })) },
    }));
    checkEqual(JSON.stringify((deleted.Errors || []).map((e) => e.Key)), '[]',
      'DeleteObjects Errors');
    checkEqual(JSON.stringify((deleted.Deleted || []).map((d) => d.Key).sort()),
      JSON.stringify([...keys].sort()), 'DeleteObjects Deleted');
    const after = await s3.send(new ListObjectsV2Command({ Bucket }));
    checkEqual(after.KeyCount, 0, 'KeyCount after DeleteObjects');
  }
  done(step);

  step = 'PutObject proof';
  const proof = randomBytes(1000);
  await s3.send(new PutObjectCommand({ Bucket, Key: 'keep/proof.bin', Body: proof }));
  summary.proof = { key: 'keep/proof.bin', md5: md5(proof) };
  done(step);

  s3.destroy();
  console.log(JSON.stringify(summary));
}

main().catch((e) => {
  const what = e instanceof Mismatch
    ? e.message
    : `${e.name || 'Error'}: ${e.message} (HTTP ${e.$metadata?.httpStatusCode ?? '-'}, ` +
      `code ${e.Code ?? e.code ?? '-'})`;
  console.error(`FAIL ${step}: ${what}`);
  process.exit(1);
});
