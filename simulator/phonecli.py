"""`pushsim phone add|list|inbox`: talk to a running `pushsim serve` through its control API."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

import aiohttp


def add_arguments(sub: Any) -> None:
    """Register the `phone` command on the top-level subparsers."""
    phone = sub.add_parser("phone", help="create an emulated phone in a running `pushsim serve`, read its screen")
    phone.add_argument("--state-dir", type=Path, required=True, help="the state dir `pushsim serve` writes")
    verbs = phone.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="new phone with an app; prints its push token")
    add.add_argument("--name", help="phone name (default: generated)")
    add.add_argument("--app", default="mattermost", choices=["mattermost", "mattermost-beta", "mattermost-android", "mattermost-android-beta"])
    add.add_argument("--sandbox", action="store_true", help="a development build (APNs sandbox token)")
    verbs.add_parser("list", help="every phone, its apps and tokens")
    inbox = verbs.add_parser("inbox", help="what a phone's lock screen shows")
    inbox.add_argument("name")


async def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run one `phone` verb; 0 on success, 1 when the world answered an error, 2 for a bad state dir."""
    try:
        control = json.loads((args.state_dir / "endpoints.json").read_text())["control"]
    except (OSError, ValueError, KeyError) as exc:
        print(f"pushsim phone: no running world in {args.state_dir} ({exc}); start `pushsim serve` first", file=err)
        return 2
    if args.verb == "add":
        body: dict[str, Any] = {"app": args.app, "sandbox": args.sandbox}
        if args.name:
            body["name"] = args.name
        status, answer = await _call("POST", f"{control}/phones", body)
    elif args.verb == "list":
        status, answer = await _call("GET", f"{control}/phones")
    else:
        status, answer = await _call("GET", f"{control}/phones/{args.name}/notifications")
    if status >= 400:
        print(f"pushsim phone: {answer.get('error', answer)}", file=err)
        return 1
    print(json.dumps(answer, indent=2), file=out)
    return 0


async def _call(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    try:
        async with aiohttp.ClientSession() as http:
            async with http.request(method, url, json=body) as resp:
                return resp.status, await resp.json(content_type=None)
    except aiohttp.ClientError as exc:
        return 599, {"error": f"cannot reach the control API at {url}: {exc}"}
