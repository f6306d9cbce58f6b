"""``onedoor dead-letters``: every service's dead letters, and replaying one by its id."""

import argparse
import sys

import httpx

from services.launcher.staff import add_token_options, auth_headers
from services.launcher.topology import topology


def add_parser(sub: argparse._SubParsersAction) -> None:
    dl = sub.add_parser("dead-letters", help="list dead letters of every service; replay one")
    dl.add_argument("action", nargs="?", choices=["list", "replay"], default="list",
                    help="list them (the default) or replay one")
    dl.add_argument("letter", nargs="?", help="with replay: SERVICE:ID as listed, e.g. routing:3")
    dl.add_argument("--http-port", type=int, default=8000, help="intake's port (as for 'up')")
    dl.add_argument("--host", default="127.0.0.1", help="where the services listen")
    dl.add_argument("--all", action="store_true",
                    help="include dead letters already replayed (default: pending ones only)")
    add_token_options(dl)


def run(args: argparse.Namespace) -> int:
    services = {s.name: f"http://{args.host}:{s.port}" for s in topology(args.http_port)}
    with httpx.Client(timeout=10, headers=auth_headers(args)) as http:
        if args.action == "replay":
            return _replay(http, services, args.letter)
        return _list(http, services, args.all)


def _list(http: httpx.Client, services: dict[str, str], include_replayed: bool) -> int:
    rows, unreachable = [], []
    for name, url in services.items():
        try:
            response = http.get(f"{url}/api/v1/ops/dead-letters",
                                params={"pending_only": not include_replayed})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            unreachable.append(f"{name} ({exc.__class__.__name__})")
            continue
        rows += [(name, letter) for letter in response.json()]
    for name, d in rows:
        state = "replayed" if d["replayed_at"] and not d["replay_error"] else (
            "replay failed" if d["replay_error"] else "pending")
        print(f"{name}:{d['id']:<6} {d['recorded_at'][:19]}  {state:<13} {d['consumer']:<22} "
              f"{d['subject']}  attempts={d['attempts']}\n        {d['error'][:200]}")
        if d["replay_error"]:
            print(f"        replay: {d['replay_error'][:200]}")
    print(f"{len(rows)} dead letter(s)" + (" pending" if not include_replayed else ""))
    if unreachable:
        print("not reachable: " + ", ".join(unreachable), file=sys.stderr)
    return 0


def _replay(http: httpx.Client, services: dict[str, str], letter: str | None) -> int:
    name, _, letter_id = (letter or "").partition(":")
    if name not in services or not letter_id.isdigit():
        print(f"name the dead letter as SERVICE:ID (services: {', '.join(services)})",
              file=sys.stderr)
        return 2
    response = http.post(f"{services[name]}/api/v1/ops/dead-letters/{letter_id}/replay")
    body = response.json()
    if response.status_code == 200:
        print(f"{letter}: replayed at {body['replayed_at']}")
        return 0
    print(f"{letter}: {body['error']['message']}\n{body['error']['message_zh']}", file=sys.stderr)
    return 1
