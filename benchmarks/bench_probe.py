"""Checking the whole registry at once against one URL at a time (issue 9).

3,000 URLs — 340 host names × 9 paths, like the national registry — on a local server that
answers each request after 200 ms. Prints the wall time of probe_many, the time one-by-one
checking takes (measured on a sample and scaled: 3,000 × 200 ms is ten minutes), the speed-up,
and the most requests the server saw at once per host name and in total.

Run: .venv/bin/python benchmarks/bench_probe.py [--urls 3000] [--concurrency 64]
Asserts nothing; prints figures.
"""

import argparse
import ipaddress
import threading
import time
import tracemalloc
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from linkdesk.links.probe import probe, probe_many

DELAY = 0.2


class Tracker:
    def __init__(self):
        self.lock = threading.Lock()
        self.active, self.peak = Counter(), Counter()
        self.total = self.total_peak = 0

    def enter(self, host):
        with self.lock:
            self.active[host] += 1
            self.total += 1
            self.peak[host] = max(self.peak[host], self.active[host])
            self.total_peak = max(self.total_peak, self.total)

    def leave(self, host):
        with self.lock:
            self.active[host] -= 1
            self.total -= 1


def serve(tracker: Tracker) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            host = (self.headers.get("Host") or "").split(":")[0]
            tracker.enter(host)
            try:
                time.sleep(DELAY)
            finally:
                # Counted while the request is being served, not while the answer travels back
                # (the client may already be sending its next request by then).
                tracker.leave(host)
            body = b"<html>ok</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 512

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--urls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--hosts", type=int, default=340, help="distinct host names (fewer: the per-host bound bites)")
    parser.add_argument("--sample", type=int, default=25, help="URLs checked one by one to time the slow way")
    args = parser.parse_args()

    tracker = Tracker()
    server = serve(tracker)
    port = server.server_address[1]
    hosts = [f"gjj{number:03d}.example.gov.cn" for number in range(args.hosts)]
    urls = [f"http://{hosts[n % len(hosts)]}:{port}/service/{n // len(hosts)}" for n in range(args.urls)]
    options = {
        "timeout": 10.0,
        "allow_networks": (ipaddress.ip_network("127.0.0.0/8"),),
        "allowed_ports": (port,),
        "resolver": lambda host, _port: ["127.0.0.1"],
        "expected_host": None,
    }

    started = time.perf_counter()
    for url in urls[: args.sample]:
        probe(url, **options)
    one_by_one = (time.perf_counter() - started) / args.sample * len(urls)

    tracker.peak.clear()
    tracker.total_peak = 0
    tracemalloc.start()
    started = time.perf_counter()
    results = list(probe_many(urls, concurrency=args.concurrency, per_host=args.per_host, **options))
    together = time.perf_counter() - started
    _, peak_memory = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    server.shutdown()

    answered = sum(result.status == 200 for result in results)
    print(f"URLs                                {len(urls):>10}")
    print(f"answered 200                        {answered:>10}")
    print(f"one by one (from {args.sample} timed, scaled)  {one_by_one:>10.1f} s")
    print(f"probe_many, {args.concurrency} at once, {args.per_host} per host {together:>10.1f} s")
    print(f"speed-up                            {one_by_one / together:>10.1f} ×   (issue 9 asks for at least 30×)")
    print(f"most requests at once, one host     {max(tracker.peak.values()):>10}   (bound: {args.per_host})")
    print(f"most requests at once, in total     {tracker.total_peak:>10}   (bound: {args.concurrency})")
    print(f"peak Python memory during the run   {peak_memory / 2**20:>10.1f} MiB")


if __name__ == "__main__":
    main()
