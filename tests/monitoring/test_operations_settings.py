"""Settings for running Tend for others come from the environment, with safe defaults."""

from __future__ import annotations

from webapp.config import load_config

NAMES = ("REGISTRATION_OPEN", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL",
         "LOG_FORMAT", "METRICS_TOKEN", "RETENTION_DELIVERY_DAYS", "TEND_EMBEDDED_DISPATCHER",
         "HEALTH_EXPECT_DISPATCHER", "SECRET_KEY")


def settings(monkeypatch, tmp_path, **env) -> dict:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_config(tmp_path)


def test_defaults_send_no_mail_expose_no_metrics_and_keep_records_30_days_and_a_year(
    monkeypatch, tmp_path
):
    config = settings(monkeypatch, tmp_path)
    assert config["MAIL_SERVER"] is None and config["METRICS_TOKEN"] is None
    assert (config["REGISTRATION_MODE"], config["REGISTRATION_OPEN"]) == ("open", True)
    assert config["RETENTION_DELIVERY_DAYS"] == 30
    assert config["RETENTION_SECURITY_LOG_DAYS"] == 365
    assert config["PASSWORD_RESET_MINUTES"] == 30
    assert config["LOG_FORMAT"] == "text" and config["HEALTH_EXPECT_DISPATCHER"] is False


def test_invite_mode_closes_open_sign_up(monkeypatch, tmp_path):
    config = settings(monkeypatch, tmp_path, REGISTRATION_OPEN="invite")
    assert (config["REGISTRATION_MODE"], config["REGISTRATION_OPEN"]) == ("invite", False)
    config = settings(monkeypatch, tmp_path, REGISTRATION_OPEN="0")
    assert (config["REGISTRATION_MODE"], config["REGISTRATION_OPEN"]) == ("closed", False)


def test_mail_port_465_means_tls_from_the_start(monkeypatch, tmp_path):
    config = settings(monkeypatch, tmp_path, MAIL_SERVER="smtp.example.org", MAIL_PORT="465")
    assert config["MAIL_USE_SSL"] is True and config["MAIL_USE_TLS"] is False
    config = settings(monkeypatch, tmp_path, MAIL_SERVER="smtp.example.org")
    assert config["MAIL_PORT"] == 587 and config["MAIL_USE_TLS"] is True


def test_json_logs_and_an_expected_dispatcher_with_the_embedded_one(monkeypatch, tmp_path):
    config = settings(monkeypatch, tmp_path, LOG_FORMAT="JSON", TEND_EMBEDDED_DISPATCHER="1")
    assert config["LOG_FORMAT"] == "json" and config["HEALTH_EXPECT_DISPATCHER"] is True
