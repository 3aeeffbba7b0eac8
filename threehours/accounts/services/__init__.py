"""Account services: phone-code login, e-mail accounts, API tokens, real name, phone binding.

Invariants guarded here:
- an SMS code is valid for SMS_CODE_TTL_SECONDS, used at most once, and dies after
  SMS_CODE_MAX_WRONG wrong tries; only its HMAC is stored;
- a phone gets a new code at most every SMS_RESEND_SECONDS and at most SMS_DAILY_CAP_PER_PHONE a
  local day; an IP at most SMS_DAILY_CAP_PER_IP a day (test phones are exempt from both, never
  from the wrong-try limit);
- one account per phone, per e-mail address and per ID number (database constraints);
- ID numbers are stored only encrypted, with a blind index for uniqueness;
- an e-mail account is locked for LOGIN_LOCKOUT_SECONDS after LOGIN_MAX_FAILURES wrong passwords.
Refusals that must still record something (a wrong try, a failed log-in) commit that record and
raise after the transaction.
"""

from __future__ import annotations

from .closing import (
    closing_cancel,
    closing_cancel_login,
    login_refusal,
)
from .email import (
    EMAIL_VERIFY_SALT,
    email_account_register,
    email_login,
    email_verification_link,
    email_verification_resend,
    email_verify,
    password_reset_confirm,
    password_reset_request,
    password_reset_user,
)
from .phone import (
    phone_bind,
    phone_bind_send,
    phone_clean,
    phone_login,
    sms_code_send,
)
from .policies import (
    policy_draft,
    policy_draft_save,
    policy_publish,
)
from .real_name import (
    real_name_set,
)
from .standing import (
    account_disable,
    account_enable,
)
from .tokens import (
    TOKEN_PREFIX,
    TOKEN_USED_EVERY,
    TOKEN_USED_KEY,
    sign_out_everywhere,
    token_authenticate,
    token_issue,
    token_revoke,
    token_usage_flush,
)

__all__ = [
    "policy_draft",
    "policy_draft_save",
    "policy_publish",
    "closing_cancel",
    "closing_cancel_login",
    "login_refusal",
    "phone_clean",
    "sms_code_send",
    "phone_login",
    "phone_bind_send",
    "phone_bind",
    "TOKEN_PREFIX",
    "token_issue",
    "TOKEN_USED_KEY",
    "TOKEN_USED_EVERY",
    "token_authenticate",
    "token_usage_flush",
    "token_revoke",
    "sign_out_everywhere",
    "EMAIL_VERIFY_SALT",
    "email_verification_link",
    "email_account_register",
    "email_verification_resend",
    "email_verify",
    "email_login",
    "password_reset_request",
    "password_reset_user",
    "password_reset_confirm",
    "real_name_set",
    "account_disable",
    "account_enable",
]
