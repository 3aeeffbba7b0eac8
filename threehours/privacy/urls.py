"""我的 → 个人信息与隐私 (issue #16 §§2–3): the data download and closing the account."""

from __future__ import annotations

app_name = "privacy"

urlpatterns: list = []
