#!/usr/bin/env python3
"""Turns a fresh demo database into the gateway benchmark's organisation: thousands of users, a three-level group
chain above the benchmark key's holder, and a limit at every level (organisation, each group, the user, the key, the
project), all raised so that the benchmark measures admission rather than refusals: every limit is still resolved,
checked, reserved and settled. Also points the mock provider at the HTTP mock.

    org.py DATABASE MOCK_PORT KEY_PREFIX USERS
"""
import json, sqlite3, sys, time

db_path, mock_port, key_prefix, extra_users = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
db = sqlite3.connect(db_path)
now = int(time.time() * 1000)
BIG = 1_000_000


def loosen(text):
    if not text:
        return text
    p = json.loads(text)
    for k, v in p.items():
        if type(v) is int and k != "maxTier":
            p[k] = v * BIG
    return json.dumps(p)


for table, col in (("organizations", "default_policy"), ("org_groups", "settings"), ("users", "policy")):
    for rowid, text in db.execute(f"SELECT id, {col} FROM {table}").fetchall():
        db.execute(f"UPDATE {table} SET {col} = ? WHERE id = ?", (loosen(text), rowid))
for table, col in (("organizations", "monthly_budget"), ("organizations", "default_user_monthly_limit"),
                   ("org_groups", "monthly_budget"), ("api_keys", "monthly_cap"), ("projects", "monthly_limit"),
                   ("customers", "period_budget"), ("customers", "total_budget")):
    db.execute(f"UPDATE {table} SET {col} = {col} * {BIG} WHERE {col} IS NOT NULL")
db.execute("UPDATE providers SET base_url = ? WHERE name = 'mock'", (f"http://127.0.0.1:{mock_port}/v1",))

key_id, holder, project = db.execute("SELECT id, holder_user_id, project_id FROM api_keys WHERE ? LIKE prefix || '%'",
                                     (key_prefix,)).fetchone()
org = db.execute("SELECT org_id FROM users WHERE id = ?", (holder,)).fetchone()[0]
# A limit at every level the key's request walks: the key, its project, the user, each group of a three-level chain,
# the organisation.
db.execute("UPDATE api_keys SET monthly_cap = ? WHERE id = ?", (500_000 * BIG, key_id))
db.execute("UPDATE projects SET monthly_limit = ? WHERE id = ?", (800_000 * BIG, project))
db.execute("UPDATE users SET policy = ? WHERE id = ?",
           (json.dumps({"monthlyCostLimit": 400_000 * BIG, "requestsPerMinute": 600 * BIG,
                        "dailyTokenLimit": 10_000_000 * BIG}), holder))
top = db.execute("SELECT id FROM org_groups WHERE name = 'Engineering'").fetchone()[0]
mid = db.execute("SELECT id FROM org_groups WHERE name = 'Backend'").fetchone()[0]
db.execute("UPDATE org_groups SET settings = ? WHERE id = ?",
           (json.dumps({"monthlyCostLimit": 3_000_000 * BIG, "dailyCostLimit": 200_000 * BIG}), top))
db.execute("UPDATE org_groups SET settings = ? WHERE id = ?",
           (json.dumps({"monthlyCostLimit": 2_000_000 * BIG, "requestsPerMinute": 1200 * BIG}), mid))
db.execute("INSERT INTO org_groups (org_id, name, parent_id, settings, monthly_budget, budget_action, updated_at)"
           " VALUES (?, 'Gateway team', ?, ?, ?, 'block', ?)",
           (org, mid, json.dumps({"monthlyCostLimit": 1_000_000 * BIG, "requestsPerHour": 100_000 * BIG}),
            900_000 * BIG, now))
team = db.execute("SELECT last_insert_rowid()").fetchone()[0]
db.execute("INSERT INTO group_members (group_id, user_id) VALUES (?, ?)", (team, holder))

# Thousands of colleagues in the same groups, each with a limit of their own.
for i in range(extra_users):
    cur = db.execute("INSERT INTO users (org_id, email, email_key, name, status, policy, created_at, updated_at)"
                     " VALUES (?, ?, ?, ?, 'active', ?, ?, ?)",
                     (org, f"bench{i}@bench.example", f"bench{i}@bench.example", f"Bench User {i}",
                      json.dumps({"monthlyCostLimit": (100 + i % 50) * 1_000_000_000}), now, now))
    uid = cur.lastrowid
    for g in ((top,) if i % 3 == 0 else (top, mid) if i % 3 == 1 else (team,)):
        db.execute("INSERT INTO group_members (group_id, user_id) VALUES (?, ?)", (g, uid))
db.commit()
users = db.execute("SELECT COUNT(*) FROM users").fetchone()[0]
groups = db.execute("SELECT COUNT(*) FROM org_groups").fetchone()[0]
print(f"{users} users, {groups} groups (key holder three levels deep), key {key_id}")
