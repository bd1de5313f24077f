#!/usr/bin/env python3
"""The original service's DynamoDB tables, built with boto3 as its operators have them
(docs: ../shared/reference/ORIGINAL-STORAGE.md), for AME's migration tests and benchmark.

Usage: original_tables.py ENDPOINT PREFIX COMMAND [ARGS]

  create [WRONG]         create the six tables with the original's exact key schemas and indexes
                         (table WRONG, if named, with the hash key `id` alone: another key schema)
  fill [SCALE] [SEED]    write the sample data in the original's attribute formats (pynamodb
                         timestamps, 20-digit keys, maps and lists, two tenants, inactive `data`
                         versions, audit records, a `#` inside values); prints every item written
                         as JSON: {"table": [item, ...]} with DynamoDB's typed values
  put TABLE ITEM_JSON    put one item (ITEM_JSON in DynamoDB's typed form) into PREFIX+TABLE
  create-table NAME HASH:TYPE [RANGE:TYPE]
                         create a table with any keys (a table "with another key schema")
  digest                 print {"table": sha256 of every item, sorted} for each of the six tables,
                         to show that nothing on the original's side changed

Only loopback endpoints are accepted.
"""
import hashlib
import json
import random
import sys
import urllib.parse

import boto3

endpoint, prefix, command = sys.argv[1], sys.argv[2], sys.argv[3]
if urllib.parse.urlparse(endpoint).hostname not in ("127.0.0.1", "localhost", "::1"):
    sys.exit("original_tables.py: only loopback endpoints are accepted")
client = boto3.client(
    "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
    aws_access_key_id="testing", aws_secret_access_key="testing")

TABLES = ["corporation_profiles", "places", "contact_profiles", "contact_requests", "attribute_values",
          "activity_history"]


def lsi(name, attribute):
    return {"IndexName": name, "KeySchema": [{"AttributeName": "partition_key", "KeyType": "HASH"},
                                             {"AttributeName": attribute, "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}


def create_table(name, hash_key, range_key, types, local=(), global_=()):
    if name == wrong:
        client.create_table(TableName=prefix + name, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        return
    arguments = {
        "TableName": prefix + name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": hash_key, "KeyType": "HASH"},
                      {"AttributeName": range_key, "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": t} for a, t in sorted(types.items())],
    }
    if local:
        arguments["LocalSecondaryIndexes"] = list(local)
    if global_:
        arguments["GlobalSecondaryIndexes"] = list(global_)
    client.create_table(**arguments)


def create():
    create_table("corporation_profiles", "partition_key", "corporation_uuid",
                 {"partition_key": "S", "corporation_uuid": "S", "corporation_type": "S", "external_id": "S"},
                 [lsi("corporation_type-index", "corporation_type"), lsi("external_id-index", "external_id")])
    create_table("places", "partition_key", "place_uuid", {"partition_key": "S", "place_uuid": "S", "region": "S"},
                 [lsi("region-index", "region")])
    create_table("contact_profiles", "partition_key", "contact_uuid",
                 {"partition_key": "S", "contact_uuid": "S", "email": "S", "place_uuid": "S"},
                 [lsi("email-index", "email"), lsi("place_uuid-index", "place_uuid")])
    create_table("contact_requests", "partition_key", "request_uuid",
                 {"partition_key": "S", "request_uuid": "S", "contact_uuid": "S", "place_uuid": "S"},
                 [lsi("contact_uuid-index", "contact_uuid"), lsi("place_uuid-index", "place_uuid")])
    create_table(
        "attribute_values", "data_type_attribute_name", "value_version_uuid",
        {"data_type_attribute_name": "S", "value_version_uuid": "S", "data_identity": "S"},
        [{"IndexName": "data_identity-index",
          "KeySchema": [{"AttributeName": "data_type_attribute_name", "KeyType": "HASH"},
                        {"AttributeName": "data_identity", "KeyType": "RANGE"}],
          "Projection": {"ProjectionType": "ALL"}}],
        [{"IndexName": "data_identity-data_type_attribute_name-index",
          "KeySchema": [{"AttributeName": "data_identity", "KeyType": "HASH"},
                        {"AttributeName": "data_type_attribute_name", "KeyType": "RANGE"}],
          "Projection": {"ProjectionType": "ALL"}}])
    create_table("activity_history", "id", "timestamp", {"id": "S", "timestamp": "N", "type": "S"}, (),
                 [{"IndexName": "type-id-index",
                   "KeySchema": [{"AttributeName": "type", "KeyType": "HASH"},
                                 {"AttributeName": "id", "KeyType": "RANGE"}],
                   "Projection": {"ProjectionType": "ALL"}}])


def S(text):
    return {"S": text}


def N(number):
    return {"N": str(number)}


def L(values):
    return {"L": [S(v) for v in values]}


def pynamodb_time(seconds, micros):
    """pynamodb's UTCDateTimeAttribute format."""
    import datetime
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).replace(microsecond=micros)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


def fill(scale, seed):
    rng = random.Random(seed)
    used = set()

    def key():
        while True:
            value = "".join(rng.choice("0123456789") for _ in range(20))
            if value not in used:
                used.add(value)
                return value

    clock = [1_796_116_154]

    def stamp():
        clock[0] += rng.randint(1, 90)
        return pynamodb_time(clock[0], rng.randint(0, 999_999))

    items = {table: [] for table in TABLES}
    shared_place_key = key()  # one place key used by both tenants: its audit records are ambiguous
    for endpoint_id, part_id in (("dev", "dev"), ("acme", "eu")):
        tenant = f"{endpoint_id}#{part_id}"
        audit = {"partition_key": S(tenant), "endpoint_id": S(endpoint_id), "part_id": S(part_id),
                 "updated_by": S("importer")}

        def row(**fields):
            created = stamp()
            result = dict(audit)
            result.update({"created_at": S(created), "updated_at": S(stamp())})
            result.update({name: value for name, value in fields.items() if value is not None})
            return result

        corporations = []
        for index in range(2 * scale):
            uuid = key()
            corporations.append(uuid)
            items["corporation_profiles"].append(row(
                corporation_uuid=S(uuid), external_id=S(f"EXT-{index:04d}"), corporation_type=S(["franchise", "chain"][index % 2]),
                business_name=S(f"{endpoint_id.title()} Holdings #{index}"), categories=L(["retail", f"c{index % 3}"]),
                address={"M": {"street": S(f"{index} Main St"), "city": S("Springfield"), "state": S("IL"), "zip": S("62701")}}))
        places = []
        for index in range(3 * scale):
            uuid = shared_place_key if index == 0 else key()
            places.append(uuid)
            items["places"].append(row(
                place_uuid=S(uuid), region=S(["north", "south"][index % 2]), latitude=S(f"39.{index:04d}"),
                longitude=S(f"-89.{index:04d}"), business_name=S(f"Store {index}"), address=S(f"{index} Oak Ave"),
                phone_number=S(f"555-01{index % 100:02d}") if index % 2 == 0 else None,
                types=L(["store"]), corporation_uuid=S(corporations[index % len(corporations)])))
        contacts = []
        for index in range(4 * scale):
            uuid = key()
            contacts.append(uuid)
            items["contact_profiles"].append(row(
                contact_uuid=S(uuid), email=S(f"person{index}@{endpoint_id}.example"),
                first_name=S(f"Ann#{index}") if index % 2 == 0 else S(f"Bob{index}"),
                last_name=S(f"Lee{index}") if index % 3 else None, place_uuid=S(places[index % len(places)])))
        for index in range(4 * scale):
            items["contact_requests"].append(row(
                request_uuid=S(key()), contact_uuid=S(contacts[index % len(contacts)]),
                place_uuid=S(places[index % len(places)]), request_title=S(f"Request {index}"),
                request_detail=S(f"Detail #{index} for {endpoint_id}")))

        def version(data_type, attribute, identity, value, status):
            created = stamp()
            return {"data_type_attribute_name": S(f"{data_type}-{attribute}"), "value_version_uuid": S(key()),
                    "data_identity": S(identity), "partition_key": S(tenant), "value": S(value), "status": S(status),
                    "updated_by": S("importer"), "created_at": S(created), "updated_at": S(stamp())}

        for index, contact in enumerate(contacts):
            items["attribute_values"].append(version("contact", "department", contact, f"Old dept {index}", "inactive"))
            items["attribute_values"].append(version("contact", "department", contact, f"Sales #{index}", "active"))
            if index % 2 == 0:
                items["attribute_values"].append(version("contact", "employee_count", contact, str(100 + index), "active"))
        for index, corporation in enumerate(corporations):
            items["attribute_values"].append(version("corporation", "industry", corporation, f"Retail #{index}", "active"))

        for index, contact in enumerate(contacts):
            for step in range(2):
                clock[0] += 7
                items["activity_history"].append({
                    "id": S(contact), "timestamp": N(clock[0]), "type": S("ContactProfile"),
                    "log": S(["insert", "update"][step]), "updated_by": S("importer"), "updated_at": S(stamp()),
                    "data_diff": {"M": {"email": {"M": {"new": S(f"person{index}@{endpoint_id}.example")}}}}})
    # Audit records no single tenant owns: an id nobody has, and the place key both tenants use.
    for identity in (key(), shared_place_key):
        clock[0] += 11
        items["activity_history"].append({
            "id": S(identity), "timestamp": N(clock[0]), "type": S("Place"), "log": S("deleted #1"),
            "updated_by": S("importer"), "updated_at": S(stamp()), "data_diff": {"M": {}}})

    for table, rows in items.items():
        for start in range(0, len(rows), 25):
            request = {prefix + table: [{"PutRequest": {"Item": item}} for item in rows[start:start + 25]]}
            while request:
                answer = client.batch_write_item(RequestItems=request)
                request = answer.get("UnprocessedItems") or {}
    json.dump(items, sys.stdout)


def digest():
    result = {}
    for table in TABLES:
        rows = []
        for page in client.get_paginator("scan").paginate(TableName=prefix + table, ConsistentRead=True):
            rows += [json.dumps(item, sort_keys=True) for item in page["Items"]]
        result[table] = hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest() + f":{len(rows)}"
    json.dump(result, sys.stdout)


wrong = sys.argv[4] if command == "create" and len(sys.argv) > 4 else None
if command == "create":
    create()
elif command == "fill":
    fill(int(sys.argv[4]) if len(sys.argv) > 4 else 1, int(sys.argv[5]) if len(sys.argv) > 5 else 7)
elif command == "put":
    client.put_item(TableName=prefix + sys.argv[4], Item=json.loads(sys.argv[5]))
elif command == "create-table":
    keys = [argument.split(":") for argument in sys.argv[5:7]]
    client.create_table(
        TableName=sys.argv[4], BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": name, "KeyType": kind} for (name, _), kind in zip(keys, ["HASH", "RANGE"])],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": type_} for name, type_ in keys])
elif command == "digest":
    digest()
else:
    sys.exit(f"original_tables.py: unknown command {command}")
