#include "core/storage/database.h"

#include <QCoreApplication>
#include <QSqlError>

namespace tollgate {

namespace {

// Each migration is a list of portable statements; %ID, %BLOB and %CLUSTERED are filled in from the dialect.
// Never edit a released migration: add a new one.
const QList<QStringList>& migrations()
{
    static const QList<QStringList> list {
        // 1: the domain of docs/design.md
        {
            QStringLiteral("CREATE TABLE organizations ("
                           " id %ID,"
                           " name TEXT NOT NULL,"
                           " timezone TEXT NOT NULL,"
                           " default_policy TEXT,"
                           " monthly_budget BIGINT,"
                           " allow_reduction INTEGER NOT NULL DEFAULT 1,"
                           " default_user_monthly_limit BIGINT,"
                           " updated_at BIGINT NOT NULL)"),
            QStringLiteral("CREATE TABLE org_groups ("
                           " id %ID,"
                           " org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,"
                           " name TEXT NOT NULL,"
                           " parent_id BIGINT REFERENCES org_groups(id) ON DELETE CASCADE,"
                           " settings TEXT,"
                           " monthly_budget BIGINT,"
                           " budget_action TEXT NOT NULL,"
                           " updated_at BIGINT NOT NULL)"),
            QStringLiteral("CREATE INDEX org_groups_parent ON org_groups(parent_id)"),
            QStringLiteral("CREATE TABLE users ("
                           " id %ID,"
                           " org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,"
                           " email TEXT NOT NULL,"
                           " email_key TEXT NOT NULL,"
                           " name TEXT NOT NULL,"
                           " status TEXT NOT NULL,"
                           " policy TEXT,"
                           " private_project_id BIGINT,"
                           " created_at BIGINT NOT NULL,"
                           " updated_at BIGINT NOT NULL,"
                           " UNIQUE (org_id, email_key))"),
            QStringLiteral("CREATE TABLE group_members ("
                           " group_id BIGINT NOT NULL REFERENCES org_groups(id) ON DELETE CASCADE,"
                           " user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
                           " PRIMARY KEY (group_id, user_id))"),
            QStringLiteral("CREATE INDEX group_members_user ON group_members(user_id)"),
            QStringLiteral("CREATE TABLE projects ("
                           " id %ID,"
                           " org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,"
                           " name TEXT NOT NULL,"
                           " kind TEXT NOT NULL,"
                           " owner_user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,"
                           " monthly_limit BIGINT,"
                           " updated_at BIGINT NOT NULL)"),
            QStringLiteral("CREATE TABLE api_keys ("
                           " id %ID,"
                           " org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,"
                           " project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,"
                           " holder_user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,"
                           " name TEXT NOT NULL,"
                           " prefix TEXT NOT NULL,"
                           " secret_hash %BLOB NOT NULL UNIQUE,"
                           " features TEXT NOT NULL,"
                           " allowed_models TEXT,"
                           " monthly_cap BIGINT,"
                           " expires_at BIGINT NOT NULL,"
                           " status TEXT NOT NULL,"
                           " last_used_at BIGINT NOT NULL,"
                           " created_at BIGINT NOT NULL,"
                           " updated_at BIGINT NOT NULL)"),
            QStringLiteral("CREATE TABLE api_key_groups ("
                           " key_id BIGINT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,"
                           " group_id BIGINT NOT NULL REFERENCES org_groups(id) ON DELETE CASCADE,"
                           " PRIMARY KEY (key_id, group_id))"),
            QStringLiteral("CREATE TABLE providers ("
                           " id %ID,"
                           " name TEXT NOT NULL UNIQUE,"
                           " kind TEXT NOT NULL,"
                           " base_url TEXT NOT NULL,"
                           " secret TEXT NOT NULL)"),
            QStringLiteral("CREATE TABLE models ("
                           " id TEXT PRIMARY KEY,"
                           " provider_id BIGINT NOT NULL REFERENCES providers(id),"
                           " upstream_name TEXT NOT NULL,"
                           " tier INTEGER NOT NULL,"
                           " input_price BIGINT NOT NULL,"
                           " cached_input_price BIGINT NOT NULL,"
                           " output_price BIGINT NOT NULL,"
                           " max_output_tokens BIGINT NOT NULL,"
                           " context_window BIGINT NOT NULL,"
                           " approved INTEGER NOT NULL,"
                           " price_source TEXT NOT NULL)"),
            QStringLiteral("CREATE TABLE customers ("
                           " id %ID,"
                           " org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,"
                           " identifier TEXT NOT NULL,"
                           " name TEXT NOT NULL,"
                           " email TEXT NOT NULL,"
                           " rate_limit_rpm BIGINT,"
                           " budget_duration TEXT NOT NULL,"
                           " period_start BIGINT NOT NULL,"
                           " period_end BIGINT NOT NULL,"
                           " period_budget BIGINT,"
                           " total_budget BIGINT,"
                           " markup_bp INTEGER NOT NULL,"
                           " updated_at BIGINT NOT NULL,"
                           " UNIQUE (org_id, identifier))"),
            // Usage records outlive the entities they name: no foreign keys.
            QStringLiteral("CREATE TABLE usage_records ("
                           " id %ID,"
                           " ts BIGINT NOT NULL,"
                           " request_id TEXT NOT NULL,"
                           " org_id BIGINT NOT NULL,"
                           " key_id BIGINT,"
                           " project_id BIGINT,"
                           " user_id BIGINT,"
                           " customer_id BIGINT,"
                           " model TEXT NOT NULL,"
                           " provider_id BIGINT,"
                           " input_tokens BIGINT NOT NULL,"
                           " cached_tokens BIGINT NOT NULL,"
                           " output_tokens BIGINT NOT NULL,"
                           " cost BIGINT NOT NULL,"
                           " status TEXT NOT NULL,"
                           " latency_ms INTEGER NOT NULL,"
                           " streamed INTEGER NOT NULL,"
                           " estimated INTEGER NOT NULL)"),
            QStringLiteral("CREATE INDEX usage_ts ON usage_records(ts)"),
            QStringLiteral("CREATE INDEX usage_user_ts ON usage_records(user_id, ts)"),
            QStringLiteral("CREATE INDEX usage_key_ts ON usage_records(key_id, ts)"),
            QStringLiteral("CREATE INDEX usage_project_ts ON usage_records(project_id, ts)"),
            QStringLiteral("CREATE INDEX usage_customer_ts ON usage_records(customer_id, ts)"),
            QStringLiteral("CREATE TABLE audit_log ("
                           " id %ID,"
                           " ts BIGINT NOT NULL,"
                           " actor TEXT NOT NULL,"
                           " entity TEXT NOT NULL,"
                           " entity_id TEXT NOT NULL,"
                           " action TEXT NOT NULL,"
                           " before_json TEXT,"
                           " after_json TEXT)"),
            QStringLiteral("CREATE INDEX audit_ts ON audit_log(ts)"),
            QStringLiteral("CREATE INDEX audit_entity ON audit_log(entity, entity_id)"),
        },
        // 2: admin API keys
        {
            QStringLiteral("CREATE TABLE admin_keys ("
                           " id %ID,"
                           " name TEXT NOT NULL,"
                           " prefix TEXT NOT NULL,"
                           " secret_hash %BLOB NOT NULL UNIQUE,"
                           " role TEXT NOT NULL,"
                           " status TEXT NOT NULL,"
                           " created_by TEXT NOT NULL,"
                           " created_at BIGINT NOT NULL,"
                           " last_used_at BIGINT NOT NULL)"),
            QStringLiteral("CREATE INDEX audit_actor ON audit_log(actor, ts)"),
        },
        // 3: why a request was refused (or had its max_tokens lowered), and daily rollups for charts and reports.
        // A rollup day starts at midnight in the time zone named in usage_rollup_zone; the service rebuilds the
        // rollups from the records when that is not the organisation's zone.
        {
            QStringLiteral("ALTER TABLE usage_records ADD COLUMN detail TEXT"),
            QStringLiteral("CREATE TABLE usage_daily ("
                           " day BIGINT NOT NULL,"
                           " user_id BIGINT NOT NULL,"
                           " key_id BIGINT NOT NULL,"
                           " project_id BIGINT NOT NULL,"
                           " customer_id BIGINT NOT NULL,"
                           " model TEXT NOT NULL,"
                           " status TEXT NOT NULL,"
                           " requests BIGINT NOT NULL,"
                           " input_tokens BIGINT NOT NULL,"
                           " cached_tokens BIGINT NOT NULL,"
                           " output_tokens BIGINT NOT NULL,"
                           " cost BIGINT NOT NULL,"
                           " PRIMARY KEY (day, user_id, key_id, project_id, customer_id, model, status))"),
            QStringLiteral("CREATE INDEX usage_daily_user ON usage_daily(user_id, day)"),
            QStringLiteral("CREATE TABLE usage_rollup_zone (timezone TEXT NOT NULL)"),
        },
        // 4: narrow rollups, one dimension at a time, per local day and per local month (the wide daily table had
        // about one row per record once there were many users). `dimension` is a UsageDimension (0: all usage);
        // `key` is the id, model or status ('' for none); dimension 100 counts a day's active users in `requests`.
        // Emptying usage_rollup_zone makes the service rebuild them.
        {
            QStringLiteral("DROP TABLE usage_daily"),
            QStringLiteral("CREATE TABLE usage_rollups ("
                           " period SMALLINT NOT NULL,"
                           " dimension SMALLINT NOT NULL,"
                           " start BIGINT NOT NULL,"
                           " key TEXT NOT NULL,"
                           " requests BIGINT NOT NULL,"
                           " denied BIGINT NOT NULL,"
                           " input_tokens BIGINT NOT NULL,"
                           " cached_tokens BIGINT NOT NULL,"
                           " output_tokens BIGINT NOT NULL,"
                           " cost BIGINT NOT NULL,"
                           " PRIMARY KEY (period, dimension, start, key))%CLUSTERED"),
            QStringLiteral("DELETE FROM usage_rollup_zone"),
        },
        // 5: how far each usage journal (core/metering/journal.h) has been applied, written in the same transaction
        // as the records, so a restart replays exactly the records the database lacks.
        {
            QStringLiteral("CREATE TABLE usage_journal (name TEXT PRIMARY KEY, applied BIGINT NOT NULL)"),
        },
        // 6: the groups each request counted for (",3,7,", see UsageRecord::groupIds); the rollups get a group
        // dimension and ISO weeks (period 2). Emptying usage_rollup_zone makes the service rebuild the rollups; older
        // records (NULL) get their users' groups as they are then.
        {
            QStringLiteral("ALTER TABLE usage_records ADD COLUMN group_ids TEXT"),
            QStringLiteral("DELETE FROM usage_rollup_zone"),
        },
        // 7: several instances on one database (PostgreSQL): the limit counters they share and the slices of them
        // each instance leases (core/ledger/sharedledger.h), the instances holding leases, and a revision per part
        // of the organisation, counted up by every change so the others reload it (core/org/orgsync.h).
        {
            QStringLiteral("CREATE TABLE limit_counters ("
                           " scope INTEGER NOT NULL,"
                           " scope_id BIGINT NOT NULL,"
                           " metric INTEGER NOT NULL,"
                           " window_kind INTEGER NOT NULL,"
                           " window_start BIGINT NOT NULL,"
                           " window_end BIGINT NOT NULL,"
                           " used BIGINT NOT NULL,"
                           " reserved BIGINT NOT NULL,"
                           " PRIMARY KEY (scope, scope_id, metric, window_kind, window_start))"),
            QStringLiteral("CREATE TABLE limit_instances (instance TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)"),
            QStringLiteral("CREATE TABLE limit_leases ("
                           " instance TEXT NOT NULL,"
                           " scope INTEGER NOT NULL,"
                           " scope_id BIGINT NOT NULL,"
                           " metric INTEGER NOT NULL,"
                           " window_kind INTEGER NOT NULL,"
                           " window_start BIGINT NOT NULL,"
                           " amount BIGINT NOT NULL,"
                           " PRIMARY KEY (instance, scope, scope_id, metric, window_kind, window_start))"),
            QStringLiteral("CREATE INDEX limit_leases_counter ON limit_leases(scope, scope_id, metric, window_kind,"
                           " window_start)"),
            QStringLiteral("CREATE TABLE org_revisions (part TEXT PRIMARY KEY, revision BIGINT NOT NULL)"),
            QStringLiteral("INSERT INTO org_revisions (part, revision) VALUES ('directory', 0), ('access', 0),"
                           " ('catalog', 0), ('customers', 0)"),
        },
        // 8: model aliases and patterns; which built-in catalog entries were added (so that an upgrade adds the
        // new ones and does not bring back what an admin deleted); what a usage record says beyond its columns.
        {
            QStringLiteral("CREATE TABLE model_aliases (pattern TEXT PRIMARY KEY, model_id TEXT NOT NULL,"
                           " note TEXT NOT NULL)"),
            QStringLiteral("CREATE TABLE catalog_builtins (kind TEXT NOT NULL, name TEXT NOT NULL,"
                           " PRIMARY KEY (kind, name))"),
            QStringLiteral("INSERT INTO catalog_builtins (kind, name) SELECT 'model', id FROM models"),
            QStringLiteral("ALTER TABLE usage_records ADD COLUMN extras TEXT"),
            QStringLiteral("ALTER TABLE models ADD COLUMN output_cap_field TEXT"),
        },
        // 9: every billed component of a model's price (core/catalog/pricing.h): the ones set explicitly, as JSON
        // (nano-dollars), the others follow their defaults. Models created without a cached price got cached
        // tokens free; the catalog's rule is the input price.
        {
            QStringLiteral("ALTER TABLE models ADD COLUMN prices TEXT"),
            QStringLiteral("UPDATE models SET cached_input_price = input_price WHERE cached_input_price = 0"),
        },
        // 10: provider secrets are sealed (core/secrets/vault.h) under the key whose id is recorded here; a
        // customer's limits can be locked against customer_params.
        {
            QStringLiteral("CREATE TABLE secret_keys (key_id TEXT PRIMARY KEY)"),
            QStringLiteral("ALTER TABLE customers ADD COLUMN limits_locked INTEGER NOT NULL DEFAULT 0"),
        },
    };
    return list;
}

} // namespace

int Database::latestSchemaVersion() { return int(migrations().size()); }

int Database::schemaVersion() const
{
    auto r = runSql(connection(), QStringLiteral("SELECT MAX(version) FROM schema_version"));
    if (!r.ok() || !r->next())
        return 0;
    return r->value(0).toInt();
}

Status Database::migrate()
{
    std::lock_guard lock(m_writeLock);
    QSqlDatabase db = connection();
    if (auto r = runSql(db, QStringLiteral("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
        !r.ok())
        return r.error();
    const int current = schemaVersion();
    if (current > latestSchemaVersion())
        return Error::storage(tr("the database has schema version %1, newer than this Tollgate (%2); upgrade Tollgate")
                                  .arg(current)
                                  .arg(latestSchemaVersion()));
    const auto& all = migrations();
    for (int v = current + 1; v <= latestSchemaVersion(); ++v) {
        Status s = transaction([&](QSqlDatabase& tx) -> Status {
            for (QString sql : all[v - 1]) {
                sql.replace(QLatin1String("%ID"), m_dialect.autoIdColumn());
                sql.replace(QLatin1String("%BLOB"), m_dialect.blobType());
                // SQLite keeps such a table in its primary key's order, so a range of it is read in one sweep.
                sql.replace(QLatin1String("%CLUSTERED"),
                            m_dialect.kind == Dialect::Kind::SQLite ? QStringLiteral(" WITHOUT ROWID") : QString());
                if (auto r = runSql(tx, sql); !r.ok())
                    return Error::storage(tr("migration %1 failed: %2").arg(v).arg(r.error().message));
            }
            if (auto r = runSql(tx, QStringLiteral("INSERT INTO schema_version (version) VALUES (?)"), {v}); !r.ok())
                return r.error();
            return {};
        });
        if (!s.ok())
            return s;
    }
    return {};
}

} // namespace tollgate
