// The console's pages over a real service (SQLite in a temporary folder), offscreen: what an admin does with the
// mouse and keyboard, checked in the service the gateway admits requests through.

#include "core/service/limitwatch.h"
#include "core/service/service.h"
#include "ui/catalog/catalogpage.h"
#include "ui/catalog/priceimportdialog.h"
#include "ui/console.h"
#include "ui/dashboard/dashboarddata.h"
#include "ui/dragdrop.h"
#include "ui/format.h"
#include "ui/groups/groupspage.h"
#include "ui/groups/grouptreemodel.h"
#include "ui/groups/membership.h"
#include "ui/keys/keydialog.h"
#include "ui/keys/keyspage.h"
#include "ui/mainwindow.h"
#include "ui/policies/policiespage.h"
#include "ui/policies/policyform.h"
#include "ui/requests/requestlogpage.h"
#include "ui/screenshots.h"
#include "ui/users/userdelegates.h"
#include "ui/users/usersmodel.h"
#include "ui/users/userspage.h"
#include "ui/widgets/dialogs.h"
#include "ui/widgets/editdialog.h"
#include "ui/widgets/messagebanner.h"
#include "ui/widgets/moneyedit.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDropEvent>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMimeData>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>
#include <QUndoStack>

using namespace tollgate;

class TestConsole final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Service> m_service;
    std::unique_ptr<Console> m_console;
    std::unique_ptr<MainWindow> m_window;
    QList<Id> m_users;
    Id m_backend = 0;
    Id m_engineering = 0;

    Id userId(int i) const { return m_users[i]; }
    void settle() { tollgate::settle(*m_console); }

private slots:
    void initTestCase()
    {
        auto location = DatabaseLocation::parse(m_dir.filePath(QStringLiteral("console.db")));
        auto s = Service::open(location.value(), SystemClock::instance());
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().toString()));
        m_service = std::move(s.value());
        m_engineering = m_service->directory().createGroup(QStringLiteral("Engineering"), 0, {})->id;
        m_backend = m_service->directory().createGroup(QStringLiteral("Backend"), m_engineering, {})->id;
        QList<NewUser> users;
        for (int i = 0; i < 20; ++i) {
            NewUser n;
            n.email = QStringLiteral("user%1@example.org").arg(i, 2, 10, QLatin1Char('0'));
            n.name = QStringLiteral("User %1").arg(i, 2, 10, QLatin1Char('0'));
            users << n;
        }
        auto created = m_service->directory().createUsers(users, {});
        QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.error().toString()));
        for (const User& u : std::as_const(created.value()))
            m_users << u.id;
        m_console = std::make_unique<Console>(*m_service, nullptr);
        m_window = std::make_unique<MainWindow>(*m_console, nullptr);
        m_window->show();
        settle();
    }

    void cleanupTestCase()
    {
        m_window.reset();
        m_console.reset();
    }

    // Every model the console shows, under Qt's own checks.
    void modelsPassTheModelTester()
    {
        UsersModel users;
        QAbstractItemModelTester t1(&users, QAbstractItemModelTester::FailureReportingMode::QtTest);
        users.setRows(UsersModel::load(*m_service));
        UsersFilter filter;
        filter.setSourceModel(&users);
        QAbstractItemModelTester t2(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
        filter.setText(QStringLiteral("user 1")); // every word: User 01 and User 10 to User 19
        QCOMPARE(filter.rowCount(), 11);
        filter.setText(QStringLiteral("USER1"));
        QCOMPARE(filter.rowCount(), 10);
        filter.sort(UsersModel::Email, Qt::DescendingOrder);
        QCOMPARE(filter.index(0, UsersModel::Email).data().toString(), QStringLiteral("user19@example.org"));
        filter.setText({});
        for (const int column : {int(UsersModel::Name), int(UsersModel::Email), int(UsersModel::Groups)}) {
            filter.sort(column, Qt::AscendingOrder); // by the texts' places, ignoring case
            const auto text = [&](int row) {
                const QModelIndex i = filter.index(row, column);
                return column == UsersModel::Groups ? i.data(UsersModel::BadgesRole).toStringList().join(u',')
                                                    : i.data().toString();
            };
            for (int r = 1; r < filter.rowCount(); ++r)
                QVERIFY2(text(r - 1).compare(text(r), Qt::CaseInsensitive) <= 0, qPrintable(text(r)));
        }
        GroupTreeModel groups(*m_console);
        QAbstractItemModelTester t3(&groups, QAbstractItemModelTester::FailureReportingMode::QtTest);
        groups.setTree(GroupTreeModel::load(*m_service));
        QCOMPARE(groups.rowCount(), 1);
        QCOMPARE(groups.rowCount(groups.index(0, 0)), 1);
        QCOMPARE(groups.indexOf(m_backend).parent(), groups.indexOf(m_engineering));
        auto* keys = m_window->showPage<KeysPage>();
        settle();
        QAbstractItemModelTester t4(keys->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        keys->reload();
        settle();
    }

    // Three users selected in the users table and dropped on a group all join it; undo takes them out again.
    void draggingThreeSelectedUsersOntoAGroupAddsAllThree()
    {
        auto* page = m_window->showPage<UsersPage>();
        settle();
        QCOMPARE(page->model()->rowCount(), 20);
        QItemSelection selection;
        for (int i : {2, 5, 7}) {
            const QModelIndex p =
                page->filter()->mapFromSource(page->model()->index(page->model()->rowOf(userId(i)), 0));
            selection.select(p, p);
        }
        page->view()->selectionModel()->select(selection,
                                               QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        const QModelIndexList rows = page->view()->selectionModel()->selectedRows();
        QCOMPARE(rows.size(), 3);
        // What the view's drag carries, dropped where the groups tree beside it would drop it.
        std::unique_ptr<QMimeData> data(page->view()->model()->mimeData(rows));
        QVERIFY(data->hasFormat(dragdrop::kUsersMime));
        auto* groups = qobject_cast<GroupTreeModel*>(page->groupsView()->model());
        const QModelIndex target = groups->indexOf(m_backend);
        QVERIFY(target.isValid());
        QVERIFY(groups->canDropMimeData(data.get(), Qt::CopyAction, -1, -1, target));
        groups->dropMimeData(data.get(), Qt::CopyAction, -1, -1, target);
        settle();
        QList<Id> members = m_service->directory().groupMembers(m_backend);
        std::sort(members.begin(), members.end());
        QCOMPARE(members, (QList<Id> {userId(2), userId(5), userId(7)}));
        QCOMPARE(m_console->undoStack()->undoText(), QStringLiteral("Add 3 user(s) to Backend"));
        m_console->poll();
        settle();
        // The table shows the badges.
        QCOMPARE(page->model()->row(page->model()->rowOf(userId(5))).groupNames,
                 QStringList {QStringLiteral("Backend")});

        m_console->undoStack()->undo();
        settle();
        QVERIFY(m_service->directory().groupMembers(m_backend).isEmpty());
        m_console->undoStack()->redo();
        settle();
        QCOMPARE(m_service->directory().groupMembers(m_backend).size(), 3);
    }

    // Money typed the console's way: its locale's notation, read strictly; what the other notation would mean is
    // refused with the spelling that would be read, never guessed 100 or 1000 times off.
    void moneyIsReadInTheConsolesNotation_data()
    {
        QTest::addColumn<QString>("locale");
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("nanos"); // -1: refused
        QTest::addColumn<QString>("hint"); // in the refusal
        const qint64 d = kNanosPerDollar;
        QTest::newRow("en 12.50") << "en_US"
                                  << "12.50" << 25 * d / 2 << "";
        QTest::newRow("en 1,250.00") << "en_US"
                                     << "1,250.00" << 1250 * d << "";
        QTest::newRow("en $1,250") << "en_US"
                                   << "$1,250" << 1250 * d << "";
        QTest::newRow("en 12,50") << "en_US"
                                  << "12,50" << -1LL << "write 12.50";
        QTest::newRow("en 1,2500") << "en_US"
                                   << "1,2500" << -1LL << "three digits";
        QTest::newRow("en 1.2.3") << "en_US"
                                  << "1.2.3" << -1LL << "more than one decimal";
        QTest::newRow("en nano") << "en_US"
                                 << "0.000000001" << 1LL << "";
        QTest::newRow("en too precise") << "en_US"
                                        << "0.0000000001" << -1LL << "nano-dollar";
        QTest::newRow("en negative") << "en_US"
                                     << "-5" << -1LL << "negative";
        QTest::newRow("en words") << "en_US"
                                  << "lots" << -1LL << "not an amount";
        QTest::newRow("de 12,50") << "de_DE"
                                  << "12,50" << 25 * d / 2 << "";
        QTest::newRow("de 1.250,00") << "de_DE"
                                     << "1.250,00" << 1250 * d << "";
        QTest::newRow("de 150,00 $") << "de_DE"
                                     << "150,00 $" << 150 * d << "";
        QTest::newRow("de 1.250") << "de_DE"
                                  << "1.250" << 1250 * d << "";
        QTest::newRow("de 12.50") << "de_DE"
                                  << "12.50" << -1LL << "write 12,50";
        QTest::newRow("de 1,250.00") << "de_DE"
                                     << "1,250.00" << -1LL << "write 1.250,00";
        QTest::newRow("de 1.250,5.0") << "de_DE"
                                      << "1.250,5.0" << -1LL << "after the decimals";
        QTest::newRow("fr 12,50") << "fr_FR"
                                  << "12,50" << 25 * d / 2 << "";
        QTest::newRow("fr 1 250,00 narrow") << "fr_FR" << QStringLiteral("1\u202f250,00") << 1250 * d << "";
        QTest::newRow("fr 1 250,00 space") << "fr_FR"
                                           << "1 250,00" << 1250 * d << "";
        QTest::newRow("fr 12.50") << "fr_FR"
                                  << "12.50" << -1LL << "write 12,50";
    }
    void moneyIsReadInTheConsolesNotation()
    {
        QFETCH(QString, locale);
        QFETCH(QString, text);
        QFETCH(qint64, nanos);
        QFETCH(QString, hint);
        const QLocale l(locale);
        const auto read = format::parseMoney(text, QStringLiteral("limit"), l);
        if (nanos < 0) {
            QVERIFY2(!read.ok(), qPrintable(text));
            QVERIFY2(read.error().message.contains(hint), qPrintable(read.error().message));
            return;
        }
        QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : read.error().message));
        QCOMPARE(read.value(), std::optional<Money>(nanos));
        // What a field shows for an amount reads back as that amount.
        QCOMPARE(format::parseMoney(format::moneyInput(nanos, l), QStringLiteral("limit"), l).value(),
                 std::optional<Money>(nanos));
    }

    // Beside the field: what will be saved, exactly, in the console's notation, or why the text cannot be read.
    void aMoneyFieldShowsWhatWillBeSaved()
    {
        const QLocale before;
        QLocale::setDefault(QLocale(QStringLiteral("de_DE")));
        {
            MoneyEdit edit(QStringLiteral("limit"), 150 * kNanosPerDollar);
            QCOMPARE(edit.lineEdit()->text(), QStringLiteral("150,00"));
            QCOMPARE(edit.preview()->text(), QStringLiteral("= $150,00"));
            edit.lineEdit()->setText(QStringLiteral("1.250,00"));
            QCOMPARE(edit.preview()->text(), QStringLiteral("= $1.250,00"));
            QCOMPARE(edit.value().value(), std::optional<Money>(1250 * kNanosPerDollar));
            edit.lineEdit()->setText(QStringLiteral("12.50"));
            QVERIFY2(edit.preview()->text().contains(QLatin1String("12,50")), qPrintable(edit.preview()->text()));
            QVERIFY(!edit.lineEdit()->property("invalidReason").toString().isEmpty());
            QVERIFY(!edit.value().ok());
            edit.lineEdit()->clear();
            QCOMPARE(edit.preview()->text(), QString());
            QCOMPARE(edit.value().value(), std::optional<Money>());
        }
        QLocale::setDefault(before);
    }

    // Dragging a group's members onto another group moves them (the member list's drag), dragging users from the
    // users list adds them; Ctrl and Shift choose the other.
    void draggingMembersMovesThemAndTheUsersListAdds()
    {
        QCOMPARE(m_window->showPage<UsersPage>()->view()->dragAction(), Qt::CopyAction);
        auto* page = m_window->showPage<GroupsPage>();
        settle();
        auto* members = page->findChild<UsersView*>(QStringLiteral("groupMembers"));
        QVERIFY(members);
        QCOMPARE(members->dragAction(), Qt::MoveAction);
        const Id support = m_service->directory().createGroup(QStringLiteral("Support"), 0, {})->id;
        QVERIFY(m_service->directory().addUsersToGroup({userId(3)}, m_backend, {}).ok());
        m_console->poll();
        settle();
        auto* groups = qobject_cast<GroupTreeModel*>(page->tree()->model());
        std::unique_ptr<QMimeData> data(dragdrop::encodeUsers({userId(3)}, m_backend));
        groups->dropMimeData(data.get(), members->dragAction(), -1, -1, groups->indexOf(support));
        settle();
        QCOMPARE(m_service->directory().groupMembers(support), QList<Id> {userId(3)});
        QVERIFY(!m_service->directory().groupMembers(m_backend).contains(userId(3)));
        m_console->undoStack()->undo();
        settle();
        QVERIFY(m_service->directory().groupMembers(m_backend).contains(userId(3)));
        QVERIFY(m_service->directory().groupMembers(support).isEmpty());
        QVERIFY(m_service->directory().removeUsersFromGroup({userId(3)}, m_backend, {}).ok());
        QVERIFY(m_service->directory().deleteGroup(support, {}).ok());
        m_console->poll();
        settle();
    }

    // Filtering users by a parent group finds the members of its subgroups; a table the filter empties says so.
    void filteringByAParentGroupFindsItsSubgroupsMembers()
    {
        QVERIFY(m_service->directory().addUsersToGroup({userId(6)}, m_backend, {}).ok());
        m_console->poll();
        auto* page = m_window->showPage<UsersPage>();
        page->reload();
        settle();
        page->filter()->setText(QStringLiteral("engineering"));
        QModelIndexList rows;
        for (int r = 0; r < page->filter()->rowCount(); ++r)
            rows << page->filter()->index(r, 0);
        QList<Id> found = page->filter()->idsOf(rows);
        QList<Id> members = m_service->directory().groupMembers(m_backend);
        std::sort(found.begin(), found.end());
        std::sort(members.begin(), members.end());
        QCOMPARE(found, members); // nobody is in Engineering directly
        QVERIFY(found.contains(userId(6)));
        auto* hint = page->view()->viewport()->findChild<QLabel*>(QStringLiteral("emptyText"));
        QVERIFY(hint && !hint->isVisible());
        page->filter()->setText(QStringLiteral("nobody-by-this-name"));
        QVERIFY(hint->isVisible());
        QCOMPARE(hint->text(), QStringLiteral("Nobody matches the filter."));
        page->filter()->setText({});
        QVERIFY(!hint->isVisible());
        QVERIFY(m_service->directory().removeUsersFromGroup({userId(6)}, m_backend, {}).ok());
        m_console->poll();
        settle();
    }

    // Joining a group that sets limits changes the members' limits: said, and asked, before anything changes.
    void aDropThatChangesLimitsSaysSoFirst()
    {
        const Id capped = m_service->directory().createGroup(QStringLiteral("Capped"), 0, {})->id;
        Group g = *m_service->directory().group(capped);
        PolicySettings p;
        p[Dimension::MonthlyCost] = Limit::of(150 * kNanosPerDollar);
        g.settings = p;
        QVERIFY(m_service->directory().updateGroup(g, {}).ok());
        m_console->poll();
        auto* page = m_window->showPage<UsersPage>();
        settle();
        auto* groups = qobject_cast<GroupTreeModel*>(page->groupsView()->model());
        std::unique_ptr<QMimeData> data(dragdrop::encodeUsers({userId(9)}, 0));
        QString why;
        std::unique_ptr<MembershipCommand> probe(
            MembershipCommand::make(*m_console, MembershipCommand::Kind::Add, {userId(9)}, 0, capped, &why));
        QVERIFY2(probe->sideEffects().contains(QLatin1String("User 09"))
                     && probe->sideEffects().contains(QLatin1String("$150.00")),
                 qPrintable(probe->sideEffects()));
        dialogs::setNextAnswer(dialogs::Answer::No);
        groups->dropMimeData(data.get(), Qt::CopyAction, -1, -1, groups->indexOf(capped));
        settle();
        QVERIFY(m_service->directory().groupMembers(capped).isEmpty());
        dialogs::setNextAnswer(dialogs::Answer::Yes);
        groups->dropMimeData(data.get(), Qt::CopyAction, -1, -1, groups->indexOf(capped));
        settle();
        QCOMPARE(m_service->directory().groupMembers(capped), QList<Id> {userId(9)});
        QVERIFY(m_service->directory().removeUsersFromGroup({userId(9)}, capped, {}).ok());
        QVERIFY(m_service->directory().deleteGroup(capped, {}).ok());
        m_console->poll();
        settle();
    }

    // A blocked list set in a user's override replaces the inherited one: it starts as the inherited list (so that
    // blocking one more model keeps the organisation's blocks), and the form says so.
    void aModelListSetBelowStartsFromTheInheritedOne()
    {
        PolicyForm form;
        form.setModels(m_service->catalog().models());
        form.setLevel(PolicyForm::Level::User);
        form.setSettings({});
        EffectivePolicy inherited;
        inherited.blockedModels.rule = ModelRule::list({QStringLiteral("mock-small")});
        form.setEffective(inherited);
        form.show();
        QVERIFY(!form.blockedNote()->isVisible());
        form.blockedModeBox()->setCurrentIndex(form.blockedModeBox()->findData(1)); // "the models ticked"
        QStringList ticked;
        for (int i = 0; i < form.blockedList()->count(); ++i)
            if (form.blockedList()->item(i)->checkState() == Qt::Checked)
                ticked << form.blockedList()->item(i)->data(Qt::UserRole).toString();
        QCOMPARE(ticked, QStringList {QStringLiteral("mock-small")});
        QVERIFY(form.blockedNote()->isVisible());
        auto settings = form.settings();
        QVERIFY(settings.ok());
        QVERIFY(settings->blockedModels.models.contains(QStringLiteral("mock-small")));
    }

    // Ctrl+Z with the focus in a filter box undoes the last group change, as anywhere else in the window.
    void undoInAFilterBoxUndoesTheLastChange()
    {
        auto* page = m_window->showPage<UsersPage>();
        settle();
        m_window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        auto* groups = qobject_cast<GroupTreeModel*>(page->groupsView()->model());
        std::unique_ptr<QMimeData> data(dragdrop::encodeUsers({userId(8)}, 0));
        groups->dropMimeData(data.get(), Qt::CopyAction, -1, -1, groups->indexOf(m_backend));
        settle();
        QVERIFY(m_service->directory().groupMembers(m_backend).contains(userId(8)));
        auto* search = page->findChild<QLineEdit*>(QStringLiteral("userSearch"));
        search->setFocus();
        QTest::keyClicks(search, QStringLiteral("user0"));
        QTest::keyClick(search, Qt::Key_Z, Qt::ControlModifier);
        settle();
        QCOMPARE(search->text(), QStringLiteral("user0"));
        QVERIFY(!m_service->directory().groupMembers(m_backend).contains(userId(8)));
        search->clear();
        settle();
    }

    // A group dropped on its own subgroup would contain itself: refused, with a message, nothing changed; also when
    // it is dropped in the tree itself, where Qt's views would ignore it without a word.
    void aCycleIsRefusedWithAMessage()
    {
        {
            auto* page = m_window->showPage<GroupsPage>();
            settle();
            QTreeView* tree = page->tree();
            tree->expandAll();
            auto* model = qobject_cast<GroupTreeModel*>(tree->model());
            QSignalSpy refused(model, &GroupTreeModel::dropRefused);
            std::unique_ptr<QMimeData> data(dragdrop::encodeGroup(m_engineering));
            const QPoint at = tree->visualRect(model->indexOf(m_backend)).center();
            QVERIFY(tree->indexAt(at) == model->indexOf(m_backend));
            QDragEnterEvent enter(at, Qt::MoveAction, data.get(), Qt::LeftButton, Qt::NoModifier);
            QCoreApplication::sendEvent(tree->viewport(), &enter);
            QDragMoveEvent move(at, Qt::MoveAction, data.get(), Qt::LeftButton, Qt::NoModifier);
            QCoreApplication::sendEvent(tree->viewport(), &move);
            QVERIFY(move.isAccepted()); // the view takes it, to say why it cannot go there
            QDropEvent drop(at, Qt::MoveAction, data.get(), Qt::LeftButton, Qt::NoModifier);
            QCoreApplication::sendEvent(tree->viewport(), &drop);
            settle();
            QCOMPARE(refused.size(), 1);
            QVERIFY(refused.first().first().toString().contains(QLatin1String("cannot contain itself")));
            QCOMPARE(m_service->directory().group(m_engineering)->parentId, 0);
        }
        GroupTreeModel groups(*m_console);
        groups.setTree(GroupTreeModel::load(*m_service));
        QSignalSpy refused(&groups, &GroupTreeModel::dropRefused);
        std::unique_ptr<QMimeData> data(dragdrop::encodeGroup(m_engineering));
        groups.dropMimeData(data.get(), Qt::MoveAction, -1, -1, groups.indexOf(m_backend));
        settle();
        QCOMPARE(refused.size(), 1);
        QVERIFY(refused.first().first().toString().contains(QLatin1String("cannot contain itself")));
        QCOMPARE(m_service->directory().group(m_engineering)->parentId, 0);
    }

    // A monthly limit set on a selection applies to every selected user, and to nobody else.
    void aBulkMonthlyLimitAppliesToEverySelectedUser()
    {
        auto* page = m_window->showPage<UsersPage>();
        settle();
        page->view()->clearSelection();
        QItemSelection selection;
        for (int i = 10; i < 16; ++i) {
            const QModelIndex p =
                page->filter()->mapFromSource(page->model()->index(page->model()->rowOf(userId(i)), 0));
            selection.select(p, p);
        }
        page->view()->selectionModel()->select(selection,
                                               QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        QCOMPARE(page->selectedIds().size(), 6);
        dialogs::setNextText(QStringLiteral("25.50"));
        page->findChild<QAction*>(QStringLiteral("setMonthlyLimit"))->trigger();
        settle();
        for (int i = 0; i < 20; ++i) {
            const ResolvedLimit l = m_service->directory().effectivePolicy(userId(i))[Dimension::MonthlyCost];
            if (i >= 10 && i < 16) {
                QCOMPARE(l.value, Limit::of(25'500'000'000));
                QCOMPARE(l.source.level, PolicySource::Level::User);
            } else {
                QVERIFY(!l.value.isLimited());
            }
        }
        QVERIFY(page->banner()->text().contains(QLatin1String("6 user")));
        // A bad amount changes nothing and says why.
        dialogs::setNextText(QStringLiteral("twelve"));
        page->findChild<QAction*>(QStringLiteral("setMonthlyLimit"))->trigger();
        settle();
        QCOMPARE(page->banner()->kind(), MessageBanner::Kind::Error);
        QCOMPARE(m_service->directory().effectivePolicy(userId(10))[Dimension::MonthlyCost].value,
                 Limit::of(25'500'000'000));
    }

    // Typing an id says which model the gateway serves and prices it as, and by which rule; an alias added is listed.
    void theCatalogSaysWhichModelAnIdGets()
    {
        auto* page = m_window->showPage<CatalogPage>();
        settle();
        auto* probe = page->findChild<QLineEdit*>(QStringLiteral("modelProbe"));
        auto* result = page->findChild<QLabel*>(QStringLiteral("modelProbeResult"));
        QTest::keyClicks(probe, QStringLiteral("claude-sonnet-4-5-20250929"));
        QVERIFY2(result->text().contains(QLatin1String("claude-sonnet-4-5, by claude-sonnet-4-5-<date>")),
                 qPrintable(result->text()));
        probe->setText(QStringLiteral("claude-sonnet-7"));
        QVERIFY2(result->text().contains(QLatin1String("claude-sonnet-5-5, by claude-sonnet-*")),
                 qPrintable(result->text()));
        probe->setText(QStringLiteral("team-model"));
        QVERIFY(result->text().contains(QLatin1String("refused")));
        QVERIFY(m_service->catalog().saveAlias({QStringLiteral("team-*"), QStringLiteral("mock-small"), {}}, {}));
        page->reload();
        QVERIFY2(result->text().contains(QLatin1String("mock-small, by team-*")), qPrintable(result->text()));
        QVERIFY(m_service->catalog().deleteAlias(QStringLiteral("team-*"), {}).ok());
        // Where each provider's secret is kept, and which key file encrypts them.
        Provider vllm;
        vllm.name = QStringLiteral("vLLM");
        vllm.kind = ProviderKind::OpenAICompatible;
        vllm.baseUrl = QStringLiteral("http://vllm.internal:8000/v1");
        vllm.secret = QStringLiteral("sk-internal-secret");
        QVERIFY(m_service->catalog().saveProvider(vllm, {}).ok());
        page->reload();
        const auto* help = page->findChild<QLabel*>(QStringLiteral("secretsHelp"));
        QVERIFY2(help->text().contains(m_service->secrets().keyFile()), qPrintable(help->text()));
        QStringList places;
        for (QAbstractItemModel* m : page->findChildren<QAbstractItemModel*>())
            for (int r = 0; r < m->rowCount(); ++r)
                for (int c = 0; c < m->columnCount(); ++c)
                    places << m->index(r, c).data().toString();
        QVERIFY(places.contains(QStringLiteral("encrypted under the key file")));
        QVERIFY(places.contains(QStringLiteral("not set")));
        QVERIFY(!places.join(u' ').contains(QLatin1String("sk-internal-secret")));
    }

    // The model editor shows every billed component: set ones with their price, the others empty with the default
    // they follow; a price set is kept, and what follows the input price moves with it.
    void theModelEditorSetsEveryComponentAndKeepsDefaults()
    {
        auto* page = m_window->showPage<CatalogPage>();
        settle();
        QTableView* table = nullptr;
        QModelIndexList hit;
        for (QTableView* t : page->findChildren<QTableView*>()) {
            hit = t->model()->match(t->model()->index(0, 0), Qt::DisplayRole, QStringLiteral("claude-sonnet-4-5"), 1,
                                    Qt::MatchExactly);
            if (!hit.isEmpty()) {
                table = t;
                break;
            }
        }
        QVERIFY(table);
        table->selectRow(hit.first().row());
        QString placeholder;
        QTimer::singleShot(0, this, [&placeholder, page] {
            auto* dialog = page->findChild<EditDialog*>();
            QVERIFY(dialog);
            placeholder = dialog->findChild<QLineEdit*>(QStringLiteral("longInput"))->placeholderText();
            QVERIFY(dialog->findChild<QLineEdit*>(QStringLiteral("cacheWrite1h"))->text().isEmpty()); // a default
            dialog->findChild<QLineEdit*>(QStringLiteral("input"))->setText(QStringLiteral("3.50"));
            dialog->findChild<QLineEdit*>(QStringLiteral("cacheWrite1h"))->setText(QStringLiteral("7.10"));
            dialog->accept();
        });
        QAction* edit = nullptr; // the models' toolbar's
        for (QToolBar* bar : page->findChildren<QToolBar*>()) {
            const QList<QAction*> actions = bar->actions();
            const bool models = std::any_of(actions.cbegin(), actions.cend(),
                                            [](QAction* a) { return a->text() == CatalogPage::tr("New model\u2026"); });
            for (QAction* a : actions)
                if (models && a->text() == CatalogPage::tr("Edit\u2026"))
                    edit = a;
        }
        QVERIFY(edit);
        edit->trigger();
        settle();
        QCOMPARE(placeholder, CatalogPage::tr("default: %1").arg(QStringLiteral("6.00")));
        const ModelInfo m = *m_service->catalog().model(QStringLiteral("claude-sonnet-4-5"));
        QCOMPARE(m.inputPrice, 3'500);
        QCOMPARE(m.cacheWrite1hPrice, 7'100); // set
        QCOMPARE(m.cacheWritePrice, 4'375); // follows: 1.25 x input
        QCOMPARE(m.longInputPrice, 7'000); // follows: 2 x input
    }

    // "Update prices from file…": the preview lists each change before anything changes; applying changes them.
    void aPriceFileIsPreviewedThenApplied()
    {
        const QByteArray file = R"({"gpt-4o": {"input_cost_per_token": 2.75e-06, "output_cost_per_token": 1e-05,
            "litellm_provider": "openai", "mode": "chat"}, "gemini/x": {"litellm_provider": "gemini"}})";
        PriceImportDialog dialog(*m_console, file, QStringLiteral("prices.json"));
        QVERIFY(dialog.isReadable());
        QCOMPARE(dialog.changeCount(), 1);
        QCOMPARE(dialog.findChild<QTableWidget*>(QStringLiteral("priceImportChanges"))->rowCount(), 1);
        QCOMPARE(m_service->catalog().model(QStringLiteral("gpt-4o"))->inputPrice, 2'500); // nothing yet
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(m_service->catalog().model(QStringLiteral("gpt-4o"))->inputPrice, 2'750);
        PriceImportDialog broken(*m_console,
                                 R"({"gpt-4o": {"input_cost_per_token": "a lot", "litellm_provider": "openai"}})",
                                 QStringLiteral("bad.json"));
        QVERIFY(!broken.isReadable());
        QVERIFY2(broken.error().contains(QLatin1String("gpt-4o.input_cost_per_token")), qPrintable(broken.error()));
    }

    // A request served through an alias says so in the log's details, with the token classes it was billed for.
    void theRequestLogSaysWhichIdWasAskedFor()
    {
        UsageRecord r;
        r.time = SystemClock::instance().now() - 60'000;
        r.requestId = QStringLiteral("req_alias_in_the_log");
        r.orgId = m_service->directory().organization().id;
        r.userId = userId(3);
        r.model = QStringLiteral("claude-sonnet-5-5");
        r.inputTokens = 100;
        r.outputTokens = 90;
        r.cost = 1'000;
        r.extras = QStringLiteral(
            R"({"requested_model":"claude-sonnet-7","model_rule":"claude-sonnet-*","reasoning_tokens":30,)"
            R"("cache_write_1h_tokens":40,"web_search_calls":2})");
        QVERIFY(m_service->usage().recordUsage({r}).ok());
        auto* page = m_window->showPage<RequestLogPage>();
        page->reload();
        settle();
        auto* table = page->findChild<QTableView*>();
        const QModelIndexList found =
            table->model()->match(table->model()->index(0, 0), Qt::DisplayRole, QStringLiteral("claude-sonnet-5-5"), 1,
                                  Qt::MatchExactly | Qt::MatchWrap);
        QVERIFY(table->model()->rowCount() > 0);
        table->setCurrentIndex(table->model()->index(found.isEmpty() ? 0 : found.first().row(), 0));
        settle();
        const QString details = page->findChild<QTextBrowser*>()->toPlainText();
        QVERIFY2(details.contains(QLatin1String("asked for as claude-sonnet-7, served and priced as claude-sonnet-5-5 "
                                                "by claude-sonnet-*")),
                 qPrintable(details));
        // Every token class it was billed for.
        QVERIFY2(
            details.contains(QStringLiteral("Billed as: Reasoning tokens: 30 \u00b7 Cache-write tokens (1 hour): 40 "
                                            "\u00b7 Web searches: 2")),
            qPrintable(details));
    }

    // The log follows new requests by itself (a console left in the tray for days included), in the organisation's
    // time zone; a drill-down shows only its requests, says so above the list, and is cleared with one click.
    void theRequestLogFollowsNewRequestsAndDrillsDownExactly()
    {
        auto* page = m_window->showPage<RequestLogPage>();
        settle();
        const QString zone = m_service->directory().organization().timezone;
        QVERIFY(page->findChild<QLabel*>(QStringLiteral("requestLogZone"))->text().contains(zone));
        QVERIFY(page->findChild<QCheckBox*>(QStringLiteral("followNewRequests"))->isChecked());
        const auto listed = [page] {
            QStringList ids;
            for (int i = 0; i < page->model()->rowCount(); ++i)
                ids << page->model()->item(i).requestId;
            return ids;
        };
        UsageRecord late;
        late.time = SystemClock::instance().now() + 2 * 86'400'000LL; // long after the page was opened
        late.requestId = QStringLiteral("req_two_days_later");
        late.orgId = m_service->directory().organization().id;
        late.userId = userId(4);
        late.model = QStringLiteral("mock-small");
        late.groupIds = QList<Id> {m_engineering, m_backend};
        UsageRecord outside = late;
        outside.requestId = QStringLiteral("req_in_no_group");
        outside.userId = userId(5);
        outside.groupIds = QList<Id> {};
        QVERIFY(m_service->usage().recordUsage({late, outside}).ok());
        m_console->poll();
        settle();
        QVERIFY2(listed().contains(QStringLiteral("req_two_days_later")), qPrintable(listed().join(u' ')));
        // A bar of the chart stacked by group: that group's requests of that day, nothing else.
        UsageLogFilter f;
        f.groupId = m_engineering;
        f.from = late.time - 60'000;
        f.to = late.time + 60'000;
        page->applyFilter(f, QStringLiteral("Engineering"));
        settle();
        QCOMPARE(listed(), QStringList {QStringLiteral("req_two_days_later")});
        auto* chip = page->findChild<QLabel*>(QStringLiteral("drillDown"));
        QVERIFY(chip->isVisible());
        QVERIFY2(chip->text().contains(QLatin1String("Engineering")) && chip->text().contains(QLatin1String("1 ")),
                 qPrintable(chip->text()));
        page->findChild<QToolButton*>(QStringLiteral("clearDrillDown"))->click();
        settle();
        QVERIFY(!chip->isVisible());
        QVERIFY(listed().contains(QStringLiteral("req_in_no_group")) && listed().contains(late.requestId));
    }

    // An override saved in the policy editor is what admission enforces on the next request.
    void savingAnOverrideChangesWhatTheGatewayEnforces()
    {
        auto* page = m_window->showPage<PoliciesPage>();
        settle();
        const Id ann = userId(3);
        QVERIFY(page->edit(PolicyEdit::Level::User, ann));
        PolicyForm* form = page->form();
        form->modeBox(Dimension::RequestsPerMinute)->setCurrentIndex(1); // Limit
        form->valueEdit(Dimension::RequestsPerMinute)->setText(QStringLiteral("abc"));
        // Refused inline, nothing saved.
        QVERIFY(!page->save());
        QVERIFY(!form->valueEdit(Dimension::RequestsPerMinute)->property("invalidReason").toString().isEmpty());
        QVERIFY(!m_service->directory().user(ann)->policyOverride);
        form->valueEdit(Dimension::RequestsPerMinute)->setText(QStringLiteral("1"));
        emit form->valueEdit(Dimension::RequestsPerMinute)->textEdited(QStringLiteral("1"));
        // The effective value is previewed before saving, with its source.
        QVERIFY(form->effectiveLabel(Dimension::RequestsPerMinute)->text().contains(QLatin1String("1 requests")));
        QVERIFY(form->effectiveLabel(Dimension::RequestsPerMinute)->text().contains(QLatin1String("user User 03")));
        QVERIFY(form->isModified());
        QVERIFY(page->save());
        QVERIFY(!form->isModified());

        const RequestScope scope {0, ann, 0, QStringLiteral("mock-small")};
        AdmissionAmounts amounts;
        amounts.inputTokens = 10;
        Decision first = m_service->enforcement().admit(scope, amounts);
        QVERIFY(first.allowed);
        m_service->enforcement().ledger().release(first.reservation);
        const Decision second = m_service->enforcement().admit(scope, amounts);
        QVERIFY(!second.allowed);
        QCOMPARE(second.bindingCheck()->source.level, PolicySource::Level::User);

        // Unsaved changes are not lost silently: leaving asks, and Cancel stays.
        form->valueEdit(Dimension::RequestsPerMinute)->setText(QStringLiteral("5"));
        emit form->valueEdit(Dimension::RequestsPerMinute)->textEdited(QStringLiteral("5"));
        dialogs::setNextAnswer(dialogs::Answer::Cancel);
        QVERIFY(!page->mayLeave());
        dialogs::setNextAnswer(dialogs::Answer::Discard);
        QVERIFY(page->mayLeave());
        QCOMPARE(form->valueEdit(Dimension::RequestsPerMinute)->text(), QStringLiteral("1"));
    }

    // A new key's secret is shown once, works, and appears nowhere afterwards.
    void creatingAKeyShowsItsSecretOnce()
    {
        auto* page = m_window->showPage<KeysPage>();
        settle();
        page->newKey();
        auto* dialog = page->findChild<KeyDialog*>();
        QVERIFY(dialog);
        // Refused inline: no name.
        dialog->accept();
        QVERIFY(dialog->isVisible());
        QVERIFY(m_service->access().keys().isEmpty());
        dialog->findChild<QLineEdit*>(QStringLiteral("keyName"))->setText(QStringLiteral("CI runner"));
        dialog->findChild<QLineEdit*>(QStringLiteral("keyHolder"))->setText(QStringLiteral("user04@example.org"));
        dialog->findChild<QLineEdit*>(QStringLiteral("keyCap"))->setText(QStringLiteral("40"));
        dialog->findChild<QPushButton*>(QStringLiteral("createKey"))->click();
        settle();
        const QList<SecretDialog*> shown = page->findChildren<SecretDialog*>();
        QCOMPARE(shown.size(), 1);
        const QString secret = shown.first()->shownSecret();
        QVERIFY(secret.startsWith(QLatin1String("tg-")));
        // A double-click takes the whole secret, prefix and all.
        auto* field = shown.first()->findChild<QLineEdit*>(QStringLiteral("secret"));
        QTest::mouseDClick(field, Qt::LeftButton, {}, QPoint(field->width() - 20, field->height() / 2));
        QCOMPARE(field->selectedText(), secret);
        auto key = m_service->access().authenticate(secret);
        QVERIFY(key.ok());
        QCOMPARE(key->name, QStringLiteral("CI runner"));
        QCOMPARE(key->monthlyCap, std::optional<Money>(40 * kNanosPerDollar));
        shown.first()->accept();
        settle();
        QVERIFY(page->findChildren<SecretDialog*>().isEmpty());
        // The list never holds the secret.
        page->reload();
        settle();
        QCOMPARE(page->model()->rowCount(), 1);
        for (int c = 0; c < page->model()->columnCount(); ++c)
            QVERIFY(!page->model()->index(0, c).data().toString().contains(secret.mid(10)));
        // Setting end customers' limits is granted, not given: off in a new key, then switched on from the toolbar.
        QVERIFY(!key->features.contains(QLatin1String(kCustomerLimitsFeature)));
        page->findChild<QTableView*>()->selectRow(0);
        dialogs::setNextAnswer(dialogs::Answer::Yes);
        page->findChild<QAction*>(QStringLiteral("customerLimits"))->trigger();
        QVERIFY(m_service->access().key(key->id)->features.contains(QLatin1String(kCustomerLimitsFeature)));
        QVERIFY(m_service->access().key(key->id)->features.contains(QLatin1String("chat")));
    }

    // The first start: the owner key in a dialog with a Copy button, and the welcome banner, which stays until it
    // is dismissed (the dialog may hide it at first).
    void theFirstStartShowsTheOwnerKeyAndWhereTheDatabaseIs()
    {
        m_window->showFirstRun(QStringLiteral("/home/ada/.local/share/Tollgate/tollgate.db"));
        m_window->showOwnerKey(QStringLiteral("tga-0123456789abcdefghijklmnopqrstuvwxyzABCD"),
                               QStringLiteral("http://127.0.0.1:8787/api/admin"));
        settle();
        auto* dialog = m_window->findChild<SecretDialog*>(QStringLiteral("ownerKey"));
        QVERIFY(dialog && dialog->isVisible());
        QCOMPARE(dialog->shownSecret(), QStringLiteral("tga-0123456789abcdefghijklmnopqrstuvwxyzABCD"));
        dialog->findChild<QPushButton*>(QStringLiteral("copySecret"))->click();
        QCOMPARE(QGuiApplication::clipboard()->text(), dialog->shownSecret());
        dialog->accept();
        settle();
        auto* banner = m_window->currentPage()->banner();
        QVERIFY(banner->text().contains(QLatin1String("tollgate.db")));
        const QList<QTimer*> timers = banner->findChildren<QTimer*>();
        QVERIFY(!timers.isEmpty());
        for (QTimer* t : timers)
            QVERIFY2(!t->isActive(), "the welcome banner would hide by itself");
        banner->hide();
    }

    // The tray's notifications: 80 % and 100 % once each per window, however often the limits are checked.
    void limitAlertsComeOncePerWindow()
    {
        LimitAlerts alerts;
        LimitUse use {LimitUse::Kind::User, 1, QStringLiteral("ann"), 79, 100, {WindowKind::Month, 1000, 2000}};
        QVERIFY(alerts.check({use}).isEmpty());
        use.spend = 85;
        QCOMPARE(alerts.check({use}).size(), 1);
        QVERIFY(alerts.check({use}).isEmpty());
        use.spend = 100;
        const auto full = alerts.check({use});
        QCOMPARE(full.size(), 1);
        QCOMPARE(full.first().percent, 100);
        QVERIFY(alerts.check({use}).isEmpty());
        use.window = {WindowKind::Month, 2000, 3000}; // next month, straight to 100 %: one alert
        QCOMPARE(alerts.check({use}).size(), 1);
        QVERIFY(alerts.check({use}).isEmpty());
    }

    // Every page renders with data (what `tollgate screenshots` writes for the README).
    void everyPageRenders()
    {
        const QString dir = m_dir.filePath(QStringLiteral("pages"));
        QCOMPARE(renderPages(*m_window, *m_console, dir), QString());
        const QStringList files = QDir(dir).entryList(QDir::Files);
        const auto details = std::count_if(files.cbegin(), files.cend(),
                                           [](const QString& f) { return f.endsWith(QLatin1String("-details.png")); });
        // One per page, a page's details with data, the price import's preview, the model editor and the owner key.
        QCOMPARE(files.size() - details, m_window->pages().size() + 3);
        QVERIFY(files.contains(QStringLiteral("%1-price-import.png").arg(m_window->pages().size() + 1)));
        QVERIFY(files.contains(QStringLiteral("%1-model-editor.png").arg(m_window->pages().size() + 2)));
        QVERIFY(files.last().endsWith(QLatin1String("-owner-key.png")));
    }
};

QTEST_MAIN(TestConsole)
#include "test_console.moc"
