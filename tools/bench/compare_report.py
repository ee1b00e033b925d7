#!/usr/bin/env python3
"""Turns the raw results of tools/bench/compare.sh (one directory) into the markdown tables of
docs/PERFORMANCE.md: the machine's limits, Strata's figures, and Strata as ratios of those limits
next to the targets.

usage: compare_report.py RESULTS_DIR
"""

import json
import os
import statistics
import sys

MiB = 1024 * 1024
SIZES = ['4KiB', '64KiB', '1MiB', '64MiB']


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class Results:
    def __init__(self, directory):
        self.dir = directory
        self.machine = {}
        for name in ('machine.txt',):
            with open(os.path.join(directory, name)) as f:
                for line in f:
                    if '=' in line:
                        k, v = line.rstrip('\n').split('=', 1)
                        self.machine[k] = v

    def path(self, name):
        return os.path.join(self.dir, name)

    def fio(self, name):
        """(IOPS, bytes/s) of a fio job's writes."""
        j = load_json(self.path(f'fio_{name}.json'))
        if not j:
            return None, None
        w = j['jobs'][0]['write']
        return w['iops'], w['bw_bytes']

    def md5_bytes_per_s(self):
        """openssl speed's MD5 rate over its largest block size, in bytes/s (one core)."""
        sizes, rates = None, None
        with open(self.path('openssl_md5.txt')) as f:
            for line in f:
                parts = line.strip().split(':')
                if parts[0] == '+H':
                    sizes = [int(x) for x in parts[1:]]
                elif parts[0] == '+F':
                    rates = [float(x) for x in parts[3:]]
        if not rates:
            return None
        return rates[-1] if not sizes else rates[sizes.index(max(sizes))]

    def wrk(self, name):
        """(requests/s, bytes/s, p50 ms, p99 ms, errors) of a wrk run, or None."""
        j = load_json(self.path(f'wrk_{name}.json'))
        if not j or not j.get('duration_us'):
            return None
        secs = j['duration_us'] / 1e6
        return (j['requests'] / secs, j['bytes'] / secs, j['p50_us'] / 1000, j['p99_us'] / 1000,
                j['errors'] + j['non2xx'])

    def url(self, name):
        """The same tuple for a `strata-bench url` run (body bytes only)."""
        j = load_json(self.path(f'url_{name}.json'))
        if not j:
            return None
        lat = j['latency_ms']
        return (j['ops_per_s'], j['mib_per_s'] * MiB, lat['p50'], lat['p99'], j['errors'])

    def client(self, client, name):
        return self.wrk(name) if client == 'wrk' else self.url(name)

    def rounds(self, client, name):
        """Every round's tuple of a paired measurement (files NAME_r1, NAME_r2, ...)."""
        out = []
        for r in range(1, 1000):
            v = self.client(client, f'{name}_r{r}')
            if v is None:
                break
            out.append(v)
        return out

    def pair(self, client, name, index):
        """(nginx median, Strata median, median of the per-round Strata / nginx ratios,
        lowest and highest per-round ratio, errors) of measure `index` of a pair."""
        n, s = self.rounds(client, f'nginx_{name}'), self.rounds(client, f'strata_{name}')
        rounds = min(len(n), len(s))
        if rounds == 0:
            return None
        n, s = n[:rounds], s[:rounds]
        ratios = [b[index] / a[index] for a, b in zip(n, s) if a[index] > 0]
        errors = sum(x[4] for x in n + s)
        return (statistics.median(x[index] for x in n), statistics.median(x[index] for x in s),
                statistics.median(ratios) if ratios else None,
                min(ratios, default=None), max(ratios, default=None), errors, rounds)

    def bench(self, name):
        return load_json(self.path(f'bench_{name}.json'))


def fmt(v, digits=0):
    if v is None:
        return 'n/a'
    return f'{v:,.{digits}f}'


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def main(directory):
    r = Results(directory)
    m = r.machine
    out = []
    w = out.append
    w(f"Run {m.get('date_utc', '?')}, commit {m.get('commit', '?')}"
      f"{' (+ uncommitted changes)' if m.get('dirty', '0') not in ('0', '') else ''}, "
      f"{m.get('cpus', '?')} CPUs ({m.get('cpu_model', '?')}), {m.get('filesystem', '?')}, "
      f"kernel {m.get('kernel', '?')}, {m.get('duration', '?')} per measurement "
      f"({m.get('rounds', '1')} rounds of {m.get('pair_duration', '?')} per nginx/Strata pair), "
      f"load average {m.get('loadavg_at_start', '?')} at start and "
      f"{m.get('loadavg_at_end', '?')} at the end.")
    w('')

    fsync_iops, _ = r.fio('fsync4k')
    fsync16_iops, _ = r.fio('fsync4k_16jobs')
    _, seq_bw = r.fio('seqwrite')
    md5 = r.md5_bytes_per_s()
    w('### The machine\'s limits')
    w('')
    w('| limit | measured |')
    w('|---|---|')
    w(f'| fio 4 KiB write + fdatasync, 1 job | {fmt(fsync_iops)} writes/s |')
    w(f'| fio 4 KiB write + fdatasync, 16 jobs | {fmt(fsync16_iops)} writes/s |')
    w(f'| fio sequential write 1 MiB blocks (O_DIRECT, QD8) | '
      f'{fmt(seq_bw and seq_bw / MiB)} MiB/s |')
    w(f'| openssl speed -evp md5 (16 KiB blocks, one core) | {fmt(md5 and md5 / MiB)} MiB/s |')
    w('')
    w('nginx is in the next table but one, beside Strata.')
    w('')

    w('### Strata, measured with strata-bench')
    w('')
    w('| workload | size | connections | ops/s | MiB/s | p50 ms | p99 ms | errors |')
    w('|---|---|---|---|---|---|---|---|')
    names = [f'put_{s}' for s in SIZES] + [f'get_{s}' for s in SIZES] + [
        'head_4KiB', 'mixed_4KiB', 'list']
    for name in names:
        b = r.bench(name)
        if not b:
            w(f'| {name} | | | failed | | | | |')
            continue
        size = 'keys' if name == 'list' else name.split('_')[1]
        extra = f" ({fmt(b.get('keys_per_s'))} keys/s)" if name == 'list' else ''
        lat = b['latency_ms']
        w(f"| {b['workload']} | {size} | {b['concurrency']} | {fmt(b['ops_per_s'])}{extra} | "
          f"{fmt(b['mib_per_s'], 1)} | {fmt(lat['p50'], 2)} | {fmt(lat['p99'], 2)} | "
          f"{b['errors']} |")
    w('')

    w('### nginx and Strata under the same load generator (presigned URLs for Strata)')
    w('')
    w('wrk cannot send HEAD (it waits for a body that never comes); `strata-bench url` '
      'sends unsigned GET and HEAD requests to a URL with the same client code as the S3 '
      'workloads. wrk\'s bytes include headers, strata-bench\'s only bodies.')
    w('Each pair was measured back to back, alternating, in several rounds; the table shows '
      'the medians, and the median (lowest - highest) of the per-round ratios.')
    w('')
    w('| request | client | nginx | Strata | Strata / nginx | rounds |')
    w('|---|---|---|---|---|---|')
    pairs = []
    for size in SIZES:
        # Small objects are judged by requests/s, large ones by bytes/s.
        index, unit = (0, 'req/s') if size in ('4KiB', '64KiB') else (1, 'MiB/s')
        pairs += [(f'GET {size}', 'wrk', f'get_{size}', index, unit),
                  (f'GET {size}', 'strata-bench url', f'get_{size}', index, unit)]
    pairs.append(('HEAD 4KiB', 'strata-bench url', 'head_4KiB', 0, 'req/s'))
    for label, client, name, index, unit in pairs:
        p = r.pair(client, name, index)
        if not p:
            w(f'| {label} | {client} | n/a | n/a | n/a | 0 |')
            continue
        scale = 1 if index == 0 else MiB
        errors = f' ({p[5]} errors!)' if p[5] else ''
        w(f'| {label} | {client} | {fmt(p[0] / scale)} {unit} | {fmt(p[1] / scale)} {unit} | '
          f'{fmt(p[2], 2)}x ({fmt(p[3], 2)} - {fmt(p[4], 2)}){errors} | {p[6]} |')
    w('')

    def pair_ratio(client, name, index):
        p = r.pair(client, name, index)
        if not p or p[5]:
            return None
        return p[2]

    def bench_field(name, field):
        b = r.bench(name)
        return b.get(field) if b else None

    streams = int(m.get('put_streams_64', '2'))
    put64 = bench_field('put_64MiB', 'mib_per_s')
    rows = [
        ('4 KiB GET vs nginx 4 KiB (req/s, wrk)', pair_ratio('wrk', 'get_4KiB', 0), 0.5),
        ('4 KiB GET vs nginx 4 KiB (req/s, strata-bench url)',
         pair_ratio('url', 'get_4KiB', 0), 0.5),
        ('4 KiB HEAD vs nginx 4 KiB HEAD (req/s, strata-bench url)',
         pair_ratio('url', 'head_4KiB', 0), 0.5),
        ('1 MiB GET vs nginx (bytes/s, wrk)', pair_ratio('wrk', 'get_1MiB', 1), 0.7),
        ('1 MiB GET vs nginx (bytes/s, strata-bench url)', pair_ratio('url', 'get_1MiB', 1), 0.7),
        ('64 MiB GET vs nginx (bytes/s, wrk)', pair_ratio('wrk', 'get_64MiB', 1), 0.7),
        ('64 MiB GET vs nginx (bytes/s, strata-bench url)',
         pair_ratio('url', 'get_64MiB', 1), 0.7),
        ('4 KiB durable PUT vs fio 4 KiB write+fdatasync (1 job)',
         ratio(bench_field('put_4KiB', 'ops_per_s'), fsync_iops), 1.0),
        ('4 KiB durable PUT (16 connections) vs fio 4 KiB write+fdatasync (16 jobs)',
         ratio(bench_field('put_4KiB', 'ops_per_s'), fsync16_iops), None),
        (f'64 MiB PUT vs MD5 rate x {streams} streams',
         ratio(put64 and put64 * MiB, md5 and md5 * streams), 0.6),
        ('ListObjectsV2 keys/s vs 200,000',
         ratio(bench_field('list', 'keys_per_s'), 200000), 1.0),
    ]
    w('### Ratios against the targets')
    w('')
    w('| measure | ratio | target | met |')
    w('|---|---|---|---|')
    for label, value, target in rows:
        if target is None:  # context, not a target
            w(f'| {label} | {fmt(value, 2)}x | - | - |')
            continue
        met = 'n/a' if value is None else ('yes' if value >= target else '**no**')
        w(f'| {label} | {fmt(value, 2)}x | >= {target}x | {met} |')
    print('\n'.join(out))


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
