"""The institute this deployment serves: its name, short name, address and phone.

They come from configuration (config.py `INSTITUTE_*`, each overridable by an environment
variable; the Beijing values are the defaults and the demo's), so the same code serves
another province. Code, messages and PDFs call `identity()`; templates read `institute`
(a context processor, app/views/core/__init__.py)."""
import dataclasses

from flask import current_app, has_app_context

from config import Config

KEYS = {"name": "INSTITUTE_NAME", "short_name": "INSTITUTE_SHORT_NAME",
        "abbreviation": "INSTITUTE_ABBREVIATION", "address": "INSTITUTE_ADDRESS",
        "service_desk": "INSTITUTE_SERVICE_DESK", "phone": "INSTITUTE_PHONE",
        "contact": "INSTITUTE_CONTACT"}


@dataclasses.dataclass(frozen=True)
class Institute:
    name: str  # 北京注册会计师协会
    short_name: str  # 北京注协 (the SMS signature 【北京注协】)
    abbreviation: str  # 北注协 (请等待北注协审核)
    address: str
    service_desk: str  # where cases are handled on site: 北京注协会员服务部602
    phone: str
    contact: str

    @property
    def sms_prefix(self) -> str:
        return f"【{self.short_name}】"


def identity() -> Institute:
    """The configured institute (outside an app: config.py's defaults)."""
    if has_app_context():
        config = current_app.config
    else:
        config = {key: getattr(Config, key) for key in KEYS.values()}
    return Institute(**{field: config[key] for field, key in KEYS.items()})
