"""Measures how many of other residents' turns are answered while one client floods the gateway (issue 20).

``PYTHONPATH=. .venv-gateway/bin/python -m tests.gateway.fairness_probe [--seconds 10]``

A fake Rasa answers each turn in one second; the gateway runs with its default settings (rate limits and caps).
Gateway, fake Rasa and clients run in processes of their own. One client (one address, three sessions, 40
parallel senders) sends as fast as the gateway answers (pausing 0.1 s after a refusal); meanwhile five residents
on other addresses each ask one question a second. Everything is on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import multiprocessing
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from gateway.settings import REPO_ROOT
from testkit.services import free_port, port_open
from tests.gateway.fakes.fake_rasa import FakeRasa, create_fake_rasa
from tests.gateway.gateway_process import gateway_env, gateway_process

FLOODER = "203.0.113.66"
FLOOD_SESSIONS = 3
FLOOD_SENDERS = 40
RESIDENTS = 5
RASA_SECONDS = 1.0
# A refused flood sender tries again this soon: the probe measures the caps, not how fast a shared machine's CPU
# answers refusals.
REFUSED_PAUSE_SECONDS = 0.1
# How long each resident turn took, in seconds (filled by the last measure()).
latencies: list[float] = []


def _session(client: httpx.Client, address: str) -> str:
    response = client.post("/api/chat/session", headers={"X-Forwarded-For": address})
    response.raise_for_status()
    return str(response.json()["session_id"])


def _send(client: httpx.Client, address: str, session: str, text: str) -> str:
    """One turn's outcome: "answered" (Rasa's answer), "apology" (the fallback) or the refusal's status and code."""
    body = {"session_id": session, "text": text}
    response = client.post("/api/chat/message", json=body, headers={"X-Forwarded-For": address})
    if response.status_code != 200:
        return f"{response.status_code} {response.json().get('error')}"
    return "answered" if "暗証番号の再設定ですね" in response.text or "についてのご質問" in response.text else "apology"


def _serve_fake_rasa(port: int) -> None:
    """The slow fake Rasa, served in a process of its own."""
    config = uvicorn.Config(
        create_fake_rasa(FakeRasa(mode="slow", slow_seconds=RASA_SECONDS)),
        host="127.0.0.1",
        port=port,
        log_config=None,
        log_level="error",
    )
    uvicorn.Server(config).run()


def measure(seconds: float) -> tuple[collections.Counter[str], collections.Counter[str]]:
    """Run the flood for ``seconds``; what the residents and the flooder got."""
    port = free_port()
    # Gateway, fake Rasa and clients each in their own process, as in production: the probe's 45 client threads
    # must slow neither the gateway nor Rasa down.
    rasa = multiprocessing.get_context("spawn").Process(target=_serve_fake_rasa, args=(port,), daemon=True)
    rasa.start()
    try:
        deadline = time.monotonic() + 30
        while not port_open(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        with tempfile.TemporaryDirectory() as tmp:
            env = gateway_env(Path(tmp), f"http://127.0.0.1:{port}", KB_DIR=str(REPO_ROOT / "knowledge"))
            with gateway_process(env) as url:
                return _flood(url, seconds)
    finally:
        rasa.terminate()
        rasa.join(10)


def _flood(url: str, seconds: float) -> tuple[collections.Counter[str], collections.Counter[str]]:
    def client() -> httpx.Client:
        # One client per sender thread, its connections kept alive: a new client per request costs more CPU than
        # the gateway spends answering it, and the probe would measure itself.
        return httpx.Client(base_url=url, timeout=30)

    with client() as setup:
        flood_sessions = [_session(setup, FLOODER) for _ in range(FLOOD_SESSIONS)]
        residents = [(f"198.51.100.{i + 1}", _session(setup, f"198.51.100.{i + 1}")) for i in range(RESIDENTS)]
    stop_at = time.monotonic() + seconds
    flood_codes: collections.Counter[str] = collections.Counter()
    resident_codes: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    latencies.clear()

    def flooder(n: int) -> None:
        with client() as http:
            while time.monotonic() < stop_at:
                code = _send(http, FLOODER, flood_sessions[n % FLOOD_SESSIONS], f"質問{n}")
                with lock:
                    flood_codes[code] += 1
                if code not in {"answered", "apology"}:
                    time.sleep(REFUSED_PAUSE_SECONDS)

    def resident(address: str, session: str) -> None:
        with client() as http:
            time.sleep(0.5)  # the flood is in full swing
            while time.monotonic() < stop_at:
                started = time.monotonic()
                code = _send(http, address, session, "暗証番号を忘れました")
                with lock:
                    resident_codes[code] += 1
                    latencies.append(time.monotonic() - started)
                time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    with concurrent.futures.ThreadPoolExecutor(FLOOD_SENDERS + RESIDENTS) as pool:
        jobs = [pool.submit(flooder, n) for n in range(FLOOD_SENDERS)]
        jobs += [pool.submit(resident, address, session) for address, session in residents]
        for job in jobs:
            job.result()
    return resident_codes, flood_codes


def main() -> None:
    """Print what the residents and the flooder got."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    residents, flood = measure(args.seconds)
    total = sum(residents.values())
    print(
        f"residents: {residents.get('answered', 0)}/{total} turns answered by Rasa; {dict(sorted(residents.items()))}"
    )
    if latencies:
        print(f"resident turn latency: median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s")
    print(f"flooder:   {dict(sorted(flood.items()))}")


if __name__ == "__main__":
    main()
