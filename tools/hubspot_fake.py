#!/usr/bin/env python3
"""A loopback fake of the HubSpot CRM API for stageguard's tests and
benchmark (Python 3 stdlib).  Built from the public documentation
(docs/connectors/hubspot.md cites the pages), not from the plugin.
TYPE below is deals, emails, calls, meetings, notes, tasks or 2-9000001
(HubSpot's singular names and 0-N ids are taken too):

  POST /oauth/v1/token                      OAuth refresh (form body)
  GET  /crm/v3/pipelines/deals              pipelines with their stages
  GET  /crm/v3/owners?limit&after           owners, paged (limit <= 100)
  GET  /crm/v3/objects/deals?limit&after&properties&propertiesWithHistory
       &archived                            deals, paged: limit <= 100,
                                            <= 50 with property history
                                            (a 400 VALIDATION_ERROR past
                                            it); history newest first;
                                            archived=true lists only the
                                            archived ones (archivedAt)
  GET  /crm/v3/objects/{emails,calls,meetings,notes,tasks,2-9000001}
       ?limit&after&properties&associations=deals&archived
                                            activities and the custom
                                            evidence object, paged, with
                                            their deal associations
  POST /crm/v3/objects/TYPE/search          filterGroups (ORed; filters
                                            ANDed: EQ NEQ GT GTE LT LTE
                                            BETWEEN IN NOT_IN HAS_PROPERTY
                                            NOT_HAS_PROPERTY CONTAINS_TOKEN
                                            NOT_CONTAINS_TOKEN; dates as
                                            epoch ms), one sort (ties by
                                            hs_object_id), limit <= 200
                                            (and --max-page), after an
                                            offset; 400 past --search-cap
                                            and no cursor reaching it;
                                            never archived records
  POST /crm/v3/objects/TYPE/batch/read?archived
                                            records by id (<= 100 inputs,
                                            <= 50 with propertiesWith-
                                            History); 207 OBJECT_NOT_FOUND
                                            naming missing or archived ids;
                                            results in no set order
  POST /crm/v3/objects/tasks/batch/create  tasks created (<= 100 inputs;
                                            201, results in no set order)
  PATCH /crm/v3/objects/tasks/{id}          a person updates a task
  POST /crm/v4/associations/FROM/TO/batch/read
                                            deals to an activity kind or
                                            the evidence object and back
                                            (<= 1000 inputs); 207 with
                                            NO_ASSOCIATIONS_FOUND for an
                                            input without any

Every record keeps createdAt, updatedAt and the properties hs_object_id,
createdate and hs_lastmodifieddate (ISO UTC with milliseconds): deals
from their history, records loaded from the CSV files 2026-01-01, tasks
made or changed through the API the time of it.

It serves a folder in stageguard's canonical CSV layout (--data) as a
HubSpot portal: opportunities become deals (their stage history the
`dealstage` property history, field history that of amount, closedate
and hs_next_step), owners become owners, activities become engagements
(the party told by the documented signals: email and call direction, a
meeting booked through the public meetings link, an automation's note),
evidence becomes records of a custom object "2-9000001" associated with
the deal (or, with --evidence-as-properties, deal properties whose
history's source says who gave it); the pipeline and its stages come
from a stageguard rules config (--config).

Every answer carries the X-HubSpot-RateLimit-* headers; more than
--rate requests in any 10 seconds get HubSpot's 429 TEN_SECONDLY_ROLLING
body with Retry-After.

Admin switches (never logged, never rate limited; 200 {} or a 400/404
with a message), so a test can read the fake or change the portal
between two pulls:

  GET  /_fake/log      every API request: method, path, query and, for
                       a JSON body, the parsed body
  GET  /_fake/stats    the portal's sizes, the requests served and how
                       many were refused by the rate limit
  POST /_fake/fault    {"path": PREFIX, "kind": K, "count": N}: K is 500,
                       502html (a CDN's HTML page), 429, daily (429
                       policy DAILY), truncate (a body cut in the
                       middle), garbage (a whole answer that is not
                       JSON), expire (the access token expires now);
                       path "/_slow_create" makes the next batch create
                       answer 2 s late; "skip": M lets the first M
                       matching requests through unharmed
  POST /_fake/clock    {"advance_s": S}: the portal's clock (Date
                       headers, the time of changes) moves on S seconds
  POST /_fake/deal     {"id", "pipeline"?, "stage"?, "properties"?,
                       "at"?}: a deal made (the portal's pipeline, its
                       first stage, createdate at) or changed; a new
                       value of dealstage, amount, closedate,
                       hs_next_step or any property with a history gets
                       a history entry at `at`; hs_lastmodifieddate and
                       updatedAt become `at` (default now)
  POST /_fake/archive  {"type": "deals" (default) or a kind, "id"}: the
                       record archived now, nothing else touched
  POST /_fake/object   {"type": kind, "id", "properties", "deals"?,
                       "at"?}: an activity or evidence record made or
                       its properties merged; "deals" replaces its
                       associations; hs_lastmodifieddate = at (now)

It prints "PORT <n>" and serves until stdin closes.
"""

import argparse
import csv
import functools
import json
import os
import re
import secrets
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
STATE = {"clock": 0.0, "log": [], "faults": [], "sent": [], "tokens": {},
         "rate_limited": 0}
ARGS = None
PORTAL = {}

HISTORY_FIELDS = {"amount": "amount", "closedate": "close_date",
                  "hs_next_step": "next_step"}
KINDS = ("emails", "calls", "meetings", "notes", "tasks", "2-9000001")
TYPES = ("deals",) + KINDS
# The names HubSpot also takes for an object type in a path.
ALIASES = {"deal": "deals", "0-3": "deals", "email": "emails",
           "0-49": "emails", "call": "calls", "0-48": "calls",
           "meeting": "meetings", "0-47": "meetings", "note": "notes",
           "0-46": "notes", "task": "tasks", "0-27": "tasks"}
SINGULAR = {"deals": "deal", "emails": "email", "calls": "call",
            "meetings": "meeting", "notes": "note", "tasks": "task",
            "2-9000001": "2-9000001"}
# What records read from the CSV files say of their own times (the
# folder says nothing of when an engagement was logged or changed).
LOADED_AT = "2026-01-01T00:00:00.000Z"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Search compares these as epoch milliseconds, the form its filters take.
DATE_PROPS = {"hs_lastmodifieddate", "createdate", "closedate",
              "hs_timestamp"}
# Search answers these besides the properties asked for; asked for none,
# a type's default set.
SEARCH_ALWAYS = ("hs_object_id", "hs_lastmodifieddate", "createdate")
SEARCH_DEFAULTS = {"deals": ("amount", "closedate", "createdate",
                             "dealname", "dealstage", "hs_lastmodifieddate",
                             "hs_object_id", "pipeline")}
# Association type ids by direction: HubSpot's own between deals and
# engagements (deal to call 205, email 209, meeting 211, note 213, task
# 215; the reverse one more), the portal's own (USER_DEFINED, ids made
# up here) for a custom object.
ASSOCIATION_TYPES = {
    ("deals", "calls"): ("HUBSPOT_DEFINED", 205),
    ("calls", "deals"): ("HUBSPOT_DEFINED", 206),
    ("deals", "emails"): ("HUBSPOT_DEFINED", 209),
    ("emails", "deals"): ("HUBSPOT_DEFINED", 210),
    ("deals", "meetings"): ("HUBSPOT_DEFINED", 211),
    ("meetings", "deals"): ("HUBSPOT_DEFINED", 212),
    ("deals", "notes"): ("HUBSPOT_DEFINED", 213),
    ("notes", "deals"): ("HUBSPOT_DEFINED", 214),
    ("deals", "tasks"): ("HUBSPOT_DEFINED", 215),
    ("tasks", "deals"): ("HUBSPOT_DEFINED", 216),
    ("deals", "2-9000001"): ("USER_DEFINED", 1001),
    ("2-9000001", "deals"): ("USER_DEFINED", 1002)}


class Refused(Exception):
    """A request answered with a HubSpot error body instead."""

    def __init__(self, status, message, category="VALIDATION_ERROR"):
        super().__init__(message)
        self.status, self.message, self.category = status, message, category


def iso_ms(text):
    """A canonical time as HubSpot writes it: UTC with milliseconds."""
    if not text:
        return None
    if len(text) == 10:
        text += "T00:00:00Z"
    t = datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def format_ms(t):
    """A datetime as HubSpot writes it: UTC, milliseconds, Z."""
    t = t.astimezone(timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (
        t.microsecond // 1000)


def portal_now():
    """The portal's clock: the real one moved on by POST /_fake/clock, so
    a test can put minutes between a pull and the changes after it."""
    return datetime.fromtimestamp(time.time() + STATE["clock"],
                                  timezone.utc)


def now_ms():
    return format_ms(portal_now())


def parse_time(text):
    """A time as clients send it, epoch milliseconds or ISO 8601 (a
    date, any offset, any fraction); None when it is neither."""
    if text is None:
        return None
    text = str(text).strip()
    if re.fullmatch(r"-?\d+", text):
        return EPOCH + timedelta(milliseconds=int(text))
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


@functools.lru_cache(maxsize=1 << 16)
def epoch_ms(text):
    """Cached: a search parses every record's dates at each page."""
    t = parse_time(text)
    return None if t is None else (t - EPOCH) // timedelta(milliseconds=1)


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def activity_properties(a):
    """An activity of the canonical layout as a HubSpot engagement, its
    party carried by the signals HubSpot's documentation names."""
    when = iso_ms(a["occurred_at"])
    party, kind = a["party"], a["type"]
    if kind == "email":
        return "emails", {
            "hs_timestamp": when, "hs_email_subject": a["subject"],
            "hs_email_direction": "INCOMING_EMAIL" if party == "buyer"
            else "EMAIL", "hs_email_from_email": a["actor"]}
    if kind == "call":
        return "calls", {
            "hs_timestamp": when, "hs_call_title": a["subject"],
            "hs_call_direction": "INBOUND" if party == "buyer"
            else "OUTBOUND"}
    if kind == "meeting":
        return "meetings", {
            "hs_timestamp": when, "hs_meeting_title": a["subject"],
            "hs_meeting_source": "MEETINGS_PUBLIC" if party == "buyer"
            else "CRM_UI"}
    if kind in ("note", "task"):
        subject = "hs_note_body" if kind == "note" else "hs_task_subject"
        return kind + "s", {
            "hs_timestamp": when, subject: a["subject"],
            "hs_object_source": "AUTOMATION" if party == "system"
            else "CRM_UI"}
    return None, None


def new_object(object_id, props, deals, at):
    """An engagement or evidence record, with the times every HubSpot
    record carries in its properties too."""
    props = dict(props, hs_object_id=object_id, createdate=at,
                 hs_lastmodifieddate=at)
    return {"id": object_id, "properties": props, "deals": list(deals),
            "createdAt": at, "updatedAt": at, "archived": False}


def load_portal(data, config):
    with open(config, encoding="utf-8") as f:
        rules = json.load(f)
    pipeline = (rules.get("pipeline") or {}).get("id", "default")
    stages = []
    for i, s in enumerate(rules["stages"]):
        closed = bool(s.get("closed"))
        prob = "1.0" if s.get("won") else ("0.0" if closed else
                                            "%.1f" % (0.1 + i * 0.1))
        stages.append({"id": s["id"], "label": s.get("label", s["id"]),
                       "displayOrder": i, "archived": False,
                       "metadata": {"isClosed": "true" if closed
                                    else "false", "probability": prob}})
    history = {}
    for e in read_csv(os.path.join(data, "stage_history.csv")):
        history.setdefault(e["opportunity_id"], []).append(e)
    changes = {}
    for c in read_csv(os.path.join(data, "field_history.csv")):
        changes.setdefault(c["opportunity_id"], []).append(c)
    deals = []
    for o in read_csv(os.path.join(data, "opportunities.csv")):
        props = {"dealname": o["name"], "pipeline": o["pipeline"] or None,
                 "dealstage": o["stage"], "hubspot_owner_id":
                 o["owner_id"] or None, "amount": o["amount"] or None,
                 "deal_currency_code": o["currency"] or None,
                 "closedate": iso_ms(o["close_date"]),
                 "createdate": iso_ms(o["created_at"]),
                 "hs_next_step": o["next_step"] or None,
                 "hs_manual_forecast_category":
                 o["forecast_category"] or None,
                 "hs_object_id": o["id"]}
        fixed = {"id", "name", "pipeline", "stage", "owner_id", "amount",
                 "currency", "close_date", "forecast_category",
                 "created_at", "next_step", "next_step_date"}
        for k, v in o.items():
            if k not in fixed:
                props[k] = v or None
        if o.get("next_step_date"):
            props["next_step_date"] = o["next_step_date"]
        hist = {"dealstage": []}
        for e in sorted(history.get(o["id"], []),
                        key=lambda e: e["changed_at"]):
            user = e["changed_by"]
            hist["dealstage"].append({
                "value": e["to_stage"], "timestamp": iso_ms(e["changed_at"]),
                "sourceType": "CRM_UI", "sourceId": "userId:" + user,
                "updatedByUserId": user})
        for c in sorted(changes.get(o["id"], []),
                        key=lambda c: c["changed_at"]):
            # A custom property keeps its history under its own name.
            prop = {v: k for k, v in HISTORY_FIELDS.items()}.get(
                c["field"], c["field"])
            value, old = c["new_value"], c["old_value"]
            if prop in ("closedate", "next_step_date"):
                value, old = iso_ms(value), iso_ms(old)
            if prop not in hist and old:
                # HubSpot's history begins with the value the deal was
                # made with: the first change's old value, then.
                made = min(iso_ms(o["created_at"]) or iso_ms(c["changed_at"]),
                           iso_ms(c["changed_at"]))
                hist[prop] = [{"value": old, "timestamp": made,
                               "sourceType": "CRM_UI",
                               "sourceId": "userId:1"}]
            hist.setdefault(prop, []).append({
                "value": value, "timestamp": iso_ms(c["changed_at"]),
                "sourceType": "CRM_UI", "sourceId": "userId:1"})
        for entries in hist.values():
            entries.sort(key=lambda h: h["timestamp"], reverse=True)
        updated = max([h["timestamp"] for v in hist.values() for h in v] +
                      [props["createdate"] or "2020-01-01T00:00:00.000Z"])
        props["hs_lastmodifieddate"] = updated
        deals.append({"id": o["id"], "properties": props, "history": hist,
                      "createdAt": props["createdate"], "updatedAt": updated,
                      "archived": False})
    objects = {t: [] for t in KINDS}
    for a in read_csv(os.path.join(data, "activities.csv")):
        kind, props = activity_properties(a)
        if kind is None:
            continue
        objects[kind].append(new_object(a["id"], props,
                                        [a["opportunity_id"]], LOADED_AT))
    evidence = read_csv(os.path.join(data, "evidence.csv"))
    by_deal = {d["id"]: d for d in deals}
    for i, e in enumerate(evidence):
        if ARGS.evidence_as_properties:
            deal = by_deal.get(e["opportunity_id"])
            if deal is None:
                continue
            source = {"buyer": "FORM", "seller": "CRM_UI"}.get(e["party"],
                                                              "IMPORT")
            deal["properties"][e["criterion"]] = e["value"] or None
            deal["history"].setdefault(e["criterion"], []).insert(0, {
                "value": e["value"], "timestamp": iso_ms(e["observed_at"]),
                "sourceType": source, "sourceId": "x"})
            continue
        objects["2-9000001"].append(new_object(
            "ev%d" % (i + 1),
            {"criterion": e["criterion"], "value": e["value"],
             "party": e["party"], "observed_at": iso_ms(e["observed_at"]),
             "ref": e["ref"]}, [e["opportunity_id"]], LOADED_AT))
    owners = []
    for i, u in enumerate(read_csv(os.path.join(data, "owners.csv"))):
        first, _, last = u["name"].partition(" ")
        owner = {"id": u["id"], "email": u["email"], "firstName": first,
                 "lastName": last, "userId": 1000 + i, "type": "PERSON",
                 "archived": False, "teams": []}
        if u["team"]:
            owner["teams"].append({"id": "t-" + u["team"],
                                   "name": u["team"], "primary": True})
        owners.append(owner)
    PORTAL.update(objects=objects, pipeline=pipeline,
                  label=(rules.get("pipeline") or {}).get("label", "Sales"),
                  stages=stages, deals=deals, owners=owners)


# --- the portal's records (callers hold LOCK) ---

def object_type(name):
    """The type a path names, or None: HubSpot takes a type's plural,
    singular or 0-N id."""
    name = ALIASES.get(name.lower(), name.lower())
    return name if name in TYPES else None


def records(kind):
    return PORTAL["deals"] if kind == "deals" else PORTAL["objects"][kind]


def by_id(kind):
    return {r["id"]: r for r in records(kind)}


def archived_deals():
    return {d["id"] for d in PORTAL["deals"] if d["archived"]}


def shape(kind, rec, props, hist=(), with_deals=False, gone=()):
    """A record as the list and batch read endpoints answer it: the
    properties asked for (a deal only those it has, as before; an
    activity null for those it lacks), a deal's history newest first
    (copied: the portal may change while the answer is written), the
    live deals an activity is associated with."""
    have = rec["properties"]
    values = {p: have.get(p) for p in props
              if kind != "deals" or p in have}
    values["hs_object_id"] = rec["id"]
    out = {"id": rec["id"], "properties": values,
           "createdAt": rec["createdAt"], "updatedAt": rec["updatedAt"],
           "archived": rec["archived"]}
    if rec["archived"]:
        out["archivedAt"] = rec["archivedAt"]
    if hist and kind == "deals":
        out["propertiesWithHistory"] = {
            p: list(rec["history"].get(p, [])) for p in hist}
    deals = [d for d in rec.get("deals", []) if d not in gone]
    if with_deals and deals:
        out["associations"] = {"deals": {"results": [
            {"id": d, "type": kind.rstrip("s") + "_to_deal"}
            for d in deals]}}
    return out


def text_value(value):
    """A property value as HubSpot keeps it: a string, or null."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def set_deal_properties(deal, props, at):
    """Sets a deal's properties as a person would at `at`: a value that
    changes on a property the deal keeps history for (the stage, the
    HISTORY_FIELDS, any already with a history) becomes its newest
    history entry."""
    for name, value in props.items():
        old = deal["properties"].get(name)
        deal["properties"][name] = value
        keeps = (name == "dealstage" or name in HISTORY_FIELDS or
                 name in deal["history"])
        if not keeps or value == old:
            continue
        entries = deal["history"].setdefault(name, [])
        # First, then a stable sort: the newest first even when a test
        # gives an `at` older than the history or equal to its newest.
        entries.insert(0, {"value": value, "timestamp": at,
                           "sourceType": "CRM_UI", "sourceId": "userId:1",
                           "updatedByUserId": 1})
        entries.sort(key=lambda h: h["timestamp"] or "", reverse=True)


# --- search ---

def id_key(value):
    """hs_object_id order: integers by value, before other ids by text."""
    text = str(value)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def prop_value(rec, prop):
    return rec["id"] if prop == "hs_object_id" else \
        rec["properties"].get(prop)


def search_value(prop, value):
    """A value as search compares and sorts it: a date-time property in
    epoch milliseconds, hs_object_id by id_key, the rest as text; None
    when there is none (an empty string is no value either)."""
    if value is None or value == "":
        return None
    if prop in DATE_PROPS:
        return epoch_ms(str(value))
    if prop == "hs_object_id":
        return id_key(value)
    return str(value)


def filter_value(prop, value):
    """A filter's value, refused when a date-time property's is not a
    time (HubSpot answers 400)."""
    v = search_value(prop, value)
    if v is None:
        raise Refused(400, "a filter on %s needs a value" % prop)
    return v


def token_match(text, pattern):
    """CONTAINS_TOKEN: a whitespace-separated token of the value equals
    the pattern, in which * stands for any characters."""
    pattern = str(pattern or "")
    rx = re.compile(".*".join(re.escape(p) for p in pattern.split("*")))
    return any(rx.fullmatch(t) for t in str(text).split())


def matches(rec, f):
    prop, op = f.get("propertyName"), f.get("operator", "EQ")
    raw = prop_value(rec, prop)
    v = search_value(prop, raw)
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        return (v is not None) == (op == "HAS_PROPERTY")
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        hit = v is not None and token_match(raw, f.get("value"))
        return hit == (op == "CONTAINS_TOKEN")
    if op in ("IN", "NOT_IN"):
        hit = v in [filter_value(prop, x) for x in f.get("values") or []]
        return hit == (op == "IN")
    if op not in ("EQ", "NEQ", "GT", "GTE", "LT", "LTE", "BETWEEN"):
        raise Refused(400, "unknown operator %s" % op)
    want = filter_value(prop, f.get("value"))
    if op == "NEQ":
        return v != want
    if v is None:
        return False
    if op == "BETWEEN":
        return want <= v <= filter_value(prop, f.get("highValue"))
    return {"EQ": v == want, "GT": v > want, "GTE": v >= want,
            "LT": v < want, "LTE": v <= want}[op]


def filter_groups(req):
    """The request's groups (none: one that keeps everything), refused
    past the limits HubSpot set in 2024: 5 groups, 10 filters in one,
    25 in all."""
    groups = req.get("filterGroups") or [{"filters": []}]
    sizes = [len(g.get("filters") or []) for g in groups]
    if len(groups) > 5 or max(sizes) > 10 or sum(sizes) > 25:
        raise Refused(400, "too many filters: at most 5 groups, 10 "
                      "filters in a group, 25 in all")
    return groups


def sort_rule(req):
    """The one sort a search may have, as (property, descending);
    (None, False) when it has none.  The old string form "-prop" is
    taken too."""
    sorts = req.get("sorts") or []
    if len(sorts) > 1:
        raise Refused(400, "only one sort is supported")
    if not sorts:
        return None, False
    s = sorts[0]
    if isinstance(s, str):
        return s.lstrip("-"), s.startswith("-")
    direction = s.get("direction", "ASCENDING")
    if direction not in ("ASCENDING", "DESCENDING"):
        raise Refused(400, "direction must be ASCENDING or DESCENDING")
    return s.get("propertyName"), direction == "DESCENDING"


def ordered(found, prop, descending):
    """Sorted by prop, those without a value last, ties (and everything
    when there is no sort) by hs_object_id ascending."""
    found = sorted(found, key=lambda r: id_key(r["id"]))
    if prop is None:
        return found
    keyed = [(search_value(prop, prop_value(r, prop)), r) for r in found]
    have = [kr for kr in keyed if kr[0] is not None]
    # A stable sort keeps the id order within equal values, reversed
    # or not.
    have.sort(key=lambda kr: kr[0], reverse=descending)
    return [r for _, r in have] + [r for k, r in keyed if k is None]


def search_shape(rec, props):
    return {"id": rec["id"], "properties": {
        p: prop_value(rec, p) for p in props},
        "createdAt": rec["createdAt"], "updatedAt": rec["updatedAt"],
        "archived": False}


# --- associations ---

def linked(from_type, to_type, ids):
    """For each id, the live records of to_type its record is associated
    with (none when it is missing or archived).  Activities and evidence
    keep their deals, so a deal's are found by one pass over the kind."""
    sources = by_id(from_type)
    live = {i for i in ids
            if i in sources and not sources[i]["archived"]}
    out = {i: [] for i in ids}
    if from_type == "deals" and to_type in KINDS:
        for o in records(to_type):
            if o["archived"]:
                continue
            for d in o["deals"]:
                if d in live and o["id"] not in out[d]:
                    out[d].append(o["id"])
    elif from_type in KINDS and to_type == "deals":
        deals = by_id("deals")
        for i in live:
            out[i] = [d for d in sources[i]["deals"]
                      if d in deals and not deals[d]["archived"]]
    return out


def json_id(object_id):
    """toObjectId as HubSpot writes it, a JSON number; an id that is no
    number (the fixtures' "ev3", "O1") stays a string."""
    return int(object_id) if object_id.isdigit() else object_id


def no_associations(from_type, to_type, object_id):
    """The error HubSpot gives for an input without associations, in a
    207 (seen in integrations' captures of real answers; the v4 batch
    read reference shows errors[] with category, subCategory, context:
    https://developers.hubspot.com/docs/api-reference/crm-associations-v4/batch/post-crm-v4-associations-fromObjectType-toObjectType-batch-read
    )."""
    f, t = SINGULAR[from_type], SINGULAR[to_type]
    return {"status": "error", "category": "OBJECT_NOT_FOUND",
            "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
            "message": "No %s is associated with %s %s." % (t, f, object_id),
            "context": {"fromObjectId": [object_id],
                        "fromObjectType": [f], "toObjectType": [t]}}


def unique_ids(inputs):
    """The ids of batch inputs, each once, in the order given."""
    ids = []
    for i in inputs:
        object_id = str((i or {}).get("id", ""))
        if object_id and object_id not in ids:
            ids.append(object_id)
    return ids


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body, ctype="application/json", headers=(),
               truncate=False):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if truncate:
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(data)

    def error(self, status, message, category, headers=(), **extra):
        body = {"status": "error", "message": message,
                "correlationId": secrets.token_hex(8), "category": category}
        body.update(extra)
        self.answer(status, json.dumps(body), headers=headers)

    def body(self):
        """The request's body, read once by route() (so that it is also
        read off the connection when the answer is a refusal)."""
        return self.raw_body

    def json_body(self):
        try:
            req = json.loads(self.body() or b"{}")
        except ValueError:
            raise Refused(400, "Invalid input JSON") from None
        if not isinstance(req, dict):
            raise Refused(400, "Invalid input JSON: not an object")
        return req

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PATCH(self):
        self.route("PATCH")

    # --- the rate limit, faults and authentication, in that order ---

    def rate_headers(self, remaining):
        return [("X-HubSpot-RateLimit-Max", str(ARGS.rate)),
                ("X-HubSpot-RateLimit-Remaining", str(max(remaining, 0))),
                ("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")]

    def take_rate(self):
        now = time.monotonic()
        with LOCK:
            sent = [t for t in STATE["sent"] if now - t < 10.0]
            sent.append(now)
            STATE["sent"] = sent
            return ARGS.rate - len(sent)

    def take_fault(self, path):
        """The fault armed for path: after "skip" matching requests
        served as usual, "count" of them get it."""
        with LOCK:
            for f in STATE["faults"]:
                if path.startswith(f["path"]) and f["count"] > 0:
                    if f.get("skip", 0) > 0:
                        f["skip"] -= 1
                        continue
                    f["count"] -= 1
                    return f["kind"]
        return None

    def date_time_string(self, timestamp=None):
        """The Date header by the portal's clock (a client may take its
        sync cursor from it)."""
        return super().date_time_string(
            time.time() + STATE["clock"] if timestamp is None else timestamp)

    def authorized(self, rate):
        auth = self.headers.get("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else None
        with LOCK:
            expires = STATE["tokens"].get(token)
        if token is not None and token == ARGS.token:
            return True
        if expires is not None and expires > time.time():
            return True
        if expires is not None:
            self.error(401, "The OAuth token used to make this call "
                       "expired.", "EXPIRED_AUTHENTICATION", rate)
        else:
            self.error(401, "Authentication credentials not found.",
                       "INVALID_AUTHENTICATION", rate)
        return False

    def log_entry(self, method, path, q):
        """What /_fake/log keeps of a request: with its JSON body parsed,
        so that a test sees which ids a batch asked for (a form body,
        the token endpoint's secrets, is not JSON and stays out)."""
        entry = {"method": method, "path": path, "query": q}
        try:
            if self.raw_body:
                entry["body"] = json.loads(self.raw_body)
        except ValueError:
            pass
        return entry

    def route(self, method):
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        n = int(self.headers.get("Content-Length") or 0)
        self.raw_body = self.rfile.read(n) if n else b""
        if url.path.startswith("/_fake/"):
            self.admin(method, url.path)
            return
        entry = self.log_entry(method, url.path, q)
        with LOCK:
            STATE["log"].append(entry)
        remaining = self.take_rate()
        rate = self.rate_headers(remaining)
        if remaining < 0:
            with LOCK:
                STATE["rate_limited"] += 1
            self.error(429, "You have reached your ten_secondly_rolling "
                       "limit.", "RATE_LIMITS", rate + [("Retry-After", "1")],
                       errorType="RATE_LIMIT",
                       policyName="TEN_SECONDLY_ROLLING")
            return
        fault = self.take_fault(url.path)
        if fault == "500":
            self.error(500, "internal error", "INTERNAL_ERROR", rate)
            return
        if fault == "502html":
            self.answer(502, "<html><body>502 Bad Gateway</body></html>",
                        "text/html")
            return
        if fault == "429":
            self.error(429, "You have reached your ten_secondly_rolling "
                       "limit.", "RATE_LIMITS", rate + [("Retry-After", "1")],
                       errorType="RATE_LIMIT",
                       policyName="TEN_SECONDLY_ROLLING")
            return
        if fault == "daily":
            self.error(429, "You have reached your daily limit.",
                       "RATE_LIMITS", rate, errorType="RATE_LIMIT",
                       policyName="DAILY")
            return
        if fault == "garbage":
            self.answer(200, '{"results": [{"id": "1", "properties": {')
            return
        if fault == "expire":
            with LOCK:
                for t in STATE["tokens"]:
                    STATE["tokens"][t] = 0
        if url.path == "/oauth/v1/token" and method == "POST":
            self.token(rate)
            return
        if not self.authorized(rate):
            return
        self.api(method, url.path, q, rate, fault == "truncate")

    # --- the admin switches ---

    def admin(self, method, path):
        try:
            if path == "/_fake/log":
                with LOCK:
                    body = json.dumps({"log": STATE["log"]})
            elif path == "/_fake/stats":
                with LOCK:
                    body = json.dumps(self.stats())
            elif method == "POST" and path == "/_fake/fault":
                fault = self.json_body()
                with LOCK:
                    STATE["faults"].append(fault)
                body = "{}"
            elif method == "POST" and path == "/_fake/clock":
                with LOCK:
                    STATE["clock"] += float(
                        self.json_body().get("advance_s", 0))
                body = "{}"
            elif method == "POST" and path == "/_fake/deal":
                self.admin_deal(self.json_body())
                body = "{}"
            elif method == "POST" and path == "/_fake/archive":
                self.admin_archive(self.json_body())
                body = "{}"
            elif method == "POST" and path == "/_fake/object":
                self.admin_object(self.json_body())
                body = "{}"
            else:
                raise Refused(404, "no admin switch %s %s" % (method, path),
                              "OBJECT_NOT_FOUND")
        except Refused as e:
            self.error(e.status, e.message, e.category)
            return
        self.answer(200, body)

    def stats(self):
        return {"requests": len(STATE["log"]),
                "rate_limited": STATE["rate_limited"],
                "owners": len(PORTAL["owners"]),
                "deals": len(PORTAL["deals"]),
                "objects": {k: len(v) for k, v in PORTAL["objects"].items()}}

    def admin_at(self, req):
        """The time a change is made at: "at" (any form parse_time
        takes), else now, as HubSpot writes times."""
        if req.get("at") is None:
            return now_ms()
        t = parse_time(req["at"])
        if t is None:
            raise Refused(400, "at: not a time: %s" % req["at"])
        return format_ms(t)

    def admin_id(self, req):
        if req.get("id") in (None, ""):
            raise Refused(400, "id is required")
        return str(req["id"])

    def admin_deal(self, req):
        deal_id, at = self.admin_id(req), self.admin_at(req)
        props = {k: text_value(v)
                 for k, v in (req.get("properties") or {}).items()}
        for key, prop in (("pipeline", "pipeline"), ("stage", "dealstage")):
            if req.get(key):
                props[prop] = str(req[key])
        with LOCK:
            deal = by_id("deals").get(deal_id)
            if deal is None:
                deal = {"id": deal_id, "history": {"dealstage": []},
                        "properties": {"hs_object_id": deal_id,
                                       "createdate": at, "dealstage": None},
                        "createdAt": at, "updatedAt": at, "archived": False}
                PORTAL["deals"].append(deal)
                props.setdefault("pipeline", PORTAL["pipeline"])
                props.setdefault("dealstage", PORTAL["stages"][0]["id"])
            set_deal_properties(deal, props, at)
            deal["properties"]["hs_lastmodifieddate"] = at
            deal["updatedAt"] = at

    def admin_archive(self, req):
        kind = object_type(str(req.get("type") or "deals"))
        if kind is None:
            raise Refused(400, "type: no such object type: %s" %
                          req.get("type"))
        object_id = self.admin_id(req)
        with LOCK:
            rec = by_id(kind).get(object_id)
            if rec is None:
                raise Refused(404, "no %s %s" % (SINGULAR[kind], object_id),
                              "OBJECT_NOT_FOUND")
            rec["archived"], rec["archivedAt"] = True, now_ms()

    def admin_object(self, req):
        kind = object_type(str(req.get("type") or ""))
        if kind not in KINDS:
            raise Refused(400, "type: an activity kind or 2-9000001, not %s"
                          % req.get("type"))
        object_id, at = self.admin_id(req), self.admin_at(req)
        props = {k: text_value(v)
                 for k, v in (req.get("properties") or {}).items()}
        with LOCK:
            rec = by_id(kind).get(object_id)
            if rec is None:
                rec = new_object(object_id, {}, [], at)
                records(kind).append(rec)
            rec["properties"].update(props)
            if req.get("deals") is not None:
                rec["deals"] = [str(d) for d in req["deals"]]
            rec["properties"]["hs_lastmodifieddate"] = at
            rec["updatedAt"] = at

    def token(self, rate):
        form = {k: v[0] for k, v in parse_qs(self.body().decode()).items()}
        client_id, client_secret, refresh = (ARGS.oauth or "::").split(":")
        if (form.get("grant_type") != "refresh_token" or
                form.get("client_id") != client_id or
                form.get("client_secret") != client_secret or
                form.get("refresh_token") != refresh or not client_id):
            self.answer(400, json.dumps({
                "status": "BAD_REFRESH_TOKEN",
                "message": "missing or unknown refresh token"}),
                headers=rate)
            return
        token = "hs-at-" + secrets.token_hex(24)
        with LOCK:
            STATE["tokens"][token] = time.time() + ARGS.expires_in
        self.answer(200, json.dumps({
            "token_type": "bearer", "refresh_token": refresh,
            "access_token": token, "expires_in": ARGS.expires_in}),
            headers=rate)

    # --- the API ---

    def api(self, method, path, q, rate, truncate):
        try:
            status, body = self.dispatch(method, path, q)
        except Refused as e:
            self.error(e.status, e.message, e.category, rate)
            return
        self.answer(status, json.dumps(body), headers=rate, truncate=truncate)

    def dispatch(self, method, path, q):
        """(status, body) for an API request, or Refused."""
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/crm/v3/pipelines/deals":
            return 200, {"results": [{
                "id": PORTAL["pipeline"], "label": PORTAL["label"],
                "displayOrder": 0, "archived": False,
                "stages": PORTAL["stages"]}]}
        if method == "GET" and path == "/crm/v3/owners":
            return 200, self.page(PORTAL["owners"], q, 100, lambda o: o)
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) > 3:
            kind, rest = object_type(parts[3]), parts[4:]
            if kind is not None:
                answer = self.objects_api(method, kind, rest, q)
                if answer is not None:
                    return answer
        if (method == "POST" and parts[:3] == ["crm", "v4", "associations"]
                and parts[5:] == ["batch", "read"] and len(parts) == 7):
            return self.associations(parts[3], parts[4])
        raise Refused(404, "Unknown path: %s" % path, "OBJECT_NOT_FOUND")

    def objects_api(self, method, kind, rest, q):
        """/crm/v3/objects/{kind}/...: (status, body), None for a path
        it does not serve."""
        if method == "GET" and not rest:
            return 200, self.listing(kind, q)
        if method == "POST" and rest == ["search"]:
            return 200, self.search(kind)
        if method == "POST" and rest == ["batch", "read"]:
            return self.batch_read(kind, q)
        if kind == "tasks" and method == "POST" and rest == ["batch",
                                                             "create"]:
            return self.create_tasks()
        if kind == "tasks" and method == "PATCH" and len(rest) == 1:
            return 200, self.update_task(rest[0])
        return None

    def page(self, items, q, max_limit, shape_one):
        limit = min(int(q.get("limit", "10")), max_limit, ARGS.max_page)
        start = int(q.get("after", "0"))
        chunk = items[start:start + limit]
        body = {"results": [shape_one(x) for x in chunk]}
        if start + limit < len(items):
            nxt = str(start + limit)
            body["paging"] = {"next": {"after": nxt,
                                       "link": "?after=" + nxt}}
        return body

    def listing(self, kind, q):
        """A page of live records, or with archived=true of archived ones
        only (HubSpot lists the two apart)."""
        props = [p for p in q.get("properties", "").split(",") if p]
        hist = [p for p in q.get("propertiesWithHistory", "").split(",")
                if p]
        if kind == "deals" and hist and int(q.get("limit", "10")) > 50:
            raise Refused(400, "limit must be at most 50 when "
                          "propertiesWithHistory is requested")
        with_deals = (kind != "deals" and
                      "deals" in q.get("associations", "").split(","))
        archived = q.get("archived", "false") == "true"
        with LOCK:
            gone = archived_deals()
            items = [r for r in records(kind) if r["archived"] == archived]
            return self.page(items, q, 100, lambda r: shape(
                kind, r, props, hist, with_deals, gone))

    def search(self, kind):
        req = self.json_body()
        try:
            limit = int(req.get("limit", 10))
            start = int(req.get("after") or 0)
        except (TypeError, ValueError):
            raise Refused(400, "limit and after must be numbers") from None
        if limit < 1 or limit > 200 or start < 0:
            raise Refused(400, "limit must be 1 to 200")
        limit = min(limit, ARGS.max_page)
        # Counted with the page it answers (after --max-page), as the
        # tasks search always was, so that small test pages still fit.
        if start + limit > ARGS.search_cap:
            raise Refused(400, "There was a problem with the request.")
        groups = filter_groups(req)
        prop, descending = sort_rule(req)
        props = list(req.get("properties") or [])
        if props:
            props += [p for p in SEARCH_ALWAYS if p not in props]
        else:
            props = list(SEARCH_DEFAULTS.get(kind, SEARCH_ALWAYS))
        with LOCK:
            found = [r for r in records(kind) if not r["archived"] and any(
                all(matches(r, f) for f in g.get("filters") or [])
                for g in groups)]
            found = ordered(found, prop, descending)
            results = [search_shape(r, props)
                       for r in found[start:start + limit]]
        body = {"total": len(found), "results": results}
        nxt = start + limit
        # No cursor reaching the cap: HubSpot gives none past 10,000.
        if nxt < len(found) and nxt < ARGS.search_cap:
            body["paging"] = {"next": {"after": str(nxt),
                                       "link": "?after=%d" % nxt}}
        return body

    def batch_read(self, kind, q):
        """Records by id: 200, or 207 naming the ids it could not get
        (missing or archived: archived=true reads only archived ones).
        The results come in no set order (reversed here) so that a
        client that pairs them with its inputs by position fails."""
        started = now_ms()
        req = self.json_body()
        inputs = req.get("inputs") or []
        props = list(req.get("properties") or [])
        hist = list(req.get("propertiesWithHistory") or [])
        most = 50 if hist else 100
        if len(inputs) > most:
            raise Refused(400, "inputs: at most %d%s" % (
                most, " with propertiesWithHistory" if hist else ""))
        ids = unique_ids(inputs)
        archived = q.get("archived", "false") == "true"
        with LOCK:
            have = by_id(kind)
            found = [i for i in ids if i in have and
                     have[i]["archived"] == archived]
            results = [shape(kind, have[i], props, hist) for i in found]
        results.reverse()
        body = {"status": "COMPLETE", "results": results,
                "startedAt": started, "completedAt": now_ms()}
        missing = [i for i in ids if i not in found]
        if not missing:
            return 200, body
        name = SINGULAR[kind].upper()
        body.update(numErrors=1, errors=[{
            "status": "error", "category": "OBJECT_NOT_FOUND",
            "message": "Could not get some %s objects, they may be deleted "
                       "or not exist. Check that ids are valid." % name,
            "context": {"ids": missing}}])
        return 207, body

    def associations(self, from_name, to_name):
        """v4 batch read between deals and an activity kind or the
        evidence object, either way; 207 with one NO_ASSOCIATIONS_FOUND
        error per input that has none (missing and archived records have
        none; archived records are never on the to-side)."""
        started = now_ms()
        from_type, to_type = object_type(from_name), object_type(to_name)
        for name, kind in ((from_name, from_type), (to_name, to_type)):
            if kind is None:
                raise Refused(400, "Unable to infer object type from: %s"
                              % name)
        inputs = self.json_body().get("inputs") or []
        if len(inputs) > 1000:
            raise Refused(400, "inputs: at most 1000")
        ids = unique_ids(inputs)
        with LOCK:
            links = linked(from_type, to_type, ids)
        category, type_id = ASSOCIATION_TYPES.get((from_type, to_type),
                                                  ("HUBSPOT_DEFINED", 0))
        kind = [{"category": category, "typeId": type_id, "label": None}]
        results = [{"from": {"id": i}, "to": [
            {"toObjectId": json_id(t), "associationTypes": kind}
            for t in links[i]]} for i in ids if links[i]]
        errors = [no_associations(from_type, to_type, i)
                  for i in ids if not links[i]]
        body = {"status": "COMPLETE", "results": results,
                "startedAt": started, "completedAt": now_ms()}
        if not errors:
            return 200, body
        body.update(numErrors=len(errors), errors=errors)
        return 207, body

    def create_tasks(self):
        inputs = self.json_body().get("inputs") or []
        if not inputs or len(inputs) > 100:
            raise Refused(400, "inputs: 1 to 100")
        # All checked before any is made: a refused batch makes none.
        for i in inputs:
            if not (i.get("properties") or {}).get("hs_timestamp"):
                raise Refused(400, "hs_timestamp is required")
        at = now_ms()
        with LOCK:
            tasks, made = PORTAL["objects"]["tasks"], []
            taken = {t["id"] for t in tasks}
            for i in inputs:
                n = len(tasks) + 1
                while "9%05d" % n in taken:
                    n += 1
                task = new_object("9%05d" % n,
                                  dict(i.get("properties") or {}),
                                  [a["to"]["id"] for a in
                                   i.get("associations", [])], at)
                tasks.append(task)
                taken.add(task["id"])
                made.append(task)
            results = [{"id": t["id"], "properties": dict(t["properties"]),
                        "createdAt": t["createdAt"],
                        "updatedAt": t["updatedAt"], "archived": False}
                       for t in reversed(made)]
        # Created, then slow to answer when asked: a client that gives
        # up cannot know the tasks exist.
        if self.take_fault("/_slow_create"):
            time.sleep(2)
        return 201, {"status": "COMPLETE", "results": results}

    def update_task(self, task_id):
        props = self.json_body().get("properties") or {}
        at = now_ms()
        with LOCK:
            task = by_id("tasks").get(task_id)
            if task is None or task["archived"]:
                raise Refused(404, "resource not found", "OBJECT_NOT_FOUND")
            task["properties"].update(props)
            task["properties"]["hs_lastmodifieddate"] = at
            task["updatedAt"] = at
            return {"id": task["id"], "properties": dict(task["properties"]),
                    "createdAt": task["createdAt"], "updatedAt": at,
                    "archived": False}


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True,
                   help="a folder in the canonical CSV layout")
    p.add_argument("--config", required=True,
                   help="the stageguard rules config (pipeline, stages)")
    p.add_argument("--token", default="pat-test-token",
                   help="the private app token it accepts")
    p.add_argument("--oauth", default=None,
                   help="CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN accepted")
    p.add_argument("--expires-in", type=int, default=1800)
    p.add_argument("--rate", type=int, default=100,
                   help="requests allowed in any 10 seconds")
    p.add_argument("--search-cap", type=int, default=10000,
                   help="results one search query reaches at most")
    p.add_argument("--evidence-as-properties", action="store_true",
                   help="evidence as deal properties with history, not "
                   "as the custom object")
    p.add_argument("--max-page", type=int, default=100,
                   help="results per page at most (smaller for tests)")
    ARGS = p.parse_args()
    load_portal(ARGS.data, ARGS.config)
    server = Server(("127.0.0.1", 0), Handler)
    print("PORT %d" % server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
