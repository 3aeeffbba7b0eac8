from __future__ import annotations

import datetime as dt

from threehours.core.timeutil import local_today


def activity_data(**overrides) -> dict:
    start = local_today() + dt.timedelta(days=10)
    data = {
        "title": "社区助老探访",
        "description_html": "<p>陪伴独居老人聊天、读报。</p>",
        "start_date": start.isoformat(),
        "end_date": start.isoformat(),
        "registration_deadline": None,
        "checkin_time": "13:00",
        "checkout_time": "14:00",
        "places": 20,
        "fee_yuan": 0,
        "fee_note": "",
        "skill_requirement": "",
        "other_requirement": "",
        "type": "team",
        "form": "offline_community_service",
        "field": "elderly",
        "regions": ["community"],
        "beneficiaries": ["elderly"],
        "skills": [],
        "incentives": [],
        "address": "漕溪北路 88 号",
        "district": "310104",
        "lat": 31.188,
        "lng": 121.437,
        "checkin_radius_m": 500,
        "contact_name": "王老师",
        "contact_phone": "13800138000",
        "questions": [{"text": "所在城市", "kind": "text", "required": True}],
    }
    data.update(overrides)
    return data
