"""More real clients against the real server: boto3 and aws-cli over HTTPS, the AWS SDK for
JavaScript v3 (tests/e2e/js), s3cmd and rclone.

Over HTTPS, boto3 >= 1.36 and the JS SDK send PUT bodies as aws-chunked
STREAMING-UNSIGNED-PAYLOAD-TRAILER with an x-amz-checksum-* trailer by default: these tests
check that the request really went that way (headers captured client-side) and that the server
stored, validated and returned the checksum. s3cmd and rclone run against plain HTTP with config
files in the fixture's temp dir (HOME points there too, so no user config is read or written).

Needs: openssl, node (>= 20) with `npm ci` done in tests/e2e/js, s3cmd, rclone
(tools/bootstrap.sh --test). One server per class.
Run: python3 -m unittest -v test_clients.py (STRATA_BIN=...).
"""

import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import unittest
import zlib

import botocore.exceptions
from boto3.s3.transfer import TransferConfig

import strata_harness as h
from strata_harness import KiB, MiB

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'js')
TRAILER_PAYLOAD = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'


def run(cmd, env, cwd, timeout=120, check=True):
    """Runs a client command; on failure the assertion shows its output."""
    result = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'{" ".join(cmd)} exited {result.returncode}\n'
                             f'stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}')
    return result


def client_env(home):
    """Environment for an external client: no AWS_* variables, HOME inside the temp dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('AWS_', 'RCLONE_'))}
    env.update({'HOME': home, 'XDG_CONFIG_HOME': os.path.join(home, '.config'),
                'XDG_CACHE_HOME': os.path.join(home, '.cache')})
    return env


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def read_file(path):
    with open(path, 'rb') as f:
        return f.read()


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, 'big')).decode('ascii')


def capture_requests(client, operation):
    """Headers of every `operation` request as sent (signed), appended to the returned list."""
    sent = []

    def record(request, **_kwargs):
        sent.append({k.lower(): (v.decode() if isinstance(v, bytes) else v)
                     for k, v in request.headers.items()})

    client.meta.events.register(f'before-send.s3.{operation}', record)
    return sent


class TlsBoto3Test(h.StrataTestCase):
    """boto3 and aws-cli over HTTPS with the self-signed cert as their CA bundle."""

    TLS = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('tls')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def assertTrailerUpload(self, headers, algorithm, decoded_length=None):
        self.assertEqual(headers.get('x-amz-trailer'), f'x-amz-checksum-{algorithm.lower()}',
                         f'not sent with a checksum trailer: {headers}')
        self.assertEqual(headers.get('x-amz-content-sha256'), TRAILER_PAYLOAD)
        self.assertIn('aws-chunked', headers.get('content-encoding', ''))
        if decoded_length is not None:
            self.assertEqual(headers.get('x-amz-decoded-content-length'), str(decoded_length))

    def assertServerServes(self):
        self.assertTrue(self.server.running, 'server died')
        self.s3.head_bucket(Bucket=self.bucket)

    def test_endpoint_is_https(self):
        self.assertTrue(self.server.endpoint.startswith('https://127.0.0.1:'),
                        self.server.endpoint)

    def test_put_object_default_crc32_trailer(self):
        sent = capture_requests(self.s3, 'PutObject')
        # Empty, one byte, and around botocore's 1 MiB aws-chunked chunk size.
        for size in (0, 1, MiB - 1, MiB, MiB + 3, 3 * MiB + 17):
            with self.subTest(size=size):
                data = h.random_bytes(size)
                key = f'default-crc/{size}'
                put = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
                self.assertTrailerUpload(sent[-1], 'CRC32', size)
                self.assertEqual(put['ETag'], h.quoted_md5(data))
                self.assertEqual(put.get('ChecksumCRC32'), crc32_b64(data),
                                 'PutObject response should echo the trailer checksum')
                got = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode='ENABLED')
                body = got['Body'].read()  # botocore validates the CRC32 as it reads
                self.assertTrue(body == data, f'{key}: content differs')
                self.assertEqual(got.get('ChecksumCRC32'), crc32_b64(data))
                head = self.s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode='ENABLED')
                self.assertEqual(head.get('ChecksumCRC32'), crc32_b64(data))
                self.assertEqual(head['ContentLength'], size)

    def test_upload_fileobj_multipart_12mib(self):
        create_sent = capture_requests(self.s3, 'CreateMultipartUpload')
        parts_sent = capture_requests(self.s3, 'UploadPart')
        data = h.random_bytes(12 * MiB)
        path = os.path.join(self.work_dir, 'upload-12mib.bin')
        write_file(path, data)
        config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB,
                                max_concurrency=2)
        with open(path, 'rb') as f:
            self.s3.upload_fileobj(f, self.bucket, 'mpu/12mib.bin', Config=config)
        self.assertEqual(len(create_sent), 1, 'upload_fileobj did not go multipart')
        self.assertEqual(len(parts_sent), 3)
        for headers in parts_sent:
            self.assertTrailerUpload(headers, 'CRC32')
        chunks = [data[:5 * MiB], data[5 * MiB:10 * MiB], data[10 * MiB:]]
        got = self.s3.get_object(Bucket=self.bucket, Key='mpu/12mib.bin', ChecksumMode='ENABLED')
        self.assertEqual(got['ETag'], h.multipart_etag(chunks))
        body = got['Body'].read()
        self.assertEqual(len(body), len(data))
        self.assertTrue(body == data, 'multipart object content differs')
        # s3transfer creates the upload with ChecksumAlgorithm=CRC32: S3 then reports a
        # COMPOSITE checksum (the CRC32 of the part CRC32s, dash, part count).
        composite = crc32_b64(b''.join(zlib.crc32(c).to_bytes(4, 'big') for c in chunks)) + '-3'
        self.assertEqual((got.get('ChecksumCRC32'), got.get('ChecksumType')),
                         (composite, 'COMPOSITE'), 'multipart checksum on GetObject')

    def test_explicit_checksum_algorithms(self):
        sent = capture_requests(self.s3, 'PutObject')
        data = h.random_bytes(2 * MiB + 5)
        for algorithm in ('CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'):
            with self.subTest(algorithm=algorithm):
                key = f'explicit/{algorithm}'
                expected = h.checksum_b64(algorithm, data)
                try:
                    put = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data,
                                             ChecksumAlgorithm=algorithm)
                    self.assertTrailerUpload(sent[-1], algorithm, len(data))
                except botocore.exceptions.MissingDependencyException:
                    # Without awscrt botocore cannot compute CRC32C/CRC64NVME: send the value
                    # computed here as a header instead (the JS suite sends them as trailers).
                    put = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data,
                                             **{f'Checksum{algorithm}': expected})
                    self.assertEqual(sent[-1].get(f'x-amz-checksum-{algorithm.lower()}'),
                                     expected)
                self.assertEqual(put.get(f'Checksum{algorithm}'), expected)
                got = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode='ENABLED')
                self.assertTrue(got['Body'].read() == data, f'{key}: content differs')
                self.assertEqual(got.get(f'Checksum{algorithm}'), expected)

    def test_wrong_checksum_rejected_and_nothing_stored(self):
        data = h.random_bytes(100 * KiB)
        for algorithm in ('CRC32', 'CRC32C', 'SHA256', 'CRC64NVME'):
            with self.subTest(algorithm=algorithm):
                key = f'bad-checksum/{algorithm}'
                wrong = h.checksum_b64(algorithm, data + b'!')
                self.assertS3Error('BadDigest', 400, self.s3.put_object,
                                   Bucket=self.bucket, Key=key, Body=data,
                                   **{f'Checksum{algorithm}': wrong})
                self.assertNoSuchKey(self.bucket, key)

    def test_multipart_with_sha256_checksums(self):
        parts_sent = capture_requests(self.s3, 'UploadPart')
        key = 'mpu/sha256.bin'
        chunks = [h.random_bytes(5 * MiB), h.random_bytes(KiB + 1)]
        upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key,
                                                    ChecksumAlgorithm='SHA256')['UploadId']
        parts = []
        for number, chunk in enumerate(chunks, 1):
            resp = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                       PartNumber=number, Body=chunk, ChecksumAlgorithm='SHA256')
            self.assertTrailerUpload(parts_sent[-1], 'SHA256', len(chunk))
            self.assertEqual(resp.get('ChecksumSHA256'), h.checksum_b64('SHA256', chunk))
            parts.append({'PartNumber': number, 'ETag': resp['ETag'],
                          'ChecksumSHA256': resp['ChecksumSHA256']})
        done = self.s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                 MultipartUpload={'Parts': parts})
        self.assertEqual(done['ETag'], h.multipart_etag(chunks))
        self.assertObjectEquals(self.bucket, key, b''.join(chunks))

    def test_aws_cli_cp_20mib_up_and_down(self):
        data = h.random_bytes(20 * MiB + 123)
        src = os.path.join(self.work_dir, 'cli-up.bin')
        dst = os.path.join(self.work_dir, 'cli-down.bin')
        write_file(src, data)
        url = f's3://{self.bucket}/cli/20mib.bin'
        h.aws_cli(self.server.endpoint, ['s3', 'cp', src, url], self.work_dir,
                  ca_bundle=self.server.ca_bundle, timeout=120)
        h.aws_cli(self.server.endpoint, ['s3', 'cp', url, dst], self.work_dir,
                  ca_bundle=self.server.ca_bundle, timeout=120)
        got = read_file(dst)
        self.assertEqual(len(got), len(data))
        self.assertTrue(got == data, 'aws s3 cp round trip differs')
        head = self.s3.head_object(Bucket=self.bucket, Key='cli/20mib.bin')
        self.assertRegex(head['ETag'], r'^"[0-9a-f]{32}-\d+"$', 'aws-cli did not go multipart')

    def test_aws_cli_without_the_ca_fails(self):
        result = h.aws_cli(self.server.endpoint, ['s3', 'ls', f's3://{self.bucket}'],
                           self.work_dir, check=False, timeout=60)
        self.assertNotEqual(result.returncode, 0, 'an untrusted self-signed cert was accepted')
        self.assertRegex(result.stderr, r'(?i)ssl|certificate')
        self.assertServerServes()

    def test_plain_http_to_tls_port_fails_cleanly(self):
        with h.RawHttp('127.0.0.1', self.server.port, timeout=15) as raw:
            sent = raw.send(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
            received = b''
            if sent:
                while raw._fill():  # until the server closes (the socket timeout bounds it)
                    pass
                received = raw.buf
        self.assertTrue(raw.closed_by_peer or not sent, 'server kept a plain-HTTP connection')
        self.assertFalse(received.startswith(b'HTTP/'), f'answered plain HTTP: {received[:200]!r}')
        with self.assertRaises((ConnectionError, http.client.HTTPException)):
            h.http_request(f'http://127.0.0.1:{self.server.port}/', timeout=15)
        self.assertServerServes()

    def test_wrong_ca_fails_cleanly(self):
        other_ca, _key = h.make_self_signed_cert(os.path.join(self.work_dir, 'other-ca'), 'other')
        wrong = h.make_client(self.server.endpoint, verify=other_ca)
        with self.assertRaises(botocore.exceptions.SSLError):
            wrong.list_buckets()
        context = ssl.create_default_context(cafile=other_ca)
        with socket.create_connection(('127.0.0.1', self.server.port), timeout=15) as sock:
            with self.assertRaises(ssl.SSLCertVerificationError):
                context.wrap_socket(sock, server_hostname='127.0.0.1')
        self.assertServerServes()

    def test_localhost_name_matches_cert(self):
        by_name = h.make_client(f'https://localhost:{self.server.port}',
                                verify=self.server.ca_bundle)
        names = [b['Name'] for b in by_name.list_buckets()['Buckets']]
        self.assertIn(self.bucket, names)


class JsSdkTest(h.StrataTestCase):
    """The AWS SDK for JavaScript v3 over HTTPS: tests/e2e/js/s3_roundtrip.mjs."""

    TLS = True

    def run_script(self, bucket, secret_key=h.SECRET_KEY, check=False):
        node = shutil.which('node')
        if node is None:
            self.fail('node is not installed (tools/bootstrap.sh --test)')
        if not os.path.isdir(os.path.join(JS_DIR, 'node_modules', '@aws-sdk', 'client-s3')):
            self.fail(f'{JS_DIR}/node_modules is missing: run tools/bootstrap.sh --test '
                      '(npm ci --no-audit --no-fund in tests/e2e/js)')
        env = client_env(self.work_dir)
        env.update({'STRATA_ENDPOINT': self.server.endpoint, 'STRATA_ACCESS_KEY': h.ACCESS_KEY,
                    'STRATA_SECRET_KEY': secret_key, 'STRATA_CA_FILE': self.server.ca_bundle,
                    'STRATA_BUCKET': bucket})
        env.pop('NODE_EXTRA_CA_CERTS', None)
        env.pop('NODE_TLS_REJECT_UNAUTHORIZED', None)
        return run([node, os.path.join(JS_DIR, 's3_roundtrip.mjs')], env, JS_DIR, timeout=120,
                   check=check)

    def test_roundtrip_over_https(self):
        bucket = h.unique_bucket('js')
        result = self.run_script(bucket)
        self.assertEqual(result.returncode, 0,
                         f'node script failed\nstderr:\n{result.stderr[-4000:]}\n'
                         f'stdout:\n{result.stdout[-2000:]}')
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertEqual(summary['bucket'], bucket)
        self.assertEqual(len(summary['steps']), 12, summary['steps'])
        # What the script left behind, seen through another client.
        self.assertEqual(self.list_keys(bucket), [summary['proof']['key']])
        body = self.get_bytes(bucket, summary['proof']['key'])
        self.assertEqual(h.md5_hex(body), summary['proof']['md5'])

    def test_script_reports_failure(self):
        result = self.run_script(h.unique_bucket('js'), secret_key='wrong' + h.SECRET_KEY[5:])
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn('FAIL CreateBucket', result.stderr)
        self.assertIn('403', result.stderr)


class S3cmdTest(h.StrataTestCase):
    """s3cmd over plain HTTP, path-style, SigV4, with its own config file."""

    def s3cmd(self, *args, check=True):
        config = os.path.join(self.work_dir, 's3cmd.cfg')
        if not os.path.exists(config):
            host = f'127.0.0.1:{self.server.port}'
            with open(config, 'w') as f:
                f.write('[default]\n'
                        f'access_key = {h.ACCESS_KEY}\nsecret_key = {h.SECRET_KEY}\n'
                        f'host_base = {host}\nhost_bucket = {host}\n'
                        'use_https = False\nsignature_v2 = False\n'
                        f'bucket_location = {h.REGION}\n'
                        'enable_multipart = True\nmultipart_chunk_size_mb = 5\n'
                        'progress_meter = False\nmax_retries = 1\n')
        return run(['s3cmd', '-c', config] + list(args), client_env(self.work_dir),
                   self.work_dir, check=check)

    def test_mb_put_ls_get_del(self):
        bucket = h.unique_bucket('s3cmd')
        small = h.random_bytes(10 * KiB + 1)
        big = h.random_bytes(20 * MiB + 7)
        write_file(os.path.join(self.work_dir, 'up', 'small.bin'), small)
        write_file(os.path.join(self.work_dir, 'up', 'big.bin'), big)
        self.s3cmd('mb', f's3://{bucket}')
        self.assertIn(f's3://{bucket}', self.s3cmd('ls').stdout)
        self.s3cmd('put', os.path.join(self.work_dir, 'up', 'small.bin'), f's3://{bucket}/d/')
        self.s3cmd('put', os.path.join(self.work_dir, 'up', 'big.bin'), f's3://{bucket}/d/')
        head = self.s3.head_object(Bucket=bucket, Key='d/big.bin')
        self.assertEqual(head['ETag'], h.multipart_etag(
            [big[i:i + 5 * MiB] for i in range(0, len(big), 5 * MiB)]), 's3cmd multipart ETag')
        listing = self.s3cmd('ls', f's3://{bucket}/d/').stdout
        for key, size in (('small.bin', len(small)), ('big.bin', len(big))):
            self.assertRegex(listing, rf'\s{size}\s+s3://{bucket}/d/{key}\b', listing)
        down = os.path.join(self.work_dir, 'down')
        os.makedirs(down, exist_ok=True)
        for key, data in (('small.bin', small), ('big.bin', big)):
            self.s3cmd('get', '--force', f's3://{bucket}/d/{key}', os.path.join(down, key))
            self.assertTrue(read_file(os.path.join(down, key)) == data, f'{key} differs')
        self.s3cmd('del', f's3://{bucket}/d/small.bin', f's3://{bucket}/d/big.bin')
        self.assertEqual(self.list_keys(bucket), [])
        missing = self.s3cmd('get', '--force', f's3://{bucket}/d/small.bin',
                             os.path.join(down, 'gone'), check=False)
        self.assertNotEqual(missing.returncode, 0, 's3cmd got a deleted object')
        self.s3cmd('rb', f's3://{bucket}')
        self.assertNotIn(f's3://{bucket}', self.s3cmd('ls').stdout)


class RcloneTest(h.StrataTestCase):
    """rclone over plain HTTP, provider Other, path-style, with its own config file."""

    TREE = {
        'a.txt': b'alpha\n',
        'empty.txt': b'',
        'sub/b.bin': os.urandom(64 * KiB + 1),
        'sub/deeper/c.bin': b'xyz',
        'sp ace/\u00fcnicode +plus.txt': b'unicode and a plus sign\n',
        'big/12mib.bin': os.urandom(12 * MiB),  # over the 5 MiB cutoff: multipart
    }

    def rclone(self, *args, check=True):
        config = os.path.join(self.work_dir, 'rclone.conf')
        if not os.path.exists(config):
            with open(config, 'w') as f:
                f.write('[strata]\ntype = s3\nprovider = Other\n'
                        f'access_key_id = {h.ACCESS_KEY}\nsecret_access_key = {h.SECRET_KEY}\n'
                        f'endpoint = {self.server.endpoint}\nregion = {h.REGION}\n'
                        'force_path_style = true\n')
        cmd = ['rclone', '--config', config, '--cache-dir', os.path.join(self.work_dir, 'cache'),
               '--retries', '1', '--low-level-retries', '1', '--s3-upload-cutoff', '5M',
               '--s3-chunk-size', '5M'] + list(args)
        return run(cmd, client_env(self.work_dir), self.work_dir, check=check)

    def test_copy_check_lsf_size(self):
        bucket = h.unique_bucket('rclone')
        src = os.path.join(self.work_dir, 'src')
        for name, data in self.TREE.items():
            write_file(os.path.join(src, name), data)
        remote = f'strata:{bucket}/tree'
        self.rclone('mkdir', f'strata:{bucket}')
        self.rclone('copy', src, remote)
        self.assertEqual(sorted(self.list_keys(bucket)), sorted(f'tree/{n}' for n in self.TREE))
        self.rclone('check', src, remote)
        listed = self.rclone('lsf', '-R', '--files-only', remote).stdout.splitlines()
        self.assertEqual(sorted(listed), sorted(self.TREE))
        size = json.loads(self.rclone('size', '--json', remote).stdout)
        self.assertEqual(size['count'], len(self.TREE))
        self.assertEqual(size['bytes'], sum(len(d) for d in self.TREE.values()))
        head = self.s3.head_object(Bucket=bucket, Key='tree/big/12mib.bin')
        self.assertRegex(head['ETag'], r'-3"$', 'rclone did not upload multipart')

        dst = os.path.join(self.work_dir, 'dst')
        self.rclone('copy', remote, dst)
        for name, data in self.TREE.items():
            self.assertTrue(read_file(os.path.join(dst, name)) == data, f'{name} differs')

        # check must notice a difference, or the clean check above proves nothing.
        write_file(os.path.join(src, 'sub/b.bin'), b'changed')
        changed = self.rclone('check', src, remote, check=False)
        self.assertNotEqual(changed.returncode, 0, 'rclone check missed a changed file')

        self.rclone('purge', f'strata:{bucket}')
        self.assertS3Error('NoSuchBucket', 404, self.s3.list_objects_v2, Bucket=bucket)


if __name__ == '__main__':
    unittest.main()
