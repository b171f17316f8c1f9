#include "ui/widgets/tables.h"

#include <QHeaderView>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

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
    return table;
}

QTableView* addFilteredTable(QWidget* parent, QVBoxLayout* layout, QToolBar* bar, QAbstractItemModel* model,
                             const QString& placeholder)
{
    auto* search = new QLineEdit(parent);
    search->setPlaceholderText(placeholder);
    search->setClearButtonEnabled(true);
    search->setMaximumWidth(260);
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

void selectSourceRow(QTableView* table, int row)
{
    auto* proxy = qobject_cast<QSortFilterProxyModel*>(table->model());
    const QModelIndex at = proxy->mapFromSource(proxy->sourceModel()->index(row, 0));
    table->setCurrentIndex(at);
    table->selectRow(at.row());
}

} // namespace tollgate
