"""The shipped deployments probe each service's readiness on the port that service is
told to serve it on: a probe aimed at a port nothing serves would restart healthy
containers, or never take a broken one out of rotation."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PORT_SETTING = {
    "scheduler": "TRADEWIND_SCHEDULER_HTTP_PORT",
    "dispatcher": "TRADEWIND_DISPATCHER_HTTP_PORT",
    "worker": "TRADEWIND_WORKER_HTTP_PORT",
}


def test_compose_health_checks_ask_readiness_on_the_configured_port():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    checked = set()
    for name, service in services.items():
        command = service.get("command", [None])[0]
        if command not in PORT_SETTING:
            continue
        env = service["environment"]
        assert env["TRADEWIND_HTTP_LISTEN_HOST"] == "0.0.0.0"
        port = env[PORT_SETTING[command]]
        probe = service["healthcheck"]["test"]
        assert probe[-1] == f"http://127.0.0.1:{port}/health/ready", name
        assert probe[1:4] == ["python", "-m", "tradewind_core.http_probe"], name
        checked.add(command)
    assert checked == set(PORT_SETTING)


def test_kubernetes_probes_use_liveness_and_readiness_on_the_configured_port():
    documents = list(yaml.safe_load_all((ROOT / "deploy/kubernetes/tradewind.yaml").read_text()))
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    assert config["TRADEWIND_HTTP_LISTEN_HOST"] == "0.0.0.0"
    checked = set()
    for deployment in (d for d in documents if d["kind"] == "Deployment"):
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        command = container["args"][0]
        if command not in PORT_SETTING:
            continue
        env = {e["name"]: e.get("value") for e in container["env"]}
        port = int(env[PORT_SETTING[command]])
        assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": port}
        assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": port}
        checked.add(command)
    assert checked == set(PORT_SETTING)
