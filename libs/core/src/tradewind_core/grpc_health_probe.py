"""`python -m tradewind_core.grpc_health_probe HOST:PORT`: exit 0 when the gRPC server
there reports SERVING (container health checks use it)."""

import asyncio
import sys

from tradewind_core.grpc_server import check_health

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tradewind_core.grpc_health_probe HOST:PORT")
    sys.exit(0 if asyncio.run(check_health(sys.argv[1])) else 1)
