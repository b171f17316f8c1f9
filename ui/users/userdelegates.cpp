#include "ui/users/userdelegates.h"

#include "ui/dragdrop.h"
#include "ui/users/usersmodel.h"

#include <QApplication>
#include <QDrag>
#include <QHeaderView>
#include <QPainter>

namespace tollgate {

namespace {

void paintBackground(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index)
{
    QStyleOptionViewItem opt = option;
    opt.text.clear();
    opt.index = index;
    QStyle* style = opt.widget ? opt.widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, opt.widget);
}

} // namespace

void BadgeDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    paintBackground(painter, option, index);
    const QStringList names = index.data(UsersModel::BadgesRole).toStringList();
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    QFont f = option.font;
    f.setPointSizeF(f.pointSizeF() * 0.9);
    painter->setFont(f);
    const QFontMetrics fm(f);
    const int h = fm.height() + 4;
    int x = option.rect.left() + 4;
    const int y = option.rect.center().y() - h / 2;
    for (const QString& name : names) {
        const int w = fm.horizontalAdvance(name) + 12;
        if (x + w > option.rect.right() - 4) {
            painter->setPen(option.palette.color(QPalette::Text));
            painter->drawText(QRect(x, y, option.rect.right() - x, h), Qt::AlignVCenter, QStringLiteral("\u2026"));
            break;
        }
        const QRect r(x, y, w, h);
        painter->setPen(Qt::NoPen);
        painter->setBrush(QColor(0xdb, 0xe7, 0xf7));
        painter->drawRoundedRect(r, h / 2.0, h / 2.0);
        painter->setPen(QColor(0x1a, 0x3d, 0x73));
        painter->drawText(r, Qt::AlignCenter, name);
        x += w + 4;
    }
    painter->restore();
}

void SpendBarDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    paintBackground(painter, option, index);
    const qint64 spend = index.data(UsersModel::SpendRole).toLongLong();
    const QVariant limit = index.data(UsersModel::LimitRole);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const QRect bar = option.rect.adjusted(4, 4, -4, -4);
    if (limit.isValid()) {
        const double fraction = limit.toLongLong() > 0 ? double(spend) / double(limit.toLongLong()) : 1.0;
        painter->setPen(Qt::NoPen);
        painter->setBrush(QColor(0xee, 0xee, 0xee));
        painter->drawRoundedRect(bar, 3, 3);
        const QColor fill = fraction >= 1.0 ? QColor(0xe5, 0x73, 0x73)
            : fraction >= 0.8               ? QColor(0xff, 0xb7, 0x4d)
                                            : QColor(0x81, 0xc7, 0x84);
        QRect done = bar;
        done.setWidth(int(bar.width() * std::clamp(fraction, 0.0, 1.0)));
        painter->setBrush(fill);
        painter->drawRoundedRect(done, 3, 3);
    }
    painter->setPen(option.state & QStyle::State_Selected && !limit.isValid()
                        ? option.palette.color(QPalette::HighlightedText)
                        : option.palette.color(QPalette::Text));
    painter->drawText(bar.adjusted(6, 0, -6, 0), Qt::AlignVCenter | Qt::AlignLeft, index.data().toString());
    painter->restore();
}

UsersView::UsersView(QWidget* parent)
    : QTableView(parent)
{
    setSelectionBehavior(SelectRows);
    setSelectionMode(ExtendedSelection);
    setDragEnabled(true);
    setDragDropMode(DragOnly);
    setSortingEnabled(true);
    setAlternatingRowColors(true);
    setWordWrap(false);
    verticalHeader()->hide();
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    horizontalHeader()->setStretchLastSection(true);
}

void UsersView::startDrag(Qt::DropActions supportedActions)
{
    const QModelIndexList rows = selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    QMimeData* data = model()->mimeData(rows);
    if (!data)
        return;
    auto* drag = new QDrag(this);
    drag->setMimeData(data);
    const QString text = rows.size() == 1 ? rows.first().data().toString() : tr("+%n users", nullptr, int(rows.size()));
    const QPixmap pixmap = dragdrop::badgePixmap(text);
    drag->setPixmap(pixmap);
    drag->setHotSpot(QPoint(-12, pixmap.height() / pixmap.devicePixelRatio() / 2));
    drag->exec(supportedActions, dragAction());
}

} // namespace tollgate
