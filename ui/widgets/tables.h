#pragma once

#include <QList>

class QAbstractItemModel;
class QLineEdit;
class QTableView;
class QWidget;

namespace tollgate {

// A sortable table over `model` (through a sort/filter proxy on its typed values), rows selected whole.
QTableView* makeTable(QWidget* parent, QAbstractItemModel* model);
// Filters the table as you type in `search` (any column).
void filterAsYouType(QTableView* table, QLineEdit* search);
// The source rows of the selection (or of the current row when nothing is selected).
QList<int> selectedSourceRows(const QTableView* table);

} // namespace tollgate
