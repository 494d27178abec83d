"""Benchmark: the openai backend's throughput against requests in flight and the number of servers.

    .venv/bin/python bench/server_pool.py                      # 50 ms a request, 16 slots a server
    .venv/bin/python bench/server_pool.py --latency-ms 200 --slots 64 --in-flight 1,64,256

Each server is a loopback HTTP server of fixed latency in a process of its own: it answers every chat
completion after ``--latency-ms``, at most ``--slots`` at once (a model server's own limit: its batch),
queueing the rest. The client is hf-daily's own: ``load_translator`` with ``backend=openai``,
``base_url`` naming the servers and ``max_in_flight`` the requests in flight, translating distinct
abstracts (nothing cached, nothing tried twice). For each number of servers and of requests in flight
it prints the requests per second, the bound min(in flight, servers x slots) / latency, the share of
it reached, the client's CPU time per request, and how the requests spread over the servers.
A client that keeps any number of servers busy reaches the bound until its own CPU is the limit.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPLY = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": "我们研究模型如何学习。"}}]})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: 64 clients connecting at once overflow the default 5


def serve(count: int, latency_s: float, slots: int) -> None:
    """Run ``count`` fixed-latency servers on 127.0.0.1 and print their ports; serve until stopped."""
    servers = []
    for _ in range(count):
        gate = threading.BoundedSemaphore(slots)
        answered = [0]

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self, gate=gate, answered=answered) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/stats":
                    body = json.dumps({"answered": answered[0]}).encode()
                else:
                    with gate:  # the server's own limit: a request past it waits for a slot
                        time.sleep(latency_s)
                    answered[0] += 1
                    body = REPLY.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    print(" ".join(str(s.server_address[1]) for s in servers), flush=True)
    signal.pause()  # until the benchmark sends SIGTERM


def machine() -> str:
    """The CPU model and vector flags (lscpu), and the CPUs: throughput means little without them."""
    fields = {}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}
    except (OSError, subprocess.CalledProcessError):
        pass
    flags = set(fields.get("Flags", "").split())
    shown = [f for f in ("avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile") if f in flags]
    return f"{fields.get('Model name', 'unknown CPU')}, {os.cpu_count()} CPUs, flags {' '.join(shown) or 'none of AVX'}"


def texts(n: int) -> list[str]:
    # Distinct (the translator sends each distinct text once) and plain: nothing the quality checks
    # could find lost, so each text is one request.
    def tag(i: int) -> str:
        letters = ""
        while True:
            letters, i = chr(97 + i % 26) + letters, i // 26
            if not i:
                return letters

    return [f"we study how small models learn from data, case {tag(i)}." for i in range(n)]


def measure(ports: list[int], in_flight: int, requests: int, offset: int) -> dict:
    from hf_daily.translate import TranslatorConfig, load_translator

    urls = ",".join(f"http://127.0.0.1:{p}/v1" for p in ports)
    translator = load_translator(TranslatorConfig(backend="openai", model="bench", base_url=urls,
                                                  max_in_flight=in_flight, timeout_s=30))
    batch = texts(offset + requests)[offset:]
    cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    out = translator.translate(batch, "abstract")
    seconds = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    assert len(out) == requests and all(out), "every text should come back translated"
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {"seconds": seconds, "rps": requests / seconds, "cpu_ms": 1000 * cpu / requests,
            "spread": [s.sent for s in translator.pool.servers]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=50.0, help="each request's time at a server")
    parser.add_argument("--slots", type=int, default=16, help="requests a server works on at once (its batch)")
    parser.add_argument("--in-flight", default="1,8,32,64", help="requests in flight, comma-separated")
    parser.add_argument("--servers", default="1,2,4", help="numbers of servers, comma-separated")
    parser.add_argument("--rounds", type=int, default=8, help="requests per cell: this many times the in-flight")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    if args.serve:
        serve(args.serve, latency, args.slots)
        return 0
    counts = [int(n) for n in args.servers.split(",")]
    # The servers live in a process of their own, so the client's CPU time is the client's alone.
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(max(counts)), "--latency-ms",
                              str(args.latency_ms), "--slots", str(args.slots)], stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        ports = [int(p) for p in child.stdout.readline().split()]
        print(f"Server pool benchmark on {machine()}; each server {args.latency_ms:g} ms a request, "
              f"{args.slots} at once\n")
        print("| servers | in flight | requests | s | requests/s | bound | % of bound | client CPU ms/request "
              "| requests per server |")
        print("|---|---|---|---|---|---|---|---|---|")
        measure(ports[:1], 1, 4, 0)  # warm up: imports, first connections
        offset = 4
        started = time.perf_counter()
        for n in counts:
            for in_flight in (int(k) for k in args.in_flight.split(",")):
                requests = max(16, args.rounds * in_flight)
                row = measure(ports[:n], in_flight, requests, offset)
                offset += requests
                bound = min(in_flight, n * args.slots) / latency
                print(f"| {n} | {in_flight} | {requests} | {row['seconds']:.2f} | {row['rps']:.0f} | {bound:.0f} "
                      f"| {100 * row['rps'] / bound:.0f} | {row['cpu_ms']:.2f} | "
                      f"{' / '.join(map(str, row['spread']))} |", flush=True)
        print(f"\n{time.perf_counter() - started:.0f} s in all")
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
