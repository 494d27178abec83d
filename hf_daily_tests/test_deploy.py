"""deploy/: the compose file, the Dagster instance and the Kubernetes manifests hold together with the code.

What can be checked without Docker or a cluster: the files parse, the services and objects are there,
every HF_DAILY_* variable they set is one the code (or the instance file) reads, the translator settings
they give make a translator, and the servers and model names they point at are the ones they define.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from hf_daily.runner import INSTANCE_YAML, POSTGRES_SCHEME, instance_yaml
from hf_daily.translate import TranslatorConfig, load_translator
from hf_daily.translate.config import translator_settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
VARIABLE = re.compile(r"HF_DAILY_[A-Z0-9_]+")
# ${NAME:-default} and ${NAME:?message} as docker compose substitutes them when NAME is unset.
SUBSTITUTION = re.compile(r"\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}")


def _read_by_code() -> set[str]:
    names = set()
    for path in (ROOT / "hf_daily").rglob("*.py"):
        names |= set(VARIABLE.findall(path.read_text(encoding="utf-8")))
    return names


def _read_by_instance() -> set[str]:
    found = set()

    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"env"}:
                found.add(node["env"])
            for value in node.values():
                walk(value)

    walk(yaml.safe_load((DEPLOY / "dagster.yaml").read_text()))
    return found


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def _unset(value: str) -> str:
    """A compose value as it is with nothing set in the environment (``${X:?…}`` becomes ``X``)."""
    return SUBSTITUTION.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(1), str(value))


def _k8s() -> list[dict]:
    return [doc for path in sorted((DEPLOY / "k8s").glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text())]


def _values_env() -> dict[str, str]:
    [values] = [doc for doc in _k8s() if "dagster-user-deployments" in doc]
    [deployment] = values["dagster-user-deployments"]["deployments"]
    return {item["name"]: item["value"] for item in deployment["env"]}


def _translator(env: dict[str, str]):
    return load_translator(TranslatorConfig(**translator_settings({}, env)))


def test_the_compose_file_has_every_service_and_sets_only_variables_the_code_reads():
    services = _compose()["services"]
    assert set(services) == {"postgres", "webserver", "daemon", "llama", "vllm"}
    assert services["webserver"]["ports"] == ["127.0.0.1:3000:3000"]  # the UI launches runs: this host only
    assert services["vllm"]["profiles"] == ["gpu"]
    set_here = {name for service in services.values() for name in service.get("environment", {})
                if name.startswith("HF_DAILY_")}
    read = _read_by_code() | _read_by_instance()
    assert set_here and set_here <= read, f"set but never read: {sorted(set_here - read)}"
    # Only the daemon's container runs runs, so only it mounts the warehouse volume read-write.
    writers = [name for name, service in services.items() if "data:/data" in service.get("volumes", [])]
    assert writers == ["daemon"]


def test_the_compose_translator_settings_make_a_translator_for_the_server_it_defines():
    services = _compose()["services"]
    env = {name: _unset(value) for name, value in services["daemon"]["environment"].items()}
    translator = _translator(env)
    [server] = translator.pool.servers
    llama = services["llama"]["command"]
    assert urlsplit(server.url).hostname == "llama"
    assert urlsplit(server.url).port == int(llama[llama.index("--port") + 1])
    assert env["HF_DAILY_TRANSLATOR_MODEL"] == llama[llama.index("--alias") + 1]
    assert translator.model_id.startswith("openai:qwen2.5-coder-1.5b-instruct@self-hosted#")
    # The GPU profile's model name is the one its comments tell you to set.
    vllm = services["vllm"]["command"]
    assert vllm[vllm.index("--served-model-name") + 1] == "qwen2.5-7b-instruct"
    assert "HF_DAILY_TRANSLATOR_MODEL=qwen2.5-7b-instruct" in (DEPLOY / "docker-compose.yml").read_text()
    # The password comes from the environment, never from the file.
    assert "${POSTGRES_PASSWORD:?" in services["daemon"]["environment"]["HF_DAILY_DAGSTER_POSTGRES_URL"]
    # The driver the runner asks for: a bare postgresql:// would fail at the daemon's start.
    assert services["daemon"]["environment"]["HF_DAILY_DAGSTER_POSTGRES_URL"].startswith(POSTGRES_SCHEME)


def test_the_instance_file_is_valid_for_this_dagster_and_keeps_hf_dailys_own_settings():
    from dagster._core.instance.config import dagster_instance_config

    config, _ = dagster_instance_config(str(DEPLOY))  # reads DEPLOY/dagster.yaml, checked against Dagster's schema
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["storage"]["postgres"]["postgres_url"] == {"env": "HF_DAILY_DAGSTER_POSTGRES_URL"}

    def contains(big, small) -> bool:
        if isinstance(small, dict):
            return isinstance(big, dict) and all(k in big and contains(big[k], v) for k, v in small.items())
        return big == small

    assert contains(config, yaml.safe_load(INSTANCE_YAML))
    # The very instance hf-daily writes for PostgreSQL, so the two cannot drift apart.
    assert yaml.safe_load((DEPLOY / "dagster.yaml").read_text()) == yaml.safe_load(instance_yaml(postgres=True))
    assert "deploy/dagster.yaml /opt/dagster/home/dagster.yaml" in (DEPLOY / "Dockerfile").read_text()


def test_the_kubernetes_values_name_the_vllm_pods_and_only_variables_the_code_reads():
    docs = _k8s()
    env = _values_env()
    assert set(env) <= _read_by_code()
    [statefulset] = [d for d in docs if d.get("kind") == "StatefulSet"]
    [service] = [d for d in docs if d.get("kind") == "Service"]
    [claim] = [d for d in docs if d.get("kind") == "PersistentVolumeClaim"]
    assert service["spec"]["clusterIP"] == "None" and statefulset["spec"]["serviceName"] == service["metadata"]["name"]
    translator = _translator(env)
    name, port = statefulset["metadata"]["name"], service["spec"]["ports"][0]["port"]
    assert [s.url for s in translator.pool.servers] == [
        f"http://{name}-{i}.{service['metadata']['name']}:{port}/v1" for i in range(statefulset["spec"]["replicas"])]
    args = statefulset["spec"]["template"]["spec"]["containers"][0]["args"]
    assert env["HF_DAILY_TRANSLATOR_MODEL"] == args[args.index("--served-model-name") + 1]
    assert translator.model_id.startswith("openai:qwen2.5-7b-instruct@vllm#")  # the same with 1 replica or 10
    [values] = [d for d in docs if "dagster-user-deployments" in d]
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["volumes"][0]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", "hf_daily.definitions"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["concurrency"]["pools"] == {"granularity": "run", "defaultLimit": 1}


def test_no_secret_is_written_into_a_deploy_file():
    secret = re.compile(r"KEY|TOKEN|PASSWORD|SECRET")
    for service in _compose()["services"].values():
        for name, value in service.get("environment", {}).items():
            if secret.search(name):
                assert re.fullmatch(r"\$\{\w+(:[-?][^}]*)?\}", value), (name, value)  # only from the environment
    assert not [name for name in _values_env() if secret.search(name)]  # on Kubernetes: the Secret of envSecrets
