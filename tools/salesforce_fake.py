#!/usr/bin/env python3
"""A loopback fake of the Salesforce REST API and Bulk API 2.0 for
stageguard's tests and benchmark (Python 3 stdlib).  Built from the
public documentation (the URLs below; /work/shared/docs/crm-apis.md §2
sums them up), not from the plugin.  VER is any API version (v62.0):

  POST /services/oauth2/token          refresh_token and client_credentials
                                       grants (form body); no expires_in
  GET  /services/data                  the API versions (no token needed)
  GET  /services/data/VER/query?q=SOQL query; queryAll?q= also deleted rows
  GET  /services/data/VER/query/01g...-N   the next page (nextRecordsUrl;
                                       /queryAll/01g...-N too)
  POST /services/data/VER/jobs/query   a Bulk API 2.0 query job
  GET  /services/data/VER/jobs/query[/ID]  the jobs, or one (InProgress for
                                       the first --bulk-polls polls)
  GET  /services/data/VER/jobs/query/ID/results?maxRecords&locator  CSV
  PATCH|POST /services/data/VER/jobs/query/ID {"state": "Aborted"}; DELETE
  POST /services/data/VER/composite/sobjects   Tasks made (<= 200)
  POST /services/data/VER/sobjects/Task        one Task made (201)
  PATCH /services/data/VER/sobjects/Task/ID    a person updates a Task (204)
  GET  /services/data/VER/sobjects[/T/describe | /T/ID]  describe, a record
  GET  /services/data/VER/limits       DailyApiRequests

Answers (errors are a JSON array [{"message", "errorCode"}], as the REST
API's are):
  token     {"access_token", "instance_url" (this fake's own base URL),
            "id", "token_type": "Bearer", "issued_at" (epoch ms, a string),
            "signature", "scope"} (+ "refresh_token" with --rotate-refresh);
            400 {"error": "invalid_grant", "error_description": "expired
            access/refresh token"} (invalid_client_id, invalid_client,
            unsupported_grant_type for the other mistakes)
  query     {"totalSize", "done", "nextRecordsUrl"?, "records": [{"attributes":
            {"type", "url"}, Field: value, Rel: {"attributes", ...} | null}]};
            datetimes 2026-11-02T16:45:00.000+0000, dates 2026-12-15, numbers
            JSON numbers; 400 MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE,
            INVALID_QUERY_LOCATOR
  jobs      {"id": "750...", "operation", "object", "createdById",
            "createdDate", "systemModstamp", "state", "concurrencyMode",
            "contentType": "CSV", "apiVersion", "lineEnding",
            "columnDelimiter"} (+ "jobType", "numberRecordsProcessed",
            "retries", "totalProcessingTime" when read); results are CSV, every
            value quoted, null as an empty field, datetimes 2026-11-02T16:45:
            00.000Z (the Bulk API's own form), headers Sforce-Locator (the next
            set, or "null") and Sforce-NumberOfRecords; results before
            JobComplete 400 [{"errorCode": "INVALIDJOBSTATE"}]
  composite [{"id", "success": true, "errors": []} | {"success": false,
            "errors": [{"statusCode", "message", "fields"}]}] in input order;
            400 EXCEEDED_ID_LIMIT past 200 records

Every answer carries Sforce-Limit-Info: api-usage=USED/MAX; the API requests
served count against --daily-limit, past which come 403 REQUEST_LIMIT_EXCEEDED
"TotalRequests Limit exceeded." (Salesforce has no per-second rate limit).
An unknown or expired token gets 401 INVALID_SESSION_ID.

It serves a folder in stageguard's canonical CSV layout (--data) and the
stages of a rules config (--config) as an org: OpportunityStage (one per
config stage), Opportunity (Id = the csv id as is; StageName the stage's
label; RecordType.Name "New business" for the config's pipeline, else the
raw pipeline; extra columns as custom fields Segment__c ...),
OpportunityHistory (one row per stage_history.csv row),
OpportunityFieldHistory (one per field_history.csv row), User (owners.csv,
the --system-user, an AutomatedProcess user, and the --buyer-user, an
integration that speaks for the buyer), Contact (the buyers), RecordType,
Organization (DefaultCurrencyIsoCode --currency), CurrencyType (only with
--multi-currency), activities with the party in documented signals (an email
is an EmailMessage, Incoming for the buyer, and its Task of TaskSubtype
Email; a call a Task with CallType Inbound or Outbound; a meeting an Event
owned by the --buyer-user when the buyer booked it; a system party's
activity owned by the --system-user; the email, call and meeting name the
buyer's Contact as WhoId whoever spoke, as in Salesforce) and the evidence as
the custom object Stage_Evidence__c (or, with --evidence-as-fields,
Opportunity fields whose field history says who gave it by CreatedById).

Command line: --data DIR --config FILE [--oauth ID:SECRET:REFRESH]
[--rotate-refresh] [--token SESSION] [--session-ttl S] [--batch N]
[--max-page N] [--locator-ttl S] [--bulk-polls N] [--bulk-chunk N]
[--daily-limit N] [--multi-currency] [--currency ISO] [--evidence-as-fields]
[--event-who all|buyer] [--system-user ID] [--buyer-user ID].

Admin switches (never logged, never counted; 200 JSON or a 400/404 with
{"error"}), so a test can read the fake or change the org between pulls:

  GET  /_fake/log      every API request: method, path, query, the parsed
                       JSON body (never the token's form body), the
                       Sforce-Query-Options header when sent, and for a
                       query's next page the query's "object"
  GET  /_fake/stats    requests, api usage, records per object
  POST /_fake/fault    {"path": PREFIX, "kind": K, "count": N, "skip": M}: K
                       is 500 (UNKNOWN_EXCEPTION), 503 (SERVER_UNAVAILABLE),
                       429 (a gateway's, with Retry-After), request_limit
                       (403 TotalRequests), concurrency (403
                       ConcurrentPerOrgLongTxn), truncate (a body cut in the
                       middle), garbage (a 200 that is an HTML page), expire
                       (every token expires now), locator (the next
                       nextRecordsUrl used answers INVALID_QUERY_LOCATOR);
                       "skip": M lets the first M matching requests through
  POST /_fake/clock    {"advance_s": S}: the org's clock (CreatedDate and
                       SystemModstamp of changes, Date headers, sessions,
                       query locators and Bulk jobs, deleted at seven days)
                       moves on S seconds
  POST /_fake/opportunity {"Id", Field: value..., "at"?, "by"?}: an
                       Opportunity made or changed (StageName by label or
                       stage id); a new StageName, Amount or CloseDate
                       appends an OpportunityHistory row at `at`, a new
                       Amount, CloseDate, NextStep, Name, OwnerId or custom
                       field value an OpportunityFieldHistory row;
                       SystemModstamp = at (default now)
  POST /_fake/record   {"type": "Task"|"Event"|"EmailMessage"|
                       "Stage_Evidence__c"|"Contact", "Id"?, Field: value...,
                       "at"?}: a record made or its fields merged; answers
                       {"Id"}
  POST /_fake/delete   {"type", "Id", "at"?}: IsDeleted true (only queryAll
                       and Bulk queryAll see it), SystemModstamp = at

It prints "PORT <n>" and serves until stdin closes.

Documentation relied on:
  https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
  https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flow_errors.htm
  https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query.md
  https://developer.salesforce.com/docs/platform/api-rest/guide/resources-queryall.md
  https://developer.salesforce.com/docs/platform/api-rest/guide/resources-queryall-more-results.md
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_create.htm
  https://developer.salesforce.com/docs/platform/salesforce-soql-sosl/guide/sforce-api-calls-soql-select-quotedstringescapes.html
  https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_dateformats.htm
  https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_orderby.htm
  https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_create_job.htm
  https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_get_job_results.htm
  https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/how_requests_are_processed.htm
  https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_opportunityhistory.htm
  https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunitystage.htm
  https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-task.html
  https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_emailmessage.htm
"""

import argparse
import base64
import csv
import gc
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import sys
import threading
import time
import traceback
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.RLock()
STATE = {"clock": 0.0, "log": [], "faults": [], "tokens": {},
         "refresh": set(), "used": 0, "cursors": {}, "jobs": {},
         "ids": {}, "seq": 0}
ARGS = None
ORG = {}    # object name -> Table; "_stages", "_stage_by_key", "_contacts"

ORG_ID = "00D000000000001AAA"
# What records read from the CSV files say of their own times when the
# folder says nothing (users, stages, contacts, record types).
LOADED_AT = "2026-01-01T00:00:00.000+0000"
NOT_FOUND = "The requested resource does not exist"

# A config stage's forecast_category as ForecastCategoryName (the label)
# and ForecastCategory (the API value): "commit" is "Forecast" in the API.
FORECAST = {"pipeline": ("Pipeline", "Pipeline"),
            "best_case": ("Best Case", "BestCase"),
            "commit": ("Commit", "Forecast"),
            "closed": ("Closed", "Closed"),
            "omitted": ("Omitted", "Omitted")}

# field_history.csv's canonical field names as OpportunityFieldHistory's
# Field and DataType; any other field is a custom text field.
HISTORY_FIELDS = {"amount": ("Amount", "Currency"),
                  "close_date": ("CloseDate", "Date"),
                  "next_step": ("NextStep", "Text"),
                  "next_step_date": ("Next_Step_Date__c", "Date"),
                  "name": ("Name", "Text"),
                  "stage": ("StageName", "Picklist"),
                  "forecast_category": ("ForecastCategoryName", "Picklist"),
                  "owner_id": ("Owner", "EntityId")}
# Fields whose change /_fake/opportunity records in OpportunityFieldHistory
# (besides every custom field), and their DataType.
TRACKED = {"Amount": "Currency", "CloseDate": "Date", "NextStep": "Text",
           "Name": "Text", "OwnerId": "EntityId"}
OPP_COLUMNS = {"id", "name", "pipeline", "stage", "owner_id", "amount",
               "currency", "close_date", "forecast_category", "created_at",
               "next_step", "next_step_date"}

TEXT_TYPES = {"id", "ref", "string", "picklist", "email", "textarea"}
# Compared without regard to case, as SOQL compares text (ids are not).
CI_TYPES = {"string", "picklist", "email", "textarea"}
NUMBER_TYPES = {"currency", "double", "percent", "int"}
# Long text and anyType fields can be neither filtered nor sorted.
UNFILTERABLE = {"textarea", "anyType"}
TYPE_NAMES = {"date": "date", "datetime": "dateTime", "currency": "currency",
              "double": "double", "percent": "percent", "int": "int",
              "boolean": "boolean"}

TASK_STATUS = ("Not Started", "In Progress", "Completed",
               "Waiting on someone else", "Deferred")
PICKLISTS = {"Status": TASK_STATUS, "Priority": ("High", "Normal", "Low"),
             "TaskSubtype": ("Task", "Email", "ListEmail", "Cadence", "Call",
                             "LinkedIn"),
             "CallType": ("Internal", "Inbound", "Outbound")}
# Task fields a client may not set: the system's (INVALID_FIELD_FOR_INSERT_
# UPDATE); TaskSubtype is set on create only.
READ_ONLY = {"Id", "IsClosed", "IsDeleted", "CreatedDate", "CreatedById",
             "LastModifiedDate", "LastModifiedById", "SystemModstamp",
             "CompletedDateTime", "IsArchived"}
CREATE_ONLY = {"TaskSubtype"}


# --- the schema: per object its fields (name -> type, target) and its
# relationships (name -> foreign key, target) ---

AUDIT = [("CreatedDate", "datetime"), ("CreatedById", "ref", "User"),
         ("LastModifiedDate", "datetime"),
         ("LastModifiedById", "ref", "User"),
         ("SystemModstamp", "datetime")]
OBJECTS = {
    "Opportunity": ("006", [
        ("Id", "id"), ("Name", "string"), ("StageName", "picklist"),
        ("Amount", "currency"), ("CloseDate", "date"),
        ("OwnerId", "ref", "User"), ("ForecastCategoryName", "picklist"),
        ("ForecastCategory", "picklist"), ("NextStep", "string"),
        ("Probability", "percent"), ("ExpectedRevenue", "currency"),
        ("IsClosed", "boolean"), ("IsWon", "boolean"),
        ("RecordTypeId", "ref", "RecordType"), ("IsDeleted", "boolean")]
        + AUDIT + [("Next_Step_Date__c", "date")]),
    "OpportunityHistory": ("008", [
        ("Id", "id"), ("OpportunityId", "ref", "Opportunity"),
        ("StageName", "picklist"), ("Amount", "currency"),
        ("CloseDate", "date"), ("Probability", "percent"),
        ("ForecastCategory", "picklist"), ("ExpectedRevenue", "currency"),
        ("PrevAmount", "currency"), ("PrevCloseDate", "date"),
        ("CreatedDate", "datetime"), ("CreatedById", "ref", "User"),
        ("SystemModstamp", "datetime"), ("IsDeleted", "boolean")]),
    # No SystemModstamp: a connector must page it by CreatedDate.
    "OpportunityFieldHistory": ("017", [
        ("Id", "id"), ("OpportunityId", "ref", "Opportunity"),
        ("Field", "picklist"), ("OldValue", "anyType"),
        ("NewValue", "anyType"), ("DataType", "picklist"),
        ("CreatedDate", "datetime"), ("CreatedById", "ref", "User"),
        ("IsDeleted", "boolean")]),
    "OpportunityStage": ("01J", [
        ("Id", "id"), ("MasterLabel", "string"), ("ApiName", "string"),
        ("SortOrder", "int"), ("IsActive", "boolean"), ("IsClosed", "boolean"),
        ("IsWon", "boolean"), ("ForecastCategory", "picklist"),
        ("ForecastCategoryName", "picklist"),
        ("DefaultProbability", "percent"),
        ("Description", "string")] + AUDIT),
    "User": ("005", [
        ("Id", "id"), ("Name", "string"), ("FirstName", "string"),
        ("LastName", "string"), ("Email", "email"), ("Username", "string"),
        ("ManagerId", "ref", "User"), ("Department", "string"),
        ("IsActive", "boolean"), ("UserType", "picklist")] + AUDIT),
    # The org itself (one row), and with multiple currencies their table.
    "Organization": ("00D", [
        ("Id", "id"), ("Name", "string"),
        ("DefaultCurrencyIsoCode", "picklist"), ("IsSandbox", "boolean"),
        ("OrganizationType", "picklist"), ("TimeZoneSidKey", "picklist"),
        ("LanguageLocaleKey", "picklist")] + AUDIT),
    "CurrencyType": ("02n", [
        ("Id", "id"), ("IsoCode", "picklist"), ("ConversionRate", "double"),
        ("DecimalPlaces", "int"), ("IsActive", "boolean"),
        ("IsCorporate", "boolean")] + AUDIT),
    "RecordType": ("012", [
        ("Id", "id"), ("Name", "string"), ("DeveloperName", "string"),
        ("SobjectType", "picklist"), ("IsActive", "boolean"),
        ("Description", "string")] + AUDIT),
    "Contact": ("003", [
        ("Id", "id"), ("Name", "string"), ("FirstName", "string"),
        ("LastName", "string"), ("Email", "email"),
        ("AccountId", "ref", "Account"), ("OwnerId", "ref", "User"),
        ("IsDeleted", "boolean")] + AUDIT),
    "Task": ("00T", [
        ("Id", "id"), ("Subject", "string"), ("WhatId", "ref", "Opportunity"),
        ("WhoId", "ref", "Contact"), ("OwnerId", "ref", "User"),
        ("Status", "picklist"), ("Priority", "picklist"),
        ("ActivityDate", "date"), ("TaskSubtype", "picklist"),
        ("Type", "picklist"), ("CallType", "picklist"),
        ("CallDurationInSeconds", "int"), ("Description", "textarea"),
        ("IsClosed", "boolean"), ("CompletedDateTime", "datetime"),
        ("IsDeleted", "boolean")] + AUDIT),
    "Event": ("00U", [
        ("Id", "id"), ("Subject", "string"), ("WhatId", "ref", "Opportunity"),
        ("WhoId", "ref", "Contact"), ("OwnerId", "ref", "User"),
        ("StartDateTime", "datetime"), ("EndDateTime", "datetime"),
        ("ActivityDateTime", "datetime"), ("ActivityDate", "date"),
        ("DurationInMinutes", "int"), ("EventSubtype", "picklist"),
        ("Type", "picklist"), ("Description", "textarea"),
        ("IsDeleted", "boolean")] + AUDIT),
    "EmailMessage": ("02s", [
        ("Id", "id"), ("Subject", "string"),
        ("RelatedToId", "ref", "Opportunity"), ("ActivityId", "ref", "Task"),
        ("FromAddress", "email"), ("FromName", "string"),
        ("ToAddress", "string"), ("Incoming", "boolean"),
        ("MessageDate", "datetime"), ("Status", "picklist"),
        ("IsDeleted", "boolean")] + AUDIT),
    "Stage_Evidence__c": ("a0X", [
        ("Id", "id"), ("Name", "string"),
        ("Opportunity__c", "ref", "Opportunity"), ("Criterion__c", "string"),
        ("Value__c", "string"), ("Party__c", "picklist"),
        ("Observed_At__c", "datetime"), ("Ref__c", "string"),
        ("OwnerId", "ref", "User"), ("IsDeleted", "boolean")] + AUDIT),
}
# Polymorphic relationships, whose Type names the related record's object.
POLYMORPHIC = {"What", "Who", "RelatedTo", "Owner"}
# Relationship names by foreign key (a custom lookup's is its __r name).
RELATIONSHIPS = {"OwnerId": "Owner", "CreatedById": "CreatedBy",
                 "LastModifiedById": "LastModifiedBy", "ManagerId": "Manager",
                 "RecordTypeId": "RecordType", "OpportunityId": "Opportunity",
                 "WhatId": "What", "WhoId": "Who", "RelatedToId": "RelatedTo",
                 "ActivityId": "Activity", "AccountId": "Account",
                 "Opportunity__c": "Opportunity__r"}
SCHEMA = {}


def define_schema():
    """SCHEMA from OBJECTS: per object its fields, a case-insensitive index
    of them (SOQL names are case-insensitive) and its relationships."""
    for name, (prefix, fields) in OBJECTS.items():
        if name == "CurrencyType" and not ARGS.multi_currency:
            continue    # a single-currency org has no such object
        SCHEMA[name] = {"prefix": prefix, "fields": {}, "lower": {},
                        "rels": {}}
        for f in fields:
            add_field(name, f[0], f[1], f[2] if len(f) > 2 else None)
    if ARGS.multi_currency:
        add_field("Opportunity", "CurrencyIsoCode", "picklist")


def add_field(obj, name, ftype, target=None):
    s = SCHEMA[obj]
    if name in s["fields"]:
        return
    s["fields"][name] = (ftype, target)
    s["lower"][name.lower()] = name
    if target:
        rel = RELATIONSHIPS.get(name, name[:-3] if name.endswith("Id")
                                else name)
        s["rels"][rel.lower()] = (rel, name, target)


def custom_name(column):
    """A csv column as a custom field: first letter upper-cased, "__c"
    appended (segment -> Segment__c); next_step_date as it is known."""
    if column == "next_step_date":
        return "Next_Step_Date__c"
    base = re.sub(r"[^A-Za-z0-9_]", "_", column).strip("_") or "Field"
    if not base[0].isalpha():
        base = "X" + base
    return base[0].upper() + base[1:] + "__c"


# --- the org's records (callers hold LOCK once serving) ---

class Table:
    """One object's records, in the order made, by Id, and indexed on
    demand by a field (the indexes go when a record changes)."""

    def __init__(self, name):
        self.name, self.rows, self.by_id, self.indexes = name, [], {}, {}

    def add(self, row):
        """Keeps the record (a copy without the fields that have no value:
        a lookup answers None for them just the same, and 100,000
        opportunities bring a million activities) and answers it."""
        if None in row.values():
            row = {k: v for k, v in row.items() if v is not None}
        STATE["seq"] += 1
        row["_n"] = STATE["seq"]
        self.rows.append(row)
        self.by_id[row["Id"]] = row
        self.indexes.clear()
        return row

    def changed(self):
        self.indexes.clear()

    def index(self, field):
        idx = self.indexes.get(field)
        if idx is None:
            idx = {}
            for r in self.rows:
                idx.setdefault(r.get(field), []).append(r)
            self.indexes[field] = idx
        return idx


def table(obj):
    return ORG[obj]


def new_id(prefix):
    """An 18-character id of the object's key prefix, in order made."""
    n = STATE["ids"].get(prefix, 0) + 1
    STATE["ids"][prefix] = n
    return "%s%012dAAA" % (prefix, n)


def find_record(record_id):
    """(object, record) of any object for an id, or (None, None)."""
    for name in SCHEMA:
        row = ORG[name].by_id.get(record_id)
        if row is not None:
            return name, row
    return None, None


# --- times ---

def parse_time(text):
    """A time as the CSV files and clients give it (a date, any offset,
    any fraction) as an aware datetime; None when it is none."""
    if text is None or str(text).strip() == "":
        return None
    text = str(text).strip()
    m = re.fullmatch(r"(.*[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)([+-]\d\d)(\d\d)",
                     text)
    if m:
        text = "%s%s:%s" % m.groups()
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def sf_time(t):
    """A datetime as the REST API writes it: UTC, milliseconds, +0000."""
    t = t.astimezone(timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+0000" % (
        t.microsecond // 1000)


UTC_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def to_datetime(text):
    """A datetime field's value as the REST API writes it."""
    if isinstance(text, str) and UTC_SECONDS.fullmatch(text):
        return text[:19] + ".000+0000"      # the common case, quickly
    t = parse_time(text)
    return None if t is None else sf_time(t)


def to_date(text):
    """A date field's value: YYYY-MM-DD (a time's UTC date)."""
    if text is None or str(text).strip() == "":
        return None
    text = str(text).strip()
    if len(text) == 10:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    t = parse_time(text)
    return None if t is None else t.astimezone(timezone.utc).strftime(
        "%Y-%m-%d")


def org_time():
    """The org's clock: the real one moved on by POST /_fake/clock."""
    return time.time() + STATE["clock"]


def now():
    return sf_time(datetime.fromtimestamp(org_time(), timezone.utc))


def plus_minutes(stamp, minutes):
    t = datetime.fromisoformat(stamp[:19]) + timedelta(minutes=minutes)
    return t.isoformat() + stamp[19:]


def number(text):
    """A currency value from the CSV text: a float (the REST API writes
    JSON numbers, 1000.0), None when empty or no number."""
    try:
        return float(text) if str(text).strip() != "" else None
    except (TypeError, ValueError):
        return None


# --- loading the folder ---

def csv_rows(path):
    """A CSV file's rows as dicts, one at a time (none when it is not
    there: the optional files)."""
    if not os.path.exists(path):
        return
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = csv.reader(f)
        header = next(rows, [])
        for r in rows:
            if r:
                yield dict(zip(header, r))


def read_csv(path):
    return list(csv_rows(path))


def load_org(data, config):
    with open(config, encoding="utf-8") as f:
        rules = json.load(f)
    # Millions of records, none of them in a cycle: the collector would
    # walk them all again and again while they are made.
    gc.disable()
    define_schema()
    for name in SCHEMA:
        ORG[name] = Table(name)
    load_stages(rules)
    load_users(data)
    load_organization(data)
    pipeline = (rules.get("pipeline") or {}).get("id", "default")
    opps = load_opportunities(data, pipeline)
    changes = load_field_history(data, opps)
    load_stage_history(data, opps, changes)
    load_activities(data, opps)
    load_evidence(data, opps)
    for o in opps.values():
        times = [o["CreatedDate"]] + o.pop("_times")
        o["SystemModstamp"] = o["LastModifiedDate"] = max(t for t in times
                                                          if t)
    gc.freeze()
    gc.enable()


def load_stages(rules):
    """OpportunityStage rows, one per config stage, and the lookups that
    turn a stage id or label into the stage."""
    stages, by_key = [], {}
    for i, s in enumerate(rules["stages"]):
        closed, won = bool(s.get("closed")), bool(s.get("won"))
        fc_name, fc_api = FORECAST.get(s.get("forecast_category") or "",
                                       (None, None))
        prob = 100.0 if won else 0.0 if closed else float(
            min(90, 10 * (i + 1)))
        row = table("OpportunityStage").add({
            "Id": new_id("01J"), "MasterLabel": s.get("label", s["id"]),
            "ApiName": s["id"], "SortOrder": i + 1, "IsActive": True,
            "IsClosed": closed, "IsWon": won, "ForecastCategory": fc_api,
            "ForecastCategoryName": fc_name, "DefaultProbability": prob,
            "Description": None, "CreatedDate": LOADED_AT,
            "CreatedById": None, "LastModifiedDate": LOADED_AT,
            "LastModifiedById": None, "SystemModstamp": LOADED_AT})
        stages.append(row)
        by_key.setdefault(s["id"].lower(), row)
        by_key.setdefault(row["MasterLabel"].lower(), row)
    ORG["_stages"], ORG["_stage_by_key"] = stages, by_key


def stage_of(value):
    """The OpportunityStage a stage id or label names, or None."""
    return ORG["_stage_by_key"].get(str(value or "").lower())


def add_user(uid, name, email, user_type, manager=None, team=None):
    first, _, last = name.partition(" ")
    table("User").add({
        "Id": uid, "Name": name, "FirstName": first if last else None,
        "LastName": last or first, "Email": email or None,
        "Username": email or uid, "ManagerId": manager or None,
        "Department": team or None, "IsActive": True, "UserType": user_type,
        "CreatedDate": LOADED_AT, "CreatedById": None,
        "LastModifiedDate": LOADED_AT, "LastModifiedById": None,
        "SystemModstamp": LOADED_AT})


def load_users(data):
    for u in read_csv(os.path.join(data, "owners.csv")):
        add_user(u["id"], u.get("name") or u["id"], u.get("email"),
                 "Standard", u.get("manager_id"), u.get("team"))
    users = table("User").by_id
    if ARGS.system_user not in users:
        add_user(ARGS.system_user, "Automated Process",
                 "autoproc@00d000000000001aaa.example", "AutomatedProcess")
    if ARGS.buyer_user not in users:
        add_user(ARGS.buyer_user, "Scheduling Integration",
                 "scheduler@integration.example", "Standard")


def load_organization(data):
    """The Organization row (its DefaultCurrencyIsoCode is --currency)
    and, in a multi-currency org, a CurrencyType per currency the
    opportunities use (--currency the corporate one; the rates are not
    known, 1.0)."""
    table("Organization").add(dict(
        Id=ORG_ID, Name="Stageguard Test Org",
        DefaultCurrencyIsoCode=ARGS.currency, IsSandbox=False,
        OrganizationType="Developer Edition", TimeZoneSidKey="GMT",
        LanguageLocaleKey="en_US", CreatedDate=LOADED_AT,
        LastModifiedDate=LOADED_AT, SystemModstamp=LOADED_AT))
    if not ARGS.multi_currency:
        return
    codes = {ARGS.currency}
    codes.update(o.get("currency") for o in
                 csv_rows(os.path.join(data, "opportunities.csv"))
                 if o.get("currency"))
    for code in sorted(codes):
        table("CurrencyType").add(dict(
            Id=new_id("02n"), IsoCode=code, ConversionRate=1.0,
            DecimalPlaces=2, IsActive=True,
            IsCorporate=code == ARGS.currency, CreatedDate=LOADED_AT,
            LastModifiedDate=LOADED_AT, SystemModstamp=LOADED_AT))


def record_type(name):
    """The Opportunity RecordType of that name, made when first needed."""
    rts = table("RecordType")
    for r in rts.rows:
        if r["Name"] == name:
            return r["Id"]
    return rts.add({
        "Id": new_id("012"), "Name": name,
        "DeveloperName": re.sub(r"\W", "_", name), "SobjectType":
        "Opportunity", "IsActive": True, "Description": None,
        "CreatedDate": LOADED_AT, "CreatedById": None,
        "LastModifiedDate": LOADED_AT, "LastModifiedById": None,
        "SystemModstamp": LOADED_AT})["Id"]


def pipeline_record_type(pipeline, default_pipeline):
    """The record type an opportunity of the csv pipeline has: Salesforce
    has no pipeline field, sales processes hang on record types."""
    if not pipeline:
        return None
    if pipeline in ("default", default_pipeline):
        return record_type("New business")
    return record_type(pipeline)


def stage_fields(row, stage, forecast=None):
    """The fields a stage decides: StageName (its label; a value the
    config lacks kept raw), IsClosed, IsWon, Probability and the forecast
    category (the opportunity's own when it has one)."""
    if stage is not None:
        row["StageName"] = stage["MasterLabel"]
    fc = FORECAST.get(forecast or "") if forecast else None
    if forecast and fc is None:
        fc = (forecast, forecast)
    if fc is None and stage is not None:
        fc = (stage.get("ForecastCategoryName"),
              stage.get("ForecastCategory"))
    row["ForecastCategoryName"], row["ForecastCategory"] = fc or (None, None)
    row["IsClosed"] = bool(stage and stage["IsClosed"])
    row["IsWon"] = bool(stage and stage["IsWon"])
    row["Probability"] = stage["DefaultProbability"] if stage else None
    expected_revenue(row)


def expected_revenue(row):
    amount, prob = row.get("Amount"), row.get("Probability")
    row["ExpectedRevenue"] = (None if amount is None or prob is None
                              else round(amount * prob / 100.0, 2))


def load_opportunities(data, default_pipeline):
    opps = {}
    for o in read_csv(os.path.join(data, "opportunities.csv")):
        owner = o.get("owner_id") or None
        created = to_datetime(o.get("created_at")) or LOADED_AT
        row = {"Id": o["id"], "Name": o.get("name") or o["id"],
               "StageName": o.get("stage") or None,
               "Amount": number(o.get("amount")),
               "CloseDate": to_date(o.get("close_date")),
               "OwnerId": owner, "NextStep": o.get("next_step") or None,
               "RecordTypeId": pipeline_record_type(o.get("pipeline"),
                                                    default_pipeline),
               "IsDeleted": False, "CreatedDate": created,
               "CreatedById": owner, "LastModifiedById": owner,
               "Next_Step_Date__c": to_date(o.get("next_step_date")),
               "_times": []}
        stage_fields(row, stage_of(o.get("stage")),
                     o.get("forecast_category"))
        if ARGS.multi_currency:
            row["CurrencyIsoCode"] = o.get("currency") or ARGS.currency
        for k, v in o.items():
            if k not in OPP_COLUMNS and k is not None:
                add_field("Opportunity", custom_name(k), "string")
                row[custom_name(k)] = v or None
        opps[o["id"]] = table("Opportunity").add(row)
    return opps


def history_value(field, text):
    """A field history value as Salesforce gives anyType: numbers for
    currency, strings for text and dates, labels for stages."""
    if text is None or text == "":
        return None
    if field == "Amount":
        return number(text)
    if field in ("CloseDate", "Next_Step_Date__c"):
        return to_date(text) or text
    if field == "StageName":
        stage = stage_of(text)
        return stage["MasterLabel"] if stage else text
    if field == "ForecastCategoryName":
        return FORECAST.get(text, (text,))[0]
    return text


def load_field_history(data, opps):
    """OpportunityFieldHistory, one row per field_history.csv row; answers
    each opportunity's amount and close date changes, oldest first, for
    the stage history's snapshots."""
    changes = {}
    rows = read_csv(os.path.join(data, "field_history.csv"))
    for c in rows:
        c["_at"] = to_datetime(c.get("changed_at"))
    rows.sort(key=lambda c: c["_at"] or "")
    for c in rows:
        field, dtype = HISTORY_FIELDS.get(c["field"], (None, "Text"))
        if field is None:
            field = custom_name(c["field"])
            add_field("Opportunity", field, "string")
        at = c["_at"]
        opp = opps.get(c["opportunity_id"])
        old = history_value(field, c.get("old_value"))
        new = history_value(field, c.get("new_value"))
        table("OpportunityFieldHistory").add({
            "Id": new_id("017"), "OpportunityId": c["opportunity_id"],
            "Field": field, "OldValue": old, "NewValue": new,
            "DataType": dtype, "CreatedDate": at,
            "CreatedById": c.get("changed_by") or (opp or {}).get("OwnerId"),
            "IsDeleted": False})
        if opp is not None:
            opp["_times"].append(at)
        changes.setdefault((c["opportunity_id"], field), []).append(
            (at, old, new))
    return changes


def value_at(changes, at, current):
    """A field's value at a time, from its changes (oldest first): the
    last change's new value by then, else the first change's old one,
    else the value it has now."""
    before = [c for c in changes if c[0] and c[0] <= at]
    if before:
        return before[-1][2]
    return changes[0][1] if changes else current


def load_stage_history(data, opps, changes):
    """OpportunityHistory, one row per stage_history.csv row (from_stage
    dropped: the object has none), with the amount and close date the
    opportunity had then."""
    rows = read_csv(os.path.join(data, "stage_history.csv"))
    for e in rows:
        e["_at"] = to_datetime(e.get("changed_at"))
    rows.sort(key=lambda e: e["_at"] or "")
    prev = {}
    for e in rows:
        oid, at = e["opportunity_id"], e["_at"]
        opp = opps.get(oid) or {}
        stage = stage_of(e.get("to_stage"))
        amount = value_at(changes.get((oid, "Amount"), []), at or "",
                          opp.get("Amount"))
        close = value_at(changes.get((oid, "CloseDate"), []), at or "",
                         opp.get("CloseDate"))
        add_stage_history(oid, stage["MasterLabel"] if stage else
                          (e.get("to_stage") or None), stage, amount, close,
                          at, e.get("changed_by") or None, prev.get(oid))
        prev[oid] = (amount, close)
        if opp:
            opp["_times"].append(at)


def add_stage_history(oid, label, stage, amount, close, at, by, prev):
    prob = stage["DefaultProbability"] if stage else None
    row = {"Id": new_id("008"), "OpportunityId": oid, "StageName": label,
           "Amount": amount, "CloseDate": close, "Probability": prob,
           "ForecastCategory": stage and stage.get("ForecastCategory"),
           "PrevAmount": prev[0] if prev else None,
           "PrevCloseDate": prev[1] if prev else None,
           "CreatedDate": at, "CreatedById": by, "SystemModstamp": at,
           "IsDeleted": False}
    expected_revenue(row)
    return table("OpportunityHistory").add(row)


def contact(email, owner, name=None, key=None):
    """The Contact of a buyer's address (one per address), or of a buyer
    without one (one per key)."""
    key = key or (email or "").lower()
    known = ORG.setdefault("_contacts", {})
    if key in known:
        return known[key]
    last = name or (email.split("@")[0].replace(".", " ").title())
    known[key] = table("Contact").add({
        "Id": new_id("003"), "Name": last, "FirstName": None, "LastName": last,
        "Email": email, "AccountId": None, "OwnerId": owner,
        "IsDeleted": False, "CreatedDate": LOADED_AT, "CreatedById": owner,
        "LastModifiedDate": LOADED_AT, "LastModifiedById": owner,
        "SystemModstamp": LOADED_AT})["Id"]
    return known[key]


def buyer_contact(opp_id, opps, buyers):
    """Who an activity names (WhoId): the opportunity's first buyer by
    address, else one contact for its buyer."""
    opp = opps.get(opp_id) or {}
    if buyers.get(opp_id):
        return contact(buyers[opp_id][0], opp.get("OwnerId"))
    return contact(None, opp.get("OwnerId"),
                   "Buyer of %s" % opp.get("Name", opp_id), "\0" + opp_id)


def party_user(party, owner, kind):
    """Who owns an activity: the --system-user for a system party, the
    --buyer-user for a buyer's meeting or task (an integration speaking for
    the buyer), else the opportunity's owner."""
    if party == "system":
        return ARGS.system_user
    if party == "buyer" and kind not in ("email", "call"):
        return ARGS.buyer_user
    return owner


def activity_base(a, owner, stamp):
    return {"Subject": a.get("subject") or None,
            "WhatId": a["opportunity_id"], "OwnerId": owner,
            "IsDeleted": False, "CreatedDate": stamp, "CreatedById": owner,
            "LastModifiedDate": stamp, "LastModifiedById": owner,
            "SystemModstamp": stamp}


def closed_task(a, owner, stamp, subtype, **fields):
    row = dict(activity_base(a, owner, stamp), Id=new_id("00T"),
               Status="Completed", Priority="Normal", IsClosed=True,
               ActivityDate=stamp[:10], CompletedDateTime=stamp,
               TaskSubtype=subtype, **fields)
    return table("Task").add(row)


def load_activities(data, opps):
    """Read twice, never held whole (the largest file by far): first for
    the buyers' addresses, then for the activities."""
    path = os.path.join(data, "activities.csv")
    buyers = {}
    for a in csv_rows(path):
        if a.get("party") == "buyer" and "@" in (a.get("actor") or "") \
                and a["opportunity_id"] not in buyers:
            buyers[a["opportunity_id"]] = [a["actor"]]
    for a in csv_rows(path):
        opp = opps.get(a["opportunity_id"]) or {}
        stamp = to_datetime(a.get("occurred_at")) or LOADED_AT
        kind, party = a.get("type"), a.get("party")
        owner = party_user(party, opp.get("OwnerId"), kind)
        who = buyer_contact(a["opportunity_id"], opps, buyers) if kind in (
            "email", "call", "meeting") else None
        if kind == "email":
            load_email(a, opp, owner, stamp, who)
        elif kind == "call":
            closed_task(a, owner, stamp, "Call", Type="Call", WhoId=who,
                        CallType="Inbound" if party == "buyer"
                        else "Outbound")
        elif kind == "meeting":
            # A meeting with the customer names a contact whoever booked
            # it; --event-who buyer keeps WhoId to the buyer's bookings.
            if party != "buyer" and ARGS.event_who == "buyer":
                who = None
            table("Event").add(dict(
                activity_base(a, owner, stamp), Id=new_id("00U"), WhoId=who,
                StartDateTime=stamp, ActivityDateTime=stamp,
                EndDateTime=plus_minutes(stamp, 30), ActivityDate=stamp[:10],
                DurationInMinutes=30, EventSubtype="Event", Type="Meeting"))
        elif kind in ("note", "task"):
            closed_task(a, owner, stamp, "Task")
        else:
            closed_task(a, owner, stamp, "Task", Type="Other")


def load_email(a, opp, owner, stamp, who):
    """An email: the EmailMessage (Incoming says the buyer wrote it) and
    its Task of TaskSubtype Email, which names a Contact either way."""
    users = table("User").by_id
    owner_email = (users.get(opp.get("OwnerId")) or {}).get("Email")
    incoming = a.get("party") == "buyer"
    actor = a.get("actor") or ""
    sender = actor if "@" in actor or actor not in users else \
        users[actor].get("Email")
    task = closed_task(a, owner, stamp, "Email", Type="Email", WhoId=who)
    table("EmailMessage").add({
        "Id": new_id("02s"), "Subject": a.get("subject") or None,
        "RelatedToId": a["opportunity_id"], "ActivityId": task["Id"],
        "FromAddress": sender or None, "FromName": None,
        "ToAddress": owner_email if incoming else
        table("Contact").by_id[who].get("Email"), "Incoming": incoming,
        "MessageDate": stamp, "Status": "1" if incoming else "3",
        "IsDeleted": False, "CreatedDate": stamp, "CreatedById": owner,
        "LastModifiedDate": stamp, "LastModifiedById": owner,
        "SystemModstamp": stamp})


def evidence_user(party, owner):
    """Who recorded evidence: the --buyer-user for the buyer's, the owner
    for the seller's, the --system-user (an import) when nobody knows."""
    if party == "buyer":
        return ARGS.buyer_user
    if party == "seller":
        return owner
    return ARGS.system_user


def load_evidence(data, opps):
    rows = read_csv(os.path.join(data, "evidence.csv"))
    for e in rows:
        e["_at"] = to_datetime(e.get("observed_at")) or LOADED_AT
    rows.sort(key=lambda e: e["_at"])
    for e in rows:
        opp = opps.get(e["opportunity_id"]) or {}
        owner = opp.get("OwnerId")
        at = e["_at"]
        by = evidence_user(e.get("party"), owner)
        if ARGS.evidence_as_fields:
            field = custom_name(e["criterion"])
            add_field("Opportunity", field, "string")
            old = opp.get(field) if opp else None
            if opp:
                opp[field] = e.get("value") or None
                opp["_times"].append(at)
            table("OpportunityFieldHistory").add({
                "Id": new_id("017"), "OpportunityId": e["opportunity_id"],
                "Field": field, "OldValue": old,
                "NewValue": e.get("value") or None, "DataType": "Text",
                "CreatedDate": at, "CreatedById": by, "IsDeleted": False})
            continue
        evidence = table("Stage_Evidence__c")
        evidence.add({
            "Id": new_id("a0X"), "Name": "SE-%05d" % (len(evidence.rows) + 1),
            "Opportunity__c": e["opportunity_id"],
            "Criterion__c": e.get("criterion") or None,
            "Value__c": e.get("value") or None,
            "Party__c": e.get("party") or None, "Observed_At__c": at,
            "Ref__c": e.get("ref") or None, "OwnerId": owner,
            "IsDeleted": False, "CreatedDate": at, "CreatedById": by,
            "LastModifiedDate": at, "LastModifiedById": by,
            "SystemModstamp": at})


# --- SOQL: the subset a connector needs ---

class SoqlError(Exception):
    """A query refused: errorCode, the reason, where in the query."""

    def __init__(self, code, text, pos=None):
        super().__init__(text)
        self.code, self.text, self.pos = code, text, pos

    def message(self, query):
        """As Salesforce writes it: the query's line, a caret under the
        place, "ERROR at Row:R:Column:C", the reason."""
        if self.pos is None:
            return self.text
        before = query[:self.pos]
        row = before.count("\n") + 1
        col = self.pos - (before.rfind("\n") + 1) + 1
        line = query.split("\n")[row - 1]
        return "\n%s\n%s^\nERROR at Row:%d:Column:%d\n%s" % (
            line, " " * (col - 1), row, col, self.text)


def malformed(text, pos=None):
    return SoqlError("MALFORMED_QUERY", text, pos)


TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?
                 (?:Z|[+-]\d\d:?\d\d))
  | (?P<baddatetime>\d{4}-\d\d-\d\dT[\d:.]*)
  | (?P<date>\d{4}-\d\d-\d\d)
  | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op><=|>=|!=|=|<|>)
  | (?P<lp>\() | (?P<rp>\)) | (?P<comma>,)
""", re.X)
# SOQL's escapes; \_ and \% only in a LIKE pattern, where they are the
# characters themselves, not wildcards.
ESCAPES = {"n": "\n", "N": "\n", "r": "\r", "R": "\r", "t": "\t", "T": "\t",
           "b": "\b", "B": "\b", "f": "\f", "F": "\f", '"': '"', "'": "'",
           "\\": "\\"}
DATE_LITERAL = re.compile(r"(TODAY|YESTERDAY|TOMORROW|(LAST|NEXT|THIS)_\w+"
                          r"|N_\w+)$", re.I)


class Tok:
    __slots__ = ("kind", "value", "pos", "chars", "like_only")

    def __init__(self, kind, value, pos, chars=None, like_only=False):
        self.kind, self.value, self.pos = kind, value, pos
        self.chars, self.like_only = chars, like_only


def read_string(text, start):
    """A quoted literal from text[start] ("'"): its characters, each with
    whether it was escaped (a LIKE pattern needs to know), and the end."""
    chars, like_only, i, n = [], False, start + 1, len(text)
    while True:
        if i >= n:
            raise malformed("line 1:%d mismatched character '<EOF>' "
                            "expecting '''" % n, start)
        c = text[i]
        if c == "'":
            value = "".join(ch for ch, _ in chars)
            return Tok("string", value, start, chars, like_only), i + 1
        if c != "\\":
            chars.append((c, False))
            i += 1
            continue
        e = text[i + 1] if i + 1 < n else ""
        if e in ESCAPES:
            chars.append((ESCAPES[e], False))
            i += 2
        elif e in ("_", "%"):
            chars.append((e, True))
            like_only = True
            i += 2
        elif e == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[i + 2:i + 6]):
            chars.append((chr(int(text[i + 2:i + 6], 16)), False))
            i += 6
        else:
            raise malformed("Invalid string literal '%s'. Illegal "
                            "character sequence '\\%s' in string literal."
                            % (text[start + 1:i + 2], e), start)


def tokenize(text):
    toks, i, n = [], 0, len(text)
    while i < n:
        if text[i] == "'":
            tok, i = read_string(text, i)
            toks.append(tok)
            continue
        m = TOKEN_RE.match(text, i)
        if m is None:
            raise malformed("line 1:%d no viable alternative at character "
                            "'%s'" % (i, text[i]), i)
        if m.lastgroup == "baddatetime":
            raise malformed("line 1:%d no viable alternative at character "
                            "'%s'" % (m.end(), text[m.end():m.end() + 1]
                                      or "<EOF>"), i)
        if m.lastgroup != "ws":
            toks.append(Tok(m.lastgroup, m.group(), i))
        i = m.end()
    toks.append(Tok("eof", None, n))
    return toks


class Ref:
    """A field path resolved from an object: the relationships walked
    (foreign key, target) and the field at the end, with its type."""

    def __init__(self, parts, steps, field, ftype, object_type=False):
        self.parts, self.steps, self.field, self.type = parts, steps, field, \
            ftype
        # What.Type and the like: the related record's object name.
        self.object_type = object_type
        self.name = ".".join(parts)
        self.norm = str.casefold if ftype in CI_TYPES else None
        if not steps:
            self.get = lambda r, f=field: r.get(f)
        else:
            self.get = self.walk

    def walk(self, row):
        for fk, target in self.steps:
            key = row.get(fk)
            row = ORG[target].by_id.get(key) if key is not None else None
            if row is None:
                return None
        return self.steps[-1][1] if self.object_type else row.get(self.field)

    def key(self, value):
        return value if value is None or self.norm is None else \
            self.norm(value)


class Query:
    def __init__(self):
        self.obj, self.refs, self.count_only = None, [], False
        self.pred, self.hints, self.order = None, [], []
        self.limit = self.offset = None


def resolve_object(tok):
    for name in SCHEMA:
        if name.lower() == tok.value.lower():
            return name
    raise SoqlError("INVALID_TYPE", "sObject type '%s' is not supported. If "
                    "you are attempting to use a custom object, be sure to "
                    "append the '__c' after the entity name. Please "
                    "reference your WSDL or the describe call for the "
                    "appropriate names." % tok.value, tok.pos)


def resolve_path(obj, dotted, pos):
    names, parts, steps, cur = dotted.split("."), [], [], obj
    for name in names[:-1]:
        rel = SCHEMA[cur]["rels"].get(name.lower())
        if rel is None or rel[2] not in SCHEMA:
            raise SoqlError("INVALID_FIELD", "Didn't understand relationship "
                            "'%s' in field path. If you are attempting to "
                            "use a custom relationship, be sure to append "
                            "the '__r' after the custom relationship name. "
                            "Please reference your WSDL or the describe call "
                            "for the appropriate names." % name, pos)
        parts.append(rel[0])
        steps.append((rel[1], rel[2]))
        cur = rel[2]
    field = SCHEMA[cur]["lower"].get(names[-1].lower())
    if field is None and parts and parts[-1] in POLYMORPHIC and \
            names[-1].lower() == "type":
        return Ref(parts + ["Type"], steps, "Type", "picklist", True)
    if field is None:
        raise SoqlError("INVALID_FIELD", "No such column '%s' on entity '%s'. "
                        "If you are attempting to use a custom field, be "
                        "sure to append the '__c' after the custom field "
                        "name. Please reference your WSDL or the describe "
                        "call for the appropriate names." % (names[-1], cur),
                        pos)
    return Ref(parts + [field], steps, field, SCHEMA[cur]["fields"][field][0])


class Parser:
    """SELECT fields | COUNT() FROM object [WHERE condition] [ORDER BY
    field [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]; the
    condition of comparisons (= != < <= > >= LIKE IN NOT IN, IN a semi-join
    subquery) with AND, OR, NOT and parentheses (AND and OR mixed only
    inside parentheses, as SOQL wants)."""

    def __init__(self, text):
        self.text, self.toks, self.i = text, tokenize(text), 0

    def peek(self, k=0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def kw(self, *words, k=0):
        tok = self.peek(k)
        return tok.kind == "ident" and tok.value.upper() in words

    def expect_kw(self, word):
        if not self.kw(word):
            self.unexpected(self.peek())
        return self.take()

    def expect(self, kind):
        if self.peek().kind != kind:
            self.unexpected(self.peek())
        return self.take()

    @staticmethod
    def unexpected(tok, why=""):
        raise malformed("unexpected token: '%s'%s" % (
            "<EOF>" if tok.kind == "eof" else tok.value, why), tok.pos)

    def parse(self, sub=False):
        q = Query()
        self.expect_kw("SELECT")
        fields = self.select_list(q)
        self.expect_kw("FROM")
        tok = self.expect("ident")
        q.obj = resolve_object(tok)
        seen = set()
        for f in fields:
            ref = resolve_path(q.obj, f.value, f.pos)
            if ref.name.lower() in seen:
                raise malformed("duplicate field selected: %s" % ref.name,
                                f.pos)
            seen.add(ref.name.lower())
            q.refs.append(ref)
        if self.kw("WHERE"):
            self.take()
            node = self.expression(q.obj)
            q.pred, q.hints = compile_node(node), index_hints(node)
        if self.kw("ORDER"):
            self.take()
            self.expect_kw("BY")
            q.order = self.order_list(q.obj)
        if self.kw("LIMIT"):
            self.take()
            q.limit = self.count()
        if self.kw("OFFSET"):
            self.take()
            tok = self.peek()
            q.offset = self.count()
            if q.offset > 2000:
                raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE",
                                "Maximum SOQL offset allowed is 2000",
                                tok.pos)
        end = self.peek()
        if end.kind != ("rp" if sub else "eof"):
            self.unexpected(end, " (not supported by salesforce_fake.py)"
                            if self.kw("GROUP", "WITH", "FOR", "HAVING",
                                       "USING") else "")
        return q

    def select_list(self, q):
        if self.kw("COUNT") and self.peek(1).kind == "lp":
            self.take()
            self.take()
            if self.peek().kind != "rp":
                raise malformed("aggregate functions other than COUNT() "
                                "are not supported by salesforce_fake.py",
                                self.peek().pos)
            self.take()
            q.count_only = True
            return []
        fields = []
        while True:
            tok = self.take()
            if tok.kind == "lp":
                raise malformed("parent-to-child subqueries are not "
                                "supported by salesforce_fake.py", tok.pos)
            if tok.kind != "ident" or tok.value.upper() in ("FROM",
                                                            "SELECT"):
                self.unexpected(tok)
            if self.peek().kind == "lp":
                raise malformed("functions (%s) are not supported by "
                                "salesforce_fake.py" % tok.value, tok.pos)
            fields.append(tok)
            if self.peek().kind != "comma":
                return fields
            self.take()

    def count(self):
        tok = self.take()
        if tok.kind != "number" or not tok.value.isdigit():
            self.unexpected(tok)
        return int(tok.value)

    def expression(self, obj):
        """Conditions joined by AND or by OR, not both."""
        items = [self.unary(obj)]
        joiner = None
        while self.kw("AND", "OR"):
            word = self.peek().value.upper()
            if joiner not in (None, word):
                self.unexpected(self.peek())
            joiner = word
            self.take()
            items.append(self.unary(obj))
        return items[0] if joiner is None else (joiner.lower(), items)

    def unary(self, obj):
        if self.kw("NOT"):
            self.take()
            return ("not", self.unary(obj))
        if self.peek().kind == "lp":
            self.take()
            node = self.expression(obj)
            self.expect("rp")
            return node
        return self.comparison(obj)

    def comparison(self, obj):
        tok = self.take()
        if tok.kind != "ident":
            self.unexpected(tok)
        ref = resolve_path(obj, tok.value, tok.pos)
        op = self.peek()
        if op.kind == "op":
            self.take()
            return ("cmp", ref, op.value, self.literal(), op.pos)
        if self.kw("LIKE"):
            self.take()
            return ("like", ref, self.literal(), op.pos)
        if self.kw("IN"):
            self.take()
            return ("in", ref, False, self.in_list(), op.pos)
        if self.kw("NOT") and self.kw("IN", k=1):
            self.take()
            self.take()
            return ("in", ref, True, self.in_list(), op.pos)
        self.unexpected(op, " (not supported by salesforce_fake.py)"
                        if self.kw("INCLUDES", "EXCLUDES") else "")

    def literal(self):
        tok = self.take()
        if tok.kind in ("string", "number", "date", "datetime"):
            if tok.kind == "date" and to_date(tok.value) is None:
                raise malformed("invalid date: %s" % tok.value, tok.pos)
            return tok
        if tok.kind == "ident" and tok.value.upper() in ("TRUE", "FALSE",
                                                         "NULL"):
            return Tok(tok.value.lower(), tok.value.upper() == "TRUE",
                       tok.pos)
        if tok.kind == "ident" and DATE_LITERAL.match(tok.value):
            raise malformed("date literals (%s) are not supported by "
                            "salesforce_fake.py" % tok.value, tok.pos)
        self.unexpected(tok)

    def in_list(self):
        self.expect("lp")
        if self.kw("SELECT"):
            sub = self.parse(sub=True)
            self.expect("rp")
            if sub.count_only or len(sub.refs) != 1:
                raise malformed("a semi-join subquery selects one field")
            return sub
        values = [self.literal()]
        while self.peek().kind == "comma":
            self.take()
            values.append(self.literal())
        self.expect("rp")
        return values

    def order_list(self, obj):
        order = []
        while True:
            tok = self.expect("ident")
            ref = resolve_path(obj, tok.value, tok.pos)
            if ref.type in UNFILTERABLE:
                raise SoqlError("INVALID_FIELD", "field '%s' can not be "
                                "sorted in a query call" % ref.field, tok.pos)
            desc, nulls_first = False, True
            if self.kw("ASC", "DESC"):
                desc = self.take().value.upper() == "DESC"
            if self.kw("NULLS"):
                self.take()
                if not self.kw("FIRST", "LAST"):
                    self.unexpected(self.peek())
                nulls_first = self.take().value.upper() == "FIRST"
            order.append((ref, desc, nulls_first))
            if self.peek().kind != "comma":
                return order
            self.take()


def literal_value(ref, lit, pos, like=False):
    """A literal as the field's values compare (text case-folded), refused
    as Salesforce refuses it when its type is not the field's: a quoted
    date, a date against a datetime field, a number in quotes..."""
    if lit.kind == "null":
        return None
    ftype = ref.type
    if ftype in TEXT_TYPES:
        if lit.kind != "string":
            raise SoqlError("INVALID_FIELD", "value of filter criterion for "
                            "field '%s' must be of type string and should "
                            "be enclosed in quotes" % ref.field, pos)
        if lit.like_only and not like:
            raise malformed("Invalid string literal '%s'. Illegal character "
                            "sequence in string literal." % lit.value, pos)
        return ref.key(lit.value)
    want = {"boolean": ("true", "false"), "date": ("date",),
            "datetime": ("datetime",)}.get(
                ftype, ("number",) if ftype in NUMBER_TYPES else ())
    if lit.kind not in want:
        raise SoqlError("INVALID_FIELD", "value of filter criterion for field "
                        "'%s' must be of type %s and should not be enclosed "
                        "in quotes" % (ref.field,
                                       TYPE_NAMES.get(ftype, ftype)), pos)
    if lit.kind in ("true", "false"):
        return lit.value
    if lit.kind == "number":
        return float(lit.value)
    if lit.kind == "datetime":
        return to_datetime(lit.value)
    return lit.value


def check_filterable(ref, pos):
    if ref.type in UNFILTERABLE:
        raise SoqlError("INVALID_FIELD", "field '%s' can not be filtered in "
                        "a query call" % ref.field, pos)


def compile_node(node):
    """A condition as a predicate on a record (callers hold LOCK)."""
    kind = node[0]
    if kind in ("and", "or"):
        preds = [compile_node(n) for n in node[1]]
        if kind == "and":
            return lambda r: all(p(r) for p in preds)
        return lambda r: any(p(r) for p in preds)
    if kind == "not":
        pred = compile_node(node[1])
        return lambda r: not pred(r)
    if kind == "cmp":
        return compile_compare(*node[1:])
    if kind == "like":
        return compile_like(*node[1:])
    return compile_in(*node[1:])


OPS = {"=": lambda a, b: a == b, "<": lambda a, b: a < b,
       "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
       ">=": lambda a, b: a >= b}


def compile_compare(ref, op, lit, pos):
    check_filterable(ref, pos)
    want, get, key = literal_value(ref, lit, lit.pos), ref.get, ref.key
    if want is None:
        if op not in ("=", "!="):
            raise malformed("invalid operator %s on null" % op, pos)
        if op == "=":
            return lambda r: get(r) is None
        return lambda r: get(r) is not None
    if op == "!=":
        # Unlike SQL, SOQL's != keeps the records without a value.
        def differs(r):
            v = get(r)
            return v is None or key(v) != want
        return differs
    test = OPS[op]

    def holds(r):
        v = get(r)
        return v is not None and test(key(v), want)
    return holds


def compile_like(ref, lit, pos):
    check_filterable(ref, pos)
    if ref.type not in CI_TYPES or lit.kind != "string":
        raise SoqlError("INVALID_FIELD", "invalid operator on field '%s': "
                        "LIKE takes a text field and a quoted pattern"
                        % ref.field, pos)
    rx = re.compile("".join(
        ".*" if c == "%" and not esc else "." if c == "_" and not esc
        else re.escape(c) for c, esc in lit.chars), re.I | re.S)
    get = ref.get

    def like(r):
        v = get(r)
        return v is not None and rx.fullmatch(v) is not None
    return like


def compile_in(ref, negate, values, pos):
    check_filterable(ref, pos)
    if isinstance(values, Query):
        sub = values.refs[0]
        if sub.type not in ("id", "ref"):
            raise malformed("a semi-join subquery selects an id or a "
                            "reference field", pos)
        wanted = {ref.key(sub.get(r)) for r in execute(values, False)}
        wanted.discard(None)
    else:
        wanted = {literal_value(ref, v, v.pos) for v in values}
    get, key = ref.get, ref.key
    if negate:
        return lambda r: key(get(r)) not in wanted
    return lambda r: key(get(r)) in wanted


def index_hints(node):
    """The top-level AND conditions an id index answers (Id = 'x',
    OpportunityId IN (...)): (field, values), to look up instead of
    scanning every record."""
    items = node[1] if node[0] == "and" else [node]
    hints = []
    for n in items:
        if n[0] not in ("cmp", "in") or n[1].steps or \
                n[1].type not in ("id", "ref"):
            continue
        if n[0] == "cmp" and n[2] == "=" and n[3].kind == "string":
            hints.append((n[1].field, [n[3].value]))
        elif n[0] == "in" and not n[2] and isinstance(n[3], list) and \
                all(v.kind == "string" for v in n[3]):
            hints.append((n[1].field, [v.value for v in n[3]]))
    return hints


def compile_soql(text):
    """A Query, or SoqlError (callers hold LOCK: a semi-join runs now)."""
    if not text or not text.strip():
        raise malformed("A query string has to be specified")
    return Parser(text).parse()


def execute(q, include_deleted):
    """The records a query selects, in its order (callers hold LOCK)."""
    tbl = ORG[q.obj]
    rows = tbl.rows
    best = None
    for field, values in q.hints:
        idx = tbl.index(field)
        found = [r for v in dict.fromkeys(values) for r in idx.get(v, ())]
        if best is None or len(found) < len(best):
            best = found
    if best is not None:
        rows = sorted(best, key=lambda r: r["_n"])
    pred = q.pred
    out = [r for r in rows if (include_deleted or not r.get("IsDeleted"))
           and (pred is None or pred(r))]
    for ref, desc, nulls_first in reversed(q.order):
        out = order_by(out, ref, desc, nulls_first)
    start = q.offset or 0
    end = None if q.limit is None else start + q.limit
    return out[start:end]


def order_by(rows, ref, desc, nulls_first):
    """One stable sort: by the field (text without regard to case), the
    records without a value first or last."""
    keyed = [(ref.key(ref.get(r)), r) for r in rows]
    nulls = [r for k, r in keyed if k is None]
    have = [kr for kr in keyed if kr[0] is not None]
    have.sort(key=lambda kr: kr[0], reverse=desc)
    have = [r for _, r in have]
    return nulls + have if nulls_first else have + nulls


# --- records as the APIs write them ---

def plan_of(refs):
    """The shape of a record in a query answer: fields in SELECT order,
    a relationship's fields nested once under its name."""
    plan = []
    for ref in refs:
        level = plan
        for name, (fk, target) in zip(ref.parts[:-1], ref.steps):
            entry = next((e for e in level if e[0] == "rel" and
                          e[1] == name), None)
            if entry is None:
                entry = ("rel", name, fk, target, [])
                level.append(entry)
            level = entry[4]
        entry = ("type" if ref.object_type else "field", ref.field)
        if entry not in level:
            level.append(entry)
    return plan


def shape(obj, row, plan, base):
    out = {"attributes": {"type": obj, "url": "%s/sobjects/%s/%s" % (
        base, obj, row["Id"])}}
    for entry in plan:
        if entry[0] == "field":
            out[entry[1]] = row.get(entry[1])
            continue
        if entry[0] == "type":
            out["Type"] = obj
            continue
        key = row.get(entry[2])
        parent = ORG[entry[3]].by_id.get(key) if key is not None else None
        out[entry[1]] = None if parent is None else shape(
            entry[3], parent, entry[4], base)
    return out


def full_plan(obj):
    return [("field", f) for f in SCHEMA[obj]["fields"]]


def csv_cell(value):
    """A Bulk API 2.0 CSV value: quoted, an empty field for null, times
    in the Bulk API's own form (2026-11-02T16:45:00.000Z)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
        if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", text):
            text = text[:-5] + "Z"
    return '"' + text.replace('"', '""') + '"'


# --- writing Tasks ---

class Refused(Exception):
    """A request answered with Salesforce's error array instead."""

    def __init__(self, status, code, message, fields=None, headers=()):
        super().__init__(message)
        self.status, self.headers = status, list(headers)
        err = {"message": message, "errorCode": code}
        if fields is not None:
            err["fields"] = fields
        self.errors = [err]


def save_error(code, message, fields=()):
    return {"statusCode": code, "message": message, "fields": list(fields)}


def task_field(name):
    """A Task field's name as Salesforce spells it (names in JSON are
    case-insensitive); a new custom field is taken as text."""
    field = SCHEMA["Task"]["lower"].get(name.lower())
    if field is None and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*__c", name):
        add_field("Task", name, "string")
        field = name
    return field


def task_value(field, value):
    """A JSON value as the field keeps it; Refused (a request-level 400,
    as a value Salesforce cannot deserialize is) when it does not fit."""
    ftype, given = SCHEMA["Task"]["fields"][field][0], value
    if value is None:
        return None
    bad = False
    if ftype == "date":
        bad = not isinstance(value, str) or to_date(value) != value[:10] or \
            len(value) != 10
    elif ftype == "datetime":
        bad = not isinstance(value, str) or parse_time(value) is None
        value = None if bad else to_datetime(value)
    elif ftype == "boolean":
        bad = not isinstance(value, bool)
    elif ftype in NUMBER_TYPES:
        bad = isinstance(value, bool) or not isinstance(value, (int, float))
    elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
        bad = True
    else:
        value = str(value)
    if bad:
        raise Refused(400, "JSON_PARSER_ERROR", "Cannot deserialize instance "
                      "of %s from value %s for field %s" % (
                          ftype, json.dumps(given), field))
    return value


def task_errors(fields, creating):
    """The Task's fields checked as Salesforce checks them: (the values by
    field name, the save errors)."""
    clean, errors = {}, []
    for name, value in fields.items():
        if name == "attributes":
            continue
        field = task_field(name)
        if field is None:
            errors.append(save_error("INVALID_FIELD", "No such column '%s' on "
                                     "sobject of type Task" % name, [name]))
            continue
        if field in READ_ONLY or (field in CREATE_ONLY and not creating):
            errors.append(save_error(
                "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update "
                "fields: %s. Please check the security settings of this "
                "field and verify that it is read/write for your profile or "
                "permission set." % field, [field]))
            continue
        clean[field] = task_value(field, value)
    for field, allowed in PICKLISTS.items():
        if clean.get(field) is not None and clean[field] not in allowed:
            errors.append(save_error(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "%s: bad value for "
                "restricted picklist field: %s" % (field, clean[field]),
                [field]))
    errors += reference_errors(clean)
    return clean, errors


def reference_errors(clean):
    """OwnerId must be a User, WhatId an Opportunity (the only object in
    this org a Task can be related to), WhoId a Contact."""
    errors = []
    checks = (("OwnerId", "User", "Owner ID"), ("WhatId", "Opportunity",
                                                 "Related To ID"),
              ("WhoId", "Contact", "Name ID"))
    for field, obj, label in checks:
        value = clean.get(field)
        if value is None:
            continue
        row = ORG[obj].by_id.get(value)
        if row is not None and row.get("IsDeleted"):
            errors.append(save_error("ENTITY_IS_DELETED", "entity is deleted",
                                     [field]))
        elif row is None and find_record(value)[0] is not None:
            errors.append(save_error("FIELD_INTEGRITY_EXCEPTION", "%s: id "
                                     "value of incorrect type: %s"
                                     % (label, value), [field]))
        elif row is None:
            errors.append(save_error("INVALID_CROSS_REFERENCE_KEY",
                                     "invalid cross reference id", [field]))
        elif obj == "User" and not row.get("IsActive"):
            errors.append(save_error("INACTIVE_OWNER_OR_USER", "operation "
                                     "performed with inactive user [%s] as "
                                     "owner of task" % value, [field]))
    return errors


def make_task(clean, at):
    row = {f: None for f in SCHEMA["Task"]["fields"]}
    row.update({"Status": "Not Started", "Priority": "Normal",
                "TaskSubtype": "Task", "OwnerId": ARGS.system_user})
    row.update(clean)
    row.update({"Id": new_id("00T"), "IsDeleted": False, "CreatedDate": at,
                "CreatedById": ARGS.system_user, "LastModifiedDate": at,
                "LastModifiedById": ARGS.system_user, "SystemModstamp": at})
    close_task(row, at)
    return table("Task").add(row)


def close_task(row, at):
    """IsClosed follows Status (Completed is the closed one);
    CompletedDateTime when it closes."""
    closed = row.get("Status") == "Completed"
    if closed and not row.get("IsClosed"):
        row["CompletedDateTime"] = at
    if not closed:
        row["CompletedDateTime"] = None
    row["IsClosed"] = closed


# --- admin changes to the org ---

def admin_value(obj, field, value):
    """A value given to an admin switch as the field keeps it."""
    ftype = SCHEMA[obj]["fields"][field][0]
    if value is None or value == "":
        return None
    if ftype == "datetime":
        out = to_datetime(value)
    elif ftype == "date":
        out = to_date(value)
    elif ftype in NUMBER_TYPES:
        out = number(value) if not isinstance(value, bool) else None
        if out is not None and ftype == "int":
            out = int(out)
    elif ftype == "boolean":
        out = value if isinstance(value, bool) else \
            {"true": True, "false": False}.get(str(value).lower())
    else:
        out = str(value)
    if out is None:
        raise AdminError(400, "%s.%s: not a %s: %r" % (obj, field, ftype,
                                                       value))
    return out


class AdminError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def admin_fields(obj, req, skip=("type", "Id", "id", "at", "by")):
    """An admin request's fields by their Salesforce names (a new custom
    field is made as text); refused when a field is unknown."""
    out = {}
    for name, value in req.items():
        if name in skip:
            continue
        field = SCHEMA[obj]["lower"].get(name.lower())
        if field is None and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*__c", name):
            add_field(obj, name, "string")
            field = name
        if field is None:
            raise AdminError(400, "no field %s on %s" % (name, obj))
        if obj == "Opportunity" and field == "StageName":
            stage = stage_of(value)
            out[field] = stage["MasterLabel"] if stage else value
            continue
        out[field] = admin_value(obj, field, value)
    return out


def admin_at(req):
    if req.get("at") is None:
        return now()
    at = to_datetime(req["at"])
    if at is None:
        raise AdminError(400, "at: not a time: %s" % req["at"])
    return at


def change_opportunity(req):
    """POST /_fake/opportunity: an Opportunity made or changed at `at`,
    with the history Salesforce writes for it."""
    oid = str(req.get("Id") or req.get("id") or "")
    if not oid:
        raise AdminError(400, "Id is required")
    at = admin_at(req)
    fields = admin_fields("Opportunity", req)
    opps = table("Opportunity")
    opp = opps.by_id.get(oid)
    made = opp is None
    if made:
        first = ORG["_stages"][0]["MasterLabel"] if ORG["_stages"] else None
        opp = {f: None for f in SCHEMA["Opportunity"]["fields"]}
        opp.update({"Id": oid, "Name": oid, "StageName": first,
                    "IsDeleted": False, "CreatedDate": at,
                    "RecordTypeId": record_type("New business")})
        if ARGS.multi_currency:
            opp["CurrencyIsoCode"] = ARGS.currency
    old = dict(opp)
    opp.update(fields)
    if made or "StageName" in fields or "ForecastCategoryName" in fields:
        forecast = fields.get("ForecastCategoryName")
        fc_key = next((k for k, v in FORECAST.items() if forecast in v),
                      forecast)
        stage_fields(opp, stage_of(opp.get("StageName")), fc_key)
    expected_revenue(opp)
    by = req.get("by") or opp.get("OwnerId")
    if made:
        opp["CreatedById"] = by
        opp = opps.add(opp)
    opp["SystemModstamp"] = opp["LastModifiedDate"] = at
    opp["LastModifiedById"] = by
    opps.changed()
    write_opportunity_history(opp, old, made, at, by)


def write_opportunity_history(opp, old, made, at, by):
    if made or any(opp.get(f) != old.get(f) for f in ("StageName", "Amount",
                                                      "CloseDate")):
        stage = stage_of(opp.get("StageName"))
        add_stage_history(opp["Id"], opp.get("StageName"), stage,
                          opp.get("Amount"), opp.get("CloseDate"), at, by,
                          None if made else
                          (old.get("Amount"), old.get("CloseDate")))
    if made:
        return
    for field in SCHEMA["Opportunity"]["fields"]:
        dtype = TRACKED.get(field) or ("Text" if field.endswith("__c")
                                       else None)
        if dtype is None or opp.get(field) == old.get(field):
            continue
        table("OpportunityFieldHistory").add({
            "Id": new_id("017"), "OpportunityId": opp["Id"],
            "Field": "Owner" if field == "OwnerId" else field,
            "OldValue": old.get(field), "NewValue": opp.get(field),
            "DataType": "Date" if SCHEMA["Opportunity"]["fields"][field][0]
            == "date" else dtype, "CreatedDate": at, "CreatedById": by,
            "IsDeleted": False})


ADMIN_TYPES = ("Task", "Event", "EmailMessage", "Stage_Evidence__c",
               "Contact")


def change_record(req):
    """POST /_fake/record: an activity, evidence or contact record made or
    its fields merged; its Id."""
    obj = next((t for t in ADMIN_TYPES
                if t.lower() == str(req.get("type") or "").lower()), None)
    if obj is None:
        raise AdminError(400, "type: one of %s" % ", ".join(ADMIN_TYPES))
    at = admin_at(req)
    fields = admin_fields(obj, req)
    tbl = table(obj)
    rid = str(req.get("Id") or req.get("id") or "")
    row = tbl.by_id.get(rid) if rid else None
    if row is None:
        row = {f: None for f in SCHEMA[obj]["fields"]}
        row.update({"Id": rid or new_id(SCHEMA[obj]["prefix"]),
                    "IsDeleted": False, "CreatedDate": at,
                    "CreatedById": fields.get("OwnerId")})
        if obj == "Task":
            row.update({"Status": "Not Started", "Priority": "Normal",
                        "TaskSubtype": "Task"})
        row = tbl.add(row)
    row.update(fields)
    if obj == "Task":
        close_task(row, at)
    if obj == "Contact":
        row["Name"] = " ".join(p for p in (row.get("FirstName"),
                                           row.get("LastName")) if p) or \
            row.get("Name")
    for f in ("LastModifiedDate", "SystemModstamp"):
        if f in SCHEMA[obj]["fields"]:
            row[f] = at
    tbl.changed()
    return row["Id"]


def delete_record(req):
    obj = next((t for t in SCHEMA if "IsDeleted" in SCHEMA[t]["fields"] and
                t.lower() == str(req.get("type") or "").lower()), None)
    if obj is None:
        raise AdminError(400, "type: an object with IsDeleted")
    row = table(obj).by_id.get(str(req.get("Id") or req.get("id") or ""))
    if row is None:
        raise AdminError(404, "no %s %s" % (obj, req.get("Id")))
    row["IsDeleted"] = True
    if "SystemModstamp" in SCHEMA[obj]["fields"]:
        row["SystemModstamp"] = admin_at(req)
    table(obj).changed()


# --- the HTTP side ---

def locator_offset(locator):
    """A Bulk API 2.0 locator (base64 of the record offset, "MTAwMDA" for
    10000, as the documentation's example) as the offset, or None."""
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4),
                                validate=True).decode()
        return int(text) if text.isdigit() else None
    except (ValueError, UnicodeDecodeError):
        return None


def bulk_locator(offset):
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def base_url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def limit_info(self):
        with LOCK:
            return [("Sforce-Limit-Info", "api-usage=%d/%d" % (
                STATE["used"], ARGS.daily_limit))]

    def answer(self, status, body=b"", ctype="application/json;charset=UTF-8",
               headers=(), truncate=False, limits=True):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
        for name, value in list(headers) + (self.limit_info() if limits
                                            else []):
            self.send_header(name, value)
        self.end_headers()
        if status == 204:
            return
        if truncate:
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(data)

    def refuse(self, e):
        self.answer(e.status, e.errors, headers=e.headers)

    def date_time_string(self, timestamp=None):
        """The Date header by the org's clock."""
        return super().date_time_string(
            org_time() if timestamp is None else timestamp)

    def json_body(self, kind=dict):
        try:
            req = json.loads(self.raw_body or b"null")
        except ValueError:
            raise Refused(400, "JSON_PARSER_ERROR", "Unexpected character: "
                          "was expecting a JSON value") from None
        if not isinstance(req, kind):
            raise Refused(400, "JSON_PARSER_ERROR", "Cannot deserialize the "
                          "request body: expected a JSON %s" % (
                              "object" if kind is dict else "array"))
        return req

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PATCH(self):
        self.route("PATCH")

    def do_DELETE(self):
        self.route("DELETE")

    def do_PUT(self):
        self.route("PUT")

    # --- faults, the token, authentication and the daily limit, in order

    def take_fault(self, path, locator=False):
        """The fault armed for path: after "skip" matching requests served
        as usual, "count" of them get it.  A locator fault waits for a
        request that uses a query locator."""
        with LOCK:
            for f in STATE["faults"]:
                if (not path.startswith(str(f.get("path", ""))) or
                        f.get("count", 1) <= 0 or
                        (str(f.get("kind")) == "locator") != locator):
                    continue
                if f.get("skip", 0) > 0:
                    f["skip"] -= 1
                    continue
                f["count"] = f.get("count", 1) - 1
                return str(f.get("kind"))
        return None

    def log_entry(self, method, path, q):
        """What /_fake/log keeps of a request: its JSON body parsed (a form
        body, the token endpoint's secrets, stays out)."""
        entry = {"method": method, "path": path, "query": q}
        if self.raw_body and path != "/services/oauth2/token":
            try:
                entry["body"] = json.loads(self.raw_body)
            except ValueError:
                pass
        options = self.headers.get("Sforce-Query-Options")
        if options:
            entry["headers"] = {"Sforce-Query-Options": options}
        # A next page names its query's object, so a test can find it.
        m = re.search(r"/query(?:All)?/(01g[A-Za-z0-9]{15})-\d+$", path)
        cursor = STATE["cursors"].get(m.group(1)) if m else None
        if cursor is not None:
            entry["object"] = cursor["obj"]
        return entry

    def route(self, method):
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query,
                                          keep_blank_values=True).items()}
        n = int(self.headers.get("Content-Length") or 0)
        self.raw_body = self.rfile.read(n) if n else b""
        if url.path.startswith("/_fake/"):
            self.admin(method, url.path)
            return
        with LOCK:
            STATE["log"].append(self.log_entry(method, url.path, q))
        fault = self.take_fault(url.path)
        if fault is not None and self.fault(fault):
            return
        if url.path == "/services/oauth2/token":
            status, body = self.token(method)
            self.answer(status, body, truncate=fault == "truncate")
            return
        if url.path.rstrip("/") == "/services/data" and method == "GET":
            self.answer(200, [{"label": "Winter '25", "url":
                               "/services/data/v62.0", "version": "62.0"}])
            return
        if not self.authorized():
            return
        with LOCK:
            over = STATE["used"] >= ARGS.daily_limit
            if not over:
                STATE["used"] += 1
        if over:
            self.refuse(Refused(403, "REQUEST_LIMIT_EXCEEDED",
                                "TotalRequests Limit exceeded."))
            return
        self.api(method, url.path, q, fault == "truncate")

    def fault(self, kind):
        """Answers the fault and says so; "expire" and "truncate" let the
        request go on."""
        if kind == "500":
            self.refuse(Refused(500, "UNKNOWN_EXCEPTION", "An unexpected "
                                "error occurred. Please include this ErrorId "
                                "if you contact support: 1729384756-12345 "
                                "(-1234567890)"))
        elif kind == "503":
            self.refuse(Refused(503, "SERVER_UNAVAILABLE", "Server is "
                                "temporarily unavailable, please try again"))
        elif kind == "429":
            # Salesforce documents no 429; a gateway in front of it sends
            # this, with its own page and Retry-After.
            self.answer(429, "<html><body><h1>429 Too Many Requests</h1>"
                        "</body></html>", "text/html",
                        [("Retry-After", "1")], limits=False)
        elif kind == "request_limit":
            self.refuse(Refused(403, "REQUEST_LIMIT_EXCEEDED",
                                "TotalRequests Limit exceeded."))
        elif kind == "concurrency":
            self.refuse(Refused(403, "REQUEST_LIMIT_EXCEEDED",
                                "ConcurrentPerOrgLongTxn Limit exceeded."))
        elif kind == "garbage":
            self.answer(200, "<html><head><title>Down for maintenance"
                        "</title></head><body>Salesforce is down for "
                        "maintenance.</body></html>", "text/html",
                        limits=False)
        elif kind == "expire":
            with LOCK:
                for t in STATE["tokens"].values():
                    t["expires"] = 0
            return False
        else:
            return False
        return True

    def authorized(self):
        auth = self.headers.get("Authorization") or ""
        # "OAuth <session>" is the older spelling the Bulk API still takes.
        scheme, _, token = auth.partition(" ")
        token = token.strip() if scheme.lower() in ("bearer", "oauth") \
            else None
        with LOCK:
            t = STATE["tokens"].get(token)
            ok = t is not None and t["expires"] > org_time()
        if not ok:
            self.refuse(Refused(401, "INVALID_SESSION_ID",
                                "Session expired or invalid"))
        return ok

    def token(self, method):
        """The OAuth token endpoint: refresh_token and client_credentials
        grants, answered as the refresh token flow's documentation shows
        (no expires_in: a session lasts until a 401 says otherwise);
        (status, body)."""
        form = {k: v[0] for k, v in parse_qs(
            self.raw_body.decode("utf-8", "replace")).items()}
        client_id, client_secret, _ = ARGS.oauth.split(":", 2)
        grant = form.get("grant_type")

        def oauth_error(error, description):
            return 400, {"error": error, "error_description": description}
        if method != "POST" or grant not in ("refresh_token",
                                             "client_credentials"):
            return oauth_error("unsupported_grant_type",
                               "grant type not supported")
        if form.get("client_id") != client_id:
            return oauth_error("invalid_client_id", "client identifier "
                               "invalid")
        if form.get("client_secret") != client_secret:
            return oauth_error("invalid_client", "invalid client credentials")
        with LOCK:
            if grant == "refresh_token" and \
                    form.get("refresh_token") not in STATE["refresh"]:
                return oauth_error("invalid_grant", "expired access/refresh "
                                   "token")
            body = self.new_session(client_secret, grant)
            if grant == "refresh_token" and ARGS.rotate_refresh:
                # Rotation: the answer carries a new refresh token and the
                # one just used dies.
                STATE["refresh"].discard(form["refresh_token"])
                body["refresh_token"] = "5Aep861" + secrets.token_urlsafe(32)
                STATE["refresh"].add(body["refresh_token"])
        return 200, body

    def new_session(self, client_secret, grant):
        token = ORG_ID[:15] + "!AQ" + secrets.token_urlsafe(48)
        STATE["tokens"][token] = {"expires": org_time() + ARGS.session_ttl}
        issued = str(int(org_time() * 1000))
        ident = "%s/id/%s/%s" % (self.base_url(), ORG_ID, ARGS.system_user)
        # As documented: HMAC-SHA256 of id + issued_at with the secret.
        signature = base64.b64encode(hmac.new(
            client_secret.encode(), (ident + issued).encode(),
            hashlib.sha256).digest()).decode()
        return {"access_token": token, "signature": signature,
                "scope": "api refresh_token" if grant == "refresh_token"
                else "api", "instance_url": self.base_url(), "id": ident,
                "token_type": "Bearer", "issued_at": issued}

    # --- the API ---

    def api(self, method, path, q, truncate):
        try:
            status, body, ctype, headers = self.dispatch(method, path, q)
        except Refused as e:
            self.refuse(e)
            return
        except SoqlError as e:
            self.refuse(Refused(400, e.code, e.message(self.soql)))
            return
        except Exception:   # a bug here must not look like an empty org
            traceback.print_exc()
            self.refuse(Refused(500, "UNKNOWN_EXCEPTION", "An unexpected "
                                "error occurred in salesforce_fake.py"))
            return
        self.answer(status, body, ctype, headers, truncate)

    def dispatch(self, method, path, q):
        """(status, body, content type, headers) for an API request, or
        Refused / SoqlError."""
        m = re.fullmatch(r"/services/data/v(\d+\.\d+)(/.*)?", path)
        if m is None:
            raise Refused(404, "NOT_FOUND", NOT_FOUND)
        version, rest = m.group(1), (m.group(2) or "/").strip("/")
        parts = rest.split("/") if rest else []
        base = "/services/data/v" + version
        json_type = "application/json;charset=UTF-8"
        self.soql = q.get("q", "")
        if parts[:1] in (["query"], ["queryAll"]) and method == "GET":
            if len(parts) == 1 or parts[1] == "":
                return 200, self.query(base, q.get("q", ""),
                                       parts[0] == "queryAll"), json_type, []
            if len(parts) == 2:
                return 200, self.query_more(base, path, parts[1]), \
                    json_type, []
        if parts[:2] == ["jobs", "query"]:
            return self.jobs(method, version, base, parts[2:], q)
        if parts == ["composite", "sobjects"] and method == "POST":
            return 200, self.collection_create(), json_type, []
        if parts[:1] == ["sobjects"]:
            return self.sobjects(method, base, parts[1:], q)
        if parts == ["limits"] and method == "GET":
            with LOCK:
                used = STATE["used"]
            return 200, {"DailyApiRequests": {
                "Max": ARGS.daily_limit,
                "Remaining": ARGS.daily_limit - used}}, json_type, []
        if not parts and method == "GET":
            return 200, {k: "%s/%s" % (base, k) for k in (
                "query", "queryAll", "sobjects", "limits", "jobs/query",
                "composite")}, json_type, []
        raise Refused(404, "NOT_FOUND", NOT_FOUND)

    # --- query and paging ---

    def page_size(self):
        """--batch, or the Sforce-Query-Options batchSize (200 to 2,000, a
        hint), cut to --max-page for tests."""
        size = ARGS.batch
        m = re.search(r"batchSize\s*=\s*(\d+)",
                      self.headers.get("Sforce-Query-Options") or "")
        if m:
            size = min(2000, max(200, int(m.group(1))))
        return max(1, min(size, ARGS.max_page or size))

    def query(self, base, soql, include_deleted):
        with LOCK:
            q = compile_soql(soql)
            rows = execute(q, include_deleted)
            if q.count_only:
                return {"totalSize": len(rows), "done": True, "records": []}
            self.drop_old_cursors()
            cursor = {"obj": q.obj, "plan": plan_of(q.refs), "rows": rows,
                      "size": self.page_size(), "touched": org_time(),
                      "issued": set()}
            return self.page(base, cursor, 0)

    def drop_old_cursors(self):
        limit = org_time() - ARGS.locator_ttl
        for key in [k for k, c in STATE["cursors"].items()
                    if c["touched"] < limit]:
            del STATE["cursors"][key]

    def page(self, base, cursor, offset):
        """One page of a query's records from offset; a locator for the
        next (kept as issued) while there are more."""
        rows, size = cursor["rows"], cursor["size"]
        body = {"totalSize": len(rows), "done": offset + size >= len(rows)}
        if not body["done"]:
            key = cursor.get("id")
            if key is None:
                key = cursor["id"] = "01g" + "".join(
                    secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno"
                                   "pqrstuvwxyz0123456789") for _ in range(15))
                STATE["cursors"][key] = cursor
            cursor["issued"].add(offset + size)
            body["nextRecordsUrl"] = "%s/query/%s-%d" % (base, key,
                                                         offset + size)
        body["records"] = [shape(cursor["obj"], r, cursor["plan"], base)
                           for r in rows[offset:offset + size]]
        return body

    def query_more(self, base, path, locator):
        m = re.fullmatch(r"(01g[A-Za-z0-9]{15})-(\d+)", locator)
        bad = Refused(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        if self.take_fault(path, locator=True):
            raise bad
        with LOCK:
            self.drop_old_cursors()
            cursor = STATE["cursors"].get(m.group(1)) if m else None
            if cursor is None or int(m.group(2)) not in cursor["issued"]:
                raise bad
            cursor["touched"] = org_time()
            return self.page(base, cursor, int(m.group(2)))

    # --- Bulk API 2.0 query jobs ---

    def jobs(self, method, version, base, rest, q):
        """/jobs/query[/ID[/results]]: (status, body, type, headers)."""
        json_type = "application/json;charset=UTF-8"
        if not rest and method == "POST":
            return 200, self.create_job(version), json_type, []
        if not rest and method == "GET":
            with LOCK:
                infos = [job_info(j, full=True)
                         for j in STATE["jobs"].values()]
            return 200, {"done": True, "records": infos,
                         "nextRecordsUrl": None}, json_type, []
        with LOCK:
            # "All jobs and batches older than seven days are deleted"
            # (Job and Batch Lifespan), by the org's clock.
            for key in [k for k, j in STATE["jobs"].items()
                        if j["made_s"] < org_time() - 7 * 86400]:
                del STATE["jobs"][key]
            job = STATE["jobs"].get(rest[0]) if rest else None
        if job is None or len(rest) > 2 or (len(rest) == 2 and
                                            rest[1] != "results"):
            raise Refused(404, "NOT_FOUND", NOT_FOUND)
        if len(rest) == 2 and method == "GET":
            return self.job_results(job, q)
        if len(rest) == 1 and method == "GET":
            with LOCK:
                job["polls"] += 1
                return 200, job_info(job, full=True), json_type, []
        if len(rest) == 1 and method in ("PATCH", "POST"):
            state = self.json_body().get("state")
            if state != "Aborted":
                raise Refused(400, "INVALIDJOB", "InvalidJob : Invalid state "
                              "for a query job: %s" % state)
            with LOCK:
                if job_state(job) != "JobComplete":
                    job["aborted"] = True
                job["systemModstamp"] = now()
                return 200, job_info(job), json_type, []
        if len(rest) == 1 and method == "DELETE":
            with LOCK:
                STATE["jobs"].pop(job["id"], None)
            return 204, b"", json_type, []
        raise Refused(405, "METHOD_NOT_ALLOWED", "HTTP Method '%s' not "
                      "allowed." % method)

    def create_job(self, version):
        req = self.json_body()
        operation = req.get("operation")
        if operation not in ("query", "queryAll"):
            raise Refused(400, "INVALIDJOB", "InvalidJob : Invalid "
                          "operation: %s" % operation)
        if req.get("contentType", "CSV") != "CSV":
            raise Refused(400, "INVALIDJOB", "InvalidJob : Invalid content "
                          "type: %s" % req.get("contentType"))
        delimiters = {"COMMA": ",", "TAB": "\t", "PIPE": "|",
                      "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
        delimiter = req.get("columnDelimiter", "COMMA")
        line_ending = req.get("lineEnding", "LF")
        if delimiter not in delimiters or line_ending not in ("LF", "CRLF"):
            raise Refused(400, "INVALIDJOB", "InvalidJob : Invalid "
                          "columnDelimiter or lineEnding")
        self.soql = str(req.get("query") or "")
        with LOCK:
            q = compile_soql(self.soql)
            if q.count_only:
                raise Refused(400, "INVALIDJOB", "InvalidJob : Aggregate "
                              "functions such as COUNT() are not supported "
                              "by Bulk API 2.0 query jobs")
            # "Bulk API 2.0 doesn't support SOQL queries that include any
            # of these items: GROUP BY, LIMIT, ORDER BY, OFFSET, or TYPEOF
            # clauses" (Create a Query Job).
            if q.order or q.limit is not None or q.offset is not None:
                raise Refused(400, "INVALIDJOB", "InvalidJob : ORDER BY, "
                              "LIMIT and OFFSET are not supported by Bulk "
                              "API 2.0 query jobs")
            rows = execute(q, operation == "queryAll")
            # A job's results come in no order (PK chunks run in
            # parallel): shuffled, the same way for the same job.
            random.Random(len(STATE["jobs"])).shuffle(rows)
            at = now()
            job = {"id": new_id("750"), "operation": operation,
                   "object": q.obj, "createdById": ARGS.system_user,
                   "createdDate": at, "systemModstamp": at,
                   "apiVersion": float(version), "lineEnding": line_ending,
                   "columnDelimiter": delimiter, "sep": delimiters[delimiter],
                   "refs": q.refs, "polls": 0, "aborted": False,
                   "rows": rows, "made_s": org_time()}
            STATE["jobs"][job["id"]] = job
            info = job_info(job)
            info["state"] = "UploadComplete"
            return info

    def job_results(self, job, q):
        """A set of a finished job's records as CSV from the locator's
        offset, at most maxRecords of them; Sforce-Locator names the next
        set ("null" after the last)."""
        with LOCK:
            state = job_state(job)
            if state != "JobComplete":
                raise Refused(400, "INVALIDJOBSTATE", "Job %s is not "
                              "complete: its state is %s" % (job["id"],
                                                             state))
            offset = 0
            if q.get("locator"):
                offset = locator_offset(q["locator"])
                if offset is None or offset >= max(len(job["rows"]), 1):
                    raise Refused(400, "INVALID_QUERY_LOCATOR",
                                  "Invalid locator: %s" % q["locator"])
            try:
                most = int(q.get("maxRecords") or ARGS.bulk_chunk)
            except ValueError:
                most = 0
            if most < 1:
                raise Refused(400, "INVALIDJOB", "InvalidJob : maxRecords "
                              "must be a positive integer")
            chunk = job["rows"][offset:offset + most]
            end = "\r\n" if job["lineEnding"] == "CRLF" else "\n"
            sep = job["sep"]
            lines = [sep.join('"%s"' % r.name for r in job["refs"])]
            lines += [sep.join(csv_cell(ref.get(row)) for ref in job["refs"])
                      for row in chunk]
            more = offset + len(chunk) < len(job["rows"])
        headers = [("Sforce-Locator", bulk_locator(offset + len(chunk))
                    if more else "null"),
                   ("Sforce-NumberOfRecords", str(len(chunk)))]
        return 200, end.join(lines) + end, "text/csv", headers

    # --- sObjects ---

    def sobjects(self, method, base, rest, q):
        json_type = "application/json;charset=UTF-8"
        if not rest and method == "GET":
            return 200, {"encoding": "UTF-8", "maxBatchSize": 200,
                         "sobjects": [describe_global(o) for o in SCHEMA]}, \
                json_type, []
        obj = next((o for o in SCHEMA if o.lower() == rest[0].lower()), None)
        if obj is None:
            raise Refused(404, "NOT_FOUND", NOT_FOUND)
        if rest[1:] == ["describe"] and method == "GET":
            with LOCK:
                return 200, describe(obj), json_type, []
        if obj == "Task" and len(rest) == 1 and method == "POST":
            result = self.create_one()
            return 201, result, json_type, []
        if len(rest) != 2:
            raise Refused(404, "NOT_FOUND", NOT_FOUND)
        if method == "GET":
            with LOCK:
                row = ORG[obj].by_id.get(rest[1])
                if row is None or row.get("IsDeleted"):
                    raise Refused(404, "NOT_FOUND", NOT_FOUND)
                plan = full_plan(obj)
                if q.get("fields"):
                    plan = plan_of([resolve_path(obj, f, 0)
                                    for f in q["fields"].split(",")])
                return 200, shape(obj, row, plan, base), json_type, []
        if obj == "Task" and method == "PATCH":
            self.update_task(rest[1])
            return 204, b"", json_type, []
        raise Refused(405, "METHOD_NOT_ALLOWED", "HTTP Method '%s' not "
                      "allowed. Allowed are GET,HEAD" % method)

    def collection_create(self):
        """POST composite/sobjects: Tasks made in input order, each with its
        own result; with allOrNone one failure makes none."""
        req = self.json_body()
        records = req.get("records")
        if not isinstance(records, list):
            raise Refused(400, "JSON_PARSER_ERROR", "records: a list of "
                          "sObjects is required")
        if len(records) > 200:
            raise Refused(400, "EXCEEDED_ID_LIMIT", "record limit reached. "
                          "cannot submit more than 200 records into this "
                          "call")
        with LOCK:
            checked = [self.check_new(r) for r in records]
            failed = any(errors for _, errors in checked)
            at, results = now(), []
            for clean, errors in checked:
                if errors:
                    results.append({"success": False, "errors": errors})
                elif failed and req.get("allOrNone"):
                    results.append({"success": False, "errors": [save_error(
                        "ALL_OR_NONE_OPERATION_ROLLED_BACK", "Record rolled "
                        "back because not all records were valid and the "
                        "request was using AllOrNone header")]})
                else:
                    results.append({"id": make_task(clean, at)["Id"],
                                    "success": True, "errors": []})
        return results

    def check_new(self, record):
        """A record of a collection checked for creating: (its fields, its
        errors)."""
        if not isinstance(record, dict):
            raise Refused(400, "JSON_PARSER_ERROR", "records: each record "
                          "is a JSON object")
        attributes = record.get("attributes")
        obj = attributes.get("type") if isinstance(attributes, dict) \
            else None
        if not obj:
            raise Refused(400, "INVALID_TYPE", "No SObject Type defined in "
                          "attributes")
        if obj.lower() != "task":
            return None, [save_error("INVALID_TYPE", "salesforce_fake.py "
                                     "creates only Task records, not %s"
                                     % obj)]
        if any(k.lower() == "id" for k in record):
            return None, [save_error("INVALID_FIELD_FOR_INSERT_UPDATE",
                                     "cannot specify Id in an insert call",
                                     ["Id"])]
        return task_errors(record, True)

    def create_one(self):
        """POST sobjects/Task: 201 {"id", "success", "errors"}, or 400 with
        the errors as an array."""
        req = self.json_body()
        with LOCK:
            clean, errors = self.check_new(dict(req, attributes={
                "type": "Task"}))
            if errors:
                raise Refused(400, errors[0]["statusCode"],
                              errors[0]["message"], errors[0]["fields"])
            return {"id": make_task(clean, now())["Id"], "success": True,
                    "errors": []}

    def update_task(self, task_id):
        req = self.json_body()
        with LOCK:
            task = table("Task").by_id.get(task_id)
            if task is None or task.get("IsDeleted"):
                raise Refused(404, "NOT_FOUND", NOT_FOUND)
            clean, errors = task_errors(req, False)
            if errors:
                raise Refused(400, errors[0]["statusCode"],
                              errors[0]["message"], errors[0]["fields"])
            at = now()
            task.update(clean)
            close_task(task, at)
            # A person (the task's owner) updates it in Salesforce.
            task["LastModifiedById"] = task.get("OwnerId")
            task["LastModifiedDate"] = task["SystemModstamp"] = at
            table("Task").changed()

    # --- the admin switches ---

    def admin(self, method, path):
        try:
            body = self.admin_answer(method, path)
        except (AdminError, Refused) as e:
            status = e.status
            message = e.message if isinstance(e, AdminError) else str(e)
            self.answer(status, {"error": message}, limits=False)
            return
        self.answer(200, body, limits=False)

    def admin_answer(self, method, path):
        if path == "/_fake/log":
            with LOCK:
                return {"log": list(STATE["log"])}
        if path == "/_fake/stats":
            with LOCK:
                return stats()
        if method != "POST":
            raise AdminError(404, "no admin switch %s %s" % (method, path))
        req = self.json_body()
        with LOCK:
            if path == "/_fake/fault":
                STATE["faults"].append(dict(req, count=req.get("count", 1),
                                            skip=req.get("skip", 0)))
            elif path == "/_fake/clock":
                STATE["clock"] += float(req.get("advance_s", 0))
            elif path == "/_fake/opportunity":
                change_opportunity(req)
            elif path == "/_fake/record":
                return {"Id": change_record(req)}
            elif path == "/_fake/delete":
                delete_record(req)
            else:
                raise AdminError(404, "no admin switch POST %s" % path)
        return {}


def job_state(job):
    """InProgress for the first --bulk-polls polls, then JobComplete."""
    if job["aborted"]:
        return "Aborted"
    if job["polls"] > ARGS.bulk_polls or ARGS.bulk_polls == 0:
        return "JobComplete"
    return "InProgress" if job["polls"] > 0 else "UploadComplete"


def job_info(job, full=False):
    state = job_state(job)
    info = {k: job[k] for k in ("id", "operation", "object", "createdById",
                                "createdDate", "systemModstamp")}
    info.update(state=state, concurrencyMode="Parallel", contentType="CSV",
                apiVersion=job["apiVersion"], lineEnding=job["lineEnding"],
                columnDelimiter=job["columnDelimiter"])
    if full:
        info.update(jobType="V2Query", numberRecordsProcessed=len(
            job["rows"]) if state == "JobComplete" else 0, retries=0,
            totalProcessingTime=250 if state == "JobComplete" else 0)
    return info


def describe_global(obj):
    return {"name": obj, "label": obj, "custom": obj.endswith("__c"),
            "keyPrefix": SCHEMA[obj]["prefix"], "queryable": True,
            "createable": obj == "Task", "updateable": obj == "Task",
            "urls": {"sobject": "/services/data/v62.0/sobjects/" + obj}}


def describe(obj):
    fields = []
    for name, (ftype, target) in SCHEMA[obj]["fields"].items():
        rel = next((r[0] for r in SCHEMA[obj]["rels"].values()
                    if r[1] == name), None)
        fields.append({
            "name": name, "label": name, "type": {"ref": "reference",
                                                  "int": "int"}.get(
                ftype, ftype), "custom": name.endswith("__c"),
            "nillable": name not in ("Id", "IsDeleted"),
            "filterable": ftype not in UNFILTERABLE,
            "sortable": ftype not in UNFILTERABLE,
            "referenceTo": [target] if target else [],
            "relationshipName": rel,
            "picklistValues": [{"value": v, "label": v, "active": True}
                               for v in PICKLISTS.get(name, ())]
            if obj == "Task" else []})
    return dict(describe_global(obj), fields=fields)


def stats():
    live = {o: sum(1 for r in ORG[o].rows if not r.get("IsDeleted"))
            for o in SCHEMA}
    return {"requests": len(STATE["log"]), "api_usage": STATE["used"],
            "daily_limit": ARGS.daily_limit, "records": live,
            "deleted": {o: len(ORG[o].rows) - live[o] for o in SCHEMA},
            "jobs": len(STATE["jobs"]), "open_locators": len(STATE["cursors"]),
            "sessions": sum(1 for t in STATE["tokens"].values()
                            if t["expires"] > org_time())}


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
                   help="the stageguard rules config (its stages)")
    p.add_argument("--oauth", default="sf-client-id:sf-client-secret:"
                   "sf-refresh-token",
                   help="CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN accepted")
    p.add_argument("--rotate-refresh", action="store_true",
                   help="each refresh answers a new refresh token and kills "
                   "the old one")
    p.add_argument("--token", default=None,
                   help="a session id accepted without the token endpoint")
    p.add_argument("--session-ttl", type=float, default=7200,
                   help="seconds (org clock) a session lasts")
    p.add_argument("--batch", type=int, default=2000,
                   help="query records per page")
    p.add_argument("--max-page", type=int, default=None,
                   help="query records per page at most (smaller for tests)")
    p.add_argument("--locator-ttl", type=float, default=900,
                   help="seconds (org clock) an idle query locator lives")
    p.add_argument("--bulk-polls", type=int, default=2,
                   help="polls a Bulk query job answers InProgress")
    p.add_argument("--bulk-chunk", type=int, default=50000,
                   help="Bulk results per set without maxRecords")
    p.add_argument("--daily-limit", type=int, default=15000,
                   help="API requests a day (Sforce-Limit-Info's MAX)")
    p.add_argument("--multi-currency", action="store_true",
                   help="Opportunity has CurrencyIsoCode")
    p.add_argument("--currency", default="USD",
                   help="the org's currency (multi-currency: when empty)")
    p.add_argument("--evidence-as-fields", action="store_true",
                   help="evidence as Opportunity fields with field history, "
                   "not as Stage_Evidence__c records")
    p.add_argument("--event-who", choices=("all", "buyer"), default="all",
                   help="which meetings' Events name a Contact (WhoId): "
                   "all, as Salesforce has it, or only the buyer's")
    p.add_argument("--task-field", action="append",
                   default=["Stageguard_Disposition__c"],
                   help="a custom text field Task has (repeatable)")
    p.add_argument("--system-user", default="005000000000SYSAAA",
                   help="the AutomatedProcess user (system party, the API)")
    p.add_argument("--buyer-user", default="005000000000BUYAAA",
                   help="the integration user that speaks for the buyer")
    ARGS = p.parse_args()
    if ARGS.oauth.count(":") < 2:
        p.error("--oauth: CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN")
    load_org(ARGS.data, ARGS.config)
    # The Task fields an admin made for the integration (the sink's
    # disposition field): there before any Task sets them.
    for name in ARGS.task_field:
        add_field("Task", name, "string")
    STATE["refresh"].add(ARGS.oauth.split(":", 2)[2])
    if ARGS.token:
        STATE["tokens"][ARGS.token] = {"expires": float("inf")}
    server = Server(("127.0.0.1", 0), Handler)
    print("PORT %d" % server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
