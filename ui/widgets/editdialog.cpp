#include "ui/widgets/editdialog.h"

#include "ui/format.h"
#include "ui/widgets/moneyedit.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QScreen>
#include <QScrollArea>
#include <QStyle>
#include <QVBoxLayout>

namespace tollgate {

EditDialog::EditDialog(const QString& title, QWidget* parent)
    : QDialog(parent)
    , m_error(new QLabel(this))
{
    setWindowTitle(title);
    // The form scrolls when it is taller than the screen (a model's prices at 200 %); the error and the buttons
    // stay in view below it.
    auto* layout = new QVBoxLayout(this);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* body = new QWidget(scroll);
    m_form = new QFormLayout(body);
    m_form->setContentsMargins(0, 0, 0, 0);
    scroll->setWidget(body);
    layout->addWidget(scroll);
    m_error->setStyleSheet(QStringLiteral("color: #a61b1b"));
    m_error->setWordWrap(true);
    m_error->hide();
    layout->addWidget(m_error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &EditDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &EditDialog::reject);
    layout->addWidget(buttons);
    setMinimumWidth(460);
}

QSize EditDialog::sizeHint() const
{
    // As wide and tall as the form wants (the scroll area's hint is small), up to what the screen has; the form
    // scrolls vertically only, so it gets its whole width.
    QSize hint = QDialog::sizeHint();
    const QSize form = m_form->sizeHint();
    const QRect screenArea = screen() ? screen()->availableGeometry() : QRect(0, 0, 1280, 800);
    const int scrollBar = style()->pixelMetric(QStyle::PM_ScrollBarExtent);
    const int width =
        form.width() + scrollBar + layout()->contentsMargins().left() + layout()->contentsMargins().right();
    hint.setWidth(std::min(std::max(hint.width(), width), screenArea.width() * 9 / 10));
    hint.setHeight(std::min(std::max(hint.height(), form.height() + 120), screenArea.height() * 9 / 10));
    return hint;
}

QLineEdit* EditDialog::addLine(const QString& field, const QString& label, const QString& value,
                               const QString& placeholder)
{
    auto* edit = new QLineEdit(value, this);
    edit->setObjectName(field);
    edit->setPlaceholderText(placeholder);
    m_form->addRow(label, edit);
    m_fields.insert(field, edit);
    return edit;
}

QLineEdit* EditDialog::addMoney(const QString& field, const QString& label, const std::optional<Money>& value,
                                const QString& placeholder)
{
    auto* money = new MoneyEdit(field, value, this);
    money->setPlaceholderText(placeholder);
    m_form->addRow(label, money);
    m_fields.insert(field, money->lineEdit());
    return money->lineEdit();
}

QComboBox* EditDialog::addChoice(const QString& label, const QList<std::pair<QString, QVariant>>& choices,
                                 const QVariant& current)
{
    auto* box = new QComboBox(this);
    for (const auto& [text, value] : choices)
        box->addItem(text, value);
    box->setCurrentIndex(std::max(0, box->findData(current)));
    m_form->addRow(label, box);
    return box;
}

QCheckBox* EditDialog::addCheck(const QString& label, bool checked)
{
    auto* box = new QCheckBox(label, this);
    box->setChecked(checked);
    m_form->addRow(QString(), box);
    return box;
}

void EditDialog::addNote(const QString& text)
{
    auto* note = new QLabel(text, this);
    note->setWordWrap(true);
    note->setStyleSheet(QStringLiteral("color: palette(mid)"));
    m_form->addRow(note);
}

void EditDialog::accept()
{
    for (QLineEdit* e : std::as_const(m_fields))
        format::markInvalid(e, {});
    const Status s = m_save ? m_save() : Status();
    if (!s.ok()) {
        // Service fields may be paths ("periodBudget", "$.rate_limit_per_minute"): match on the last name.
        QString field = s.error().field;
        field = field.mid(field.lastIndexOf(u'.') + 1);
        if (QLineEdit* e = m_fields.value(field))
            format::markInvalid(e, s.error().message);
        m_error->setText(s.error().field.isEmpty() ? s.error().message
                                                   : tr("%1: %2").arg(s.error().field, s.error().message));
        m_error->show();
        return;
    }
    QDialog::accept();
}

} // namespace tollgate
