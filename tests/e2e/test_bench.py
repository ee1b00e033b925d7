"""strata-bench against the real server: every workload with --json, the clean-up, a given
bucket, wrong credentials, bad arguments and the presign helper.

Configure with STRATA_BIN (the server) and STRATA_BENCH (the benchmark binary); both default to
the e2e build dir. Runs are short (1-2 s); the checks are about correctness of the report and the
clean-up, not about speed.
"""

import json
import os
import subprocess
import unittest

from strata_harness import (ACCESS_KEY, REPO_ROOT, SECRET_KEY, KiB, StrataTestCase, http_request,
                            md5_hex, random_bytes)

REPORT_FIELDS = ('workload', 'endpoint', 'bucket', 'size_bytes', 'concurrency', 'threads',
                 'objects_prepared', 'duration_s', 'ops', 'ops_per_s', 'bytes', 'mib_per_s',
                 'ops_by_type', 'latency_ms', 'errors', 'first_error', 'cleanup')


def bench_binary():
    path = os.environ.get('STRATA_BENCH') or os.path.join(REPO_ROOT, 'build-e2e', 'bin',
                                                          'strata-bench')
    if not os.access(path, os.X_OK):
        raise RuntimeError(f'strata-bench not found or not executable: {path} '
                           f'(set STRATA_BENCH)')
    return path


class BenchTest(StrataTestCase):

    def run_bench(self, *args, secret_key=SECRET_KEY, endpoint=True, timeout=180):
        cmd = [bench_binary()]
        if endpoint:
            cmd += ['--endpoint', self.server.endpoint]
        cmd += ['--access-key', ACCESS_KEY, '--secret-key', secret_key, *args]
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

    def run_json(self, workload, *args):
        """Runs a workload with --json; checks what every report must satisfy; returns it."""
        result = self.run_bench(workload, '--json', *args)
        self.assertEqual(result.returncode, 0,
                         f'strata-bench {workload} exited {result.returncode}\n'
                         f'stdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-2000:]}')
        report = json.loads(result.stdout)
        for field in REPORT_FIELDS:
            self.assertIn(field, report, f'{workload}: JSON report lacks {field}')
        self.assertEqual(report['workload'], workload)
        self.assertEqual(report['endpoint'], self.server.endpoint)
        self.assertGreater(report['ops'], 0)
        self.assertEqual(report['errors'], 0, report['first_error'])
        self.assertIsNone(report['first_error'])
        self.assertGreater(report['duration_s'], 0.5)
        self.assertAlmostEqual(report['ops_per_s'], report['ops'] / report['duration_s'],
                               delta=0.01 * report['ops_per_s'] + 0.01)
        self.assertEqual(sum(report['ops_by_type'].values()), report['ops'])
        lat = report['latency_ms']
        for name in ('mean', 'p50', 'p90', 'p99', 'max'):
            self.assertIn(name, lat)
        self.assertGreater(lat['p50'], 0)
        self.assertLessEqual(lat['p50'], lat['p90'])
        self.assertLessEqual(lat['p90'], lat['p99'])
        self.assertLessEqual(lat['p99'], lat['max'])
        self.assertLessEqual(lat['mean'], lat['max'])
        # A report from a run on its own fresh bucket: everything is gone afterwards.
        self.assertEqual(report['cleanup']['errors'], 0, report['cleanup'])
        self.assertTrue(report['cleanup']['bucket_deleted'])
        self.assertTrue(report['bucket'].startswith('strata-bench-'))
        self.assertNotIn(report['bucket'], self.bucket_names())
        return report

    def bucket_names(self):
        return [b['Name'] for b in self.s3.list_buckets()['Buckets']]

    # -- workloads ---------------------------------------------------------------------------------

    def test_put(self):
        r = self.run_json('put', '--size', '4KiB', '--duration', '1s', '--concurrency', '4')
        self.assertEqual(r['size_bytes'], 4 * KiB)
        self.assertEqual(r['concurrency'], 4)
        self.assertEqual(r['objects_prepared'], 0)
        self.assertEqual(r['ops_by_type']['put'], r['ops'])
        self.assertEqual(r['bytes'], r['ops'] * 4 * KiB)
        self.assertEqual(r['cleanup']['deleted'], r['ops'])
        self.assertAlmostEqual(r['mib_per_s'], r['bytes'] / 2**20 / r['duration_s'], delta=0.01)

    def test_get(self):
        r = self.run_json('get', '--size', '64KiB', '--objects', '20', '--duration', '1s',
                          '--concurrency', '4', '--threads', '2')
        self.assertEqual(r['threads'], 2)
        self.assertEqual(r['objects_prepared'], 20)
        self.assertEqual(r['ops_by_type']['get'], r['ops'])
        self.assertEqual(r['bytes'], r['ops'] * 64 * KiB)
        self.assertEqual(r['cleanup']['deleted'], 20)

    def test_get_large_objects_stream(self):
        # Larger than one erasure stripe (1 MiB), so the body arrives in several pieces.
        r = self.run_json('get', '--size', '3MiB', '--objects', '3', '--duration', '1s',
                          '--concurrency', '2')
        self.assertEqual(r['bytes'], r['ops'] * 3 * 2**20)
        self.assertEqual(r['cleanup']['deleted'], 3)

    def test_head(self):
        r = self.run_json('head', '--objects', '10', '--duration', '1s', '--concurrency', '4')
        self.assertEqual(r['ops_by_type']['head'], r['ops'])
        self.assertEqual(r['bytes'], 0)
        self.assertEqual(r['cleanup']['deleted'], 10)

    def test_mixed(self):
        r = self.run_json('mixed', '--objects', '40', '--duration', '2s', '--concurrency', '4')
        by_type = r['ops_by_type']
        for op in ('get', 'head', 'put', 'delete'):
            self.assertGreater(by_type[op], 0, f'mixed made no {op}: {by_type}')
        self.assertEqual(by_type['list'], 0)
        # 45/30/15/10 per cent: GETs are the most common request by far.
        self.assertGreater(by_type['get'], by_type['put'])
        self.assertGreater(by_type['get'], by_type['delete'])
        # Whatever the run left behind was deleted: 40 prepared + PUTs - DELETEs.
        self.assertEqual(r['cleanup']['deleted'], 40 + by_type['put'] - by_type['delete'])

    def test_list(self):
        r = self.run_json('list', '--objects', '1500', '--size', '0', '--duration', '1s',
                          '--concurrency', '2')
        self.assertEqual(r['objects_prepared'], 1500)
        self.assertEqual(r['ops_by_type']['list'], r['ops'])
        # Pages of 1000 then 500 keys, over and over.
        self.assertIn('keys', r)
        self.assertIn('keys_per_s', r)
        self.assertGreaterEqual(r['keys'], 500 * r['ops'])
        self.assertLessEqual(r['keys'], 1000 * r['ops'])
        self.assertEqual(r['keys'] % 500, 0)
        self.assertAlmostEqual(r['keys_per_s'], r['keys'] / r['duration_s'],
                               delta=0.01 * r['keys_per_s'] + 0.01)
        self.assertEqual(r['cleanup']['deleted'], 1500)

    def test_text_report(self):
        result = self.run_bench('head', '--objects', '2', '--duration', '500ms',
                                '--concurrency', '2')
        self.assertEqual(result.returncode, 0, result.stderr)
        for word in ('ops/s', 'MiB/s', 'p50', 'p90', 'p99', 'max', 'errors: 0'):
            self.assertIn(word, result.stdout)

    def test_given_bucket_keeps_the_bucket_and_other_objects(self):
        bucket = self.new_bucket('given')
        data = random_bytes(1000)
        self.s3.put_object(Bucket=bucket, Key='not-mine.bin', Body=data)
        result = self.run_bench('mixed', '--bucket', bucket, '--objects', '10', '--duration',
                                '1s', '--concurrency', '2', '--json')
        self.assertEqual(result.returncode, 0, result.stderr)
        report = json.loads(result.stdout)
        self.assertEqual(report['bucket'], bucket)
        self.assertFalse(report['cleanup']['bucket_deleted'])
        self.assertEqual(report['cleanup']['errors'], 0)
        self.assertIn(bucket, self.bucket_names())
        self.assertEqual(self.list_keys(bucket), ['not-mine.bin'])
        self.assertObjectEquals(bucket, 'not-mine.bin', data)

    # -- failures ----------------------------------------------------------------------------------

    def test_wrong_secret_key_fails_clearly(self):
        before = self.bucket_names()
        result = self.run_bench('put', '--duration', '1s', secret_key='not-the-secret')
        self.assertNotEqual(result.returncode, 0)
        self.assertIn('SignatureDoesNotMatch', result.stderr)
        self.assertIn('403', result.stderr)
        self.assertEqual(result.stdout, '')
        self.assertEqual(self.bucket_names(), before)

    def test_unreachable_endpoint_fails(self):
        result = subprocess.run(
            [bench_binary(), '--endpoint', 'http://127.0.0.1:1', '--access-key', ACCESS_KEY,
             '--secret-key', SECRET_KEY, 'put', '--duration', '1s'],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn('connect', result.stderr)

    def test_bad_arguments_exit_2(self):
        cases = {
            'unknown size unit': (['put', '--size', '4XiB'], 'unit'),
            'bad size': (['put', '--size', 'KiB'], 'size'),
            'unknown duration unit': (['put', '--duration', '3h'], 'duration'),
            'unknown workload': (['scan'], 'workload'),
            'no workload': ([], 'workload'),
            'unknown flag': (['put', '--frobnicate', '1'], '--frobnicate'),
            'zero concurrency': (['put', '--concurrency', '0'], '--concurrency'),
            'https': (['put', '--endpoint', 'https://127.0.0.1:1'], 'http://'),
        }
        for name, (args, word) in cases.items():
            with self.subTest(name):
                result = self.run_bench(*args)
                self.assertEqual(result.returncode, 2, f'{args}: {result.stderr}')
                self.assertIn(word, result.stderr)
        with self.subTest('missing endpoint'):
            result = self.run_bench('put', endpoint=False)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn('--endpoint', result.stderr)

    def test_help(self):
        result = subprocess.run([bench_binary(), '--help'], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0)
        for word in ('put', 'get', 'head', 'mixed', 'list', 'presign', '45% GET', 'latency_ms',
                     'first_error', 'keys_per_s'):
            self.assertIn(word, result.stdout)

    # -- presign -----------------------------------------------------------------------------------

    def test_presigned_urls_work_for_plain_http_clients(self):
        bucket = self.new_bucket('presign')
        data = random_bytes(5000)
        key = 'dir/a b+c.bin'
        self.s3.put_object(Bucket=bucket, Key=key, Body=data)

        def presign(method, *extra):
            result = self.run_bench('presign', '--bucket', bucket, '--key', key, '--method',
                                    method, *extra)
            self.assertEqual(result.returncode, 0, result.stderr)
            url = result.stdout.strip()
            self.assertTrue(url.startswith(self.server.endpoint + '/' + bucket + '/'), url)
            return url

        status, headers, body = http_request(presign('GET'))
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(md5_hex(body), md5_hex(data))
        status, headers, _ = http_request(presign('HEAD'), method='HEAD')
        self.assertEqual(status, 200)
        self.assertEqual(int(headers['content-length']), len(data))
        # Signed for GET: not valid for DELETE.
        status, _, _ = http_request(presign('GET'), method='DELETE')
        self.assertEqual(status, 403)
        status, _, _ = http_request(presign('DELETE', '--expires', '60'), method='DELETE')
        self.assertEqual(status, 204)
        self.assertEqual(self.list_keys(bucket), [])
        result = self.run_bench('presign', '--key', key)
        self.assertEqual(result.returncode, 2)
        self.assertIn('--bucket', result.stderr)


if __name__ == '__main__':
    unittest.main()
