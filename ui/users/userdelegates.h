#pragma once

#include <QStyledItemDelegate>
#include <QTableView>

namespace tollgate {

// Group names as rounded badges.
class BadgeDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

// This month's spend as a bar against the limit: green, amber from 80 %, red at 100 %.
class SpendBarDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

// A table whose drags carry a picture: the user's name, or "+N users" for many.
class UsersView final : public QTableView
{
    Q_OBJECT
public:
    explicit UsersView(QWidget* parent = nullptr);

protected:
    void startDrag(Qt::DropActions supportedActions) override;
};

} // namespace tollgate
