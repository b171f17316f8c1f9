#include "ui/screenshots.h"

#include "core/catalog/priceimport.h"
#include "core/service/service.h"
#include "ui/catalog/catalogpage.h"
#include "ui/catalog/priceimportdialog.h"
#include "ui/console.h"
#include "ui/keys/keydialog.h"
#include "ui/mainwindow.h"
#include "ui/page.h"
#include "ui/widgets/editdialog.h"

#include <QApplication>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPixmap>
#include <QRegularExpression>

namespace tollgate {

void settle(Console& console)
{
    // A finished job may start another (a page that reloads after a load): a few rounds.
    for (int i = 0; i < 6; ++i) {
        QApplication::processEvents();
        console.waitForIdle();
        QApplication::sendPostedEvents();
        QApplication::processEvents();
    }
}

QString renderPages(MainWindow& window, Console& console, const QString& dir)
{
    if (!QDir().mkpath(dir))
        return QApplication::translate("tollgate::screenshots", "cannot create the folder %1").arg(dir);
    window.resize(1280, 800);
    window.show();
    const QList<Page*> pages = window.pages();
    for (int i = 0; i < pages.size(); ++i) {
        window.setCurrentPage(i);
        settle(console);
        // Named after the page's class, so the names stay the same in every language: RequestLogPage -> request-log.
        QString name = QString::fromLatin1(pages[i]->metaObject()->className()).section(u':', -1);
        name.chop(4);
        name.replace(QRegularExpression(QStringLiteral("(?<=[a-z])(?=[A-Z])")), QStringLiteral("-"));
        name = name.toLower();
        const QString file =
            QDir(dir).filePath(QStringLiteral("%1-%2.png").arg(i + 1, 2, 10, QLatin1Char('0')).arg(name));
        if (!window.grab().save(file))
            return QApplication::translate("tollgate::screenshots", "cannot write %1").arg(file);
        if (pages[i]->showSampleDetail()) {
            settle(console);
            const QString detail = file.chopped(4) + QStringLiteral("-details.png");
            if (!window.grab().save(detail))
                return QApplication::translate("tollgate::screenshots", "cannot write %1").arg(detail);
        }
    }
    // The price import's preview, for a file with newer prices (the catalog as it is, a few prices changed).
    QJsonObject catalog = QJsonDocument::fromJson(exportCatalog(*console.service().snapshot())).object();
    QJsonArray models = catalog.value(QLatin1String("models")).toArray();
    for (qsizetype i = 0; i < models.size(); ++i) {
        QJsonObject m = models[i].toObject();
        const QString id = m.value(QLatin1String("id")).toString();
        if (id == u"claude-sonnet-4-5") {
            m.insert(QStringLiteral("input"), QStringLiteral("3.30"));
            m.insert(QStringLiteral("cacheWrite1h"), QStringLiteral("6.60"));
        } else if (id == u"gpt-4o") {
            m.insert(QStringLiteral("output"), QStringLiteral("9.00"));
            m.insert(QStringLiteral("webSearch"), QStringLiteral("30.00"));
        } else if (id == u"gpt-6-luna") {
            m.insert(QStringLiteral("contextWindow"), 2'000'000);
        }
        models[i] = m;
    }
    catalog.insert(QStringLiteral("models"), models);
    PriceImportDialog dialog(console, QJsonDocument(catalog).toJson(), QStringLiteral("prices-2027.json"), &window);
    dialog.show();
    settle(console);
    const QString file =
        QDir(dir).filePath(QStringLiteral("%1-price-import.png").arg(pages.size() + 1, 2, 10, QLatin1Char('0')));
    if (!dialog.grab().save(file))
        return QApplication::translate("tollgate::screenshots", "cannot write %1").arg(file);
    dialog.reject();
    // The model editor of a model with a long-context tier: every component, the defaults in grey.
    for (Page* page : pages)
        if (auto* catalog = qobject_cast<CatalogPage*>(page)) {
            EditDialog* editor =
                catalog->modelDialog(console.service().catalog().model(QStringLiteral("claude-sonnet-4-5")));
            editor->show();
            settle(console);
            const QString editorFile = QDir(dir).filePath(
                QStringLiteral("%1-model-editor.png").arg(pages.size() + 2, 2, 10, QLatin1Char('0')));
            const bool saved = editor->grab().save(editorFile);
            editor->reject();
            editor->deleteLater();
            if (!saved)
                return QApplication::translate("tollgate::screenshots", "cannot write %1").arg(editorFile);
        }
    // What a first start shows once: the owner key of the admin API (an example, not a key of this database).
    std::unique_ptr<SecretDialog> owner(
        window.ownerKeyDialog(QStringLiteral("tga-EXAMPLE0nlyEXAMPLE0nlyEXAMPLE0nlyEXAMPLE"),
                              QStringLiteral("http://127.0.0.1:8787/api/admin")));
    owner->show();
    settle(console);
    const QString ownerFile =
        QDir(dir).filePath(QStringLiteral("%1-owner-key.png").arg(pages.size() + 3, 2, 10, QLatin1Char('0')));
    const bool saved = owner->grab().save(ownerFile);
    owner->reject();
    if (!saved)
        return QApplication::translate("tollgate::screenshots", "cannot write %1").arg(ownerFile);
    return {};
}

} // namespace tollgate
