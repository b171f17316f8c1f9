// The console in German and in French: every page rendered with the shipped translation, and no text a person
// sees is still an English source string (a string that missed tr(), or was made before the translation loaded).
#include "core/demo/demo.h"
#include "core/service/service.h"
#include "ui/console.h"
#include "ui/mainwindow.h"
#include "ui/page.h"
#include "ui/screenshots.h"

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QComboBox>
#include <QFile>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>
#include <QXmlStreamReader>

using namespace tollgate;

namespace {

// Every English source text of a .ts file whose translation says something else.
QSet<QString> englishSources(const QString& tsFile)
{
    QFile file(tsFile);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(tsFile));
    QSet<QString> out;
    QXmlStreamReader xml(&file);
    QString source;
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement)
            continue;
        if (xml.name() == u"source")
            source = xml.readElementText();
        else if ((xml.name() == u"translation" || xml.name() == u"numerusform")) {
            const QString translation = xml.readElementText(QXmlStreamReader::IncludeChildElements);
            if (!translation.isEmpty() && translation != source && source.size() > 1)
                out.insert(source);
        }
    }
    return out;
}

QString plain(QString text)
{
    text.remove(u'&');
    return text.trimmed();
}

// What a person can read in a window: labels, buttons, titles, placeholders, list and combo items, headers, cells.
QStringList visibleTexts(QWidget* root)
{
    QStringList out;
    for (QWidget* w : root->findChildren<QWidget*>()) {
        if (!w->isVisibleTo(root))
            continue;
        if (auto* l = qobject_cast<QLabel*>(w))
            out << l->text();
        else if (auto* b = qobject_cast<QAbstractButton*>(w))
            out << plain(b->text());
        else if (auto* g = qobject_cast<QGroupBox*>(w))
            out << g->title();
        else if (auto* e = qobject_cast<QLineEdit*>(w))
            out << e->placeholderText();
        else if (auto* c = qobject_cast<QComboBox*>(w))
            for (int i = 0; i < c->count(); ++i)
                out << c->itemText(i);
        if (auto* v = qobject_cast<QAbstractItemView*>(w); v && v->model()) {
            QAbstractItemModel* m = v->model();
            for (int c = 0; c < m->columnCount(); ++c)
                out << m->headerData(c, Qt::Horizontal).toString();
            for (int r = 0; r < std::min(m->rowCount(), 60); ++r)
                for (int c = 0; c < m->columnCount(); ++c)
                    out << m->index(r, c).data().toString();
        }
    }
    for (QAction* a : root->findChildren<QAction*>())
        out << plain(a->text()) << a->toolTip();
    return out;
}

} // namespace

class TestTranslations final : public QObject
{
    Q_OBJECT

private slots:
    void everyPageIsTranslated_data()
    {
        QTest::addColumn<QString>("language");
        QTest::addColumn<QString>("dashboard"); // the first page's title, translated
        QTest::newRow("German") << QStringLiteral("de") << QStringLiteral("Übersicht");
        QTest::newRow("French") << QStringLiteral("fr") << QStringLiteral("Tableau de bord");
    }

    void everyPageIsTranslated()
    {
        QFETCH(QString, language);
        QFETCH(QString, dashboard);
        QTranslator translator;
        QVERIFY(translator.load(QStringLiteral(TOLLGATE_QM_DIR "/tollgate_%1.qm").arg(language)));
        QCoreApplication::installTranslator(&translator);
        QLocale::setDefault(QLocale(language));
        const QSet<QString> english = englishSources(QStringLiteral(TOLLGATE_TS_DIR "/tollgate_%1.ts").arg(language));
        QVERIFY(english.size() > 400);

        QTemporaryDir dir;
        auto s = Service::open(DatabaseLocation::parse(dir.filePath(QStringLiteral("t.db"))).value(),
                               SystemClock::instance());
        QVERIFY(s.ok());
        QVERIFY(loadDemo(*s.value()).ok());
        {
            Console console(*s.value(), nullptr);
            MainWindow window(console, nullptr);
            QVERIFY(renderPages(window, console, dir.filePath(language)).isEmpty());
            QCOMPARE(window.pages().first()->title(), dashboard);

            QStringList leftInEnglish;
            for (int i = 0; i < window.pages().size(); ++i) {
                window.setCurrentPage(i);
                settle(console);
                for (const QString& text : visibleTexts(&window))
                    if (english.contains(text))
                        leftInEnglish << QStringLiteral("%1: %2").arg(window.pages()[i]->title(), text);
            }
            leftInEnglish.removeDuplicates();
            QVERIFY2(leftInEnglish.isEmpty(), qPrintable(leftInEnglish.join(u'\n')));
            console.waitForIdle();
        }
        QCoreApplication::removeTranslator(&translator);
        QLocale::setDefault(QLocale::c());
    }
};

QTEST_MAIN(TestTranslations)
#include "test_translations.moc"
