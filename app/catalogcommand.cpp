#include "app/catalogcommand.h"

#include "core/catalog/catalog.h"
#include "core/catalog/priceimport.h"
#include "core/service/service.h"

#include <QFile>
#include <QTextStream>

namespace tollgate {

namespace {

class CatalogCommand
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::CatalogCommand)
};

int failWith(const QString& message)
{
    QTextStream(stderr) << "tollgate: " << message << Qt::endl;
    return 2;
}

} // namespace

int catalogCommand(Service& s, const CommandLine& cl)
{
    QTextStream out(stdout);
    if (cl.command == CommandLine::Command::CatalogExport) {
        const QByteArray bytes = exportCatalog(*s.snapshot());
        if (cl.catalogFile.isEmpty()) {
            out << QString::fromUtf8(bytes);
            return 0;
        }
        QFile f(cl.catalogFile);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size())
            return failWith(CatalogCommand::tr("cannot write %1: %2").arg(cl.catalogFile, f.errorString()));
        out << CatalogCommand::tr("Wrote the catalog (%1 models) to %2")
                   .arg(s.snapshot()->models.size())
                   .arg(cl.catalogFile)
            << Qt::endl;
        return 0;
    }
    QByteArray bytes;
    if (cl.builtIn) {
        QFile f(QStringLiteral(":/tollgate/catalog/models.json"));
        if (f.open(QIODevice::ReadOnly))
            bytes = f.readAll();
    } else {
        QFile f(cl.catalogFile);
        if (!f.open(QIODevice::ReadOnly))
            return failWith(CatalogCommand::tr("cannot read %1: %2").arg(cl.catalogFile, f.errorString()));
        bytes = f.readAll();
    }
    auto plan = planPriceImport(bytes, *s.snapshot(), {cl.addNew, cl.removeMissing});
    if (!plan.ok())
        return failWith(CatalogCommand::tr("%1 is not a price file Tollgate can read: %2")
                            .arg(cl.builtIn ? CatalogCommand::tr("the built-in catalog") : cl.catalogFile,
                                 plan.error().toString()));
    for (const PriceChange& c : plan->changes) {
        switch (c.kind) {
        case PriceChange::Kind::Added: out << CatalogCommand::tr("+ %1 (new model)").arg(c.modelId); break;
        case PriceChange::Kind::Removed: out << CatalogCommand::tr("- %1 (removed)").arg(c.modelId); break;
        case PriceChange::Kind::Changed:
            out << CatalogCommand::tr("~ %1 %2: %3 -> %4").arg(c.modelId, c.field, c.before, c.after);
            break;
        }
        out << '\n';
    }
    for (const QString& skipped : plan->skipped)
        out << CatalogCommand::tr("  skipped: %1").arg(skipped) << '\n';
    out << CatalogCommand::tr("%1 changes to %2 models, %3 removed, %4 unchanged (%5 format)")
               .arg(plan->changes.size())
               .arg(plan->models.size())
               .arg(plan->removed.size())
               .arg(plan->unchanged)
               .arg(plan->format)
        << Qt::endl;
    if (!cl.apply) {
        if (!plan->changes.isEmpty())
            out << CatalogCommand::tr("Nothing was changed: run it again with --apply to apply these changes.")
                << Qt::endl;
        return 0;
    }
    if (Status st = s.catalog().applyPriceImport(*plan, QStringLiteral("cli:catalog-import")); !st.ok())
        return failWith(st.error().toString());
    out << CatalogCommand::tr("Applied.") << Qt::endl;
    return 0;
}

} // namespace tollgate
