#include "ui/widgets/tables.h"

#include <QEvent>
#include <QHeaderView>
#include <QKeyEvent>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

#include <functional>
#include <memory>

namespace tollgate {

QTableView* makeTable(QWidget* parent, QAbstractItemModel* model)
{
    auto* proxy = new QSortFilterProxyModel(parent);
    proxy->setSourceModel(model);
    proxy->setSortRole(Qt::UserRole);
    proxy->setFilterKeyColumn(-1);
    proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    auto* table = new QTableView(parent);
    table->setModel(proxy);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table->setSortingEnabled(true);
    table->setAlternatingRowColors(true);
    table->setWordWrap(false);
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 10);
    table->horizontalHeader()->setStretchLastSection(true);
    table->sortByColumn(0, Qt::AscendingOrder);
    // The first rows decide the columns' widths once: each as wide as its header and its text (at most 320 px), the
    // widest narrowed in proportion when together they would not fit, so that no column starts off screen.
    auto fitted = std::make_shared<bool>(false);
    QObject::connect(proxy, &QAbstractItemModel::modelReset, table, [table, fitted] {
        if (*fitted || table->model()->rowCount() == 0 || table->viewport()->width() < 100)
            return;
        *fitted = true;
        QHeaderView* header = table->horizontalHeader();
        const int columns = header->count();
        QList<int> want(columns);
        int total = 0;
        for (int c = 0; c < columns; ++c) {
            if (header->isSectionHidden(c))
                continue;
            want[c] = std::min(
                320,
                std::max(header->sectionSizeHint(c), static_cast<QAbstractItemView*>(table)->sizeHintForColumn(c)) + 8);
            total += want[c];
        }
        const int room = table->viewport()->width();
        if (total > room) {
            int wide = 0;
            for (int w : std::as_const(want))
                wide += w > 160 ? w - 160 : 0;
            const double keep = wide > 0 ? std::max(0.0, 1.0 - double(total - room) / wide) : 1.0;
            for (int& w : want)
                if (w > 160) // a timestamp or an amount keeps its width; names and emails give way
                    w = 160 + int((w - 160) * keep);
        }
        for (int c = 0; c < columns; ++c)
            if (!header->isSectionHidden(c) && c < columns - 1)
                header->resizeSection(c, want[c]);
    });
    return table;
}

void leaveUndoToTheWindow(QLineEdit* filter)
{
    struct Filter final : QObject
    {
        using QObject::QObject;
        bool eventFilter(QObject*, QEvent* e) override
        {
            // Not taken as the line edit's own shortcut: the window's Undo and Redo actions get the keys.
            if (e->type() == QEvent::ShortcutOverride) {
                auto* key = static_cast<QKeyEvent*>(e);
                if (key->matches(QKeySequence::Undo) || key->matches(QKeySequence::Redo)) {
                    e->ignore();
                    return true;
                }
            }
            return false;
        }
    };
    filter->installEventFilter(new Filter(filter));
}

QTableView* addFilteredTable(QWidget* parent, QVBoxLayout* layout, QToolBar* bar, QAbstractItemModel* model,
                             const QString& placeholder)
{
    auto* search = new QLineEdit(parent);
    search->setPlaceholderText(placeholder);
    search->setClearButtonEnabled(true);
    search->setMaximumWidth(260);
    leaveUndoToTheWindow(search);
    bar->addSeparator();
    bar->addWidget(search);
    layout->addWidget(bar);
    QTableView* table = makeTable(parent, model);
    auto* proxy = qobject_cast<QSortFilterProxyModel*>(table->model());
    QObject::connect(search, &QLineEdit::textChanged, proxy,
                     [proxy](const QString& text) { proxy->setFilterFixedString(text.trimmed()); });
    layout->addWidget(table, 1);
    return table;
}

QList<int> selectedSourceRows(const QTableView* table)
{
    auto* proxy = qobject_cast<QSortFilterProxyModel*>(table->model());
    QList<int> rows;
    QModelIndexList selected = table->selectionModel()->selectedRows();
    if (selected.isEmpty() && table->currentIndex().isValid())
        selected << table->currentIndex();
    for (const QModelIndex& i : std::as_const(selected))
        rows << proxy->mapToSource(i).row();
    return rows;
}

void setEmptyText(QAbstractItemView* view, const QString& empty, const QString& filtered)
{
    auto* hint = new QLabel(view->viewport());
    hint->setObjectName(QStringLiteral("emptyText"));
    hint->setAlignment(Qt::AlignCenter);
    hint->setWordWrap(true);
    hint->setStyleSheet(QStringLiteral("color: #777; padding: 24px;"));
    hint->setAttribute(Qt::WA_TransparentForMouseEvents);
    const auto update = [view, hint, empty, filtered] {
        QAbstractItemModel* model = view->model();
        const bool none = !model || model->rowCount(view->rootIndex()) == 0;
        auto* proxy = qobject_cast<QSortFilterProxyModel*>(model);
        const bool hidden = proxy && proxy->sourceModel() && proxy->sourceModel()->rowCount() > 0;
        hint->setText(hidden && !filtered.isEmpty() ? filtered : empty);
        hint->setGeometry(view->viewport()->rect());
        hint->setVisible(none);
    };
    QAbstractItemModel* model = view->model();
    QObject::connect(model, &QAbstractItemModel::modelReset, hint, update);
    QObject::connect(model, &QAbstractItemModel::layoutChanged, hint, update);
    QObject::connect(model, &QAbstractItemModel::rowsInserted, hint, update);
    QObject::connect(model, &QAbstractItemModel::rowsRemoved, hint, update);
    // Kept the viewport's size.
    struct Resize final : QObject
    {
        std::function<void()> update;
        bool eventFilter(QObject*, QEvent* e) override
        {
            if (e->type() == QEvent::Resize)
                update();
            return false;
        }
    };
    auto* resize = new Resize;
    resize->setParent(hint);
    resize->update = update;
    view->viewport()->installEventFilter(resize);
    update();
}

void selectSourceRow(QTableView* table, int row)
{
    auto* proxy = qobject_cast<QSortFilterProxyModel*>(table->model());
    const QModelIndex at = proxy->mapFromSource(proxy->sourceModel()->index(row, 0));
    table->setCurrentIndex(at);
    table->selectRow(at.row());
}

} // namespace tollgate
