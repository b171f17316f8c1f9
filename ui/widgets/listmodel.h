#pragma once

#include <QAbstractTableModel>
#include <QList>

#include <functional>

namespace tollgate {

// A table over a list of values, its columns given as functions: the model behind the keys, projects, customers,
// catalog and request log tables. Qt::UserRole gives a column's typed value for sorting.
template<typename T>
class ListModel final : public QAbstractTableModel
{
public:
    static constexpr int SortRole = Qt::UserRole;

    struct Column
    {
        QString title;
        std::function<QVariant(const T&)> display;
        std::function<QVariant(const T&)> sort = {}; // default: the display value
        Qt::Alignment alignment = Qt::AlignLeft | Qt::AlignVCenter;
        std::function<QVariant(const T&)> foreground = {};
    };

    explicit ListModel(QList<Column> columns, QObject* parent = nullptr)
        : QAbstractTableModel(parent)
        , m_columns(std::move(columns))
    {
    }

    void setItems(QList<T> items)
    {
        beginResetModel();
        m_items = std::move(items);
        endResetModel();
    }
    const QList<T>& items() const { return m_items; }
    const T& item(int row) const { return m_items[row]; }

    int rowCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : int(m_items.size()); }
    int columnCount(const QModelIndex& parent = {}) const override
    {
        return parent.isValid() ? 0 : int(m_columns.size());
    }
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override
    {
        if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
            return {};
        const Column& c = m_columns[index.column()];
        const T& item = m_items[index.row()];
        switch (role) {
        case Qt::DisplayRole:
        case Qt::ToolTipRole: return c.display(item);
        case SortRole: return c.sort ? c.sort(item) : c.display(item);
        case Qt::TextAlignmentRole:
            return QVariant(c.alignment ? c.alignment : Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
        case Qt::ForegroundRole: return c.foreground ? c.foreground(item) : QVariant();
        default: return {};
        }
    }
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override
    {
        if (orientation == Qt::Horizontal && role == Qt::DisplayRole && section >= 0 && section < m_columns.size())
            return m_columns[section].title;
        return QAbstractTableModel::headerData(section, orientation, role);
    }

private:
    QList<Column> m_columns;
    QList<T> m_items;
};

} // namespace tollgate
