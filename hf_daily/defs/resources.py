import datetime as dt
import os
import dagster as dg
from pydantic import Field

from hf_daily.channels.git_repo import GitTarget
from hf_daily.channels.git_repo.git import DEFAULT_AUTHOR
from hf_daily.channels.mail.smtp import SmtpSettings
from hf_daily.core.layout import DEFAULT_DATA_DIR, DataLayout
from hf_daily.sources.archive import ArchiveSource
from hf_daily.sources.client import DailyPapersClient
from hf_daily.sources.page import RawPage
from hf_daily.translate import Translator, TranslatorConfig, load_translator
from hf_daily.translate.config import DEFAULT_MAX_IN_FLIGHT, parse_model_spec, translator_settings
from hf_daily.warehouse import Warehouse


class StorageResource(dg.ConfigurableResource):
    """Where hf-daily keeps everything: the DuckDB warehouse and the issue, chart and model files."""

    data_dir: str = Field(default=DEFAULT_DATA_DIR, description="Folder for warehouse.duckdb, issues/, charts/ and models/.")
    lock_timeout_s: float = Field(
        default=300.0, description="How long to wait for another process's DuckDB write lock before failing."
    )

    @property
    def layout(self) -> DataLayout:
        return DataLayout(self.data_dir)

    def warehouse(self) -> Warehouse:
        return Warehouse(self.layout.warehouse, lock_timeout=self.lock_timeout_s)


class DailyPapersResource(dg.ConfigurableResource):
    """The Daily Papers source: the Hugging Face API, or a folder of saved responses when archive_dir is set."""

    base_url: str = Field(default="https://huggingface.co", description="Root of the Hugging Face API.")
    archive_dir: str | None = Field(
        default=None, description="Read YYYY-MM-DD.json files from this folder instead of calling the API."
    )
    timeout_s: float = Field(default=30.0, description="Timeout of one HTTP request.")
    retries: int = Field(default=5, description="Retries on HTTP 429/5xx and connection errors.")
    backoff_s: float = Field(
        default=1.0, description="First wait before a retry, doubling each time (Retry-After wins when sent)."
    )

    def fetch_day(self, day: dt.date) -> list[RawPage]:
        if self.archive_dir:
            return ArchiveSource(self.archive_dir).fetch_day(day)
        return self._client().fetch_day(day)

    def fetch_week(self, monday: dt.date) -> list[RawPage] | None:
        """The API's answer for a whole week (``?week=``); from an archive, its saved week file or None."""
        if self.archive_dir:
            return ArchiveSource(self.archive_dir).fetch_week(monday)
        return self._client().fetch_week(monday)

    def _client(self) -> DailyPapersClient:
        # The token is read here, never stored in config, so it cannot reach run logs or the UI.
        return DailyPapersClient(
            base_url=self.base_url, token=os.environ.get("HF_TOKEN"), timeout=self.timeout_s, retries=self.retries,
            backoff=self.backoff_s,
        )

    def describe(self) -> str:
        return f"archive {self.archive_dir}" if self.archive_dir else f"API {self.base_url}"


class TranslatorResource(dg.ConfigurableResource):
    """The English-to-Chinese translator (see the README for choosing a model and backend)."""

    backend: str = Field(
        default="causal",
        description="'causal' (instruction-tuned LM), 'seq2seq' (MarianMT) or 'openai' (an OpenAI-compatible API).",
    )
    runtime: str = Field(
        default="auto",
        description="'auto' (llamacpp for GGUF models), 'llamacpp', 'ctranslate2' or 'transformers' (the reference).",
    )
    weights: str = Field(
        default="auto",
        description="llamacpp: 'auto' (Q4_0 for the offline model where llama.cpp uses AVX-512 without AMX, else as it is), "
                    "'as-is', 'q4_0' or 'q8_0' (requantized once under data/models/prepared/).",
    )
    abstract_units: str = Field(
        default="sentences",
        description="causal models: 'sentences' (groups of a few sentences: closer to the reference translations) "
                    "or 'whole' (one prompt per abstract).",
    )
    model: str = Field(
        default="offline",
        description="'offline' (bundled Qwen2.5-Coder-1.5B-Instruct GGUF), a hub model id, or a local folder.",
    )
    gguf_file: str | None = Field(default=None, description="A GGUF file inside `model`, or a path to one.")
    device: str = Field(default="auto", description="'auto', 'cpu' or 'cuda'.")
    max_new_tokens: int = Field(default=512, description="Longest translation, in tokens.")
    batch_size: int | None = Field(default=None, description="Texts decoded together; None = the runtime's default.")
    base_url: str | None = Field(
        default=None, description="backend='openai': API root, e.g. https://api.deepseek.com/v1, or several servers "
                                  "of one model separated by commas (requests spread over them, moved off any that fails)."
    )
    max_in_flight: int = Field(
        default=DEFAULT_MAX_IN_FLIGHT,
        description="backend='openai': requests in flight at once across all servers (a GPU server wants 64 or more).",
    )
    provider: str | None = Field(
        default=None, description="backend='openai': who serves the model, as the cache key names it; unset: the "
                                  "servers' host name if they share one, else the model name alone.",
    )
    retranslate_flagged_with: str = Field(
        default="",
        description="Translate the papers that fail the quality checks again with this model, 'BACKEND:MODEL' "
                    "(e.g. 'openai:deepseek-chat'), and use whichever translation has fewer problems. Empty: off.",
    )

    def translator(self, data_dir: str) -> Translator:
        return load_translator(TranslatorConfig(
            backend=self.backend, model=self.model, gguf_file=self.gguf_file, data_dir=data_dir,
            device=self.device, max_new_tokens=self.max_new_tokens, batch_size=self.batch_size,
            runtime=self.runtime, weights=self.weights, abstract_units=self.abstract_units, base_url=self.base_url,
            max_in_flight=self.max_in_flight, provider=self.provider,
        ))

    def retranslator(self, data_dir: str) -> Translator | None:
        """The model for the papers the quality checks flag (same device and API root), if one is set."""
        if not self.retranslate_flagged_with:
            return None
        backend, model = parse_model_spec(self.retranslate_flagged_with)
        return load_translator(TranslatorConfig(
            backend=backend, model=model, data_dir=data_dir, device=self.device,
            max_new_tokens=self.max_new_tokens, base_url=self.base_url, max_in_flight=self.max_in_flight,
            provider=self.provider,
        ))


class GitPublishResource(dg.ConfigurableResource):
    """The git repository the issues are published to (see "Publishing to git" in the README); nothing is pushed
    while `repo` is empty."""

    repo: str = Field(default="", description="The remote: a git URL (HTTPS or SSH) or a path. Empty: not published.")
    branch: str = Field(default="main", description="The branch the issues, their files and the README go to.")
    author: str = Field(default=DEFAULT_AUTHOR, description="Author and committer of the commits, 'Name <email>'.")
    site_branch: str = Field(
        default="", description="A branch of its own for the static site (data/site/ and its files), for pages "
                                "hosting. Empty: the site is not published on its own.")

    def target(self) -> GitTarget | None:
        """The target with the environment's credentials (read here, never kept in config), or None: not configured."""
        if not self.repo.strip():
            return None
        return GitTarget(repo=self.repo, branch=self.branch, author=self.author, site_branch=self.site_branch,
                         token=os.environ.get("HF_DAILY_PUBLISH_TOKEN") or None,
                         ssh_key=os.environ.get("HF_DAILY_PUBLISH_SSH_KEY") or None)


class MailResource(dg.ConfigurableResource):
    """The SMTP server the mail channel sends through. The login is HF_DAILY_SMTP_USER and
    HF_DAILY_SMTP_PASSWORD, read from the environment when sending and never part of this config."""

    host: str = Field(default="", description="SMTP server, e.g. smtp.example.org. Empty: no mail is sent.")
    port: int = Field(default=0, description="Its port; 0: the standard one (587 starttls, 465 ssl, 25 none).")
    security: str = Field(default="starttls", description="'starttls', 'ssl', or 'none' (a server on this machine).")
    mail_from: str = Field(default="", description="The sender, 'news@example.org' or 'Name <news@example.org>'.")
    unsubscribe: str = Field(default="", description="A mailto: or https: address for List-Unsubscribe and the footer.")
    timeout_s: float = Field(default=30.0, description="Timeout of each exchange with the server.")

    @property
    def configured(self) -> bool:
        return bool(self.host.strip())

    def settings(self) -> SmtpSettings:
        return SmtpSettings(host=self.host, mail_from=self.mail_from, port=self.port, security=self.security,
                            timeout_s=self.timeout_s)


# The resources' own settings in the environment (the translator's are hf_daily.translate.config.ENVIRONMENT).
ENVIRONMENT = {
    "storage": {"data_dir": "HF_DAILY_DATA_DIR"},
    "daily_papers": {"base_url": "HF_DAILY_BASE_URL", "archive_dir": "HF_DAILY_ARCHIVE_DIR"},
    "translator": {"retranslate_flagged_with": "HF_DAILY_RETRANSLATE_FLAGGED_WITH"},
    "publish": {"repo": "HF_DAILY_PUBLISH_REPO", "branch": "HF_DAILY_PUBLISH_BRANCH", "author": "HF_DAILY_PUBLISH_AUTHOR",
                "site_branch": "HF_DAILY_PUBLISH_SITE_BRANCH"},
    "mail": {"host": "HF_DAILY_SMTP_HOST", "port": "HF_DAILY_SMTP_PORT", "security": "HF_DAILY_SMTP_SECURITY",
             "mail_from": "HF_DAILY_MAIL_FROM", "unsubscribe": "HF_DAILY_MAIL_UNSUBSCRIBE"},
}


_WHOLE_NUMBERS = {"mail": ("port",)}


def resource_config(name: str, flags: dict | None = None) -> dict:
    """A resource's config as every entry point builds it: the defaults (the resource's fields), then the
    environment, then ``flags``, each overriding only what it names (None: not named)."""
    settings = {key: os.environ[variable].strip() for key, variable in ENVIRONMENT[name].items()
                if os.environ.get(variable, "").strip()}
    if name == "translator":
        settings = translator_settings(settings)
    for key in _WHOLE_NUMBERS.get(name, ()):
        if key in settings:
            # Run config is checked against the fields' types, and the environment holds text.
            try:
                settings[key] = int(settings[key])
            except ValueError:
                raise ValueError(f"{ENVIRONMENT[name][key]}={settings[key]!r} is not a whole number") from None
    return settings | {key: value for key, value in (flags or {}).items() if value is not None}


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources from the environment, so `dagster dev` and the CLI agree without a config file."""
    return {
        "storage": StorageResource(**resource_config("storage")),
        "daily_papers": DailyPapersResource(**resource_config("daily_papers")),
        "translator": TranslatorResource(**resource_config("translator")),
        "publish": GitPublishResource(**resource_config("publish")),
        "mail": MailResource(**resource_config("mail")),
    }


@dg.definitions
def resources() -> dg.Definitions:
    """The resources, read from the environment when the code location loads."""
    return dg.Definitions(resources=default_resources())
