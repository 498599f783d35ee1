"""Site config validation: every mistake exits 2 naming the file, the key and the problem."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.cli import main
from crawler.config import SiteConfig, load_site_config, site_config_from_dict
from crawler.errors import ConfigError

GOOD = """\
name: eutoday
start_urls:
  - https://eutoday.net/category/analysis/
feeds: [https://eutoday.net/feed/]
max_section_pages: 3
article_patterns: ['/\\d{4}/\\d{2}/']
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_loads_with_defaults(tmp_path: Path) -> None:
    site = load_site_config(write(tmp_path, GOOD))
    assert site.name == "eutoday"
    assert site.allowed_domains == ["eutoday.net"]
    assert site.max_section_pages == 3
    assert site.download_delay == 1.0 and site.concurrency == 2 and site.autothrottle is True
    assert site.allow_private_addresses is False


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("name: x\nstart_urls: [http://a.example/]\nmax_pages: 3\n", "max_pages", "unknown key"),
        ("name: x\nstart_urls: http://a.example/\n", "start_urls", "must be a list of URLs"),
        ("name: x\nstart_urls: [http://a.example/]\nconcurrency: two\n", "concurrency", "must be an integer"),
        ("name: x\nstart_urls: [http://a.example/]\nautothrottle: 1\n", "autothrottle", "must be true or false"),
        ("name: x\nstart_urls: [http://a.example/]\narticle_patterns: ['(unclosed']\n", "article_patterns", "invalid regular expression"),
        ("name: Bad Name\nstart_urls: [http://a.example/]\n", "name", "must match"),
        ("start_urls: [http://a.example/]\n", "name", "is required"),
        ("name: x\nstart_urls: [ftp://a.example/]\n", "start_urls", "is not an http(s) URL"),
        ("name: x\nstart_urls: [http://a.example/]\nmax_section_pages: 0\n", "max_section_pages", "at least 1"),
        ("name: x\nstart_urls: [http://a.example/]\nschedule: 'every hour'\n", "schedule", "5-field cron"),
    ],
)
def test_invalid_config_names_key_and_problem(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_site_config(path)
    message = str(info.value)
    assert str(path) in message and f"'{key}'" in message and problem in message


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nstart_urls: [http://a.example/\n  bad: : :\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_site_config(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_site_config(write(tmp_path, "- just\n- a list\n"))


def test_cli_exit_2_one_paragraph_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "name: x\nstart_urls: [http://a.example/]\nbogus: 1\n")
    assert main(["crawl", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "bogus" in err and str(path) in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_missing_file_exit_2_as_a_process(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", str(missing)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "file not found" in proc.stderr and str(missing) in proc.stderr
    assert "Traceback" not in proc.stderr


BASE = "start_urls: [http://a.example/]\n"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('name: "abc\\n"\n' + BASE, "name", "must match"),
        ("name: " + "a" * 101 + "\n" + BASE, "name", "at most 100 characters"),
        ("name: x\n" + BASE + "download_delay: .inf\n", "download_delay", "from 0 to 3600"),
        ("name: x\n" + BASE + "download_delay: .nan\n", "download_delay", "from 0 to 3600"),
        ("name: x\n" + BASE + "download_delay: -.inf\n", "download_delay", "from 0 to 3600"),
        ("name: x\n" + BASE + "download_delay: 1" + "0" * 400 + "\n", "download_delay", "from 0 to 3600"),
        ("name: x\n" + BASE + "concurrency: 100000\n", "concurrency", "at most 100"),
        ("name: x\n" + BASE + "max_section_pages: 99999999999\n", "max_section_pages", "at most 10000"),
        ("name: x\n" + BASE + "name: y\n", "name", "appears twice (lines 1 and 3)"),
        ("name: x\nstart_urls: ['http://[::1/']\n", "start_urls", "is not an http(s) URL"),
        ("name: x\nstart_urls: ['http://a.example:99999/']\n", "start_urls", "is not an http(s) URL"),
        ('name: x\nstart_urls: ["http://a.example/\\n"]\n', "start_urls", "is not an http(s) URL"),
        ("name: x\n" + BASE + "allowed_domains: ['a.example:8080']\n", "allowed_domains", "is not a host name"),
        ("name: x\n" + BASE + "allowed_domains: ['']\n", "allowed_domains", "is not a host name"),
    ],
)
def test_hostile_values_name_the_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_site_config(path)
    assert info.value.key == key and problem in str(info.value), str(info.value)


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    """The "billion laughs": nine nested aliases would expand to 10⁹ list items."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    path = write(tmp_path, "\n".join(lines) + "\nname: x\n" + BASE)
    with pytest.raises(ConfigError, match="alias at line 2; aliases are not allowed"):
        load_site_config(path)


def test_config_larger_than_1_mib_is_refused_unread(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\n" + BASE + "exclude_patterns:\n" + "  - 'a'\n" * 200_000)
    with pytest.raises(ConfigError, match="is larger than 1024 KiB"):
        load_site_config(path)
    with pytest.raises(ConfigError, match="is larger than 1024 KiB"):
        load_site_config("/dev/zero")  # endless: only the first MiB and a byte are read


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: x\n" + BASE + "schedule: " + "[" * 5000 + "\n", "nested too deeply"),
        ("name: x\n" + BASE + "schedule: 2025-02-30\n", "cannot represent"),
        ("name: x\n" + BASE + "? [a, b]\n: 1\n", "list or mapping as a key"),
        ("name: x\n" + BASE + "feeds: !!python/object:os.system []\n", "not valid YAML"),
    ],
)
def test_yaml_oddities_are_config_errors(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        load_site_config(write(tmp_path, text))


def test_cli_inf_delay_exit_2_names_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "name: x\n" + BASE + "download_delay: .inf\n")
    assert main(["crawl", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "'download_delay'" in err and len(err.strip().splitlines()) == 1


# --- Property-based: whatever the file holds, the loader answers with a SiteConfig or a
# one-line ConfigError, never another exception.

_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
_keys = st.sampled_from(
    ["name", "start_urls", "allowed_domains", "feeds", "sitemaps", "max_section_pages",
     "article_patterns", "exclude_patterns", "download_delay", "concurrency", "autothrottle",
     "allow_private_addresses", "schedule"]
) | st.text(max_size=12)
_plausible = st.fixed_dictionaries(
    {"name": st.from_regex(r"[a-z0-9_-]{1,12}", fullmatch=True) | _scalars,
     "start_urls": st.lists(st.sampled_from(["http://a.example/", "https://b.example/x", "ftp://c/",
                                             "http://[::1/", "http:///", ""]) | _scalars, max_size=3)},
    optional={"x": _values},
).map(lambda d: {**d, **({} if "x" not in d else {})})
_documents = st.dictionaries(_keys, _values, max_size=8) | _plausible | _values

_YAML_ALPHABET = st.sampled_from(list(":-[]{}&*!|>'\"#%@`,? \n\t\\.0e") + ["\x00", "\ufeff", "é", ".inf", ".nan", "&a", "*a", "<<"])


def _load_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "site.yaml")
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            site = load_site_config(path)
        except ConfigError as exc:
            assert "\n" not in str(exc), str(exc)
            return
        assert isinstance(site, SiteConfig) and site.name and site.start_urls
        assert 0 <= site.download_delay <= 3600


@settings(max_examples=300, deadline=None)
@given(_documents)
def test_random_documents_give_a_config_or_a_config_error(document: Any) -> None:
    _load_text(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(GOOD)), st.integers(0, 3), _YAML_ALPHABET), max_size=6))
def test_mutated_config_gives_a_config_or_a_config_error(edits: list[tuple[int, int, str]]) -> None:
    text = GOOD
    for position, cut, insert in edits:
        text = text[:position] + insert + text[position + cut:]
    _load_text(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_gives_a_config_or_a_config_error(text: str) -> None:
    _load_text(text)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=8))
def test_random_dicts_give_a_config_or_a_config_error(data: dict[Any, Any]) -> None:
    try:
        site_config_from_dict({"name": "x", "start_urls": ["http://a.example/"], **data})
    except ConfigError as exc:
        assert "\n" not in str(exc)
