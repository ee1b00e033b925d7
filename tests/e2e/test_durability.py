"""Durability of the real server: restarts, kill -9 mid-PUT, lost drives, bitrot.

A fresh server (and data dir) per test. The layout relied on is the server's contract:
DIR/hot/drive1..drive6 (4+2), shard files under DIR/hot/driveN/data/ for objects above
128 KiB, one shard file per drive per object, none left over after the start-up sweep.
Run: python3 -m unittest -v test_durability.py (STRATA_BIN=...).
"""

import hashlib
import os
import shutil
import signal
import threading
import unittest

import strata_harness as h
from strata_harness import KiB, MiB

SIZES = [0, 1, 100 * KiB, 128 * KiB, 128 * KiB + 1, 1 * MiB, 3 * MiB + 5]
ALL_DRIVES = set(range(1, h.DRIVES + 1))


class StreamingPut(threading.Thread):
    """Streams a PUT of `total` bytes over a raw socket (UNSIGNED-PAYLOAD, Content-Length).

    `sent` counts body bytes handed to the kernel; waiters use `progress` (a Condition).
    With `pause_at`, sending stops there until `resume` is set.
    """

    CHUNK = 256 * KiB

    def __init__(self, server, bucket, key, total, pause_at=None):
        super().__init__(name=f'put-{key}', daemon=True)
        self.conn = server.raw(timeout=120)
        self.host = f'127.0.0.1:{server.port}'
        self.bucket, self.key, self.total = bucket, key, total
        self.pause_at = pause_at
        self.resume = threading.Event()
        self.progress = threading.Condition()
        self.sent = 0
        self.paused = False
        self.failed_send = False
        self.response = None
        self.error = None
        self.md5 = hashlib.md5()
        self.block = os.urandom(self.CHUNK)

    def _advance(self, n, paused=False):
        with self.progress:
            self.sent += n
            self.paused = paused
            self.progress.notify_all()

    def run(self):
        try:
            request = h.sign_v4('PUT', self.host, h.object_path(self.bucket, self.key),
                                payload_hash=h.UNSIGNED_PAYLOAD)
            head = request.to_bytes(content_length=False,
                                    extra_headers=[('Content-Length', str(self.total))])
            if not self.conn.send(head):
                self.failed_send = True
                return
            counter = 0
            while self.sent < self.total:
                if self.pause_at is not None and self.sent >= self.pause_at \
                        and not self.resume.is_set():
                    self._advance(0, paused=True)
                    self.resume.wait(120)
                counter += 1
                chunk = counter.to_bytes(8, 'big') + self.block[8:]
                chunk = chunk[:self.total - self.sent]
                self.md5.update(chunk)
                if not self.conn.send(chunk):
                    self.failed_send = True
                    return
                self._advance(len(chunk))
            self.response = self.conn.read_response()
        except (OSError, AssertionError) as e:
            self.error = e
        finally:
            self.conn.close()
            with self.progress:
                self.progress.notify_all()

    def wait_sent(self, at_least, timeout=120):
        h.wait_for(lambda: self.sent >= at_least or not self.is_alive(), timeout,
                   f'{at_least} bytes of {self.key} to be sent', condition=self.progress)
        if self.sent < at_least:
            raise AssertionError(f'upload of {self.key} ended after {self.sent} bytes '
                                 f'(error {self.error!r}, response {self.response!r})')

    def wait_paused(self, timeout=120):
        h.wait_for(lambda: self.paused or not self.is_alive(), timeout,
                   f'upload of {self.key} to pause', condition=self.progress)


class DurabilityTest(h.StrataTestCase):
    SERVER_PER_TEST = True

    def populate(self, bucket=None, prefix='obj'):
        """Writes one object per size (inline and erasure-coded); returns {(b, key): data}."""
        bucket = bucket or self.new_bucket('dur')
        objects = {}
        for size in SIZES:
            data = h.random_bytes(size)
            key = f'{prefix}/{size}'
            self.s3.put_object(Bucket=bucket, Key=key, Body=data, Metadata={'size': str(size)})
            objects[(bucket, key)] = data
        return objects

    def verify(self, objects, what):
        for (bucket, key), data in sorted(objects.items()):
            with self.subTest(check=what, key=key):
                self.assertObjectEquals(bucket, key, data)
                head = self.s3.head_object(Bucket=bucket, Key=key)
                self.assertEqual(head['ETag'], h.quoted_md5(data))
                self.assertEqual(head['ContentLength'], len(data))
        by_bucket = {}
        for (bucket, key) in objects:
            by_bucket.setdefault(bucket, []).append(key)
        for bucket, keys in by_bucket.items():
            with self.subTest(check=what, listing=bucket):
                self.assertEqual(sorted(self.list_keys(bucket)), sorted(keys))

    @staticmethod
    def erasure_coded(objects):
        return sum(1 for data in objects.values() if len(data) > h.INLINE_LIMIT)

    def assertShardFiles(self, expected, drives=ALL_DRIVES):
        """Every drive in `drives` holds exactly `expected` shard files (no orphans)."""
        counts = {n: len(self.server.shard_files(n)) for n in sorted(drives)}
        self.assertEqual(counts, {n: expected for n in sorted(drives)},
                         f'shard files per drive should equal the {expected} live '
                         f'erasure-coded objects')

    def restart(self):
        self.server.restart()
        return self.refresh_client()

    def assertUnavailable(self, fn, *args, **kwargs):
        self.assertS3Error(('ServiceUnavailable', 'SlowDown'), 503, fn, *args, **kwargs)


class RestartTest(DurabilityTest):

    def test_restart_keeps_everything(self):
        objects = self.populate()
        empty = self.new_bucket('empty')
        mpu_bucket = self.new_bucket('mpu')
        parts = [h.random_bytes(5 * MiB), h.random_bytes(1234)]
        upload = self.s3.create_multipart_upload(Bucket=mpu_bucket, Key='mp', ContentType='x/y')
        etags = [self.s3.upload_part(Bucket=mpu_bucket, Key='mp', UploadId=upload['UploadId'],
                                     PartNumber=i + 1, Body=p)['ETag'] for i, p in enumerate(parts)]
        self.s3.complete_multipart_upload(
            Bucket=mpu_bucket, Key='mp', UploadId=upload['UploadId'],
            MultipartUpload={'Parts': [{'PartNumber': i + 1, 'ETag': e}
                                       for i, e in enumerate(etags)]})
        pending = self.s3.create_multipart_upload(Bucket=mpu_bucket, Key='pending')['UploadId']
        self.s3.upload_part(Bucket=mpu_bucket, Key='pending', UploadId=pending, PartNumber=1,
                            Body=b'pending part')
        self.restart()
        self.verify(objects, 'after restart')
        names = [b['Name'] for b in self.s3.list_buckets()['Buckets']]
        self.assertTrue({empty, mpu_bucket} <= set(names), names)
        self.assertEqual(self.list_keys(empty), [])
        self.assertObjectEquals(mpu_bucket, 'mp', b''.join(parts))
        head = self.s3.head_object(Bucket=mpu_bucket, Key='mp')
        self.assertEqual((head['ETag'], head['ContentType']), (h.multipart_etag(parts), 'x/y'))
        for (bucket, key), data in objects.items():
            meta = self.s3.head_object(Bucket=bucket, Key=key)['Metadata']
            self.assertEqual(meta, {'size': str(len(data))}, key)
        listed = self.s3.list_parts(Bucket=mpu_bucket, Key='pending', UploadId=pending)['Parts']
        self.assertEqual([(p['PartNumber'], p['ETag']) for p in listed],
                         [(1, h.quoted_md5(b'pending part'))], 'multipart upload survives')

    def test_stray_shard_file_swept_at_startup(self):
        objects = self.populate()
        live = self.server.shard_files(1)[0]
        stray_id = os.path.basename(live)[:8] + os.urandom(12).hex()  # same shape, no record
        for n in sorted(ALL_DRIVES):
            folder = os.path.join(self.server.drive_dir(n), 'data', stray_id[-2:])
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, stray_id), 'wb') as f:
                f.write(os.urandom(4096))
        self.restart()
        self.assertShardFiles(self.erasure_coded(objects))
        self.verify(objects, 'after the sweep')

    def test_overwrites_and_deletes_leave_no_shards_behind(self):
        objects = self.populate()
        bucket = next(iter(objects))[0]
        for i in range(3):
            data = h.random_bytes(400 * KiB + i)
            self.s3.put_object(Bucket=bucket, Key='rewritten', Body=data)
        objects[(bucket, 'rewritten')] = data
        self.s3.put_object(Bucket=bucket, Key='doomed', Body=h.random_bytes(500 * KiB))
        self.s3.delete_object(Bucket=bucket, Key='doomed')
        self.s3.put_object(Bucket=bucket, Key=f'obj/{SIZES[-1]}', Body=b'now inline')
        objects[(bucket, f'obj/{SIZES[-1]}')] = b'now inline'
        self.restart()
        self.verify(objects, 'after overwrites, deletes and a restart')
        self.assertShardFiles(self.erasure_coded(objects))

    def test_sigint_exits_zero(self):
        self.s3.create_bucket(Bucket='sigint')
        self.assertEqual(self.server.stop(sig=signal.SIGINT), 0)
        self.server.start()
        self.refresh_client().head_bucket(Bucket='sigint')

    def test_sigterm_with_idle_keepalive_connection_exits(self):
        bucket = self.new_bucket('idle')
        with self.server.raw() as conn:
            request = h.sign_v4('GET', f'127.0.0.1:{self.server.port}', '/' + bucket,
                                query=[('list-type', '2')])
            conn.send(request.to_bytes())
            resp = conn.read_response()
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(self.server.stop(timeout=30), 0,
                             'an idle keep-alive connection must not block shutdown')

    def test_sigterm_finishes_in_flight_put(self):
        bucket = self.new_bucket('inflight')
        total = 48 * MiB
        put = StreamingPut(self.server, bucket, 'in-flight', total, pause_at=16 * MiB)
        put.start()
        put.wait_paused()
        self.assertTrue(self.server.running, 'server died during the upload')
        self.server.proc.send_signal(signal.SIGTERM)
        put.resume.set()
        put.join(timeout=120)
        self.assertFalse(put.is_alive(), 'in-flight upload did not finish')
        self.assertIsNone(put.error, 'upload failed after SIGTERM')
        self.assertIsNotNone(put.response, f'no response to the in-flight PUT (sent {put.sent} '
                             f'bytes, send failed: {put.failed_send})')
        self.assertEqual(put.response.status, 200, put.response)
        self.assertEqual(put.response.header('etag'), '"' + put.md5.hexdigest() + '"')
        code = self.server.wait_exit(timeout=60)
        self.assertEqual(code, 0, 'exit code after SIGTERM')
        self.server.start()
        self.refresh_client()
        got = self.s3.get_object(Bucket=bucket, Key='in-flight')
        digest = hashlib.md5()
        for block in got['Body'].iter_chunks(MiB):
            digest.update(block)
        self.assertEqual(digest.hexdigest(), put.md5.hexdigest(), 'object after restart')


class CrashTest(DurabilityTest):
    TOTAL = 200 * MiB
    KILL_AFTER = 48 * MiB

    def kill_mid_put(self, bucket, key):
        put = StreamingPut(self.server, bucket, key, self.TOTAL)
        put.start()
        put.wait_sent(self.KILL_AFTER)
        self.assertTrue(self.server.running, 'server died during the upload')
        self.server.kill9()
        put.join(timeout=60)
        self.assertFalse(put.is_alive(), 'uploader still running after kill -9')
        self.assertLess(put.sent, self.TOTAL, 'the body was complete before the kill')
        self.assertIsNone(put.response, f'got a response to a cut PUT: {put.response!r}')
        self.server.start()
        return self.refresh_client()

    def test_kill9_mid_put_of_new_key(self):
        objects = self.populate()
        bucket = next(iter(objects))[0]
        self.kill_mid_put(bucket, 'crash/new')
        self.assertNoSuchKey(bucket, 'crash/new')
        self.verify(objects, 'after kill -9')
        self.assertShardFiles(self.erasure_coded(objects))

    def test_kill9_mid_put_over_existing_key(self):
        objects = self.populate()
        bucket = next(iter(objects))[0]
        previous = h.random_bytes(1 * MiB + 17)
        self.s3.put_object(Bucket=bucket, Key='crash/old', Body=previous)
        objects[(bucket, 'crash/old')] = previous
        self.kill_mid_put(bucket, 'crash/old')
        self.verify(objects, 'after kill -9')
        self.assertShardFiles(self.erasure_coded(objects))


class LostDriveTest(DurabilityTest):

    def test_two_drives_gone_at_start(self):
        objects = self.populate()
        self.server.stop()
        for n in (2, 5):
            shutil.rmtree(self.server.drive_dir(n))
        self.server.start()
        self.refresh_client()
        self.verify(objects, 'drives 2 and 5 gone')
        bucket = next(iter(objects))[0]
        for size in (1000, 700 * KiB):
            with self.subTest(new_put=size):
                data = h.random_bytes(size)
                self.s3.put_object(Bucket=bucket, Key=f'degraded/{size}', Body=data)
                objects[(bucket, f'degraded/{size}')] = data
                self.assertObjectEquals(bucket, f'degraded/{size}', data)
        self.restart()
        self.verify(objects, 'restart with drives 2 and 5 still gone')
        self.assertShardFiles(self.erasure_coded(objects), drives=ALL_DRIVES - {2, 5})

    def test_two_drives_removed_while_running(self):
        objects = self.populate()
        for n in (1, 4):
            shutil.rmtree(self.server.drive_dir(n))
        self.verify(objects, 'drives 1 and 4 removed while running')
        bucket = next(iter(objects))[0]
        for size in (1000, 700 * KiB, 3 * MiB):
            with self.subTest(new_put=size):
                data = h.random_bytes(size)
                self.s3.put_object(Bucket=bucket, Key=f'running/{size}', Body=data)
                objects[(bucket, f'running/{size}')] = data
                self.assertObjectEquals(bucket, f'running/{size}', data)
        self.assertTrue(self.server.running, 'server died after losing two drives')
        self.restart()
        self.verify(objects, 'restart after losing drives 1 and 4')

    def test_three_drives_gone_refuses_writes(self):
        objects = self.populate()
        bucket = next(iter(objects))[0]
        large_key = f'obj/{SIZES[-1]}'
        self.server.stop()
        aside = os.path.join(self.fixture.root, 'aside')
        os.makedirs(aside)
        for n in (1, 3, 6):
            shutil.move(self.server.drive_dir(n), os.path.join(aside, f'drive{n}'))
        self.server.start()
        self.refresh_client()
        for size in (1000, 700 * KiB):
            with self.subTest(put=size):
                self.assertUnavailable(self.s3.put_object, Bucket=bucket, Key=f'nq/{size}',
                                       Body=h.random_bytes(size))
        self.assertUnavailable(self.s3.get_object, Bucket=bucket, Key=large_key)
        self.server.stop()
        for n in (1, 3, 6):
            if os.path.exists(self.server.drive_dir(n)):  # the server may have recreated it
                shutil.rmtree(self.server.drive_dir(n))
            shutil.move(os.path.join(aside, f'drive{n}'), self.server.drive_dir(n))
        self.server.start()
        self.refresh_client()
        for size in (1000, 700 * KiB):
            with self.subTest(after=size):
                self.assertNoSuchKey(bucket, f'nq/{size}')
        self.verify(objects, 'drives back')
        self.assertShardFiles(self.erasure_coded(objects))


class BitrotTest(DurabilityTest):
    SIZE = 3 * MiB + 5

    def setUp(self):
        super().setUp()
        self.bucket = self.new_bucket('rot')
        self.data = h.random_bytes(self.SIZE)
        self.s3.put_object(Bucket=self.bucket, Key='victim', Body=self.data)
        self.assertShardFiles(1)

    def corrupt(self, drive):
        """Flips 64 bytes in the middle of the drive's shard file; returns a restore callable."""
        files = self.server.shard_files(drive)
        self.assertEqual(len(files), 1, f'drive {drive}: {files}')
        path = files[0]
        with open(path, 'rb') as f:
            original = f.read()
        middle = len(original) // 2
        damaged = bytearray(original)
        for i in range(middle, middle + 64):
            damaged[i] ^= 0xA5
        with open(path, 'r+b') as f:
            f.write(damaged)
            f.flush()
            os.fsync(f.fileno())

        def restore():
            if os.path.exists(path):
                with open(path, 'r+b') as f:
                    f.write(original)
        return restore

    def check_reads(self, what):
        got = self.s3.get_object(Bucket=self.bucket, Key='victim')['Body'].read()
        self.assertEqual(h.md5_hex(got), h.md5_hex(self.data), f'{what}: GET bytes')
        start, end = self.SIZE // 2 - 1000, self.SIZE // 2 + 1000
        part = self.s3.get_object(Bucket=self.bucket, Key='victim',
                                  Range=f'bytes={start}-{end}')['Body'].read()
        self.assertTrue(part == self.data[start:end + 1], f'{what}: ranged GET bytes')

    def test_one_corrupt_shard_on_each_drive(self):
        for drive in sorted(ALL_DRIVES):
            with self.subTest(drive=drive):
                restore = self.corrupt(drive)
                try:
                    self.check_reads(f'shard on drive {drive} corrupt')
                finally:
                    restore()

    def test_two_corrupt_shards(self):
        # Four of six shards hold data, so one of these pairs corrupts two data shards.
        for pair in ((1, 2), (3, 4), (5, 6)):
            with self.subTest(drives=pair):
                restores = [self.corrupt(n) for n in pair]
                try:
                    self.check_reads(f'shards on drives {pair} corrupt')
                finally:
                    for restore in restores:
                        restore()


if __name__ == '__main__':
    unittest.main()
