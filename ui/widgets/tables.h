#pragma once

#include <QList>

class QAbstractItemModel;
class QAbstractItemView;
class QLineEdit;
class QTableView;
class QToolBar;
class QVBoxLayout;
class QWidget;

namespace tollgate {

// A sortable table over `model` (through a sort/filter proxy on its typed values), rows selected whole.
QTableView* makeTable(QWidget* parent, QAbstractItemModel* model);
// The list pages' layout: `bar` (the page's actions) with a filter box at its end, over a sortable table of `model`
// that the box filters as you type (any column); both added to `layout`.
QTableView* addFilteredTable(QWidget* parent, QVBoxLayout* layout, QToolBar* bar, QAbstractItemModel* model,
                             const QString& placeholder);
// A filter box leaves Ctrl+Z and Ctrl+Shift+Z to the window: they undo the last change to the organisation (a group
// change), not the typing in the box.
void leaveUndoToTheWindow(QLineEdit* filter);
// The source rows of the selection (or of the current row when nothing is selected).
QList<int> selectedSourceRows(const QTableView* table);
// What an empty table says in its middle: `empty` when it has no rows at all, `filtered` when a filter hides them all
// (QSortFilterProxyModel over the rows). Follows the model's changes.
void setEmptyText(QAbstractItemView* view, const QString& empty, const QString& filtered = {});
// Selects the row of the source model's `row` (the one selectedSourceRows() would return).
void selectSourceRow(QTableView* table, int row);

} // namespace tollgate
