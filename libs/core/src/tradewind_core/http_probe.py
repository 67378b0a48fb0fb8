"""`python -m tradewind_core.http_probe URL`: exit 0 when URL answers 2xx, 1 otherwise,
printing why (container health checks use it on /health/ready; the image has no curl)."""

import sys
import urllib.error
import urllib.request

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tradewind_core.http_probe URL")
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=5) as answer:
            sys.exit(0 if 200 <= answer.status < 300 else 1)
    except urllib.error.HTTPError as exc:
        sys.exit(f"{exc.code}: {exc.read(500).decode(errors='replace')}")
    except OSError as exc:
        sys.exit(f"no answer: {exc}")
