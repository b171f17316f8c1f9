#include "ui/widgets/editdialog.h"

#include "ui/format.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>

namespace tollgate {

EditDialog::EditDialog(const QString& title, QWidget* parent)
    : QDialog(parent)
    , m_form(new QFormLayout(this))
    , m_error(new QLabel(this))
{
    setWindowTitle(title);
    m_error->setStyleSheet(QStringLiteral("color: #a61b1b"));
    m_error->setWordWrap(true);
    m_error->hide();
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &EditDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &EditDialog::reject);
    m_form->addRow(m_error);
    m_form->addRow(buttons);
    setMinimumWidth(460);
}

QLineEdit* EditDialog::addLine(const QString& field, const QString& label, const QString& value,
                               const QString& placeholder)
{
    auto* edit = new QLineEdit(value, this);
    edit->setObjectName(field);
    edit->setPlaceholderText(placeholder);
    m_form->insertRow(m_form->rowCount() - 2, label, edit);
    m_fields.insert(field, edit);
    return edit;
}

QComboBox* EditDialog::addChoice(const QString& label, const QList<std::pair<QString, QVariant>>& choices,
                                 const QVariant& current)
{
    auto* box = new QComboBox(this);
    for (const auto& [text, value] : choices)
        box->addItem(text, value);
    box->setCurrentIndex(std::max(0, box->findData(current)));
    m_form->insertRow(m_form->rowCount() - 2, label, box);
    return box;
}

QCheckBox* EditDialog::addCheck(const QString& label, bool checked)
{
    auto* box = new QCheckBox(label, this);
    box->setChecked(checked);
    m_form->insertRow(m_form->rowCount() - 2, QString(), box);
    return box;
}

void EditDialog::addNote(const QString& text)
{
    auto* note = new QLabel(text, this);
    note->setWordWrap(true);
    note->setStyleSheet(QStringLiteral("color: palette(mid)"));
    m_form->insertRow(m_form->rowCount() - 2, note);
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
