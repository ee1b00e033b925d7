"""Healing through the real server: a drive that was away gets back what it missed, bitrot is
found and rebuilt, a degraded read queues its object, and `strata admin heal` reports it all.

A fresh server per test. Layout relied on (the server's contract): DIR/hot/drive1..6 (4+2),
shard files under DIR/hot/driveN/data/<xx>/<data id> for objects above 128 KiB, frames of
block_size + 4 bytes (block_size 256 KiB for objects of 1 MiB and more at 4+2).
The background pass is kept out of the way (STRATA_HEAL_INTERVAL_SECONDS=3600, bitrot off)
unless a test turns a trigger on, so the admin command's report counts exactly what it did.
Run: python3 -m unittest -v test_heal.py (STRATA_BIN=...).
"""

import json
import os
import shutil
import subprocess

import strata_harness as h
from strata_harness import KiB, MiB

FRAME = 256 * KiB + 4  # one frame of a shard file of an object >= 1 MiB (4+2)


def run_admin(server, *args, timeout=600):
    """`strata admin --endpoint ADMIN ARGS...` with the root credentials; CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('STRATA_')}
    env.update({'STRATA_ACCESS_KEY': h.ACCESS_KEY, 'STRATA_SECRET_KEY': h.SECRET_KEY})
    cmd = [h.strata_binary(), 'admin', '--endpoint', server.admin_endpoint] + list(args)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def read_file(path):
    with open(path, 'rb') as f:
        return f.read()


def flip_byte(path, offset):
    with open(path, 'r+b') as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x5A]))


class HealTest(h.StrataTestCase):
    SERVER_PER_TEST = True
    EXTRA_ENV = {'STRATA_HEAL_INTERVAL_SECONDS': '3600', 'STRATA_BITROT_BYTES_PER_SECOND': '0'}

    def admin_heal(self, *args):
        result = run_admin(self.server, '--json', 'heal', *args)
        self.assertEqual(result.returncode, 0, f'admin heal failed: {result.stderr}')
        return json.loads(result.stdout)

    def restart_with(self, env=None):
        self.server.stop()
        if env:
            self.server.extra_env.update(env)
        self.server.start()
        return self.refresh_client()

    def move_aside(self, drives):
        aside = os.path.join(self.fixture.root, 'aside')
        os.makedirs(aside, exist_ok=True)
        for n in drives:
            shutil.move(self.server.drive_dir(n), os.path.join(aside, f'drive{n}'))

    def bring_back(self, drives):
        aside = os.path.join(self.fixture.root, 'aside')
        for n in drives:
            if os.path.exists(self.server.drive_dir(n)):
                shutil.rmtree(self.server.drive_dir(n))
            shutil.move(os.path.join(aside, f'drive{n}'), self.server.drive_dir(n))

    def verify(self, objects, what):
        for (bucket, key), data in sorted(objects.items()):
            with self.subTest(check=what, key=key):
                self.assertObjectEquals(bucket, key, data)

    def only_shard_file(self, drive):
        files = self.server.shard_files(drive)
        self.assertEqual(len(files), 1, f'drive {drive} should hold exactly one shard file')
        return files[0]

    def metric(self, name):
        status, _, body = h.http_request(self.server.admin_endpoint + '/metrics')
        self.assertEqual(status, 200)
        for line in body.decode().splitlines():
            if line.startswith(name + ' '):
                return float(line.split()[1])
        return None


class DriveAwayTest(HealTest):

    def test_a_drive_that_was_away_is_healed_by_admin_heal(self):
        bucket = self.new_bucket('heal')
        objects = {}
        for key, size in (('before/big', 1 * MiB), ('before/small', 10)):
            objects[(bucket, key)] = h.random_bytes(size)
            self.s3.put_object(Bucket=bucket, Key=key, Body=objects[(bucket, key)])
        self.s3.put_object_tagging(Bucket=bucket, Key='before/big',
                                   Tagging={'TagSet': [{'Key': 'stage', 'Value': 'raw'}]})

        # Drive 3 away: everything written meanwhile lands on the other five.
        self.server.stop()
        self.move_aside([3])
        self.server.start()
        self.refresh_client()
        for key, size in (('away/inline', 1000), ('away/file', 200 * KiB),
                          ('away/big', 3 * MiB + 5)):
            objects[(bucket, key)] = h.random_bytes(size)
            self.s3.put_object(Bucket=bucket, Key=key, Body=objects[(bucket, key)])
        parts = [h.random_bytes(5 * MiB), h.random_bytes(1234)]
        upload = self.s3.create_multipart_upload(Bucket=bucket, Key='away/mpu')
        etags = [self.s3.upload_part(Bucket=bucket, Key='away/mpu', UploadId=upload['UploadId'],
                                     PartNumber=i + 1, Body=p)['ETag']
                 for i, p in enumerate(parts)]
        self.s3.complete_multipart_upload(
            Bucket=bucket, Key='away/mpu', UploadId=upload['UploadId'],
            MultipartUpload={'Parts': [{'PartNumber': i + 1, 'ETag': e}
                                       for i, e in enumerate(etags)]})
        objects[(bucket, 'away/mpu')] = b''.join(parts)
        self.s3.put_object_tagging(Bucket=bucket, Key='before/big',
                                   Tagging={'TagSet': [{'Key': 'stage', 'Value': 'curated'}]})
        added = run_admin(self.server, 'user', 'add', 'while-away')
        self.assertEqual(added.returncode, 0, added.stderr)

        self.server.stop()
        self.bring_back([3])
        self.server.start()
        self.refresh_client()
        before = len(self.server.shard_files(3))
        self.assertEqual(before, 1, 'the returning drive holds only the old big object')

        report = self.admin_heal()
        # Four versions and a user record missing, one record with stale tags.
        self.assertEqual(report['records_written'], 6, report)
        # inline 1 + file 1 + big 1 + two parts.
        self.assertEqual(report['shards_rebuilt'], 5, report)
        self.assertEqual(report['failures'], 0, report)
        self.assertGreaterEqual(report['objects_examined'], 6)
        self.assertEqual(len(self.server.shard_files(3)), 5)

        again = self.admin_heal('--bucket', bucket)
        self.assertEqual((again['records_written'], again['shards_rebuilt']), (0, 0), again)

        status = run_admin(self.server, 'status')
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIn('healing: last pass', status.stdout)
        self.assertIn('5 shards rebuilt', status.stdout)
        printed = run_admin(self.server, 'heal')
        self.assertEqual(printed.returncode, 0, printed.stderr)
        self.assertIn('records written:', printed.stdout)

        # With two other drives gone, drive 3's shards are needed to read anything.
        self.server.stop()
        self.move_aside([1, 5])
        self.server.start()
        self.refresh_client()
        self.verify(objects, 'drives 1 and 5 away after healing drive 3')
        tags = self.s3.get_object_tagging(Bucket=bucket, Key='before/big')['TagSet']
        self.assertEqual(tags, [{'Key': 'stage', 'Value': 'curated'}])
        self.server.stop()
        self.bring_back([1, 5])
        self.server.start()
        self.refresh_client()
        self.verify(objects, 'all drives back')

    def test_heal_of_an_unknown_bucket_is_refused(self):
        result = run_admin(self.server, 'heal', '--bucket', 'no-such-bucket')
        self.assertEqual(result.returncode, 1)
        self.assertIn('NoSuchBucket', result.stderr)


class BitrotTest(HealTest):
    SIZE = 3 * MiB + 5  # four stripes, one shard file per drive

    def setUp(self):
        super().setUp()
        self.bucket = self.new_bucket('rot')
        self.data = h.random_bytes(self.SIZE)
        self.s3.put_object(Bucket=self.bucket, Key='victim', Body=self.data)

    def test_deep_admin_heal_finds_and_rebuilds_a_flipped_byte(self):
        path = self.only_shard_file(2)
        good = read_file(path)
        flip_byte(path, FRAME + 1000)
        shallow = self.admin_heal()
        self.assertEqual(shallow['corrupt_shards'], 0, 'a shallow heal reads no shard')
        report = self.admin_heal('--deep')
        self.assertEqual(report['corrupt_shards'], 1, report)
        self.assertEqual(report['shards_rebuilt'], 1, report)
        self.assertEqual(report['records_written'], 0, report)
        self.assertGreaterEqual(report['bytes_verified'], self.SIZE)
        self.assertEqual(read_file(path), good)
        self.assertObjectEquals(self.bucket, 'victim', self.data)

    def test_the_bitrot_scanner_finds_a_flipped_byte_on_its_own(self):
        self.restart_with({'STRATA_BITROT_BYTES_PER_SECOND': str(512 * MiB),
                           'STRATA_BITROT_INTERVAL_SECONDS': '1'})
        path = self.only_shard_file(5)
        good = read_file(path)
        flip_byte(path, 2 * FRAME + 77)
        h.wait_for(lambda: read_file(path) == good, 60, 'the bitrot scanner to rebuild the shard')
        self.assertObjectEquals(self.bucket, 'victim', self.data)
        h.wait_for(lambda: (self.metric('strata_bitrot_corrupt_shards_total') or 0) >= 1, 30,
                   'strata_bitrot_corrupt_shards_total to count it')
        self.assertGreaterEqual(self.metric('strata_bitrot_bytes_scanned_total'), self.SIZE)
        self.assertGreaterEqual(self.metric('strata_heal_shards_rebuilt_total'), 1)

    def test_a_degraded_read_queues_the_object_and_the_healer_rebuilds_it(self):
        # One bad frame in each of three stripes on three drives: every stripe still reads,
        # and at least one of the three drives holds a data shard, so a GET must notice.
        paths = {n: self.only_shard_file(n) for n in (1, 2, 3)}
        good = {n: read_file(p) for n, p in paths.items()}
        for stripe, n in enumerate((1, 2, 3)):
            flip_byte(paths[n], stripe * FRAME + 500)
        self.assertObjectEquals(self.bucket, 'victim', self.data)
        h.wait_for(lambda: all(read_file(p) == good[n] for n, p in paths.items()), 60,
                   'the healer to rebuild the shards the read found bad')
        self.assertObjectEquals(self.bucket, 'victim', self.data)
        report = self.admin_heal('--deep')
        self.assertEqual(report['corrupt_shards'], 0, report)


if __name__ == '__main__':
    import unittest
    unittest.main()
