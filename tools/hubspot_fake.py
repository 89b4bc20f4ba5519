#!/usr/bin/env python3
"""A loopback fake of the HubSpot CRM API for stageguard's tests and
benchmark (Python 3 stdlib).  Built from the public documentation
(docs/connectors/hubspot.md cites the pages), not from the plugin:

  POST /oauth/v1/token                      OAuth refresh (form body)
  GET  /crm/v3/pipelines/deals              pipelines with their stages
  GET  /crm/v3/owners?limit&after           owners, paged (limit <= 100)
  GET  /crm/v3/objects/deals?limit&after&properties&propertiesWithHistory
                                            deals, paged: limit <= 100,
                                            <= 50 with property history
                                            (a 400 VALIDATION_ERROR past
                                            it); history newest first
  POST /crm/v3/objects/tasks/batch/create  tasks created (<= 100 inputs;
                                            201, results in no set order)
  POST /crm/v3/objects/tasks/search         tasks by filters (EQ, NEQ,
                                            HAS_PROPERTY, CONTAINS_TOKEN;
                                            <= 100 a page, 10,000 in all)
  PATCH /crm/v3/objects/tasks/{id}          a person updates a task
  GET  /crm/v3/objects/{emails,calls,meetings,notes,tasks,2-9000001}
       ?limit&after&properties&associations=deals
                                            activities and the custom
                                            evidence object, paged, with
                                            their deal associations

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

GET /_fake/stats gives the portal's sizes, the requests served and how
many were refused by the rate limit.

Every answer carries the X-HubSpot-RateLimit-* headers; more than
--rate requests in any 10 seconds get HubSpot's 429 TEN_SECONDLY_ROLLING
body with Retry-After.  Tests read GET /_fake/log (every request) and
arm faults with POST /_fake/fault {"path": PREFIX, "kind": K, "count":
N}: K is 500, 502html (a CDN's HTML page), 429, daily (429 policy
DAILY), truncate (a body cut in the middle), garbage (a whole answer
that is not JSON), expire (the access token expires now).  It prints "PORT <n>" and serves until stdin closes.
"""

import argparse
import csv
import json
import os
import secrets
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
STATE = {"log": [], "faults": [], "sent": [], "tokens": {},
         "rate_limited": 0}
ARGS = None
PORTAL = {}

HISTORY_FIELDS = {"amount": "amount", "closedate": "close_date",
                  "hs_next_step": "next_step"}


def iso_ms(text):
    """A canonical time as HubSpot writes it: UTC with milliseconds."""
    if not text:
        return None
    if len(text) == 10:
        text += "T00:00:00Z"
    t = datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


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
        for c in changes.get(o["id"], []):
            prop = {v: k for k, v in HISTORY_FIELDS.items()}.get(c["field"])
            if prop is None:
                continue
            value = c["new_value"]
            if prop == "closedate":
                value = iso_ms(value)
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
    objects = {t: [] for t in ("emails", "calls", "meetings", "notes",
                               "tasks", "2-9000001")}
    for a in read_csv(os.path.join(data, "activities.csv")):
        kind, props = activity_properties(a)
        if kind is None:
            continue
        objects[kind].append({"id": a["id"], "properties": props,
                              "deals": [a["opportunity_id"]]})
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
        objects["2-9000001"].append({
            "id": "ev%d" % (i + 1), "deals": [e["opportunity_id"]],
            "properties": {"criterion": e["criterion"], "value": e["value"],
                           "party": e["party"],
                           "observed_at": iso_ms(e["observed_at"]),
                           "ref": e["ref"]}})
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
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

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
        with LOCK:
            for f in STATE["faults"]:
                if path.startswith(f["path"]) and f["count"] > 0:
                    f["count"] -= 1
                    return f["kind"]
        return None

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

    def route(self, method):
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.startswith("/_fake/"):
            self.admin(method, url.path)
            return
        with LOCK:
            STATE["log"].append({"method": method, "path": url.path,
                                 "query": q})
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

    def admin(self, method, path):
        if path == "/_fake/log":
            with LOCK:
                self.answer(200, json.dumps({"log": STATE["log"]}))
        elif path == "/_fake/stats":
            with LOCK:
                stats = {"requests": len(STATE["log"]),
                         "rate_limited": STATE["rate_limited"],
                         "owners": len(PORTAL["owners"]),
                         "deals": len(PORTAL["deals"]),
                         "objects": {k: len(v) for k, v in
                                     PORTAL["objects"].items()}}
            self.answer(200, json.dumps(stats))
        elif path == "/_fake/fault" and method == "POST":
            fault = json.loads(self.body())
            with LOCK:
                STATE["faults"].append(fault)
            self.answer(200, "{}")
        else:
            self.answer(404, "{}")

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
        if method == "GET" and path == "/crm/v3/pipelines/deals":
            body = {"results": [{"id": PORTAL["pipeline"],
                                 "label": PORTAL["label"], "displayOrder": 0,
                                 "archived": False,
                                 "stages": PORTAL["stages"]}]}
        elif method == "GET" and path == "/crm/v3/owners":
            body = self.page(PORTAL["owners"], q, 100, lambda o: o)
        elif method == "GET" and path == "/crm/v3/objects/deals":
            body = self.deals(q, rate)
            if body is None:
                return
        elif method == "POST" and path == "/crm/v3/objects/tasks/batch/create":
            self.create_tasks(q, rate)
            return
        elif method == "POST" and path == "/crm/v3/objects/tasks/search":
            body = self.search_tasks(rate)
            if body is None:
                return
        elif method == "PATCH" and path.startswith("/crm/v3/objects/tasks/"):
            body = self.update_task(path.rsplit("/", 1)[1], rate)
            if body is None:
                return
        elif (method == "GET" and path.startswith("/crm/v3/objects/") and
              path[len("/crm/v3/objects/"):] in PORTAL["objects"]):
            body = self.objects(path[len("/crm/v3/objects/"):], q)
        else:
            self.error(404, "Unknown path: %s" % path, "OBJECT_NOT_FOUND",
                       rate)
            return
        self.answer(200, json.dumps(body), headers=rate, truncate=truncate)

    def page(self, items, q, max_limit, shape):
        limit = min(int(q.get("limit", "10")), max_limit, ARGS.max_page)
        start = int(q.get("after", "0"))
        chunk = items[start:start + limit]
        body = {"results": [shape(x) for x in chunk]}
        if start + limit < len(items):
            nxt = str(start + limit)
            body["paging"] = {"next": {"after": nxt,
                                       "link": "?after=" + nxt}}
        return body

    def deals(self, q, rate):
        props = [p for p in q.get("properties", "").split(",") if p]
        hist = [p for p in q.get("propertiesWithHistory", "").split(",")
                if p]
        if hist and int(q.get("limit", "10")) > 50:
            self.error(400, "limit must be at most 50 when "
                       "propertiesWithHistory is requested",
                       "VALIDATION_ERROR", rate)
            return None

        def shape(d):
            out = {"id": d["id"], "createdAt": d["createdAt"],
                   "updatedAt": d["updatedAt"], "archived": False,
                   "properties": {p: d["properties"].get(p) for p in props
                                  if p in d["properties"]}}
            out["properties"]["hs_object_id"] = d["id"]
            if hist:
                out["propertiesWithHistory"] = {
                    p: d["history"].get(p, []) for p in hist}
            return out
        return self.page(PORTAL["deals"], q, 100, shape)


    def create_tasks(self, q, rate):
        inputs = json.loads(self.body() or b"{}").get("inputs", [])
        if not inputs or len(inputs) > 100:
            self.error(400, "inputs: 1 to 100", "VALIDATION_ERROR", rate)
            return
        made = []
        with LOCK:
            for i in inputs:
                props = dict(i.get("properties", {}))
                if not props.get("hs_timestamp"):
                    self.error(400, "hs_timestamp is required",
                               "VALIDATION_ERROR", rate)
                    return
                tasks = PORTAL["objects"]["tasks"]
                task = {"id": "9%05d" % (len(tasks) + 1),
                        "properties": props,
                        "deals": [a["to"]["id"] for a in
                                  i.get("associations", [])]}
                tasks.append(task)
                made.append(task)
        # Created, then slow to answer when asked: a client that gives
        # up cannot know the tasks exist.
        if self.take_fault("/_slow_create"):
            time.sleep(2)
        results = [{"id": t["id"], "properties": t["properties"],
                    "createdAt": "2026-11-20T12:00:00.000Z",
                    "archived": False} for t in reversed(made)]
        self.answer(201, json.dumps({"status": "COMPLETE",
                                     "results": results}), headers=rate)

    def search_tasks(self, rate):
        req = json.loads(self.body() or b"{}")
        limit = min(int(req.get("limit", 10)), 100, ARGS.max_page)
        start = int(req.get("after", "0") or 0)
        if start + limit > ARGS.search_cap:
            self.error(400, "There was a problem with the request.",
                       "VALIDATION_ERROR", rate)
            return None

        def keep(t):
            props = t["properties"]
            for f in (req.get("filterGroups") or [{}])[0].get(
                    "filters", []):
                v = props.get(f["propertyName"])
                op = f["operator"]
                if op == "EQ" and v != f.get("value"):
                    return False
                if op == "NEQ" and v == f.get("value"):
                    return False
                if op == "HAS_PROPERTY" and not v:
                    return False
                if op == "CONTAINS_TOKEN" and (
                        not v or f.get("value") not in v.split()):
                    return False
            return True
        with LOCK:
            found = [t for t in PORTAL["objects"]["tasks"] if keep(t)]
        props = req.get("properties", [])
        chunk = found[start:start + limit]
        body = {"total": len(found), "results": [
            {"id": t["id"], "properties": {p: t["properties"].get(p)
                                           for p in props}}
            for t in chunk]}
        if start + limit < len(found):
            body["paging"] = {"next": {"after": str(start + limit)}}
        return body

    def update_task(self, task_id, rate):
        props = json.loads(self.body() or b"{}").get("properties", {})
        with LOCK:
            for t in PORTAL["objects"]["tasks"]:
                if t["id"] == task_id:
                    t["properties"].update(props)
                    return {"id": t["id"], "properties": t["properties"]}
        self.error(404, "resource not found", "OBJECT_NOT_FOUND", rate)
        return None

    def objects(self, kind, q):
        props = [p for p in q.get("properties", "").split(",") if p]
        with_deals = "deals" in q.get("associations", "").split(",")

        def shape(o):
            out = {"id": o["id"], "archived": False,
                   "createdAt": "2026-01-01T00:00:00.000Z",
                   "updatedAt": "2026-01-01T00:00:00.000Z",
                   "properties": {p: o["properties"].get(p)
                                  for p in props}}
            out["properties"]["hs_object_id"] = o["id"]
            if with_deals and o["deals"]:
                out["associations"] = {"deals": {"results": [
                    {"id": d, "type": kind.rstrip("s") + "_to_deal"}
                    for d in o["deals"]]}}
            return out
        return self.page(PORTAL["objects"][kind], q, 100, shape)


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
