"""Accounts: sign-ins, initial passwords and first login (logins.py), one-time codes
(codes.py), 找回密码 and 重置密码 (recovery.py), 设置 (settings.py)."""
from app.workflows.accounts.logins import (  # noqa: F401
    MIN_PASSWORD_LENGTH, MOBILE_RULE, change_password, check_password_policy,
    complete_first_login, create_account, derived_initial_password, firm_admin_initial_password,
    is_initial_password, LOGIN_IDENTIFIER, login_identifier, resolve_login,
    needs_contact_info, needs_first_login, provision_firm_admin,
    refusal_of_inactive, is_managed_cpa, managed_cpa_initial_password, needs_own_mobile,
    asks_own_mobile,
    provision_managed_cpa,
    reset_to_initial_password, set_new_password, staff_login, verify_password)
