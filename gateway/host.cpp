#include "gateway/host.h"

#include "core/metering/usagewriter.h"
#include "core/service/service.h"

#include <QCoreApplication>
#include <QFile>
#include <QHostInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace tollgate {

namespace {

QString serverUrl(const http::Server& server)
{
    const http::ServerOptions& o = server.options();
    QString host = o.address.toString();
    if (o.address == QHostAddress::Any || o.address == QHostAddress::AnyIPv4)
        host = QStringLiteral("0.0.0.0");
    if (o.address.protocol() == QAbstractSocket::IPv6Protocol)
        host = u'[' + host + u']';
    return QStringLiteral("%1://%2:%3").arg(server.isTls() ? u"https" : u"http", host).arg(server.port());
}

} // namespace

Result<std::pair<QHostAddress, quint16>> parseListenAddress(const QString& text)
{
    const qsizetype colon = text.lastIndexOf(u':');
    if (colon < 0)
        return Error::invalid(QStringLiteral("listen"), GatewayHost::tr("'%1' is not HOST:PORT").arg(text));
    QString host = text.left(colon);
    bool ok = false;
    const uint port = text.mid(colon + 1).toUInt(&ok);
    if (!ok || port > 65535)
        return Error::invalid(QStringLiteral("listen"), GatewayHost::tr("'%1' has no valid port (0-65535)").arg(text));
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    QHostAddress address;
    if (host.isEmpty() || host == u"*")
        address = QHostAddress::Any;
    else if (host == u"localhost")
        address = QHostAddress::LocalHost;
    else if (!address.setAddress(host))
        return Error::invalid(QStringLiteral("listen"), GatewayHost::tr("'%1' is not an IP address").arg(host));
    return std::make_pair(address, quint16(port));
}

Result<GatewayConfig> loadGatewayConfig(const QString& path, GatewayConfig c)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error::invalid(QStringLiteral("config"),
                              GatewayHost::tr("cannot read %1: %2").arg(path, f.errorString()));
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &pe);
    if (pe.error != QJsonParseError::NoError)
        return Error::invalid(
            QStringLiteral("config"),
            GatewayHost::tr("%1 is not valid JSON: %2 at byte %3").arg(path, pe.errorString()).arg(pe.offset));
    if (!doc.isObject())
        return Error::invalid(QStringLiteral("config"), GatewayHost::tr("%1 must hold a JSON object").arg(path));
    const QJsonObject o = doc.object();
    auto integer = [&](const QString& key, qint64 min, qint64 max, auto& target) -> Status {
        const QJsonValue v = o.value(key);
        if (!v.isDouble() || double(v.toInteger()) != v.toDouble() || v.toInteger() < min || v.toInteger() > max)
            return Error::invalid(key, GatewayHost::tr("must be a whole number from %1 to %2").arg(min).arg(max));
        target = std::remove_reference_t<decltype(target)>(v.toInteger());
        return {};
    };
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString key = it.key();
        Status s;
        if (key == u"listen") {
            if (!it->isString())
                return Error::invalid(key, GatewayHost::tr("must be a string HOST:PORT"));
            auto l = parseListenAddress(it->toString());
            if (!l.ok())
                return l.error();
            c.server.address = l->first;
            c.server.port = l->second;
        } else if (key == u"threads") {
            s = integer(key, 0, 256, c.server.threads);
        } else if (key == u"maxConnections") {
            s = integer(key, 1, 1'000'000, c.server.maxConnections);
        } else if (key == u"maxRequestBodyBytes") {
            s = integer(key, 1024, qint64(1) << 32, c.server.limits.maxBodyBytes);
        } else if (key == u"maxHeaderBytes") {
            s = integer(key, 1024, 1 << 20, c.server.limits.maxHeaderBytes);
        } else if (key == u"maxHeaderCount") {
            s = integer(key, 8, 10'000, c.server.limits.maxHeaderCount);
        } else if (key == u"headerTimeoutMs") {
            s = integer(key, 100, 3'600'000, c.server.headerTimeoutMs);
        } else if (key == u"requestTimeoutMs") {
            s = integer(key, 100, 3'600'000, c.server.requestTimeoutMs);
        } else if (key == u"idleTimeoutMs") {
            s = integer(key, 100, 3'600'000, c.server.idleTimeoutMs);
        } else if (key == u"streamBufferBytes") {
            s = integer(key, 16 * 1024, 64 * 1024 * 1024, c.server.streamBufferBytes);
        } else if (key == u"sendTimeoutMs") {
            s = integer(key, 100, 3'600'000, c.server.sendTimeoutMs);
        } else if (key == u"upstreamTimeoutMs") {
            s = integer(key, 100, 3'600'000, c.gateway.upstreamTimeoutMs);
        } else if (key == u"adminListen") {
            if (!it->isString())
                return Error::invalid(key, GatewayHost::tr("must be a string HOST:PORT"));
            auto l = parseListenAddress(it->toString());
            if (!l.ok())
                return Error::invalid(key, l.error().message);
            c.adminListen = *l;
        } else if (key == u"tlsCertificate" || key == u"tlsKey") {
            if (!it->isString())
                return Error::invalid(key, GatewayHost::tr("must be a file path"));
            (key == u"tlsKey" ? c.server.tlsKeyFile : c.server.tlsCertificateFile) = it->toString();
        } else {
            return Error::invalid(
                key,
                GatewayHost::tr("is not a setting (known: listen, threads, maxConnections, maxRequestBodyBytes, "
                                "maxHeaderBytes, maxHeaderCount, headerTimeoutMs, requestTimeoutMs, "
                                "idleTimeoutMs, streamBufferBytes, sendTimeoutMs, upstreamTimeoutMs, tlsCertificate, "
                                "tlsKey, adminListen)"));
        }
        if (!s.ok())
            return s.error();
    }
    return c;
}

namespace {

// Whether a request's Host may be answered on an unauthenticated route (/metrics, /healthz). A web page that rebinds
// its own name to this machine's address (DNS rebinding) sends that name: it is refused. An IP literal (no name to
// rebind), localhost and this machine's own names are answered, and so is a request without Host (not a browser).
bool hostAllowed(const QByteArray& hostHeader)
{
    QByteArray host = hostHeader.trimmed().toLower();
    if (host.isEmpty())
        return true;
    if (host.startsWith('[')) { // [::1]:8787
        const qsizetype end = host.indexOf(']');
        host = end < 0 ? QByteArray() : host.mid(1, end - 1);
    } else if (host.count(':') == 1) {
        host.truncate(host.indexOf(':'));
    }
    if (host.endsWith('.'))
        host.chop(1);
    const QString name = QString::fromLatin1(host);
    if (!QHostAddress(name).isNull())
        return true;
    if (name == u"localhost" || name.endsWith(QLatin1String(".localhost")))
        return true;
    static const QString machine = QHostInfo::localHostName().toLower();
    static const QString domain = QHostInfo::localDomainName().toLower();
    return name == machine || (!domain.isEmpty() && name == machine + u'.' + domain);
}

} // namespace

// What one listener serves: GET /metrics; the admin API (on the gateway's listener when it has none of its own);
// the LLM routes (on the gateway's listener).
class GatewayHost::Routing final : public http::Handler
{
public:
    Routing(GatewayHost& host, bool llm, admin::AdminApi* admin, bool metricsLoopbackOnly)
        : m_host(host)
        , m_llm(llm)
        , m_admin(admin)
        , m_metricsLoopbackOnly(metricsLoopbackOnly)
    {
    }
    void handle(http::Exchange& exchange) override
    {
        const QByteArray& path = exchange.request().path;
        if ((path == "/metrics" || path == "/healthz") && !hostAllowed(exchange.request().headers.value("Host"))) {
            exchange.respond(admin::problem(421, "invalid_request_error", QStringLiteral("host_not_allowed"),
                                            QStringLiteral("%1 answers only to requests for this machine (an IP "
                                                           "address, localhost or its own name) in Host")
                                                .arg(QString::fromLatin1(path))));
            return;
        }
        if (path == "/metrics") {
            if (m_metricsLoopbackOnly && !exchange.peer().isLoopback()) {
                exchange.respond(admin::problem(403, "permission_error", QStringLiteral("metrics_loopback_only"),
                                                QStringLiteral("/metrics answers only on this machine here; "
                                                               "--admin-listen serves it on an address of its own")));
                return;
            }
            llm::Metrics::Gauges g;
            const llm::GatewayStats stats = m_host.stats();
            g.inFlight = stats.inFlight;
            g.upstreamErrors = stats.upstreamErrors;
            g.meteringFailures = stats.meteringFailures;
            g.meteringQueueDepth = m_host.meteringQueueDepth();
            g.openConnections = m_host.serverStats().openConnections;
            http::Response r;
            r.headers.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            r.body = m_host.m_gateway->metrics().render(g);
            exchange.respond(std::move(r));
        } else if (m_admin && admin::AdminApi::isAdminPath(path)) {
            m_admin->handle(exchange);
        } else if (m_llm) {
            m_host.m_gateway->handle(exchange);
        } else {
            exchange.respond(admin::problem(404, "not_found_error", QStringLiteral("unknown_route"),
                                            QStringLiteral("this address serves the admin API (/api/admin) and "
                                                           "/metrics")));
        }
    }

    QByteArray errorBody(int status, const QString& message) const override
    {
        if (m_llm)
            return m_host.m_gateway->errorBody(status, message);
        if (m_admin)
            return m_admin->errorBody(status, message);
        return http::Handler::errorBody(status, message);
    }

private:
    GatewayHost& m_host;
    bool m_llm;
    admin::AdminApi* m_admin;
    bool m_metricsLoopbackOnly;
};

GatewayHost::GatewayHost(Service& service)
    : m_service(service)
{
}

GatewayHost::~GatewayHost() { stop(0); }

QString GatewayHost::start(const GatewayConfig& config)
{
    if (isRunning())
        return {};
    // Usage is durable once journalled; the database catches up in batches (core/metering/journal.h).
    std::unique_ptr<UsageJournal> journal;
    if (const QString base = UsageJournal::basePath(m_service.database().location()); !base.isEmpty()) {
        auto opened = UsageJournal::open(m_service, base);
        if (!opened.ok())
            return tr("usage journal: %1").arg(opened.error().message);
        journal = std::move(*opened);
    }
    m_writer = std::make_unique<UsageWriter>(m_service, std::move(journal));
    m_gateway = std::make_unique<llm::Gateway>(m_service, *m_writer, config.gateway);
    m_admin = std::make_unique<admin::AdminApi>(m_service, admin::AdminApiOptions {!config.adminListen});
    const bool ownAdminListener = config.adminListen.has_value();
    m_routing = std::make_unique<Routing>(*this, true, ownAdminListener ? nullptr : m_admin.get(), true);
    m_server = std::make_unique<http::Server>(*m_routing, config.server);
    QString error = m_server->start();
    if (error.isEmpty() && config.adminListen) {
        http::ServerOptions o = config.server;
        o.address = config.adminListen->first;
        o.port = config.adminListen->second;
        o.threads = 1;
        o.maxConnections = 256;
        m_adminRouting = std::make_unique<Routing>(*this, false, m_admin.get(), false);
        m_adminServer = std::make_unique<http::Server>(*m_adminRouting, o);
        error = m_adminServer->start();
        if (!error.isEmpty())
            error = tr("admin API: %1").arg(error);
    }
    if (!error.isEmpty())
        stop(0);
    return error;
}

void GatewayHost::stop(int drainMs)
{
    if (!m_server)
        return;
    if (m_adminServer)
        m_adminServer->stop(drainMs);
    m_server->stop(drainMs);
    m_writer->flush();
    m_adminServer.reset();
    m_server.reset();
    m_routing.reset();
    m_adminRouting.reset();
    m_admin.reset(); // waits for admin requests under way
    m_gateway.reset();
    m_writer.reset(); // joins the writer thread after the last record
}

QString GatewayHost::address() const { return m_server ? serverUrl(*m_server) : QString(); }

QString GatewayHost::adminAddress() const
{
    if (m_adminServer)
        return serverUrl(*m_adminServer) + QStringLiteral("/api/admin");
    return m_server ? address() + QStringLiteral("/api/admin") : QString();
}

llm::GatewayStats GatewayHost::stats() const { return m_gateway ? m_gateway->stats() : llm::GatewayStats {}; }

http::ServerStats GatewayHost::serverStats() const { return m_server ? m_server->stats() : http::ServerStats {}; }

void GatewayHost::flushUsage()
{
    if (m_writer)
        m_writer->flush();
}

qint64 GatewayHost::meteringQueueDepth() const { return m_writer ? m_writer->queueDepth() : 0; }

} // namespace tollgate
