#include "core/metering/journal.h"

#include "core/service/service.h"
#include "core/storage/database.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QStandardPaths>
#include <QUuid>

#include <charconv>

namespace tollgate {

Q_LOGGING_CATEGORY(lcJournal, "tollgate.core.metering.journal")

namespace {

constexpr QByteArrayView kHeaderPrefix = "tollgate usage journal 1 ";
constexpr int kMaxJournals = 16; // instances of Tollgate on one database, on one machine
constexpr int kReplayBatch = 5'000;

QByteArray newHeader()
{
    return kHeaderPrefix.toByteArray() + QUuid::createUuid().toByteArray(QUuid::WithoutBraces) + '\n';
}

QString nameIn(const QByteArray& header) { return QString::fromLatin1(header.mid(kHeaderPrefix.size()).trimmed()); }

QString candidate(const QString& base, int i) { return i == 1 ? base : base + u'.' + QString::number(i); }

std::unique_ptr<QLockFile> tryLock(const QString& path)
{
    auto lock = std::make_unique<QLockFile>(path + QStringLiteral(".lock"));
    lock->setStaleLockTime(0); // held for as long as Tollgate runs: only a dead holder makes it stale
    if (!lock->tryLock(0))
        return nullptr;
    return lock;
}

// Tabs and line ends would break the line: they, and the escape character itself, are percent-encoded.
void appendText(QByteArray& out, const QString& text)
{
    const QByteArray utf8 = text.toUtf8();
    for (char c : utf8) {
        switch (c) {
        case '%': out += "%25"; break;
        case '\t': out += "%09"; break;
        case '\n': out += "%0A"; break;
        case '\r': out += "%0D"; break;
        default: out += c;
        }
    }
}

} // namespace

QString UsageJournal::basePath(const DatabaseLocation& location)
{
    if (location.kind == Dialect::Kind::SQLite) {
        if (location.path.isEmpty() || location.path == u":memory:")
            return {};
        return location.path + QStringLiteral(".usage-journal");
    }
    // One file per server and database.
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/usage-journals/")
        + location.fileStem();
}

UsageJournal::UsageJournal(std::unique_ptr<QLockFile> lock, QString name)
    : m_lock(std::move(lock))
    , m_name(std::move(name))
{
}

UsageJournal::~UsageJournal() = default;

Result<qint64> UsageJournal::recover(Service& service, const QString& base)
{
    qint64 total = 0;
    if (base.isEmpty())
        return total;
    for (int i = 1; i <= kMaxJournals; ++i) {
        const QString path = candidate(base, i);
        if (!QFileInfo::exists(path))
            continue;
        std::unique_ptr<QLockFile> lock = tryLock(path);
        if (!lock)
            continue; // a running Tollgate writes to it
        // The first journal stays (emptied) for the next start; the others were extra instances'.
        auto n = replay(service, path, i == 1 ? AfterReplay::Empty : AfterReplay::Remove);
        if (!n.ok())
            return n.error();
        total += *n;
    }
    if (total)
        qCInfo(lcJournal) << "replayed" << total << "usage records from the journals at" << base;
    return total;
}

Result<std::unique_ptr<UsageJournal>> UsageJournal::open(Service& service, const QString& base)
{
    if (base.isEmpty())
        return Error::invalid(QStringLiteral("journal"), tr("an in-memory database has no usage journal"));
    const bool newFolder = !QFileInfo::exists(QFileInfo(base).absolutePath());
    if (!QDir().mkpath(QFileInfo(base).absolutePath()))
        return Error::storage(tr("cannot create the folder of the usage journal %1").arg(base));
    if (newFolder)
        makePrivate(QFileInfo(base).absolutePath(), true);
    if (auto r = recover(service, base); !r.ok())
        return r.error();
    for (int i = 1; i <= kMaxJournals; ++i) {
        const QString path = candidate(base, i);
        std::unique_ptr<QLockFile> lock = tryLock(path);
        if (!lock)
            continue;
        std::unique_ptr<UsageJournal> journal;
        auto r = replay(service, path, AfterReplay::Keep, &journal);
        if (!r.ok())
            return r.error();
        journal->m_lock = std::move(lock);
        return journal;
    }
    return Error::conflict(
        QStringLiteral("journal"),
        tr("every usage journal at %1 is in use: at most %2 Tollgates can share this database on one "
           "machine")
            .arg(base)
            .arg(kMaxJournals));
}

// Applies what the database lacks, then empties the file, or removes it; Keep also leaves it open for appending.
Result<qint64> UsageJournal::replay(Service& service, const QString& path, AfterReplay after,
                                    std::unique_ptr<UsageJournal>* kept)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadWrite))
        return Error::storage(tr("cannot open the usage journal %1: %2").arg(path, file.errorString()));
    QByteArray header = file.readLine(256);
    if (header.isEmpty()) { // new (or emptied and never written since): give it a name
        header = newHeader();
        if (!file.resize(0) || file.write(header) != header.size() || !file.flush())
            return Error::storage(tr("cannot write the usage journal %1: %2").arg(path, file.errorString()));
    }
    if (!header.startsWith(kHeaderPrefix) || !header.endsWith('\n'))
        return Error::storage(tr("%1 is not a usage journal of this Tollgate (it begins with \"%2\"); move it away")
                                  .arg(path, QString::fromUtf8(header.left(40).trimmed())));
    const QString name = nameIn(header);
    const qint64 headerSize = header.size();
    const qint64 size = file.size();

    auto applied = service.usage().journalApplied(name);
    if (!applied.ok())
        return applied.error();
    // A mark past the end cannot belong to this content (an emptied journal gets a new name): nothing to replay.
    qint64 offset = std::clamp(applied->value_or(headerSize), headerSize, size);
    qint64 replayed = 0;
    if (offset < size) {
        file.seek(offset);
        QList<UsageRecord> batch;
        const auto write = [&]() -> Status {
            const JournalMark mark {name, offset};
            Status s = service.usage().recordUsage(batch, &mark);
            if (!s.ok()) // one bad record must not hold back the others
                for (const UsageRecord& r : std::as_const(batch))
                    if (Status one = service.usage().recordUsage({r}); !one.ok())
                        qCCritical(lcJournal)
                            << "a journalled usage record could not be written:" << one.error().toString();
            if (!s.ok() && !(s = service.usage().setJournalApplied(mark)).ok())
                return s;
            replayed += batch.size();
            batch.clear();
            return {};
        };
        while (!file.atEnd()) {
            const QByteArray line = file.readLine();
            if (!line.endsWith('\n'))
                break; // torn by a crash mid-write: the response it belonged to never completed
            offset += line.size();
            if (auto record = decode(QByteArrayView(line).chopped(1)))
                batch.append(*record);
            else
                qCWarning(lcJournal) << "skipped an unreadable line in" << path << "at byte" << offset - line.size();
            if (batch.size() >= kReplayBatch)
                if (Status s = write(); !s.ok())
                    return s.error();
        }
        if (Status s = write(); !s.ok())
            return s.error();
    }

    file.close();
    if (after == AfterReplay::Remove) {
        // File first: a crash in between leaves a note of a journal that is gone, never records to replay twice.
        if (!QFile::remove(path))
            return Error::storage(tr("cannot remove the usage journal %1").arg(path));
        if (Status s = service.usage().forgetJournal(name); !s.ok())
            return s.error();
        return replayed;
    }
    std::unique_ptr<UsageJournal> journal(new UsageJournal(nullptr, name));
    journal->m_file.setFileName(path);
    if (!journal->m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered))
        return Error::storage(tr("cannot open the usage journal %1: %2").arg(path, journal->m_file.errorString()));
    makePrivate(path, false); // it holds who used what, like the database
    journal->m_size = journal->m_file.size();
    if (journal->m_size > headerSize)
        if (Status s = journal->reset(service); !s.ok())
            return s.error();
    if (after == AfterReplay::Keep)
        *kept = std::move(journal);
    return replayed;
}

Result<qint64> UsageJournal::append(const UsageRecord& record)
{
    if (m_size == 0) // emptied, and its new header could not be written then
        if (Status s = startFile(); !s.ok())
            return s.error();
    const QByteArray line = encode(record);
    const qint64 written = m_file.write(line);
    if (written != line.size()) {
        const QString why = m_file.errorString();
        m_file.resize(m_size); // no half line for the next record to follow
        return Error::storage(tr("cannot append to the usage journal %1: %2").arg(m_file.fileName(), why));
    }
    m_size += written;
    return m_size;
}

Status UsageJournal::reset(Service& service)
{
    // The emptied file gets a new name instead of a new mark in the database: whatever a crash or a refusing database
    // interrupts, the old name's mark can never point into the new content.
    if (!m_file.resize(0))
        return Error::storage(tr("cannot empty the usage journal %1: %2").arg(m_file.fileName(), m_file.errorString()));
    m_size = 0;
    const QString old = m_name;
    if (Status s = startFile(); !s.ok())
        return s;
    if (Status s = service.usage().forgetJournal(old); !s.ok()) // only tidiness: no file carries that name any more
        qCWarning(lcJournal) << "the mark of an emptied usage journal stays in the database:" << s.error().toString();
    return {};
}

Status UsageJournal::startFile()
{
    const QByteArray header = newHeader();
    if (m_file.write(header) != header.size()) {
        m_file.resize(0);
        return Error::storage(tr("cannot write the usage journal %1: %2").arg(m_file.fileName(), m_file.errorString()));
    }
    m_name = nameIn(header);
    m_size = header.size();
    return {};
}

QByteArray UsageJournal::encode(const UsageRecord& r)
{
    QByteArray out;
    out.reserve(160 + r.detail.size() * 2);
    const auto number = [&out](qint64 n) {
        char digits[24] = {'\t'};
        const auto end = std::to_chars(digits + 1, digits + sizeof digits, n).ptr;
        out.append(digits, end - digits);
    };
    const auto text = [&out](const QString& s) {
        out += '\t';
        appendText(out, s);
    };
    out += 'u';
    number(r.time);
    text(r.requestId);
    number(r.orgId);
    number(r.keyId);
    number(r.projectId);
    number(r.userId);
    number(r.customerId);
    text(r.model);
    number(r.providerId);
    number(r.inputTokens);
    number(r.cachedTokens);
    number(r.outputTokens);
    number(r.cost);
    text(usageStatusName(r.status));
    number(r.latencyMs);
    number(r.streamed ? 1 : 0);
    number(r.estimated ? 1 : 0);
    text(r.detail);
    text(r.groupIds ? groupIdsText(*r.groupIds) : QStringLiteral("?"));
    text(r.extras);
    out += '\n';
    return out;
}

std::optional<UsageRecord> UsageJournal::decode(QByteArrayView line)
{
    const QList<QByteArrayView> f = [&] {
        QList<QByteArrayView> parts;
        qsizetype from = 0;
        for (qsizetype i = 0; i <= line.size(); ++i)
            if (i == line.size() || line[i] == '\t') {
                parts.append(line.sliced(from, i - from));
                from = i + 1;
            }
        return parts;
    }();
    // 21 fields; 20 in journals written before records carried extras, 19 before they carried their groups.
    if (f.size() < 19 || f.size() > 21 || f[0] != "u")
        return std::nullopt;
    bool ok = true;
    const auto number = [&](int i) {
        bool good = false;
        const qint64 n = f[i].toLongLong(&good);
        ok = ok && good;
        return n;
    };
    const auto text = [&](int i) { return QString::fromUtf8(QByteArray::fromPercentEncoding(f[i].toByteArray())); };
    UsageRecord r;
    r.time = number(1);
    r.requestId = text(2);
    r.orgId = number(3);
    r.keyId = number(4);
    r.projectId = number(5);
    r.userId = number(6);
    r.customerId = number(7);
    r.model = text(8);
    r.providerId = number(9);
    r.inputTokens = number(10);
    r.cachedTokens = number(11);
    r.outputTokens = number(12);
    r.cost = number(13);
    const auto status = usageStatusFromName(text(14));
    r.latencyMs = qint32(number(15));
    r.streamed = number(16) != 0;
    r.estimated = number(17) != 0;
    r.detail = text(18);
    if (f.size() > 19 && f[19] != "?")
        r.groupIds = groupIdsFromText(text(19));
    if (f.size() > 20)
        r.extras = text(20);
    if (!ok || !status)
        return std::nullopt;
    r.status = *status;
    return r;
}

} // namespace tollgate
