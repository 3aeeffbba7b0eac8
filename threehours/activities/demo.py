"""Demo activities of the demo organisation (idempotent): several days, cities, types and
forms, online and offline, one multi-day, one parent-child, one already finished."""

from __future__ import annotations

import datetime as dt

from threehours.core.timeutil import local_today
from threehours.orgs.models import Organisation

from . import services
from .models import Activity

DEMO = [
    # title, days from today, length, times, places, type, form, field, district, lat, lng, fee,
    # address: real public places, with their GCJ-02 coordinates (as a Chinese map gives them)
    (
        "徐汇滨江垃圾分类宣传",
        3,
        1,
        ("09:00", "12:00"),
        30,
        "team",
        "offline_campaign",
        "environment",
        "310104",
        31.1716,
        121.4618,
        0,
        "龙腾大道 3398 号 龙美术馆（西岸馆）前广场",
    ),
    (
        "社区独居老人探访",
        5,
        1,
        ("14:00", "16:30"),
        12,
        "other",
        "offline_community_service",
        "elderly",
        "310104",
        31.1926,
        121.4406,
        0,
        "肇嘉浜路 889 号 徐家汇公园南门集合",
    ),
    (
        "亲子绘本共读：图书馆志愿日",
        7,
        1,
        ("09:30", "11:30"),
        20,
        "parent_child",
        "offline_community_service",
        "education",
        "310104",
        31.2072,
        121.4447,
        0,
        "淮海中路 1555 号 上海图书馆",
    ),
    (
        "乡村小学暑期支教（三天）",
        12,
        3,
        ("08:30", "16:30"),
        8,
        "team",
        "offline_teaching",
        "education",
        "330110",
        30.3950,
        119.8730,
        50,
        "径山镇 杭州市余杭区径山中心小学",
    ),
    (
        "线上远程英语辅导",
        2,
        1,
        ("19:00", "20:00"),
        50,
        "other",
        "online_remote_teaching",
        "education",
        "",
        None,
        None,
        0,
        "",
    ),
    (
        "医院导诊志愿服务",
        4,
        1,
        ("08:00", "12:00"),
        10,
        "other",
        "offline_community_service",
        "health",
        "440305",
        22.5367,
        113.9204,
        0,
        "桃园路 89 号 南山区人民医院门诊大厅",
    ),
    (
        "流浪猫救助站清洁日",
        -3,
        1,
        ("10:00", "15:00"),
        15,
        "team",
        "offline_other",
        "animal",
        "310104",
        31.1716,
        121.4259,
        0,
        "桂林路 128 号 桂林公园东门集合",
    ),
]


def load() -> list[str]:
    """Each activity is created through the real services (each its own transaction)."""
    org = Organisation.objects.filter(name="阳光社区服务中心").first()
    if org is None or Activity.objects.filter(organisation=org).exists():
        return []
    today = local_today()
    for title, offset, days, (
        checkin,
        checkout,
    ), places, type_, form, field, district, lat, lng, fee, address in DEMO:
        start = today + dt.timedelta(days=max(offset, 1))
        data = {
            "title": title,
            "description_html": f"<p>{title}：欢迎报名参加！</p>",
            "start_date": start,
            "end_date": start + dt.timedelta(days=days - 1),
            "checkin_time": checkin,
            "checkout_time": checkout,
            "places": places,
            "fee_yuan": fee,
            "fee_note": "现场收取餐费" if fee else "",
            "type": type_,
            "form": form,
            "field": field,
            "beneficiaries": [],
            "address": address,
            "district": district,
            "lat": lat,
            "lng": lng,
            "checkin_radius_m": 500,
            "contact_name": "王老师",
            "contact_phone": "021-64001234",
            "questions": [{"text": "微信号", "kind": "text", "required": False}],
        }
        activity = services.activity_create(org=org, user=org.applicant, data=data)
        services.activity_publish(activity=activity, user=org.applicant)
        if offset < 0:  # a finished one: move its dates into the past after publishing
            past = today + dt.timedelta(days=offset)
            Activity.objects.filter(pk=activity.pk).update(
                start_date=past, end_date=past, registration_deadline=past
            )
    return []
