from libs.config import ServiceSettings


class GatewaySettings(ServiceSettings, frozen=True, kw_only=True):
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    max_body_bytes: int = 1_048_576
    login_max_failures: int = 5
    login_window_seconds: int = 900
    admin_username: str = ""
    admin_password: str = ""
