#include "ui/widgets/moneyedit.h"

#include "ui/format.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>

namespace tollgate {

MoneyEdit::MoneyEdit(const QString& field, std::optional<Money> value, QWidget* parent)
    : QWidget(parent)
    , m_field(field)
{
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    m_edit = new QLineEdit(value ? format::moneyInput(*value) : QString(), this);
    m_edit->setObjectName(field);
    m_preview = new QLabel(this);
    m_preview->setObjectName(field + QStringLiteral("Preview"));
    m_preview->setWordWrap(true);
    m_preview->setMinimumWidth(m_preview->fontMetrics().horizontalAdvance(QStringLiteral("= $1,000,000.00")));
    row->addWidget(m_edit, 1);
    row->addWidget(m_preview, 1);
    connect(m_edit, &QLineEdit::textChanged, this, &MoneyEdit::update);
    update();
}

Result<std::optional<Money>> MoneyEdit::value() const { return format::optionalDollars(m_edit->text(), m_field); }

void MoneyEdit::setPlaceholderText(const QString& text) { m_edit->setPlaceholderText(text); }

void MoneyEdit::update()
{
    const auto v = value();
    if (!v.ok()) {
        m_preview->setStyleSheet(QStringLiteral("color: #a61b1b"));
        m_preview->setText(v.error().message);
        format::markInvalid(m_edit, v.error().message);
        return;
    }
    m_preview->setStyleSheet({});
    m_preview->setText(v.value() ? QStringLiteral("= %1").arg(format::exactMoney(*v.value())) : QString());
    format::markInvalid(m_edit, {});
}

} // namespace tollgate
