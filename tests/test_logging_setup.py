import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from bot.platform.logging_setup import REDACTED, RedactingFilter, configure_logging
from bot.platform.settings import ConfigError, LoggingSettings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
URL = f"https://api.telegram.org/bot{TOKEN}/getMe"


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    chatty = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        for added in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(added)
    root.setLevel(level)
    for name, old in chatty.items():
        logging.getLogger(name).setLevel(old)


def _configure(tmp_path: Path, level: str = "INFO") -> Path:
    log_file = tmp_path / "jianfu.log"
    configure_logging(LoggingSettings(level=level, file=log_file), [TOKEN])
    return log_file


def _written(log_file: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return log_file.read_text(encoding="utf-8"), capsys.readouterr().err


def test_a_url_with_the_token_is_redacted_in_file_and_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = _configure(tmp_path)
    logging.getLogger("jianfu.test").warning('HTTP Request: POST %s "HTTP/1.1 200 OK"', URL)
    for output in _written(log_file, capsys):
        assert TOKEN not in output
        assert f"https://api.telegram.org/bot{REDACTED}/getMe" in output


def test_the_token_is_redacted_from_exception_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = _configure(tmp_path)
    try:
        raise RuntimeError(f"cannot reach {URL}")
    except RuntimeError:
        logging.getLogger("jianfu.test").exception("request failed")
    for output in _written(log_file, capsys):
        assert "RuntimeError: cannot reach" in output
        assert TOKEN not in output


def test_the_url_encoded_token_is_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = _configure(tmp_path)
    logging.getLogger("jianfu.test").error("redirect to %s", quote(URL, safe=""))
    for output in _written(log_file, capsys):
        assert quote(TOKEN, safe="") not in output
        assert REDACTED in output


def test_arguments_that_do_not_fit_are_still_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = _configure(tmp_path)
    logging.getLogger("jianfu.test").error("one placeholder %s %s", URL)
    for output in _written(log_file, capsys):
        assert "one placeholder" in output
        assert TOKEN not in output


def test_httpx_request_lines_are_redacted_when_debugging(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = _configure(tmp_path, level="DEBUG")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    with httpx.Client(transport=transport) as client:
        client.post(URL)
    for output in _written(log_file, capsys):
        assert "HTTP Request: POST" in output
        assert TOKEN not in output


def test_httpx_request_lines_are_quiet_at_info(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = _configure(tmp_path)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    with httpx.Client(transport=transport) as client:
        client.post(URL)
    logging.getLogger("jianfu.test").info("started")
    file_text, err = _written(log_file, capsys)
    assert "started" in file_text
    assert "HTTP Request" not in file_text + err


def test_handlers_already_on_the_root_are_redacted_too(caplog: pytest.LogCaptureFixture) -> None:
    configure_logging(LoggingSettings(), [TOKEN])
    with caplog.at_level(logging.INFO):
        logging.getLogger("jianfu.test").info("polling %s", URL)
    assert TOKEN not in caplog.text
    assert REDACTED in caplog.text


def test_configuring_again_replaces_the_handlers(tmp_path: Path) -> None:
    _configure(tmp_path)
    _configure(tmp_path)
    ours = [h for h in logging.getLogger().handlers if h.get_name() == "jianfu"]
    assert len(ours) == 2  # standard error and the file, once each
    assert logging.getLogger().level == logging.INFO


def test_an_unopenable_log_file_is_a_config_error(tmp_path: Path) -> None:
    settings = LoggingSettings(file=tmp_path / "missing-dir" / "jianfu.log")
    with pytest.raises(ConfigError, match=r"^logging\.file: cannot open .*missing-dir"):
        configure_logging(settings, [TOKEN])
