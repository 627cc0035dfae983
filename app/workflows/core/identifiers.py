"""Identifiers of the domain, validated and normalised: 身份证号, mobile, firm code.

All of them are strings: leading zeros and a final X matter.
"""
import datetime as dt
import re
import unicodedata

from app.workflows.core.errors import ValidationError

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
FIRM_CODE_RE = re.compile(r"^\d{8}$")
CERT_RE = re.compile(r"^\d{6,20}$")


def normalize_text(value) -> str:
    """Full-width digits, letters and spaces to half-width (NFKC), then stripped."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def clean_name(value) -> str:
    """Names keep their full-width punctuation （…）; only spaces are tidied."""
    if value is None:
        return ""
    return " ".join(str(value).replace("\u3000", " ").split())


def id_check_char(first17: str) -> str:
    """GB 11643 check character for the first 17 digits of a 身份证号."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def birth_date_from_id(id_number: str) -> dt.date | None:
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def gender_from_id(id_number: str) -> str:
    """The 17th digit: odd for men, even for women."""
    return "男" if int(id_number[16]) % 2 == 1 else "女"


def validate_id_number(value, field: str = "身份证号") -> str:
    """Return the normalised 18-character 身份证号 or raise ValidationError."""
    number = normalize_text(value).upper().replace(" ", "")
    if len(number) != 18 or not number[:17].isdigit() or not (
        number[17].isdigit() or number[17] == "X"
    ):
        raise ValidationError(f"{field}应为18位，前17位为数字，末位为数字或X", field)
    if birth_date_from_id(number) is None:
        raise ValidationError(f"{field}中的出生日期无效", field)
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(f"{field}校验位不正确，请核对", field)
    return number


def validate_mobile(value, field: str = "手机号") -> str:
    """Return the normalised 11-digit mainland mobile number or raise ValidationError."""
    number = normalize_text(value).replace(" ", "").replace("-", "")
    if not MOBILE_RE.match(number):
        raise ValidationError(f"{field}应为11位中国大陆手机号码", field)
    return number


def validate_firm_code(value, field: str = "事务所编号") -> str:
    code = normalize_text(value).replace(" ", "")
    if not FIRM_CODE_RE.match(code):
        raise ValidationError(f"{field}应为8位数字", field)
    return code


def validate_cert_number(value, field: str = "证书编号") -> str:
    number = normalize_text(value).replace(" ", "")
    if not CERT_RE.match(number):
        raise ValidationError(f"{field}应为6至20位数字", field)
    return number
