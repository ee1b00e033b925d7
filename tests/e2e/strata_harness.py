"""End-to-end harness: runs the real `strata` binary and talks to it like a client would.

Owns: one temp dir per ServerFixture (data dir, logs, client scratch files), removed when the
fixture is closed unless a test failed and STRATA_KEEP_TMP=1. Each Server owns its child process.
Thread safety: a Server and its clients belong to the test thread that made them; only the
stdout pump thread inside Server touches the process's stdout.

What is here:
  Server           start / stop (SIGTERM, SIGINT) / kill9 / restart on the same data dir.
  make_client      boto3 S3 client: path-style, SigV4 (or 's3' = SigV2, or unsigned).
  aws_cli          runs `python3 -m awscli` against the server with its own env and config.
  make_self_signed_cert  a throwaway cert + key (openssl CLI) for a TLS server.
  RawHttp          a plain socket for hostile HTTP; sign_v4 signs raw requests itself.
  StrataTestCase   unittest base: a server per class (or per test), failure-aware cleanup,
                   assertS3Error for {Code, HTTP status}; TLS = True serves HTTPS with a
                   self-signed cert made in the fixture's temp dir; EXTRA_ARGS and EXTRA_ENV
                   add server flags and environment.
Configure with STRATA_BIN (path of the binary) and STRATA_KEEP_TMP=1 (keep dirs of failures).
"""

import base64
import datetime
import hashlib
import hmac
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid
import xml.etree.ElementTree as ElementTree

# Hermetic clients: no profile, config file or endpoint from the developer's environment.
for _name in [n for n in os.environ if n.startswith('AWS_')]:
    del os.environ[_name]
os.environ['AWS_CONFIG_FILE'] = os.devnull
os.environ['AWS_SHARED_CREDENTIALS_FILE'] = os.devnull
os.environ['AWS_EC2_METADATA_DISABLED'] = 'true'

import boto3  # noqa: E402  (after the environment is scrubbed)
import botocore  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

ACCESS_KEY = 'STRATAE2EROOTKEY0001'
SECRET_KEY = 'e2e/Secret+Key0123456789abcdefghijklmnopq'
REGION = 'us-east-1'

DRIVES = 6
DATA_SHARDS = 4
PARITY_SHARDS = 2
INLINE_LIMIT = 128 * 1024  # objects larger than this have shard files
KiB = 1024
MiB = 1024 * 1024

START_TIMEOUT = float(os.environ.get('STRATA_E2E_START_TIMEOUT', '60'))
STOP_TIMEOUT = 60.0
ENDPOINT_LINE = re.compile(r'S3 endpoint: (https?://127\.0\.0\.1:(\d+))\s*$')
ADMIN_LINE = re.compile(r'Admin endpoint: (https?://127\.0\.0\.1:\d+)\s*$')
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def strata_binary():
    """Path of the strata binary: $STRATA_BIN, else the e2e build dir's binary."""
    path = os.environ.get('STRATA_BIN') or os.path.join(REPO_ROOT, 'build-e2e', 'bin', 'strata')
    if not os.access(path, os.X_OK):
        raise RuntimeError(f'strata binary not found or not executable: {path} (set STRATA_BIN)')
    return path


def keep_tmp_requested():
    return os.environ.get('STRATA_KEEP_TMP') == '1'


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def quoted_md5(data):
    return '"' + md5_hex(data) + '"'


def multipart_etag(parts):
    """S3 ETag of a multipart object: md5 of the concatenated binary part md5s, '-' count."""
    digests = b''.join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def random_bytes(size):
    return os.urandom(size)


class ServerStartError(AssertionError):
    """The server exited or stayed silent instead of printing its endpoint line."""


class Server:
    """One `strata server` process over `data_dir`; restartable on the same dir.

    With `tls=(cert_path, key_path)` it serves HTTPS; clients trust `ca_bundle` (the cert).
    """

    def __init__(self, data_dir, log_dir, extra_env=None, tls=None, extra_args=None):
        self.data_dir = data_dir
        self.extra_args = list(extra_args or [])
        self.admin_endpoint = None
        self.log_dir = log_dir
        self.extra_env = dict(extra_env or {})
        self.tls = tuple(tls) if tls else None
        self.proc = None
        self.endpoint = None
        self.port = None
        self.generation = 0
        self._pump = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self):
        assert self.proc is None, 'server already running'
        self.generation += 1
        os.makedirs(self.data_dir, exist_ok=True)
        env = dict(os.environ)
        env.update({'STRATA_ACCESS_KEY': ACCESS_KEY, 'STRATA_SECRET_KEY': SECRET_KEY})
        env.update(self.extra_env)
        stderr = open(self.stderr_path, 'wb')
        cmd = [strata_binary(), 'server', '--data', self.data_dir, '--address', '127.0.0.1:0',
               '--admin-address', '127.0.0.1:0'] + self.extra_args
        if self.tls:
            cmd += ['--tls-cert', self.tls[0], '--tls-key', self.tls[1]]
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=stderr, env=env, start_new_session=True)
        finally:
            stderr.close()
        lines = queue.Queue()
        self._pump = threading.Thread(target=self._pump_stdout, args=(self.proc, lines),
                                      name=f'strata-stdout-{self.generation}', daemon=True)
        self._pump.start()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill9()
                raise ServerStartError(
                    f'no "S3 endpoint:" line within {START_TIMEOUT:.0f}s\n{self.log_tail()}')
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:  # stdout closed: the process is exiting
                code = self._wait(10)
                self.proc = None
                raise ServerStartError(
                    f'server exited (code {code}) before printing its endpoint\n'
                    f'{self.log_tail()}')
            admin = ADMIN_LINE.search(line)
            if admin:
                self.admin_endpoint = admin.group(1)
            match = ENDPOINT_LINE.search(line)
            if match:
                self.endpoint, self.port = match.group(1), int(match.group(2))
                return self

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends `sig`, waits for exit (deadline), returns the exit code."""
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        code = self._wait(timeout)
        if code is None:
            self.kill9()
            raise AssertionError(f'server did not exit within {timeout}s of signal {sig}\n'
                                 f'{self.log_tail()}')
        self._finish()
        return code

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Waits (deadline) for an exit already under way; returns the exit code."""
        code = self._wait(timeout)
        if code is None:
            self.kill9()
            raise AssertionError(f'server did not exit within {timeout}s\n{self.log_tail()}')
        self._finish()
        return code

    def kill9(self):
        if self.proc is None:
            return
        self.proc.kill()
        self._wait(STOP_TIMEOUT)
        self._finish()

    def restart(self):
        code = self.stop()
        if code != 0:
            raise AssertionError(f'server exited with {code} on SIGTERM\n{self.log_tail()}')
        return self.start()

    @property
    def ca_bundle(self):
        """The self-signed cert clients must trust (None for plain HTTP)."""
        return self.tls[0] if self.tls else None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def _finish(self):
        if self._pump is not None:
            self._pump.join(timeout=10)
        self.proc = None
        self._pump = None
        self.endpoint = None
        self.port = None

    def _pump_stdout(self, proc, lines):
        with open(self.stdout_path, 'ab') as log:
            for raw in proc.stdout:
                log.write(raw)
                log.flush()
                lines.put(raw.decode('utf-8', 'replace'))
        proc.stdout.close()
        lines.put(None)

    # -- files ----------------------------------------------------------------------------------

    @property
    def stdout_path(self):
        return os.path.join(self.log_dir, f'server-{self.generation}.stdout')

    @property
    def stderr_path(self):
        return os.path.join(self.log_dir, f'server-{self.generation}.stderr')

    def log_tail(self, lines=40):
        out = []
        for path in (self.stdout_path, self.stderr_path):
            try:
                with open(path, 'rb') as f:
                    text = f.read().decode('utf-8', 'replace').splitlines()[-lines:]
            except OSError:
                continue
            out.append(f'--- {path} (last {len(text)} lines)')
            out.extend(text)
        return '\n'.join(out)

    def drive_dir(self, n):
        """DIR/hot/driveN, N in 1..6."""
        return os.path.join(self.data_dir, 'hot', f'drive{n}')

    def shard_files(self, n):
        """Every regular file under DIR/hot/driveN/data, sorted."""
        found = []
        for root, _dirs, files in os.walk(os.path.join(self.drive_dir(n), 'data')):
            found.extend(os.path.join(root, f) for f in files)
        return sorted(found)

    def shard_counts(self):
        """{drive number: shard file count} for drives whose dir exists."""
        return {n: len(self.shard_files(n)) for n in range(1, DRIVES + 1)
                if os.path.isdir(self.drive_dir(n))}

    # -- clients --------------------------------------------------------------------------------

    def client(self, **kwargs):
        assert self.endpoint, 'server is not running'
        if self.tls:
            kwargs.setdefault('verify', self.ca_bundle)
        return make_client(self.endpoint, **kwargs)

    def raw(self, timeout=15):
        assert self.port, 'server is not running'
        return RawHttp('127.0.0.1', self.port, timeout=timeout)


def make_client(endpoint, *, signature_version='s3v4', access_key=ACCESS_KEY,
                secret_key=SECRET_KEY, unsigned=False, checksum_calculation='when_supported',
                max_attempts=1, read_timeout=120, verify=None):
    """boto3 S3 client, path-style, no retries (so a wrong answer is not retried away).

    `verify` is the CA bundle for an https endpoint (None: the system's trust store).
    """
    config = Config(
        region_name=REGION,
        signature_version=botocore.UNSIGNED if unsigned else signature_version,
        s3={'addressing_style': 'path'},
        retries={'total_max_attempts': max_attempts, 'mode': 'standard'},
        request_checksum_calculation=checksum_calculation,
        response_checksum_validation='when_supported',
        connect_timeout=10, read_timeout=read_timeout)
    session = boto3.session.Session(aws_access_key_id=access_key,
                                    aws_secret_access_key=secret_key, region_name=REGION)
    return session.client('s3', endpoint_url=endpoint, config=config, verify=verify)


def aws_cli(endpoint, args, work_dir, timeout=600, check=True, ca_bundle=None):
    """Runs `python3 -m awscli --endpoint-url ENDPOINT ARGS...`; returns CompletedProcess.

    `ca_bundle` (for an https endpoint) is passed as --ca-bundle.
    """
    config_path = os.path.join(work_dir, 'aws-cli.config')
    if not os.path.exists(config_path):
        with open(config_path, 'w') as f:
            f.write('[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
    env.update({
        'AWS_ACCESS_KEY_ID': ACCESS_KEY, 'AWS_SECRET_ACCESS_KEY': SECRET_KEY,
        'AWS_DEFAULT_REGION': REGION, 'AWS_CONFIG_FILE': config_path,
        'AWS_SHARED_CREDENTIALS_FILE': os.devnull, 'AWS_EC2_METADATA_DISABLED': 'true',
        'AWS_MAX_ATTEMPTS': '1', 'PYTHONDONTWRITEBYTECODE': '1'})
    cmd = [sys.executable, '-m', 'awscli', '--endpoint-url', endpoint, '--region', REGION,
           '--no-paginate'] + (['--ca-bundle', ca_bundle] if ca_bundle else []) + list(args)
    result = subprocess.run(cmd, env=env, cwd=work_dir, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'aws {" ".join(args)} exited {result.returncode}\n'
                             f'stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}')
    return result


# -- raw HTTP ------------------------------------------------------------------------------------

class RawResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (lower-case name, value)
        self.body = body

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    def error_code(self):
        """<Code> of an S3 error body, or None when the body is not S3 error XML."""
        try:
            root = ElementTree.fromstring(self.body)
        except ElementTree.ParseError:
            return None
        if strip_ns(root.tag) != 'Error':
            return None
        for child in root:
            if strip_ns(child.tag) == 'Code':
                return child.text
        return None

    def __repr__(self):
        return f'<RawResponse {self.status} {self.reason} body={self.body[:300]!r}>'


def strip_ns(tag):
    return tag.split('}', 1)[1] if tag.startswith('{') else tag


class RawHttp:
    """A plain TCP connection for hand-made (hostile) HTTP/1.1."""

    MAX_HEAD = 1 * MiB

    def __init__(self, host, port, timeout=15):
        self.host = host
        self.port = port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b''
        self.closed_by_peer = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        """Sends everything; False when the peer reset or closed the connection."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def shutdown_write(self):
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _fill(self):
        try:
            chunk = self.sock.recv(256 * KiB)
        except ConnectionResetError:
            chunk = b''
        except socket.timeout:
            raise AssertionError('server did not answer within the socket timeout') from None
        if not chunk:
            self.closed_by_peer = True
        self.buf += chunk
        return bool(chunk)

    def _read_exact(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise AssertionError(f'connection closed mid-body ({len(self.buf)}/{n} bytes)')
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read_line(self):
        while b'\r\n' not in self.buf:
            if not self._fill():
                raise AssertionError('connection closed mid-line')
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def read_response(self, head=False):
        """Reads one response; None when the server closed without sending one."""
        while b'\r\n\r\n' not in self.buf:
            if len(self.buf) > self.MAX_HEAD:
                raise AssertionError('response head larger than 1 MiB')
            if not self._fill():
                if self.buf:
                    raise AssertionError(f'connection closed mid-response-head: {self.buf[:200]!r}')
                return None
        head_bytes, self.buf = self.buf.split(b'\r\n\r\n', 1)
        lines = head_bytes.decode('latin-1').split('\r\n')
        parts = lines[0].split(' ', 2)
        if len(parts) < 2 or not parts[0].startswith('HTTP/1.'):
            raise AssertionError(f'bad status line {lines[0]!r}')
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ''
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(':')
            headers.append((name.strip().lower(), value.strip()))
        response = RawResponse(status, reason, headers, b'')
        if head or status < 200 or status in (204, 304):
            return response
        if 'chunked' in (response.header('transfer-encoding') or '').lower():
            body = b''
            while True:
                size = int(self._read_line().split(b';')[0], 16)
                if size == 0:
                    while self._read_line():  # trailers end with an empty line
                        pass
                    break
                body += self._read_exact(size)
                self._read_line()
            response.body = body
        elif response.header('content-length') is not None:
            response.body = self._read_exact(int(response.header('content-length')))
        else:
            while self._fill():
                pass
            response.body, self.buf = self.buf, b''
        return response

    def read_final_response(self, head=False):
        """Reads past any 1xx interim responses (HTTP allows several) to the final one."""
        while True:
            response = self.read_response(head=head)
            if response is None or response.status >= 200:
                return response


# -- SigV4 for raw requests (checked against botocore in test_hostile.SignerSelfTest) -----------

EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'


def uri_encode(text, encode_slash=True):
    safe = '-_.~' if encode_slash else '-_.~/'
    return urllib.parse.quote(text, safe=safe)


def canonical_query(query):
    pairs = sorted((uri_encode(k), uri_encode(v)) for k, v in query)
    return '&'.join(f'{k}={v}' for k, v in pairs)


def _hmac(key, msg):
    return hmac.new(key, msg.encode('utf-8'), hashlib.sha256).digest()


def signing_key(secret_key, date, region=REGION, service='s3'):
    key = _hmac(('AWS4' + secret_key).encode('utf-8'), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, 'aws4_request')


class SignedRequest:
    """A SigV4-signed request: `headers` are signed; the raw bytes come from `to_bytes`."""

    def __init__(self, method, path, query, headers, signature, amz_date, scope):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.signature = signature
        self.amz_date = amz_date
        self.scope = scope

    @property
    def target(self):
        q = canonical_query(self.query)
        return self.path + ('?' + q if q else '')

    def to_bytes(self, body=b'', extra_headers=(), content_length=True):
        lines = [f'{self.method} {self.target} HTTP/1.1']
        lines += [f'{k}: {v}' for k, v in self.headers]
        if content_length:
            lines.append(f'Content-Length: {len(body)}')
        lines += [f'{k}: {v}' for k, v in extra_headers]
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('utf-8') + body


def sign_v4(method, host, path, query=(), headers=(), payload_hash=EMPTY_SHA256,
            access_key=ACCESS_KEY, secret_key=SECRET_KEY, now=None):
    """Signs a request whose path is already URI-encoded (S3: no double encoding).

    `headers` (name, value) pairs are all signed, plus host, x-amz-date, x-amz-content-sha256.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime('%Y%m%dT%H%M%SZ')
    date = amz_date[:8]
    all_headers = [('Host', host), ('x-amz-date', amz_date),
                   ('x-amz-content-sha256', payload_hash)] + list(headers)
    canon = {}
    for name, value in all_headers:
        canon.setdefault(name.lower(), []).append(' '.join(str(value).strip().split()))
    signed_names = sorted(canon)
    canonical_headers = ''.join(f'{n}:{",".join(canon[n])}\n' for n in signed_names)
    signed_headers = ';'.join(signed_names)
    canonical_request = '\n'.join([method, path, canonical_query(query), canonical_headers,
                                   signed_headers, payload_hash])
    scope = f'{date}/{REGION}/s3/aws4_request'
    string_to_sign = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope,
                                hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()])
    signature = hmac.new(signing_key(secret_key, date), string_to_sign.encode('utf-8'),
                         hashlib.sha256).hexdigest()
    auth = (f'AWS4-HMAC-SHA256 Credential={access_key}/{scope}, '
            f'SignedHeaders={signed_headers}, Signature={signature}')
    return SignedRequest(method, path, list(query), all_headers + [('Authorization', auth)],
                         signature, amz_date, scope)


def chunk_signature(secret_key, request, previous_signature, chunk):
    """Signature of one aws-chunked chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)."""
    string_to_sign = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', request.amz_date, request.scope,
                                previous_signature, EMPTY_SHA256,
                                hashlib.sha256(chunk).hexdigest()])
    return hmac.new(signing_key(secret_key, request.amz_date[:8]),
                    string_to_sign.encode('utf-8'), hashlib.sha256).hexdigest()


def object_path(bucket, key=''):
    """Path-style, URI-encoded path of a bucket or object."""
    return '/' + bucket + ('/' + uri_encode(key, encode_slash=False) if key else '')


# -- checksums the standard library lacks -------------------------------------------------------

def _reflected_table(poly, width):
    mask = (1 << width) - 1
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc & mask)
    return table


_CRC32C_TABLE = _reflected_table(0x82F63B78, 32)
_CRC64NVME_TABLE = _reflected_table(0x9A6C9329AC4BC9B5, 64)


def _reflected_crc(data, table, width):
    mask = (1 << width) - 1
    crc = mask
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ mask


def crc32c(data):
    return _reflected_crc(data, _CRC32C_TABLE, 32)


def crc64nvme(data):
    return _reflected_crc(data, _CRC64NVME_TABLE, 64)


def checksum_b64(algorithm, data):
    """S3's x-amz-checksum-* value (base64 of the big-endian digest) for `data`."""
    import zlib
    algorithm = algorithm.upper()
    if algorithm == 'CRC32':
        raw = zlib.crc32(data).to_bytes(4, 'big')
    elif algorithm == 'CRC32C':
        raw = crc32c(data).to_bytes(4, 'big')
    elif algorithm == 'CRC64NVME':
        raw = crc64nvme(data).to_bytes(8, 'big')
    elif algorithm == 'SHA1':
        raw = hashlib.sha1(data).digest()
    elif algorithm == 'SHA256':
        raw = hashlib.sha256(data).digest()
    else:
        raise ValueError(algorithm)
    return base64.b64encode(raw).decode('ascii')


# -- unittest base ------------------------------------------------------------------------------

def make_self_signed_cert(directory, name='server', common_name='127.0.0.1'):
    """Writes DIRECTORY/NAME.crt and NAME.key (openssl CLI): a throwaway self-signed P-256 cert
    for `common_name` with subjectAltName IP:127.0.0.1 and DNS:localhost. Returns the paths.
    """
    os.makedirs(directory, exist_ok=True)
    cert = os.path.join(directory, f'{name}.crt')
    key = os.path.join(directory, f'{name}.key')
    cmd = ['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
           '-nodes', '-days', '2', '-subj', f'/CN={common_name}',
           '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
           '-addext', 'basicConstraints=critical,CA:TRUE',
           '-keyout', key, '-out', cert]
    result = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=60)
    if result.returncode != 0:
        raise AssertionError(f'openssl req failed ({result.returncode}):\n{result.stderr}')
    return cert, key


class ServerFixture:
    """A temp dir with data/, logs/ and work/, and a Server over data/ (HTTPS if `tls`)."""

    def __init__(self, name, tls=False, extra_args=None, extra_env=None):
        self.root = tempfile.mkdtemp(prefix=f'strata-e2e-{name}-')
        self.work_dir = os.path.join(self.root, 'work')
        os.makedirs(self.work_dir)
        os.makedirs(os.path.join(self.root, 'logs'))
        self.failed = False
        try:
            cert = make_self_signed_cert(os.path.join(self.root, 'tls')) if tls else None
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        self.server = Server(os.path.join(self.root, 'data'), os.path.join(self.root, 'logs'),
                             tls=cert, extra_args=extra_args, extra_env=extra_env)

    def close(self):
        """Stops the server (must exit 0 on SIGTERM) and removes the dir unless kept."""
        try:
            if self.server.running:
                code = self.server.stop()
                if code != 0:
                    self.failed = True
                    raise AssertionError(f'server exited {code} on SIGTERM\n'
                                         f'{self.server.log_tail()}')
            elif self.server.proc is not None:
                code = self.server.proc.returncode
                self.server.kill9()
                self.failed = True
                raise AssertionError(f'server died (exit code {code})\n'
                                     f'{self.server.log_tail()}')
        finally:
            if self.failed and keep_tmp_requested():
                sys.stderr.write(f'\n[strata-e2e] kept {self.root}\n')
            else:
                shutil.rmtree(self.root, ignore_errors=True)


_bucket_counter = 0


def unique_bucket(prefix='b'):
    global _bucket_counter
    _bucket_counter += 1
    return f'{prefix}-{_bucket_counter}-{uuid.uuid4().hex[:10]}'


class StrataTestCase(unittest.TestCase):
    """A server per class (SERVER_PER_TEST = False) or per test; `self.s3` is a SigV4 client.

    TLS = True: the server speaks HTTPS with a fresh self-signed cert (`server.ca_bundle`).
    """

    SERVER_PER_TEST = False
    TLS = False
    EXTRA_ARGS = []  # more `strata server` flags
    EXTRA_ENV = {}  # more environment for `strata server` (e.g. STRATA_LIFECYCLE_*)
    fixture = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.SERVER_PER_TEST:
            cls.fixture = ServerFixture(cls.__name__, tls=cls.TLS, extra_args=cls.EXTRA_ARGS,
                                        extra_env=cls.EXTRA_ENV)
            cls.addClassCleanup(cls.fixture.close)
            try:
                cls.fixture.server.start()
            except BaseException:
                cls.fixture.failed = True
                raise
            cls.server = cls.fixture.server
            cls.s3 = cls.server.client()

    def setUp(self):
        super().setUp()
        if self.SERVER_PER_TEST:
            self.fixture = ServerFixture(self.__class__.__name__, tls=self.TLS,
                                         extra_args=self.EXTRA_ARGS, extra_env=self.EXTRA_ENV)
            self.addCleanup(self.fixture.close)
            try:
                self.fixture.server.start()
            except BaseException:
                self.fixture.failed = True
                raise
            self.server = self.fixture.server
            self.s3 = self.server.client()

    def current_test_failed(self):
        """True when this test (or one of its subtests) has failed so far."""
        result = getattr(getattr(self, '_outcome', None), 'result', None)
        if result is None:
            return False
        for test, _trace in list(result.failures) + list(result.errors):
            if test is self or getattr(test, 'test_case', None) is self:
                return True
        return False

    def tearDown(self):
        crash = None
        if not self.SERVER_PER_TEST and self.server.proc is not None and not self.server.running:
            # The shared server died during this test: blame this test, restart for the next.
            crash = (f'server died during {self.id()} (exit code {self.server.proc.returncode})'
                     f'\n{self.server.log_tail(20)}')
            self.fixture.failed = True
            self.server.kill9()
            try:
                self.server.start()
                type(self).s3 = self.server.client()
            except ServerStartError as e:
                crash += f'\nrestart failed: {e}'
        if self.current_test_failed():
            self.fixture.failed = True
            if crash is None:
                sys.stderr.write(f'\n[strata-e2e] {self.id()} failed; server log tail:\n'
                                 f'{self.server.log_tail(20)}\n')
        super().tearDown()
        if crash is not None:
            raise AssertionError(crash)

    @property
    def work_dir(self):
        return self.fixture.work_dir

    def refresh_client(self):
        """New client after a restart (the port changes)."""
        self.s3 = self.server.client()
        return self.s3

    # -- helpers ---------------------------------------------------------------------------------

    def new_bucket(self, prefix='b'):
        name = unique_bucket(prefix)
        self.s3.create_bucket(Bucket=name)
        return name

    def assertS3Error(self, code, status, fn, *args, **kwargs):
        """fn(*args, **kwargs) must fail with S3 error `code` and HTTP `status`.

        For HEAD requests (no body) botocore reports the status as the code: pass str(status).
        """
        try:
            result = fn(*args, **kwargs)
        except ClientError as e:
            got_code = e.response.get('Error', {}).get('Code')
            got_status = e.response.get('ResponseMetadata', {}).get('HTTPStatusCode')
            codes = code if isinstance(code, (tuple, list, set)) else (code,)
            self.assertIn(got_code, codes, f'{fn.__name__}: wrong S3 error code '
                          f'(status {got_status}, message {e.response.get("Error")})')
            self.assertEqual(got_status, status, f'{fn.__name__}: wrong HTTP status for {code}')
            return e.response
        self.fail(f'{fn.__name__} succeeded but should fail with {code}/{status}: '
                  f'{str(result)[:300]}')

    def get_bytes(self, bucket, key, **kwargs):
        return self.s3.get_object(Bucket=bucket, Key=key, **kwargs)['Body'].read()

    def assertObjectEquals(self, bucket, key, data, client=None):
        client = client or self.s3
        got = client.get_object(Bucket=bucket, Key=key)
        body = got['Body'].read()
        self.assertEqual(len(body), len(data), f'{bucket}/{key}: length')
        self.assertEqual(md5_hex(body), md5_hex(data), f'{bucket}/{key}: content differs')
        self.assertEqual(got['ContentLength'], len(data), f'{bucket}/{key}: Content-Length')

    def assertNoSuchKey(self, bucket, key):
        self.assertS3Error('NoSuchKey', 404, self.s3.get_object, Bucket=bucket, Key=key)
        self.assertS3Error('404', 404, self.s3.head_object, Bucket=bucket, Key=key)

    def list_keys(self, bucket, prefix=''):
        keys = []
        for page in self.s3.get_paginator('list_objects_v2').paginate(Bucket=bucket,
                                                                      Prefix=prefix):
            keys.extend(o['Key'] for o in page.get('Contents', []))
        return keys


def wait_for(predicate, timeout, what, condition=None):
    """Waits until predicate() is true; uses `condition` (threading.Condition) to wake up.

    No fixed sleeps: with a condition we block until notified; without one we poll with a
    short wait (bounded by the deadline) because the state lives outside this process.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f'timed out after {timeout}s waiting for {what}')
        if condition is not None:
            with condition:
                if not predicate():
                    condition.wait(min(remaining, 1.0))
        else:
            time.sleep(min(remaining, 0.05))


def http_request(url, method='GET', body=None, headers=None, timeout=60):
    """One plain HTTP request (presigned URLs); returns (status, {lower name: value}, body)."""
    import http.client
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path + ('?' + parts.query if parts.query else '')
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def error_code_of(body):
    """<Code> of an S3 error XML body, or None."""
    return RawResponse(0, '', [], body).error_code()
