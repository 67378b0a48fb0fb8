"""The shipped deployments are safe as they stand: every secret comes from a file or a
Secret the operator makes (never a default, never a literal in the repository),
PostgreSQL and RabbitMQ ask for a password, the api is the only door, and nothing runs as
root but a worker, which runs its tasks as an unprivileged user.

Compose is read, not run: `${NAME:?message}` is compose's own "refuse to start without
it", so a secret written that way cannot fall back to anything."""

from __future__ import annotations

import re
import subprocess
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from tradewind_api.settings import ApiSettings
from tradewind_dispatcher.settings import DispatcherSettings
from tradewind_scheduler.settings import SchedulerSettings
from tradewind_worker.settings import WorkerSettings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
KUBERNETES_FILE = ROOT / "deploy/kubernetes/tradewind.yaml"
DOCKERFILE = ROOT / "deploy/Dockerfile"
ENV_EXAMPLE = ROOT / "deploy/tradewind.env.example"
ENV_FILE = "deploy/tradewind.env"
K8S_SECRET = "tradewind-secrets"

SETTINGS: dict[str, type[BaseSettings]] = {
    "api": ApiSettings,
    "scheduler": SchedulerSettings,
    "dispatcher": DispatcherSettings,
    "worker": WorkerSettings,
}
# Settings that hold a URL with a password in it, and the env file entry of that password.
CREDENTIAL_URLS = {
    "TRADEWIND_DATABASE_URL": "TRADEWIND_DATABASE_PASSWORD",
    "TRADEWIND_BROKER_URL": "TRADEWIND_BROKER_PASSWORD",
}
# Which services keep state in the database and which use the task queue. A service left
# without its URL would not fail: it would quietly use SQLite or a broker on localhost.
URL_READERS = {
    "TRADEWIND_DATABASE_URL": {"api", "scheduler", "dispatcher"},
    "TRADEWIND_BROKER_URL": {"dispatcher", "worker"},
}
# What a worker started as root may keep: switch to the task user (SETUID, SETGID), hand a
# task its scratch folder (CHOWN), stop the task's processes (KILL), clean up what the task
# left (DAC_OVERRIDE, FOWNER).
WORKER_CAPABILITIES = {"CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID"}
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASS|_KEY|TOKEN)$")
REFERENCE = re.compile(r"\$\{([^}]*)\}")
REQUIRED = re.compile(r"^(\w+):\?(.+)$")


def _secret_settings(settings: type[BaseSettings]) -> set[str]:
    """Environment names of the settings that hold a secret: typed SecretStr, as the
    project's secrets are, or named like one."""
    found = set()
    for name, field in settings.model_fields.items():
        types = {field.annotation, *typing.get_args(field.annotation)}
        if SecretStr in types or name.endswith(("_secret", "_password", "_key")):
            found.add(f"TRADEWIND_{name.upper()}")
    return found


def _secrets_read_by(service: str) -> set[str]:
    urls = {url for url, readers in URL_READERS.items() if service in readers}
    return _secret_settings(SETTINGS[service]) | urls


def _env_example() -> dict[str, tuple[str, list[str]]]:
    """Each entry of the example: its value and the comment lines above it."""
    entries: dict[str, tuple[str, list[str]]] = {}
    comments: list[str] = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.startswith("#"):
            comments.append(line)
        elif "=" in line:
            name, value = line.split("=", 1)
            entries[name.strip()] = (value, comments)
            comments = []
        else:
            comments = []
    return entries


def _compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _tradewind_services(compose: dict) -> dict[str, tuple[str, dict]]:
    """Compose services running Tradewind: name -> (which service, definition)."""
    return {
        name: (service["command"][0], service)
        for name, service in compose["services"].items()
        if service.get("image", "").startswith("tradewind:")
    }


def _kubernetes() -> list[dict]:
    return [d for d in yaml.safe_load_all(KUBERNETES_FILE.read_text()) if d]


def _containers() -> list[tuple[dict, dict]]:
    return [
        (deployment, container)
        for deployment in _kubernetes()
        if deployment["kind"] == "Deployment"
        for container in deployment["spec"]["template"]["spec"]["containers"]
    ]


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in _strings(key) + _strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


def _required_reference(value: str) -> str | None:
    """The variable `value` is, when it is exactly `${NAME:?message}`."""
    match = re.fullmatch(r"\$\{(\w+):\?[^}]+\}", value)
    return match.group(1) if match else None


def _url_parts(url: str) -> tuple[str, str | None, str]:
    """User, password and what follows the host of a URL whose password may be a
    `${...}` reference (which urllib would not parse)."""
    match = re.fullmatch(r"[a-z0-9+.-]+://([^:@/]+)(?::(.*))?@[^/@]+(/.*)?", url)
    assert match, f"{url!r} names no user"
    return match.group(1), match.group(2), match.group(3) or "/"


def _dockerfile_users() -> tuple[str, dict[str, int]]:
    """The image's final USER, and the users it creates with their uids."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    final = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")][-1]
    users = {}
    for command in re.findall(r"useradd ([^&\n]+)", text):
        words = command.split()
        users[words[-1]] = int(words[words.index("--uid") + 1])
    return final, users


# -- the env file -------------------------------------------------------------------------


def test_the_env_example_lists_every_secret_the_services_read():
    found = set().union(*(_secret_settings(s) for s in SETTINGS.values()))
    assert "TRADEWIND_FERNET_KEY" in found  # the finder finds the secrets there are
    entries = _env_example()
    expected = (found - set(CREDENTIAL_URLS)) | set(CREDENTIAL_URLS.values())
    missing = expected - set(entries)
    assert not missing, f"secret settings without an entry in {ENV_EXAMPLE.name}: {missing}"


def test_the_env_example_holds_no_value_and_says_how_to_make_each():
    """Empty values: a copy left unfilled stops compose instead of running with a secret
    everybody knows. Each entry has the one command that makes its value."""
    entries = _env_example()
    assert entries
    for name, (value, comments) in entries.items():
        assert value == "", f"{name} has a value in the committed example"
        assert comments and re.match(r"#\s+(openssl|python3?) ", comments[-1]), name


def test_the_env_file_is_never_committed_nor_sent_to_a_build():
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", ENV_FILE], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, f"{ENV_FILE} is not in .gitignore"
    tracked = subprocess.run(
        ["git", "ls-files", ENV_FILE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert tracked.stdout == ""
    example = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", str(ENV_EXAMPLE.relative_to(ROOT))],
        cwd=ROOT,
        check=False,
    )
    assert example.returncode == 1, "the example itself must stay committed"
    assert ENV_FILE in (ROOT / ".dockerignore").read_text().splitlines()


# -- compose ------------------------------------------------------------------------------


def test_compose_takes_every_secret_from_the_env_file_and_refuses_to_start_without_it():
    entries = _env_example()
    referenced = set()
    for reference in REFERENCE.findall(COMPOSE_FILE.read_text()):
        match = REQUIRED.match(reference)
        assert match, f"${{{reference}}} may start without a value: write ${{NAME:?message}}"
        name, message = match.groups()
        assert name in entries, f"{name} is read by compose but missing from the env example"
        assert name in message and ENV_FILE in message, f"{name}'s message says nothing useful"
        referenced.add(name)
    assert referenced == set(entries), f"entries compose never reads: {set(entries) - referenced}"


def test_compose_hands_each_service_the_secrets_it_reads_and_no_literal_one():
    compose = _compose()
    services = _tradewind_services(compose)
    assert {command for command, _ in services.values()} == set(SETTINGS)
    for name, (command, service) in services.items():
        env = service["environment"]
        missing = _secrets_read_by(command) - set(env)
        assert not missing, f"{name} does not get {missing}"
        for url, password in CREDENTIAL_URLS.items():
            if url in env:
                _, given, _ = _url_parts(env[url])
                assert given and _required_reference(given) == password, (name, url)
    secrets = set().union(*(_secret_settings(s) for s in SETTINGS.values()))
    for name, service in compose["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            value = str(value)
            if SECRET_NAME.search(variable) or variable in secrets:
                assert _required_reference(value), f"{name}: {variable} is written in"
            credentials = re.search(r"://[^/@\s]*:([^@\s]*)@", value)
            if credentials:
                assert _required_reference(credentials.group(1)), f"{name}: {variable}"


def test_postgresql_asks_every_connection_for_a_password():
    compose = _compose()
    postgres = compose["services"]["postgres"]["environment"]
    assert postgres["POSTGRES_HOST_AUTH_METHOD"] == "scram-sha-256"
    initdb = postgres["POSTGRES_INITDB_ARGS"].split()
    assert {"--auth-host=scram-sha-256", "--auth-local=scram-sha-256"} <= set(initdb)
    assert _required_reference(postgres["POSTGRES_PASSWORD"]) == "TRADEWIND_DATABASE_PASSWORD"
    assert not [s for s in _strings(compose) if re.search(r"\btrust\b", s, re.I)]
    for _, service in _tradewind_services(compose).values():
        url = service["environment"].get("TRADEWIND_DATABASE_URL")
        if url:
            user, _, database = _url_parts(url)
            assert (user, database) == (postgres["POSTGRES_USER"], "/" + postgres["POSTGRES_DB"])


def test_rabbitmq_has_a_user_and_vhost_of_its_own_and_no_guest():
    compose = _compose()
    rabbitmq = compose["services"]["rabbitmq"]["environment"]
    user, vhost = rabbitmq["RABBITMQ_DEFAULT_USER"], rabbitmq["RABBITMQ_DEFAULT_VHOST"]
    assert user != "guest" and vhost not in ("", "/")
    assert _required_reference(rabbitmq["RABBITMQ_DEFAULT_PASS"]) == "TRADEWIND_BROKER_PASSWORD"
    assert not [s for s in _strings(compose) if "guest" in s.lower()]
    for _, service in _tradewind_services(compose).values():
        url = service["environment"].get("TRADEWIND_BROKER_URL")
        if url:
            assert _url_parts(url)[0::2] == (user, "/" + vhost)


def _published(port: object) -> tuple[str, str]:
    """(published, target) of a compose port in its short or long form."""
    if isinstance(port, dict):
        return str(port.get("published", "")), str(port["target"])
    parts = str(port).split("/")[0].split(":")
    return (parts[-2] if len(parts) > 1 else ""), parts[-1]


def test_compose_publishes_the_api_port_alone():
    compose = _compose()
    for name, service in compose["services"].items():
        assert service.get("network_mode") != "host", name
        ports = service.get("ports", [])
        if name != "api":
            assert not ports, f"{name} publishes {ports}"
            continue
        api_port = str(service["environment"]["TRADEWIND_API_PORT"])
        assert [_published(p)[1] for p in ports] == [api_port]


def test_compose_runs_nothing_as_root_but_workers_which_run_tasks_as_an_unprivileged_user():
    image_user, users = _dockerfile_users()
    assert image_user.split(":")[0].isdigit() and int(image_user.split(":")[0]) != 0
    compose = _compose()
    tradewind = _tradewind_services(compose)
    workers = 0
    for name, service in compose["services"].items():
        assert not service.get("privileged"), name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert service.get("cap_drop") == ["ALL"], name
        if name not in tradewind:
            # Images of others start as root unless told: name their own user.
            assert service.get("user") not in (None, "root", "0"), f"{name} runs as root"
        user = str(service.get("user", image_user)).split(":")[0]
        root = user in ("root", "0")
        if name in tradewind and tradewind[name][0] == "worker":
            workers += 1
            task_user = service["environment"]["TRADEWIND_WORKER_TASK_USER"]
            assert "TRADEWIND_WORKER_RUN_TASKS_AS_ROOT" not in service["environment"]
            assert task_user in users, f"the image does not create {task_user}"
            assert users[task_user] not in (0, int(image_user.split(":")[0]))
            assert set(service.get("cap_add", [])) <= WORKER_CAPABILITIES, name
        else:
            assert not root, f"{name} runs as root"
            assert not service.get("cap_add"), name
    assert workers


# -- kubernetes ---------------------------------------------------------------------------


def test_kubernetes_reads_every_secret_from_a_secret_and_writes_none_in():
    documents = _kubernetes()
    assert not [d for d in documents if d["kind"] == "Secret"], "a Secret's values in the repo"
    for config in (d for d in documents if d["kind"] == "ConfigMap"):
        for key, value in config["data"].items():
            assert not SECRET_NAME.search(key) and key not in CREDENTIAL_URLS, key
            assert not re.search(r"://[^/@\s]*@", str(value)), f"{key} carries credentials"
    every_secret = set().union(*(_secrets_read_by(s) for s in SETTINGS))
    checked = set()
    for _, container in _containers():
        command = container["args"][0]
        env = {e["name"]: e for e in container.get("env", [])}
        missing = _secrets_read_by(command) - set(env)
        assert not missing, f"{command} does not get {missing}"
        for name, entry in env.items():
            if name in every_secret or SECRET_NAME.search(name):
                assert "value" not in entry, f"{command}: {name} is written in"
                assert entry["valueFrom"]["secretKeyRef"] == {"name": K8S_SECRET, "key": name}
            else:
                assert "://" not in str(entry.get("value", "")), f"{command}: {name}"
        checked.add(command)
    assert checked == set(SETTINGS)
    for text in _strings(documents):
        assert "guest" not in text.lower() and not re.search(r"\btrust\b", text, re.I)


def test_the_readme_makes_the_secret_the_manifest_reads():
    keys = {
        e["valueFrom"]["secretKeyRef"]["key"]
        for _, container in _containers()
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    readme = (ROOT / "deploy/README.md").read_text()
    made = set(re.findall(r"--from-literal=(\w+)=", readme))
    assert f"kubectl create secret generic {K8S_SECRET}" in readme
    assert keys == made


def test_kubernetes_publishes_the_api_alone():
    documents = _kubernetes()
    for deployment, container in _containers():
        pod = deployment["spec"]["template"]["spec"]
        assert not pod.get("hostNetwork"), deployment["metadata"]["name"]
        assert not [p for p in container.get("ports", []) if "hostPort" in p]
    services = [d for d in documents if d["kind"] == "Service"]
    assert services
    for service in services:
        if service["metadata"]["name"] != "tradewind-api":
            assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert not [d for d in documents if d["kind"] == "Ingress"]


@pytest.mark.parametrize("command", sorted(SETTINGS))
def test_kubernetes_runs_nothing_as_root_but_workers_which_run_tasks_as_an_unprivileged_user(
    command,
):
    image_user, users = _dockerfile_users()
    [(deployment, container)] = [(d, c) for d, c in _containers() if c["args"][0] == command]
    pod = deployment["spec"]["template"]["spec"]
    # No service talks to the Kubernetes API: no token for a task (or a thief) to read.
    assert pod.get("automountServiceAccountToken") is False
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert not security.get("privileged")
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    if command == "worker":
        task_user = env["TRADEWIND_WORKER_TASK_USER"]
        assert "TRADEWIND_WORKER_RUN_TASKS_AS_ROOT" not in env
        assert task_user in users and users[task_user] not in (0, int(image_user.split(":")[0]))
        assert set(security["capabilities"].get("add", [])) <= WORKER_CAPABILITIES
    else:
        assert security["runAsNonRoot"] is True and security["runAsUser"] != 0
        assert not security["capabilities"].get("add")
