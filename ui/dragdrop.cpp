#include "ui/dragdrop.h"

#include <QApplication>
#include <QDataStream>
#include <QFontMetrics>
#include <QIODevice>
#include <QMimeData>
#include <QPainter>
#include <QPalette>
#include <QPixmap>

namespace tollgate::dragdrop {

QMimeData* encodeUsers(const QList<Id>& ids, Id fromGroup)
{
    QByteArray bytes;
    QDataStream out(&bytes, QIODevice::WriteOnly);
    out << quint32(1) << fromGroup << ids;
    auto* data = new QMimeData;
    data->setData(kUsersMime, bytes);
    return data;
}

std::optional<DraggedUsers> decodeUsers(const QMimeData* data)
{
    if (!data || !data->hasFormat(kUsersMime))
        return std::nullopt;
    QDataStream in(data->data(kUsersMime));
    quint32 version = 0;
    DraggedUsers d;
    in >> version >> d.fromGroup >> d.ids;
    if (in.status() != QDataStream::Ok || version != 1)
        return std::nullopt;
    return d;
}

QMimeData* encodeGroup(Id id)
{
    QByteArray bytes;
    QDataStream out(&bytes, QIODevice::WriteOnly);
    out << quint32(1) << id;
    auto* data = new QMimeData;
    data->setData(kGroupMime, bytes);
    return data;
}

std::optional<Id> decodeGroup(const QMimeData* data)
{
    if (!data || !data->hasFormat(kGroupMime))
        return std::nullopt;
    QDataStream in(data->data(kGroupMime));
    quint32 version = 0;
    Id id = 0;
    in >> version >> id;
    if (in.status() != QDataStream::Ok || version != 1 || id <= 0)
        return std::nullopt;
    return id;
}

QPixmap badgePixmap(const QString& text)
{
    QFont font = QApplication::font();
    font.setBold(true);
    const QFontMetrics fm(font);
    const QSize size(fm.horizontalAdvance(text) + 20, fm.height() + 10);
    const qreal dpr = qApp->devicePixelRatio();
    QPixmap pixmap(size * dpr);
    pixmap.setDevicePixelRatio(dpr);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = QApplication::palette();
    p.setBrush(pal.color(QPalette::Highlight));
    p.setPen(Qt::NoPen);
    p.drawRoundedRect(QRectF(QPointF(0, 0), QSizeF(size)), size.height() / 2.0, size.height() / 2.0);
    p.setFont(font);
    p.setPen(pal.color(QPalette::HighlightedText));
    p.drawText(QRect(QPoint(0, 0), size), Qt::AlignCenter, text);
    return pixmap;
}

} // namespace tollgate::dragdrop
