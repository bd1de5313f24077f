"""Drives a running `ame serve` through GraphQL clients the project did not write.

Usage: python3 real_clients.py URL AME_BINARY

- the `gql` client (PyPI) with `fetch_schema_from_transport=True`: it introspects the server
  with graphql-core's query and builds a client schema before anything else; then a nested
  query, variables, a server error and a query its local validation refuses;
- graphql-core's `build_client_schema` on every variant of `get_introspection_query`, whose
  `print_schema` must equal that of `ame schema` (so types and fields in the same order);
- Apollo's automatic persisted queries, spoken over `requests` exactly as Apollo Client does
  (gql has no APQ): unknown hash, registration on the retry, GET with the hash alone;
- GET with a form-encoded query string (`requests` encodes spaces as `+`).

Prints one `PASS <check>` line per check; exits 1 at the first failure.
"""

import hashlib
import itertools
import json
import subprocess
import sys

import requests
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport
from graphql import (
    GraphQLError,
    build_client_schema,
    build_schema,
    get_introspection_query,
    print_schema,
)

URL, AME = sys.argv[1], sys.argv[2]
HEADERS = {"X-Endpoint-Id": "acme"}


def check(name, condition, detail=""):
    if not condition:
        print(f"FAIL {name}: {detail}")
        sys.exit(1)
    print(f"PASS {name}")


def expected_schema(descriptions, input_value_deprecation):
    """`ame schema` as graphql-core builds it, less what an introspection variant leaves out."""
    schema = build_schema(subprocess.run([AME, "schema"], check=True, capture_output=True, text=True).stdout)
    for named in schema.type_map.values():
        fields = getattr(named, "fields", None) or {}
        if not input_value_deprecation:
            for field in fields.values():
                for name in [n for n, a in getattr(field, "args", {}).items() if a.deprecation_reason]:
                    del field.args[name]
            if hasattr(named, "fields") and named.__class__.__name__ == "GraphQLInputObjectType":
                for name in [n for n, f in fields.items() if f.deprecation_reason]:
                    del named.fields[name]
        if not descriptions:
            named.description = None
            for field in fields.values():
                field.description = None
                for argument in getattr(field, "args", {}).values():
                    argument.description = None
            for value in (getattr(named, "values", None) or {}).values():
                value.description = None
    if not descriptions:
        schema.description = None
    return print_schema(schema)


def introspection_variants():
    options = ["descriptions", "specified_by_url", "directive_is_repeatable", "schema_description",
               "input_value_deprecation"]
    for flags in itertools.product([False, True], repeat=len(options)):
        yield dict(zip(options, flags))


def main():
    # gql, as its users start it: the schema is fetched by introspection first.
    transport = RequestsHTTPTransport(url=URL, headers=HEADERS, timeout=30)
    client = Client(transport=transport, fetch_schema_from_transport=True)
    with client as session:
        check("gql fetches and builds the schema", client.schema is not None and client.schema.query_type is not None)
        check("gql's schema lists the server's types", "ContactProfileType" in client.schema.type_map)
        nested = session.execute(gql(
            "{ contactProfileList(limit: 3) { total contactProfileList { email place { businessName "
            "corporationProfile { businessName } } } } }"))
        contacts = nested["contactProfileList"]["contactProfileList"]
        check("gql runs a nested query", len(contacts) == 3
              and all(c["place"]["corporationProfile"]["businessName"] for c in contacts), nested)
        one = session.execute(
            gql("query One($n: Int) { contactProfileList(limit: $n) { pageSize contactProfileList { email } } }"),
            variable_values={"n": 1})
        check("gql passes variables", one["contactProfileList"]["pageSize"] == 1
              and len(one["contactProfileList"]["contactProfileList"]) == 1, one)
        try:
            session.execute(gql('{ contactProfile(contactUuid: "missing") { email } }'))
            check("gql reports a server error", False, "no error raised")
        except TransportQueryError as error:
            check("gql reports a server error", error.errors[0]["extensions"]["code"] == "ENTITY_NOT_FOUND"
                  and error.errors[0]["path"] == ["contactProfile"], error.errors)
        try:
            session.execute(gql("{ contactProfileList { nope } }"))
            check("gql validates against the fetched schema", False, "no error raised")
        except GraphQLError as error:
            check("gql validates against the fetched schema", "nope" in error.message, error.message)

    # Every introspection variant builds the same schema as `ame schema`, in the same order.
    for options in introspection_variants():
        response = requests.post(URL, json={"query": get_introspection_query(**options)}, headers=HEADERS, timeout=30)
        body = response.json()
        label = ",".join(name for name, on in options.items() if on) or "none"
        if response.status_code != 200 or "errors" in body or not body.get("data", {}).get("__schema"):
            check(f"introspection {label}", False, f"{response.status_code} {str(body)[:500]}")
        built = print_schema(build_client_schema(body["data"]))
        expected = expected_schema(options["descriptions"], options["input_value_deprecation"])
        if built != expected:
            import difflib
            diff = "\n".join(list(difflib.unified_diff(expected.splitlines(), built.splitlines(), lineterm=""))[:40])
            check(f"introspection {label}", False, diff)
    print("PASS build_client_schema on 32 introspection variants equals ame schema")

    # Apollo's automatic persisted queries, as Apollo Client sends them.
    query = "query ApqCheck($n: Int) { ping contactProfileList(limit: $n) { total } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    apollo = dict(HEADERS, Accept="application/graphql-response+json,application/json;q=0.9")
    first = requests.get(URL, params={"extensions": json.dumps(extensions), "variables": json.dumps({"n": 1}),
                                      "operationName": "ApqCheck"}, headers=apollo, timeout=30)
    errors = first.json().get("errors", [])
    check("APQ: an unknown hash is PERSISTED_QUERY_NOT_FOUND", errors and errors[0]["message"] == "PersistedQueryNotFound"
          and errors[0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND", first.text)
    retry = requests.post(URL, json={"query": query, "variables": {"n": 1}, "operationName": "ApqCheck",
                                     "extensions": extensions}, headers=apollo, timeout=30)
    check("APQ: the retry with the query registers and runs it", retry.status_code == 200
          and retry.json()["data"]["ping"] == "pong", retry.text)
    again = requests.get(URL, params={"extensions": json.dumps(extensions), "variables": json.dumps({"n": 1}),
                                      "operationName": "ApqCheck"}, headers=apollo, timeout=30)
    check("APQ: GET with the hash alone runs it", again.status_code == 200
          and again.json()["data"]["contactProfileList"]["total"] >= 1, again.text)
    wrong = requests.post(URL, json={"query": "{ ping }", "extensions": extensions}, headers=apollo, timeout=30)
    check("APQ: a hash that is not the query's is refused", wrong.status_code == 400
          and wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH", wrong.text)

    # GET as `requests` encodes it: spaces as `+`.
    get = requests.get(URL, params={"query": "query($n: Int) { contactProfileList(limit: $n) { pageSize } }",
                                    "variables": json.dumps({"n": 2})}, headers=HEADERS, timeout=30)
    check("GET with a form-encoded query string", "+" in get.request.url and get.status_code == 200
          and get.json()["data"]["contactProfileList"]["pageSize"] == 2, get.text)


if __name__ == "__main__":
    main()
