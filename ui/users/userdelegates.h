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

    // What a drag does without modifier keys: the view's default drop action (a group's member list moves its
    // members), else a copy (the users list adds users to a group). Ctrl copies, Shift moves.
    Qt::DropAction dragAction() const
    {
        return defaultDropAction() == Qt::IgnoreAction ? Qt::CopyAction : defaultDropAction();
    }

protected:
    void startDrag(Qt::DropActions supportedActions) override;
};

} // namespace tollgate
